"""Losses: pure functions returning scalars and gradients, and thin classes.

Every loss is a mean over the batch, so every gradient carries the 1/N.
"""

import numpy as np

from .activations import row_max
from ._validate import as_float_array, check_2d, check_finite, check_labels, check_same_shape

EPS = 1e-7  # clip probabilities into [EPS, 1 - EPS] before taking logs, as the nnfs book does


def one_hot(y, n_classes, dtype=np.float64):
    """y: (N,) integer labels -> (N, C) rows of zeros with a single 1."""
    out = np.zeros((len(y), n_classes), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


def _correct_probs(probs, y):
    """probs: (N, C), y: (N,) or one-hot (N, C) -> (N,) probability of the right class."""
    if y.ndim == 1:
        return probs[np.arange(len(y)), y]
    return (probs * y).sum(axis=1)


def cross_entropy(probs, y, eps=EPS):
    """probs: (N, C), y: (N,) or (N, C) -> mean of -log(p of the right class), with clipping."""
    return float(-np.log(np.clip(_correct_probs(probs, y), eps, 1 - eps)).mean())


def cross_entropy_backward(probs, y, eps=EPS):
    """probs: (N, C), y: (N,) or (N, C) -> dprobs: (N, C) = -onehot / p / N."""
    N = probs.shape[0]
    clipped = np.clip(probs, eps, 1 - eps)
    if y.ndim == 1:
        dprobs = np.zeros_like(probs)
        rows = np.arange(N)
        dprobs[rows, y] = -1.0 / (clipped[rows, y] * N)
        return dprobs
    return -y / clipped / N


def log_softmax(logits):
    """logits: (N, C) -> log probs: (N, C) by log-sum-exp: exact even where a probability underflows to 0."""
    shifted = logits - row_max(logits)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_cross_entropy(logits, y):
    """Fused softmax + cross-entropy. logits: (N, C), y: (N,) or (N, C) -> loss, dlogits: (N, C), probs: (N, C).

    The loss uses log-sum-exp (no clipping needed); the gradient is (probs - onehot) / N.
    """
    N = logits.shape[0]
    shifted = logits - row_max(logits)  # (N, C)
    if y.ndim == 1:
        rows = np.arange(N)
        picked = shifted[rows, y]  # (N,) the true class's shifted logit
    else:
        picked = (shifted * y).sum(axis=1)
    probs = np.exp(shifted, out=shifted)  # the buffer is reused: exp, then normalised in place
    sums = (probs @ np.ones(probs.shape[1], dtype=probs.dtype))[:, None]  # (N, 1) row sums, as one BLAS call
    loss = float(np.log(sums).mean() - picked.mean())
    probs /= sums
    if y.ndim == 1:
        dlogits = probs * (1.0 / N)
        dlogits[rows, y] -= 1.0 / N
    else:
        dlogits = (probs - y) * (1.0 / N)
    return loss, dlogits.astype(logits.dtype, copy=False), probs


def softmax_cross_entropy_backward(probs, y):
    """probs: (N, C), y: (N,) or (N, C) -> dlogits: (N, C) = (probs - onehot) / N."""
    N = probs.shape[0]
    if y.ndim == 1:
        dlogits = probs * (1.0 / N)
        dlogits[np.arange(N), y] -= 1.0 / N
        return dlogits
    return (probs - y) * (1.0 / N)


def mse(pred, target):
    """pred, target: (N, K) -> mean of squared errors over every entry."""
    d = pred - target
    return float((d * d).mean())


def mse_backward(pred, target):
    """pred, target: (N, K) -> dpred: (N, K) = 2 (pred - target) / (N K)."""
    return (pred - target) * (2.0 / pred.size)


def binary_cross_entropy(probs, target, eps=EPS):
    """probs, target: (N, K) with probs in (0, 1) and targets 0 or 1 -> mean binary cross-entropy."""
    p = np.clip(probs, eps, 1 - eps)
    return float(-(target * np.log(p) + (1 - target) * np.log(1 - p)).mean())


def binary_cross_entropy_backward(probs, target, eps=EPS):
    """probs, target: (N, K) -> dprobs: (N, K) = -(t / p - (1 - t) / (1 - p)) / (N K)."""
    p = np.clip(probs, eps, 1 - eps)
    return -(target / p - (1 - target) / (1 - p)) / probs.size


def l2_penalty(weights, reg):
    """0.5 * reg * sum of squared weights over a list of arrays (biases are usually left out)."""
    return 0.5 * reg * float(sum(np.vdot(W, W) for W in weights))  # vdot: no (D, H) temporary


def l2_grad(W, reg):
    """Gradient of 0.5 * reg * sum(W**2) with respect to W: reg * W."""
    return reg * W


class Loss:
    """Base class: `forward(pred, y) -> loss` (a float), then `backward() -> dpred`."""

    classification = True

    def __init__(self):
        self.cache = None

    def __repr__(self):
        return f"{type(self).__name__}()"

    def forward(self, pred, y):
        where = f"{self}.forward"
        pred = check_2d(as_float_array(pred, "the predictions", where), "the predictions", where, col_letter="C")
        check_finite(pred, "the predictions", where)
        return self._forward(pred, self.check_targets(pred, y, where))

    def check_targets(self, pred, y, where):
        return check_labels(y, pred.shape[0], pred.shape[1], where)

    def backward(self):
        if self.cache is None:
            raise RuntimeError(f"{self}.backward: call forward before backward")
        return self._backward()

    def _forward(self, pred, y):
        self.cache = (pred, y)
        return self.fn(pred, y)

    def _backward(self):
        return self.fn_backward(*self.cache)


class SoftmaxCrossEntropy(Loss):
    """Softmax and cross-entropy in one: takes logits (N, C), gives dlogits = (probs - onehot) / N."""

    def _forward(self, logits, y):
        loss, self.cache, self.probs = softmax_cross_entropy(logits, y)
        return loss

    def _backward(self):
        return self.cache


class CrossEntropy(Loss):
    """Categorical cross-entropy on probabilities (N, C), with sparse (N,) or one-hot (N, C) labels."""

    fn = staticmethod(cross_entropy)
    fn_backward = staticmethod(cross_entropy_backward)


class _Regression(Loss):
    classification = False

    def check_targets(self, pred, y, where):
        y = as_float_array(y, "the targets", where)
        if y.ndim == 1 and pred.shape[1] == 1:
            raise ValueError(
                f"{where}: expected targets of shape (N, 1) = {pred.shape} like the predictions, "
                f"got {y.shape}; use y[:, None]"
            )
        check_same_shape(pred, y, "the predictions", "the targets", where)
        check_finite(y, "the targets", where)
        return y


class MSE(_Regression):
    """Mean squared error over every entry of (N, K)."""

    fn = staticmethod(mse)
    fn_backward = staticmethod(mse_backward)


class BinaryCrossEntropy(_Regression):
    """Binary cross-entropy on sigmoid outputs (N, K) against 0/1 targets (N, K)."""

    classification = True

    def check_targets(self, pred, y, where):
        y = super().check_targets(pred, y, where)
        if not np.isin(y, (0, 1)).all():
            raise ValueError(f"{where}: expected targets of 0 or 1, got values such as {y[~np.isin(y, (0, 1))][:3]}")
        return y

    fn = staticmethod(binary_cross_entropy)
    fn_backward = staticmethod(binary_cross_entropy_backward)
