import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib import gradcheck as gc


class BrokenReLU(bl.ReLU):
    """ReLU whose backward forgets the gate: it passes dout everywhere."""

    def backward(self, dout):
        return dout


class DenseWithTransposedBias(bl.Dense):
    """A Dense layer whose db sums over the wrong axis (and is then cut to shape)."""

    def backward(self, dout, input_grad=True):
        dX = super().backward(dout, input_grad)
        self.grads["b"] = dout.sum(axis=1)[: self.n_outputs]
        return dX


def test_a_broken_backward_is_caught(rng):
    report = gc.check_layer(BrokenReLU(), rng.standard_normal((5, 4)))
    assert not report.passed
    assert report["X"] > 0.1
    assert "FAILED" in repr(report) and "WRONG" in repr(report)


def test_a_wrong_parameter_gradient_is_caught_and_named(rng):
    report = gc.check_layer(DenseWithTransposedBias(3, 3, rng=0), rng.standard_normal((3, 3)))
    assert not report.passed
    assert report["X"] < 1e-9 and report["W"] < 1e-9
    assert report["b"] > 1e-3


def test_check_layer_leaves_parameters_unchanged(rng):
    layer = bl.Dense(3, 2, rng=0)
    W = layer.W.copy()
    gc.check_layer(layer, rng.standard_normal((4, 3)))
    np.testing.assert_array_equal(W, layer.W)


def test_numerical_gradient_of_known_functions(rng):
    x = rng.standard_normal((3, 2))
    np.testing.assert_allclose(gc.numerical_gradient(lambda v: (v**2).sum(), x.copy()), 2 * x, rtol=1e-8)
    dout = rng.standard_normal((3, 2))
    np.testing.assert_allclose(gc.numerical_gradient_array(np.sin, x.copy(), dout), np.cos(x) * dout, rtol=1e-8)


def test_numerical_gradient_restores_its_input(rng):
    x = rng.standard_normal(4)
    keep = x.copy()
    gc.numerical_gradient(lambda v: np.sum(v**3), x)
    np.testing.assert_array_equal(x, keep)


def test_float32_is_refused_with_a_reason():
    with pytest.raises(TypeError, match=r"float64.*got float32"):
        gc.numerical_gradient(lambda v: v.sum(), np.ones(3, dtype=np.float32))
    with pytest.raises(TypeError, match="float64"):
        gc.check_layer(bl.Dense(2, 2, rng=0, dtype=np.float32), np.ones((2, 2), dtype=np.float32))


def test_rel_error():
    assert gc.rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert gc.rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert gc.rel_error(np.array([1.0, 0.0]), np.array([1.0, 1e-3])) == pytest.approx(1e-3 / 2.0)
    assert gc.rel_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="one shape"):
        gc.rel_error(np.ones(2), np.ones(3))


def test_check_forward_backward_on_a_pure_pair(rng):
    x = rng.standard_normal((3, 3))
    good = gc.check_forward_backward(bl.activations.tanh_forward, bl.activations.tanh_backward, x)

    def forward_caching_x(x):
        return np.tanh(x), x

    bad = gc.check_forward_backward(forward_caching_x, lambda dout, x: dout * (1 - x**2), x)
    assert good.passed and not bad.passed
    W, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    assert gc.check_forward_backward(lambda x: bl.dense_forward(x, W, b), bl.dense_backward, x).passed
    with pytest.raises(TypeError, match=r"expected forward\(x\) to return \(out, cache\), got ndarray"):
        gc.check_forward_backward(np.tanh, lambda dout, cache: dout, x)


def test_check_model_passes_a_correct_model_and_catches_a_broken_one():
    X = np.random.default_rng(0).standard_normal((6, 3))
    y = np.array([0, 1, 2, 1, 0, 2])
    model = bl.mlp([3, 5, 4, 3], activation="tanh", reg=0.1, init="he", rng=0)
    before = {k: v.copy() for k, v in model.params().items()}
    report = bl.gradcheck.check_model(model, X, y)
    assert report.passed and set(report) == set(model.params())
    assert all(np.array_equal(before[k], v) for k, v in model.params().items())

    broken = bl.mlp([3, 5, 4, 3], activation="tanh", reg=0.1, init="he", rng=0)
    correct_backward = broken.backward

    def backward_forgetting_l2():
        broken.reg = 0.0
        correct_backward()
        broken.reg = 0.1

    broken.backward = backward_forgetting_l2
    report = bl.gradcheck.check_model(broken, X, y)
    assert not report.passed and report["dense1.b"] < 1e-7 and report["dense1.W"] > 1e-3
