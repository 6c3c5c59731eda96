import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import backprop_lib as bl
from backprop_lib import losses as L
from backprop_lib.activations import softmax, softmax_backward
from backprop_lib.gradcheck import TOLERANCE, check_loss, numerical_gradient, rel_error

CASES = [(1, 2), (4, 3), (9, 5), (32, 10)]


def ag_log_softmax(z):
    shifted = z - anp.max(z, axis=1, keepdims=True)
    return shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))


@pytest.mark.parametrize("N,C", CASES)
@pytest.mark.parametrize("labels", ["sparse", "one-hot"])
def test_fused_softmax_cross_entropy_gradient(N, C, labels, rng):
    logits = rng.standard_normal((N, C)) * 3
    y = rng.integers(0, C, N)
    Y = L.one_hot(y, C)
    target = y if labels == "sparse" else Y
    loss, dlogits, probs = L.softmax_cross_entropy(logits, target)
    # the reference value and gradient from autograd
    ref = lambda z: -anp.mean(anp.sum(ag_log_softmax(z) * Y, axis=1))  # noqa: E731
    assert loss == pytest.approx(float(ref(logits)), rel=1e-14)
    np.testing.assert_allclose(dlogits, grad(ref)(logits), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(dlogits, (probs - Y) / N, rtol=1e-12, atol=1e-16)
    assert rel_error(dlogits, numerical_gradient(lambda z: L.softmax_cross_entropy(z, target)[0], logits.copy())) < TOLERANCE


@pytest.mark.parametrize("N,C", CASES)
@pytest.mark.parametrize("labels", ["sparse", "one-hot"])
def test_fused_gradient_equals_softmax_backward_of_cross_entropy_backward(N, C, labels, rng):
    logits = rng.standard_normal((N, C))
    y = rng.integers(0, C, N)
    target = y if labels == "sparse" else L.one_hot(y, C)
    probs = softmax(logits)
    composed = softmax_backward(L.cross_entropy_backward(probs, target), probs)
    fused = L.softmax_cross_entropy(logits, target)[1]
    np.testing.assert_allclose(fused, composed, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(L.softmax_cross_entropy_backward(probs, target), fused, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("N,C", CASES)
def test_cross_entropy_sparse_and_one_hot_agree_and_match_autograd(N, C, rng):
    probs = softmax(rng.standard_normal((N, C)))
    y = rng.integers(0, C, N)
    Y = L.one_hot(y, C)
    assert L.cross_entropy(probs, y) == pytest.approx(L.cross_entropy(probs, Y), rel=1e-14)
    assert L.cross_entropy(probs, y) == pytest.approx(-np.log(probs[np.arange(N), y]).mean(), rel=1e-14)
    expected = grad(lambda p: -anp.mean(anp.sum(anp.log(p) * Y, axis=1)))(probs)
    np.testing.assert_allclose(L.cross_entropy_backward(probs, y), expected, rtol=1e-12)
    np.testing.assert_allclose(L.cross_entropy_backward(probs, Y), expected, rtol=1e-12)


@pytest.mark.parametrize("N,K", [(1, 1), (5, 1), (6, 3)])
def test_mse_matches_autograd_and_numerical(N, K, rng):
    pred, target = rng.standard_normal((N, K)), rng.standard_normal((N, K))
    ref = lambda p: anp.mean((p - target) ** 2)  # noqa: E731
    assert L.mse(pred, target) == pytest.approx(float(ref(pred)), rel=1e-14)
    np.testing.assert_allclose(L.mse_backward(pred, target), grad(ref)(pred), rtol=1e-13)
    assert check_loss(bl.MSE(), pred, target).passed


@pytest.mark.parametrize("N,K", [(1, 1), (5, 1), (6, 3)])
def test_binary_cross_entropy_matches_autograd_and_numerical(N, K, rng):
    probs = 1 / (1 + np.exp(-rng.standard_normal((N, K))))
    target = rng.integers(0, 2, (N, K)).astype(float)
    ref = lambda p: -anp.mean(target * anp.log(p) + (1 - target) * anp.log(1 - p))  # noqa: E731
    assert L.binary_cross_entropy(probs, target) == pytest.approx(float(ref(probs)), rel=1e-13)
    np.testing.assert_allclose(L.binary_cross_entropy_backward(probs, target), grad(ref)(probs), rtol=1e-12)
    assert check_loss(bl.BinaryCrossEntropy(), probs, target).passed


def test_loss_classes_pass_the_gradient_check(rng):
    logits = rng.standard_normal((7, 4))
    y = rng.integers(0, 4, 7)
    assert check_loss(bl.SoftmaxCrossEntropy(), logits, y).passed
    assert check_loss(bl.CrossEntropy(), softmax(logits), y).passed
    assert check_loss(bl.CrossEntropy(), softmax(logits), L.one_hot(y, 4)).passed


def test_log_sum_exp_survives_where_a_probability_underflows():
    logits = np.array([[0.0, 800.0], [0.0, 0.0]])
    y = np.array([0, 0])
    loss, dlogits, probs = L.softmax_cross_entropy(logits, y)
    assert probs[0, 0] == 0.0  # exp(-800) underflows
    assert loss == pytest.approx((800.0 + np.log(2)) / 2, rel=1e-15)  # exact, not clipped
    np.testing.assert_allclose(dlogits, [[-0.5, 0.5], [-0.25, 0.25]])
    # the unfused loss has to clip: log(1e-7) caps the first sample's loss near 16.1
    assert L.cross_entropy(probs, y) == pytest.approx((-np.log(1e-7) + np.log(2)) / 2)
    assert np.isfinite(L.cross_entropy_backward(probs, y)).all()


def test_l2_penalty_and_gradient(rng):
    Ws = [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))]
    reg = 1e-3
    assert L.l2_penalty(Ws, reg) == pytest.approx(0.5 * reg * sum((W**2).sum() for W in Ws), rel=1e-14)
    W = Ws[0]
    np.testing.assert_allclose(L.l2_grad(W, reg), numerical_gradient(lambda w: L.l2_penalty([w], reg), W.copy()), rtol=1e-7)


def test_one_hot():
    np.testing.assert_array_equal(L.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize("fn", [L.cross_entropy, L.cross_entropy_backward, L.softmax_cross_entropy_backward])
@pytest.mark.parametrize("value, message", [
    (np.nan, r"probs contains NaN at index \(1, 2\)"),
    (np.inf, r"probs contains an infinite value at index \(1, 2\)"),
    (-np.inf, r"probs contains an infinite value at index \(1, 2\)"),
    (1.5, r"expected probabilities in \[0, 1\], got values from 0.3333 to 1.5"),
    (-0.5, r"expected probabilities in \[0, 1\], got values from -0.5 to 0.3333"),
])
def test_probabilities_are_checked_for_nan_inf_and_range(fn, value, message):
    probs = np.full((2, 3), 1 / 3)
    probs[1, 2] = value
    with pytest.raises(ValueError, match=f"{fn.__name__}: {message}"):
        fn(probs, np.array([0, 1]))
