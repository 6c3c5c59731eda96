import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import backprop_lib as bl
from backprop_lib.dropout import Dropout, dropout_backward, dropout_forward

SHAPES = [(2, 1), (1, 5), (4, 3), (16, 8)]
PS = [0.0, 0.1, 0.5, 0.9]


def data(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) + 0.5, rng.standard_normal(shape)


def test_p_zero_is_the_identity():
    x, dout = data((5, 4))
    out, cache = dropout_forward(x, 0.0, rng=0)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(dropout_backward(dout, cache), dout)
    layer = Dropout(0.0, rng=1)
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(dout), dout)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_the_expected_output_is_the_input(p):
    """Averaged over K seeded draws, out -> x; the tolerance is 5 standard errors, fixed by the seed."""
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.1, -1.0]])
    K = 20_000
    rng = np.random.default_rng(123)
    total = np.zeros_like(x)
    for _ in range(K):
        total += dropout_forward(x, p, rng)[0]
    # one draw is x / (1 - p) with probability 1 - p, else 0: variance x**2 * p / (1 - p)
    standard_error = np.abs(x) * np.sqrt(p / (1 - p) / K)
    assert np.all(np.abs(total / K - x) < 5 * standard_error)
    assert not np.allclose(total / K, x * (1 - p), rtol=0.01)  # the scale is really there


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_the_fraction_kept_is_one_minus_p_and_the_kept_units_are_scaled(p):
    x = np.ones((200, 100))
    out, (mask, p_cached) = dropout_forward(x, p, rng=0)
    assert p_cached == p and mask.dtype == bool
    assert abs(mask.mean() - (1 - p)) < 0.02  # 20,000 draws: the standard error is below 0.0035
    np.testing.assert_allclose(out[mask], 1 / (1 - p))
    np.testing.assert_array_equal(out[~mask], 0)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("p", PS)
def test_backward_matches_central_differences_with_the_mask_fixed(shape, p):
    x, dout = data(shape, seed=1)
    _, cache = dropout_forward(x, p, rng=7)
    dx = dropout_backward(dout, cache)
    num = bl.numerical_gradient_array(lambda v: dropout_forward(v, p, rng=7)[0], x.copy(), dout)  # same seed, same mask
    assert bl.rel_error(dx, num) < 1e-7


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("p", PS)
def test_backward_matches_autograd_with_the_mask_fixed(shape, p):
    x, dout = data(shape, seed=2)
    _, (mask, _) = dropout_forward(x, p, rng=3)
    expected = grad(lambda v: anp.sum(v * mask / (1 - p) * dout))(x)
    np.testing.assert_allclose(dropout_backward(dout, (mask, p)), expected, rtol=1e-12)


def test_backward_reuses_the_forward_mask():
    x, dout = data((50, 20), seed=4)
    layer = Dropout(0.5, rng=0)
    out = layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dx == 0, out == 0)  # x has no zeros, so out == 0 exactly where dropped
    np.testing.assert_allclose(dx, dout * out / x)
    np.testing.assert_array_equal(layer.backward(dout), dx)  # asking again draws nothing new


def test_a_new_mask_each_forward_and_reproducible_with_a_seed():
    x, _ = data((10, 10), seed=5)
    a, b = Dropout(0.5, rng=42), Dropout(0.5, rng=42)
    first, second = a.forward(x), a.forward(x)
    assert not np.array_equal(first == 0, second == 0)
    np.testing.assert_array_equal(b.forward(x), first)
    np.testing.assert_array_equal(b.forward(x), second)


def test_eval_mode_is_the_identity_and_check_layer_passes():
    x, dout = data((6, 4), seed=6)
    layer = Dropout(0.7, rng=0)
    layer.training = False
    out = layer.forward(x)
    np.testing.assert_array_equal(out, x)
    assert out is not x
    np.testing.assert_array_equal(layer.backward(dout), dout)
    assert bl.check_layer(layer, x).passed


def test_check_layer_notices_that_training_mode_draws_a_new_mask_per_call():
    x, _ = data((6, 4), seed=7)
    assert not bl.check_layer(Dropout(0.5, rng=0), x).passed


def test_nothing_is_changed_in_place():
    x, dout = data((5, 3), seed=8)
    x0, dout0 = x.copy(), dout.copy()
    out, cache = dropout_forward(x, 0.5, rng=0)
    mask0 = cache[0].copy()
    dropout_backward(dout, cache)
    layer = Dropout(0.5, rng=0)
    layer.forward(x)
    layer.backward(dout)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dout, dout0)
    np.testing.assert_array_equal(cache[0], mask0)


def test_params_and_grads_are_empty():
    layer = Dropout(0.5)
    assert layer.params == {} and layer.grads == {} and layer.training is True


@pytest.mark.parametrize("p", [-0.1, 1, 1.0, 1.5, np.nan, "0.5", None, True])
def test_bad_p_gets_a_clear_error(p):
    with pytest.raises(ValueError, match=r"drop probability p in \[0, 1\)"):
        Dropout(p)
    with pytest.raises(ValueError, match=r"dropout_forward: expected the drop probability"):
        dropout_forward(np.ones((2, 2)), p, rng=0)


def test_bad_inputs_get_clear_errors():
    layer = Dropout(0.5, rng=0)
    with pytest.raises(RuntimeError, match="call forward before backward"):
        layer.backward(np.ones((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        layer.forward(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="non-empty"):
        layer.forward(np.ones((0, 3)))
    with pytest.raises(TypeError, match="numeric array"):
        layer.forward(np.array([["a"]]))
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Dropout\(p=0.5\).backward: expected dout of the output's shape \(2, 3\)"):
        layer.backward(np.ones((3, 2)))
    with pytest.raises(ValueError, match="dropout_backward: expected dout"):
        dropout_backward(np.ones((3, 2)), (np.ones((2, 3), dtype=bool), 0.5))
    with pytest.raises(TypeError, match="rng"):
        Dropout(0.5, rng="seed")


def test_inside_a_model_eval_turns_dropout_off_and_train_turns_it_on():
    rng = np.random.default_rng(9)
    X, y = rng.standard_normal((10, 3)), rng.integers(0, 3, 10)
    model = bl.Sequential([bl.Dense(3, 8, init="he", rng=0), bl.ReLU(), Dropout(0.5, rng=1),
                           bl.Dense(8, 3, init="he", rng=2)])
    assert not np.array_equal(model.forward(X), model.forward(X))  # a new mask each call
    model.eval()
    np.testing.assert_array_equal(model.forward(X), model.forward(X))
    assert bl.check_model(model, X, y).passed  # the identity in eval mode
    model.train()
    loss = model.train_step(X, y, bl.SGD(0.1))
    assert np.isfinite(loss)
    assert not bl.check_model(model, X, y).passed  # in training mode each loss call draws a new mask


def test_the_pair_follows_the_shared_convention_of_check_forward_backward():
    x, _ = data((5, 3), seed=10)
    assert bl.check_forward_backward(lambda v: dropout_forward(v, 0.3, rng=5), dropout_backward, x).passed
