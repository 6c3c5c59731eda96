import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import backprop_lib as bl
from backprop_lib.normalization import (
    BatchNorm,
    batchnorm_backward,
    batchnorm_backward_staged,
    batchnorm_eval_backward,
    batchnorm_eval_forward,
    batchnorm_forward,
)

SHAPES = [(2, 1), (2, 3), (3, 1), (5, 4), (8, 2), (16, 3)]


def make(shape, seed=0):
    """x (N, D) with columns of different means and spreads, gamma, beta, dout."""
    N, D = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * rng.uniform(0.5, 3, D) + rng.uniform(-2, 2, D)
    gamma, beta = rng.uniform(0.5, 2, D) * rng.choice([-1, 1], D), rng.standard_normal(D)
    dout = rng.standard_normal((N, D))
    return x, gamma, beta, dout


def batchnorm_anp(x, gamma, beta, eps=1e-5):
    mu = anp.mean(x, axis=0)
    var = anp.mean((x - mu) ** 2, axis=0)
    return gamma * (x - mu) / anp.sqrt(var + eps) + beta


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_staged])
def test_backward_matches_central_differences(shape, backward):
    x, gamma, beta, dout = make(shape)
    out, cache = batchnorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = backward(dout, cache)
    num_dx = bl.numerical_gradient_array(lambda v: batchnorm_forward(v, gamma, beta)[0], x.copy(), dout)
    num_dgamma = bl.numerical_gradient_array(lambda v: batchnorm_forward(x, v, beta)[0], gamma.copy(), dout)
    num_dbeta = bl.numerical_gradient_array(lambda v: batchnorm_forward(x, gamma, v)[0], beta.copy(), dout)
    assert bl.rel_error(dx, num_dx) < 1e-7
    assert bl.rel_error(dgamma, num_dgamma) < 1e-7
    assert bl.rel_error(dbeta, num_dbeta) < 1e-7


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_staged])
def test_backward_matches_autograd(shape, backward):
    x, gamma, beta, dout = make(shape, seed=1)
    out, cache = batchnorm_forward(x, gamma, beta)
    np.testing.assert_allclose(out, batchnorm_anp(x, gamma, beta), rtol=1e-12, atol=1e-12)

    def fake_loss(x, gamma, beta):
        return anp.sum(batchnorm_anp(x, gamma, beta) * dout)

    expected = [grad(fake_loss, i)(x, gamma, beta) for i in range(3)]
    for got, want in zip(backward(dout, cache), expected):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("shape", SHAPES)
def test_staged_and_closed_form_agree(shape):
    x, gamma, beta, dout = make(shape, seed=2)
    _, cache = batchnorm_forward(x, gamma, beta)
    for a, b in zip(batchnorm_backward(dout, cache), batchnorm_backward_staged(dout, cache)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_a_backward_that_forgets_the_variance_path_is_caught():
    x, gamma, beta, dout = make((6, 3), seed=3)
    _, cache = batchnorm_forward(x, gamma, beta)
    _, xhat, mu, var, _, eps = cache
    dxhat = dout * gamma
    broken = (dxhat - dxhat.mean(axis=0)) / np.sqrt(var + eps)  # only the mean's path
    num_dx = bl.numerical_gradient_array(lambda v: batchnorm_forward(v, gamma, beta)[0], x.copy(), dout)
    assert bl.rel_error(broken, num_dx) > 1e-2


@pytest.mark.parametrize("shape", SHAPES)
def test_training_output_has_zero_mean_and_unit_variance_per_feature(shape):
    x, _, _, _ = make(shape, seed=4)
    out, _ = batchnorm_forward(x, np.ones(shape[1]), np.zeros(shape[1]))
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), 1, rtol=1e-4)  # eps keeps it just below 1


def test_eval_forward_uses_the_given_statistics_and_takes_one_sample():
    x, gamma, beta, _ = make((1, 3), seed=5)
    mean, var = np.array([1.0, -1.0, 0.0]), np.array([4.0, 0.25, 1.0])
    out, _ = batchnorm_eval_forward(x, gamma, beta, mean, var, eps=1e-5)
    np.testing.assert_allclose(out, gamma * (x - mean) / np.sqrt(var + 1e-5) + beta, rtol=1e-12)


