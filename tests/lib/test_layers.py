import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import backprop_lib as bl
from backprop_lib.gradcheck import numerical_gradient_array, rel_error
from conftest import SHAPES


@pytest.mark.parametrize("N,D,H", SHAPES)
def test_dense_backward_matches_numerical_gradient(N, D, H, rng):
    X = rng.standard_normal((N, D))
    W = rng.standard_normal((D, H))
    b = rng.standard_normal(H)
    dout = rng.standard_normal((N, H))
    out, cache = bl.dense_forward(X, W, b)
    assert out.shape == (N, H)
    dX, dW, db = bl.dense_backward(dout, cache)
    assert rel_error(dX, numerical_gradient_array(lambda x: bl.dense_forward(x, W, b)[0], X.copy(), dout)) < 1e-8
    assert rel_error(dW, numerical_gradient_array(lambda w: bl.dense_forward(X, w, b)[0], W.copy(), dout)) < 1e-8
    assert rel_error(db, numerical_gradient_array(lambda v: bl.dense_forward(X, W, v)[0], b.copy(), dout)) < 1e-8


@pytest.mark.parametrize("N,D,H", SHAPES)
def test_dense_backward_matches_autograd(N, D, H, rng):
    X, W, b = rng.standard_normal((N, D)), rng.standard_normal((D, H)), rng.standard_normal(H)
    dout = rng.standard_normal((N, H))

    def fake_loss(X, W, b):  # (out * dout).sum() has gradient dout with respect to out
        return anp.sum((anp.dot(X, W) + b) * dout)

    dX, dW, db = bl.dense_backward(dout, bl.dense_forward(X, W, b)[1])
    np.testing.assert_allclose(dX, grad(fake_loss, 0)(X, W, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dW, grad(fake_loss, 1)(X, W, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, grad(fake_loss, 2)(X, W, b), rtol=1e-12, atol=1e-12)


def test_dense_class_gradient_check(rng):
    layer = bl.Dense(4, 3, init="he", rng=rng)
    report = bl.check_layer(layer, rng.standard_normal((6, 4)))
    assert report.passed, report
    assert set(report) == {"X", "W", "b"}


def test_dense_forward_returns_output_so_calls_chain(rng):
    X = rng.standard_normal((5, 2))
    out = bl.ReLU().forward(bl.Dense(2, 4, rng=0).forward(X))
    assert out.shape == (5, 4)


@pytest.mark.parametrize(
    "init,std", [("nnfs", 0.01), ("lecun", (1 / 400) ** 0.5), ("glorot", (2 / 700) ** 0.5), ("he", (2 / 400) ** 0.5)]
)
def test_initialisations_have_their_scale(init, std):
    W = bl.Dense(400, 300, init=init, rng=0).W
    assert W.shape == (400, 300)
    assert abs(W.std() / std - 1) < 0.02
    assert abs(W.mean()) < 0.05 * std


def test_same_seed_same_weights_and_no_global_state():
    before = np.random.get_state()[1].copy()
    a, b = bl.Dense(3, 2, rng=7).W, bl.Dense(3, 2, rng=7).W
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(before, np.random.get_state()[1])


def test_float32_layer_stays_float32(rng):
    layer = bl.Dense(3, 2, rng=0, dtype=np.float32)
    out = layer.forward(rng.standard_normal((4, 3)).astype(np.float32))
    dX = layer.backward(np.ones((4, 2), dtype=np.float32))
    assert out.dtype == dX.dtype == layer.grads["W"].dtype == layer.grads["b"].dtype == np.float32


def test_the_model_skips_the_first_input_gradient_but_the_layer_itself_does_not(rng):
    model = bl.mlp([2, 5, 3], rng=0)
    X = rng.standard_normal((4, 2))
    model.loss(X, np.array([0, 1, 2, 0]))
    model.backward()  # inside the model, no dX for the data
    first = model.layers[0]
    first.forward(X)
    dX = first.backward(np.ones((4, 5)))  # the same layer on its own still gives dX
    np.testing.assert_allclose(dX, np.ones((4, 5)) @ first.W.T)
    assert first.backward(np.ones((4, 5)), input_grad=False) is None
