import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, jacobian

import backprop_lib as bl
from backprop_lib import activations as act
from backprop_lib.gradcheck import TOLERANCE, numerical_gradient_array, rel_error

PAIRS = {
    "relu": (act.relu_forward, act.relu_backward, lambda x: anp.maximum(x, 0)),
    "sigmoid": (act.sigmoid_forward, act.sigmoid_backward, lambda x: 1 / (1 + anp.exp(-x))),
    "tanh": (act.tanh_forward, act.tanh_backward, anp.tanh),
    "leaky_relu": (act.leaky_relu_forward, act.leaky_relu_backward, lambda x: anp.where(x > 0, x, 0.01 * x)),
    "softmax": (
        act.softmax_forward,
        act.softmax_backward,
        lambda z: anp.exp(z - anp.max(z, axis=1, keepdims=True))
        / anp.sum(anp.exp(z - anp.max(z, axis=1, keepdims=True)), axis=1, keepdims=True),
    ),
}
SHAPES = [(1, 1), (1, 3), (4, 3), (6, 10)]


def inputs(rng, shape):
    x = rng.standard_normal(shape) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kinks, where the derivative is not defined
    return x


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_matches_numerical_gradient(name, shape, rng):
    fwd, bwd, _ = PAIRS[name]
    x, dout = inputs(rng, shape), rng.standard_normal(shape)
    out, cache = fwd(x)
    dx = bwd(dout, cache)
    assert dx.shape == x.shape
    assert rel_error(dx, numerical_gradient_array(lambda z: fwd(z)[0], x.copy(), dout)) < TOLERANCE


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_matches_autograd(name, shape, rng):
    fwd, bwd, ag = PAIRS[name]
    x, dout = inputs(rng, shape), rng.standard_normal(shape)
    np.testing.assert_allclose(fwd(x)[0], ag(x), rtol=1e-13, atol=1e-15)
    expected = grad(lambda z: anp.sum(ag(z) * dout))(x)
    np.testing.assert_allclose(bwd(dout, fwd(x)[1]), expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("cls", [bl.ReLU, bl.Sigmoid, bl.Tanh, bl.LeakyReLU, bl.Softmax])
def test_activation_classes_pass_the_layer_check(cls, rng):
    assert bl.check_layer(cls(), inputs(rng, (5, 4))).passed


def test_backward_does_not_modify_dout_or_cache(rng):
    for name, (fwd, bwd, _) in PAIRS.items():
        x, dout = inputs(rng, (4, 3)), rng.standard_normal((4, 3))
        out, cache = fwd(x)
        keep_dout, keep_out = dout.copy(), out.copy()
        bwd(dout, cache)
        np.testing.assert_array_equal(dout, keep_dout, err_msg=name)
        np.testing.assert_array_equal(out, keep_out, err_msg=name)


def test_relu_derivative_at_zero_is_zero():
    out, cache = act.relu_forward(np.array([[-1.0, 0.0, 2.0]]))
    np.testing.assert_array_equal(act.relu_backward(np.ones((1, 3)), cache), [[0.0, 0.0, 1.0]])


def test_sigmoid_is_stable_for_extreme_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = act.sigmoid(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]))
    np.testing.assert_allclose(s, [0.0, 9.357622968840175e-14, 0.5, 1 - 9.357622968840175e-14, 1.0], rtol=1e-12)


def test_softmax_is_stable_and_sums_to_one():
    logits = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        probs = act.softmax(logits)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_allclose(probs[0], act.softmax(np.array([[0.0, 1.0, 2.0]]))[0], rtol=1e-14)


@pytest.mark.parametrize("C", [1, 2, 3, 7])
def test_softmax_jacobian_matches_autograd(C, rng):
    z = rng.standard_normal(C)
    s = act.softmax(z[None, :])[0]
    expected = jacobian(lambda v: anp.exp(v - anp.max(v)) / anp.sum(anp.exp(v - anp.max(v))))(z)
    np.testing.assert_allclose(act.softmax_jacobian(s), expected, rtol=1e-12, atol=1e-15)
    # diag(s) - s s^T is symmetric and its rows sum to zero
    J = act.softmax_jacobian(s)
    np.testing.assert_allclose(J, J.T)
    np.testing.assert_allclose(J.sum(axis=1), 0, atol=1e-15)


@pytest.mark.parametrize("N,C", [(1, 2), (5, 3), (64, 10)])
def test_three_softmax_backward_forms_agree(N, C, rng):
    probs = act.softmax(rng.standard_normal((N, C)))
    dout = rng.standard_normal((N, C))
    closed = act.softmax_backward(dout, probs)
    np.testing.assert_allclose(act.softmax_backward_loop(dout, probs), closed, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(act.softmax_backward_einsum(dout, probs), closed, rtol=1e-12, atol=1e-15)
    J = act.softmax_jacobian_batched(probs)
    assert J.shape == (N, C, C)
    np.testing.assert_allclose(J[N // 2], act.softmax_jacobian(probs[N // 2]), rtol=1e-15)


def test_get_activation_names():
    assert isinstance(act.get_activation("tanh"), bl.Tanh)
    with pytest.raises(ValueError, match="expected one of"):
        act.get_activation("swish")