@pytest.mark.parametrize("shape", [(1, 2), (4, 1), (6, 3)])
def test_eval_backward_matches_central_differences(shape):
    x, gamma, beta, dout = make(shape, seed=6)
    mean, var = np.full(shape[1], 0.3), np.full(shape[1], 2.0)
    _, cache = batchnorm_eval_forward(x, gamma, beta, mean, var)
    dx, dgamma, dbeta = batchnorm_eval_backward(dout, cache)
    assert bl.rel_error(dx, bl.numerical_gradient_array(
        lambda v: batchnorm_eval_forward(v, gamma, beta, mean, var)[0], x.copy(), dout)) < 1e-7
    assert bl.rel_error(dgamma, bl.numerical_gradient_array(
        lambda v: batchnorm_eval_forward(x, v, beta, mean, var)[0], gamma.copy(), dout)) < 1e-7
    assert bl.rel_error(dbeta, bl.numerical_gradient_array(
        lambda v: batchnorm_eval_forward(x, gamma, v, mean, var)[0], beta.copy(), dout)) < 1e-7


# -- the class ------------------------------------------------------------------------------

def layer_with(gamma, beta):
    layer = BatchNorm(len(gamma))
    layer.params["gamma"][:] = gamma
    layer.params["beta"][:] = beta
    return layer


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_check_layer_in_both_modes(shape, training):
    x, gamma, beta, _ = make(shape, seed=7)
    layer = layer_with(gamma, beta)
    layer.running_mean, layer.running_var = np.full(shape[1], 0.5), np.full(shape[1], 1.5)
    layer.training = training
    report = bl.check_layer(layer, x, rng=1)
    assert report.passed, report
    assert set(report) == {"X", "gamma", "beta"}


def test_class_matches_the_pure_functions():
    x, gamma, beta, dout = make((6, 3), seed=8)
    layer = layer_with(gamma, beta)
    out = layer.forward(x)
    dx = layer.backward(dout)
    out_ref, cache = batchnorm_forward(x, gamma, beta)
    dx_ref, dgamma_ref, dbeta_ref = batchnorm_backward(dout, cache)
    np.testing.assert_array_equal(out, out_ref)
    np.testing.assert_array_equal(dx, dx_ref)
    np.testing.assert_array_equal(layer.grads["gamma"], dgamma_ref)
    np.testing.assert_array_equal(layer.grads["beta"], dbeta_ref)


def test_running_statistics_follow_the_momentum_rule_and_are_not_params():
    x1, _, _, _ = make((5, 2), seed=9)
    x2, _, _, _ = make((7, 2), seed=10)
    layer = BatchNorm(2, momentum=0.8)
    assert set(layer.params) == {"gamma", "beta"} and set(layer.grads) == {"gamma", "beta"}
    np.testing.assert_array_equal(layer.running_mean, 0)
    np.testing.assert_array_equal(layer.running_var, 1)
    layer.forward(x1)
    layer.forward(x2)
    mean = 0.8 * (0.8 * 0 + 0.2 * x1.mean(axis=0)) + 0.2 * x2.mean(axis=0)
    var = 0.8 * (0.8 * 1 + 0.2 * x1.var(axis=0)) + 0.2 * x2.var(axis=0)
    np.testing.assert_allclose(layer.running_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, var, rtol=1e-12)


def test_eval_mode_uses_running_statistics_and_does_not_update_them():
    x, _, _, _ = make((5, 3), seed=11)
    layer = BatchNorm(3)
    for _ in range(3):
        layer.forward(x)
    mean, var = layer.running_mean.copy(), layer.running_var.copy()
    layer.training = False
    out = layer.forward(x[:1])  # one sample is fine in eval mode
    np.testing.assert_allclose(out, (x[:1] - mean) / np.sqrt(var + 1e-5), rtol=1e-12)
    np.testing.assert_array_equal(layer.running_mean, mean)
    np.testing.assert_array_equal(layer.running_var, var)


def test_in_training_mode_a_sample_depends_on_its_batch_and_in_eval_mode_it_does_not():
    x, _, _, _ = make((8, 2), seed=12)
    layer = BatchNorm(2)
    a = layer.forward(x[:4])[0]
    b = layer.forward(np.vstack([x[:1], x[4:]]))[0]
    assert not np.allclose(a, b)
    layer.training = False
    np.testing.assert_array_equal(layer.forward(x[:4])[0], layer.forward(np.vstack([x[:1], x[4:]]))[0])


def test_input_grad_false_skips_dx_but_fills_the_grads():
    x, gamma, beta, dout = make((4, 2), seed=13)
    layer = layer_with(gamma, beta)
    layer.forward(x)
    dx = layer.backward(dout)
    dgamma = layer.grads["gamma"].copy()
    layer.forward(x)
    assert layer.backward(dout, input_grad=False) is None
    np.testing.assert_array_equal(layer.grads["gamma"], dgamma)
    assert dx.shape == x.shape


def test_nothing_is_changed_in_place():
    x, gamma, beta, dout = make((5, 3), seed=14)
    copies = [a.copy() for a in (x, gamma, beta, dout)]
    out, cache = batchnorm_forward(x, gamma, beta)
    saved = [c.copy() if isinstance(c, np.ndarray) else c for c in cache]
    batchnorm_backward(dout, cache)
    batchnorm_backward_staged(dout, cache)
    for before, after in zip(copies, (x, gamma, beta, dout)):
        np.testing.assert_array_equal(before, after)
    for before, after in zip(saved, cache):
        np.testing.assert_array_equal(before, after)
    layer = BatchNorm(3)
    mean = layer.running_mean
    layer.forward(x)
    layer.backward(dout)
    np.testing.assert_array_equal(x, copies[0])
    np.testing.assert_array_equal(dout, copies[3])
    np.testing.assert_array_equal(mean, 0)  # a reference taken before training keeps its values


# -- bad inputs -----------------------------------------------------------------------------

def test_one_sample_in_training_mode_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="at least 2 samples in training mode.*eval mode"):
        BatchNorm(3).forward(np.ones((1, 3)))
    with pytest.raises(ValueError, match="batchnorm_forward: expected a batch of at least 2"):
        batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3))


@pytest.mark.parametrize("x, error, message", [
    (np.ones((4, 2)), ValueError, r"BatchNorm\(3\).forward: expected x with 3 columns \(N, 3\), got \(4, 2\)"),
    (np.ones(3), ValueError, r"expected x of shape \(N, D\) \(2-D\), got shape \(3,\)"),
    (np.ones((0, 3)), ValueError, "empty batch"),
    (np.array([[1.0, np.nan, 0.0], [0.0, 1.0, 2.0]]), ValueError, "NaN at index"),
    (np.array([[1.0, np.inf, 0.0], [0.0, 1.0, 2.0]]), ValueError, "infinite"),
    (np.array([["a", "b", "c"], ["d", "e", "f"]]), TypeError, "numeric array"),
])
def test_bad_x_gets_a_clear_error(x, error, message):
    with pytest.raises(error, match=message):
        BatchNorm(3).forward(x)


def test_bad_dout_and_order_get_clear_errors():
    layer = BatchNorm(2)
    with pytest.raises(RuntimeError, match="call forward before backward"):
        layer.backward(np.ones((3, 2)))
    layer.forward(np.arange(6.0).reshape(3, 2))
    with pytest.raises(ValueError, match=r"BatchNorm\(2\).backward: expected dout of the output's shape"):
        layer.backward(np.ones((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        layer.backward(np.full((3, 2), np.nan))


@pytest.mark.parametrize("kwargs, message", [
    ({"D": 0}, "positive integer"), ({"D": 2.5}, "positive integer"),
    ({"D": 2, "momentum": 1.0}, r"momentum in \[0, 1\)"), ({"D": 2, "momentum": -0.1}, "momentum"),
    ({"D": 2, "eps": 0}, "eps"), ({"D": 2, "eps": -1e-5}, "eps"),
])
def test_bad_constructor_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BatchNorm(**kwargs)


def test_bad_gamma_beta_and_running_var_in_the_pure_functions():
    x = np.arange(6.0).reshape(3, 2)
    with pytest.raises(ValueError, match=r"gamma of shape \(D,\) = \(2,\), got \(3,\)"):
        batchnorm_forward(x, np.ones(3), np.zeros(2))
    with pytest.raises(ValueError, match="beta"):
        batchnorm_forward(x, np.ones(2), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="running_var >= 0"):
        batchnorm_eval_forward(x, np.ones(2), np.zeros(2), np.zeros(2), np.array([1.0, -1.0]))
    _, cache = batchnorm_forward(x, np.ones(2), np.zeros(2))
    with pytest.raises(ValueError, match="batchnorm_backward: expected dout"):
        batchnorm_backward(np.ones((2, 3)), cache)


# -- inside a model -------------------------------------------------------------------------

def bn_model(seed=0):
    return bl.Sequential([bl.Dense(3, 5, init="he", rng=seed), BatchNorm(5), bl.ReLU(),
                          bl.Dense(5, 4, init="he", rng=seed + 1), BatchNorm(4), bl.Tanh(),
                          bl.Dense(4, 3, init="he", rng=seed + 2)])


def test_a_model_with_batchnorm_passes_check_model_and_names_its_params():
    rng = np.random.default_rng(20)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    model = bn_model()
    assert {"batchnorm1.gamma", "batchnorm1.beta", "batchnorm2.gamma", "batchnorm2.beta"} <= set(model.params())
    report = bl.check_model(model, X, y)
    # A bias just before batch norm is subtracted again with the mean: its gradient is 0, and
    # the relative error of two rounding-level numbers means nothing. Everything else must pass.
    assert all(e < 1e-7 for name, e in report.items() if name not in ("dense1.b", "dense2.b")), report
    model.loss(X, y)
    model.backward()
    for name in ("dense1.b", "dense2.b"):
        assert np.abs(model.grads()[name]).max() < 1e-12
        num = bl.numerical_gradient(lambda _: model.loss(X, y), model.params()[name])
        assert np.abs(num).max() < 1e-8


def test_first_layer_batchnorm_gets_input_grad_false_from_the_model():
    rng = np.random.default_rng(21)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    model = bl.Sequential([BatchNorm(3), bl.Dense(3, 3, init="he", rng=0)])
    report = bl.check_model(model, X, y)
    assert report.passed, report


def test_model_train_and_eval_switch_batchnorm_and_training_changes_running_statistics():
    rng = np.random.default_rng(22)
    X, y = rng.standard_normal((8, 3)) * 3 + 1, rng.integers(0, 3, 8)
    model = bn_model()
    bn = model.layers[1]
    model.train_step(X, y, bl.SGD(0.1))
    assert not np.allclose(bn.running_mean, 0)
    model.eval()
    assert bn.training is False
    mean = bn.running_mean.copy()
    one = model.forward(X[:1])  # one sample works in eval mode
    np.testing.assert_allclose(one, model.forward(X)[:1], rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean, mean)
    model.train()
    assert bn.training is True
    with pytest.raises(ValueError, match="at least 2 samples"):
        model.forward(X[:1])


@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_staged])
def test_the_pairs_follow_the_shared_convention_of_check_forward_backward(backward):
    x, gamma, beta, _ = make((5, 3), seed=23)
    report = bl.check_forward_backward(lambda v: batchnorm_forward(v, gamma, beta), backward, x)
    assert report.passed, report
    mean, var = np.full(3, 0.2), np.full(3, 0.7)
    report = bl.check_forward_backward(lambda v: batchnorm_eval_forward(v, gamma, beta, mean, var),
                                       batchnorm_eval_backward, x)
    assert report.passed, report
