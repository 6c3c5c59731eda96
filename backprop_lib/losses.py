"""Losses: pure functions and thin classes.

A loss ends the chain, so its pair is `loss(pred, y) -> float` and `loss_backward(pred, y)
-> dpred` (the upstream gradient of a loss is 1). Every loss is a mean over the batch, so
every gradient carries the 1/N. The fused `softmax_cross_entropy(logits, y)` returns the loss,
its gradient and the probabilities in one pass.
"""

import numpy as np

from ._validate import (
    as_float_array,
    check_finite,
    check_labels,
    check_same_shape,
    float_input,
    positive_int,
    real_number,
)

EPS = 1e-7  # clip probabilities into [EPS, 1 - EPS] before taking logs, as the nnfs book does


def one_hot(y, n_classes, dtype=np.float64):
    """y: (N,) integer labels -> (N, C) rows of zeros with a single 1."""
    n_classes = positive_int(n_classes, "n_classes", "one_hot")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"one_hot: expected integer labels of shape (N,), got {y.shape}")
    y = check_labels(y, len(y), n_classes, "one_hot")
    out = np.zeros((len(y), n_classes), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


def _probs_and_labels(probs, y, where):
    probs = float_input(probs, "probs", where, col_letter="C", finite=False)
    low, high = probs.min(), probs.max()
    if not (0 <= low and high <= 1):  # also false where a NaN or inf makes low or high one
        check_finite(probs, "probs", where)
        raise ValueError(
            f"{where}: expected probabilities in [0, 1], got values from {low:.4g} to {high:.4g}; "
            "pass softmax(logits), or use softmax_cross_entropy(logits, y) on the logits"
        )
    sums = probs.sum(axis=1)  # (N,)
    off = np.abs(sums - 1) > 1e-3  # loose enough for float32 and rounded hand-written rows
    if off.any():
        row = int(np.argmax(off))
        raise ValueError(
            f"{where}: expected each row of probs to sum to 1 (a softmax output), got row {row} summing to "
            f"{sums[row]:.4g}; pass softmax(logits), or use softmax_cross_entropy(logits, y) on the logits"
        )
    return probs, check_labels(y, probs.shape[0], probs.shape[1], where)


def _as_one_hot(y, n_classes, dtype):
    return y if y.ndim == 2 else one_hot(y, n_classes, dtype)


def cross_entropy(probs, y, eps=EPS):
    """probs: (N, C), y: (N,) or one-hot (N, C) -> the mean over the batch of -sum_c y_c log(p_c).

    p is clipped to [eps, 1 - eps] first.

    With integer or one-hot labels this is -log(p of the right class); with soft labels (rows
    of y that are distributions) every class counts with its weight, as `cross_entropy_backward` assumes.
    """
    probs, y = _probs_and_labels(probs, y, "cross_entropy")
    onehot = _as_one_hot(y, probs.shape[1], probs.dtype)  # (N, C)
    return float(-(onehot * np.log(np.clip(probs, eps, 1 - eps))).sum(axis=1).mean())


def cross_entropy_backward(probs, y, eps=EPS):
    """probs: (N, C), y: (N,) or (N, C) -> dprobs: (N, C) = -onehot / p / N where the clip is inactive.

    This is the gradient of the clipped loss that `cross_entropy` computes: where p sits at or
    beyond a clip bound, the loss no longer changes with p, and its gradient is 0.
    """
    probs, y = _probs_and_labels(probs, y, "cross_entropy_backward")
    N = probs.shape[0]
    onehot = _as_one_hot(y, probs.shape[1], probs.dtype)
    inside = (probs > eps) & (probs < 1 - eps)  # where clip passes p through unchanged
    return np.where(inside, -onehot / np.clip(probs, eps, 1 - eps), 0.0) / N


def log_softmax(logits):
    """logits: (N, C) -> log probs: (N, C) by log-sum-exp: exact even where a probability underflows to 0."""
    logits = float_input(logits, "logits", "log_softmax", col_letter="C")
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, C), the largest entry of each row is 0
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_cross_entropy(logits, y):
    """Fused softmax + cross-entropy. logits: (N, C), y: (N,) or (N, C) -> loss, dlogits: (N, C), probs: (N, C).

    The loss uses log-sum-exp (no clipping needed); the gradient is (probs - onehot) / N.
    """
    where = "softmax_cross_entropy"
    logits = float_input(logits, "logits", where, col_letter="C")
    y = check_labels(y, logits.shape[0], logits.shape[1], where)
    N = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, C)
    exp = np.exp(shifted)
    sums = exp.sum(axis=1, keepdims=True)  # (N, 1)
    probs = exp / sums
    rows = np.arange(N)
    if y.ndim == 1:  # integer labels: pick each sample's true class
        loss = float((np.log(sums[:, 0]) - shifted[rows, y]).sum()) / N  # -log p_y = log sum e^z - z_y
    else:  # one-hot targets
        loss = float(-((shifted - np.log(sums)) * y).sum() / N)
    return loss, _fused_gradient(probs, y, rows), probs


def softmax_cross_entropy_backward(probs, y):
    """probs: (N, C), y: (N,) or (N, C) -> dlogits: (N, C) = (probs - onehot) / N."""
    probs, y = _probs_and_labels(probs, y, "softmax_cross_entropy_backward")
    return _fused_gradient(probs, y, np.arange(probs.shape[0]))


def _fused_gradient(probs, y, rows):
    """(probs - onehot) / N as one new array; rows = np.arange(N) picks each sample's true class."""
    if y.ndim == 1:  # integer labels: subtract 1 at each sample's true class
        dlogits = probs.copy()
        dlogits[rows, y] -= 1
    else:  # one-hot targets
        dlogits = probs - y
    dlogits /= probs.shape[0]
    return dlogits


def _pred_and_target(pred, target, where):
    pred = float_input(pred, "the predictions", where, col_letter="C")
    target = as_float_array(target, "the targets", where)
    if target.ndim == 1 and pred.shape[1] == 1:
        raise ValueError(
            f"{where}: expected targets of shape (N, 1) = {pred.shape} like the predictions, "
            f"got {target.shape}; use y[:, None]"
        )
    check_same_shape(pred, target, "the predictions", "the targets", where)
    check_finite(target, "the targets", where)
    return pred, target


def mse(pred, target):
    """pred, target: (N, C) -> mean of squared errors over every entry."""
    pred, target = _pred_and_target(pred, target, "mse")
    return float(((pred - target) ** 2).mean())


def mse_backward(pred, target):
    """pred, target: (N, C) -> dpred: (N, C) = 2 (pred - target) / (N C)."""
    pred, target = _pred_and_target(pred, target, "mse_backward")
    return 2 * (pred - target) / pred.size


def _binary(probs, target, where):
    probs, target = _pred_and_target(probs, target, where)
    if probs.min() < 0 or probs.max() > 1:
        raise ValueError(f"{where}: expected probabilities in [0, 1] (sigmoid outputs), got values from "
                         f"{probs.min():.4g} to {probs.max():.4g}")
    if not np.isin(target, (0, 1)).all():
        odd = target[~np.isin(target, (0, 1))][:3]
        raise ValueError(f"{where}: expected targets of 0 or 1, got values such as {odd}")
    return probs, target


def binary_cross_entropy(probs, target, eps=EPS):
    """probs, target: (N, C) with probs in [0, 1] and targets 0 or 1 -> mean binary cross-entropy, p clipped."""
    probs, target = _binary(probs, target, "binary_cross_entropy")
    p = np.clip(probs, eps, 1 - eps)
    return float(-(target * np.log(p) + (1 - target) * np.log(1 - p)).mean())


def binary_cross_entropy_backward(probs, target, eps=EPS):
    """probs, target: (N, C) -> dprobs: (N, C) = -(t / p - (1 - t) / (1 - p)) / (N C), 0 where the clip is active."""
    probs, target = _binary(probs, target, "binary_cross_entropy_backward")
    inside = (probs > eps) & (probs < 1 - eps)
    p = np.clip(probs, eps, 1 - eps)
    return np.where(inside, -(target / p - (1 - target) / (1 - p)), 0.0) / probs.size


def l2_penalty(weights, reg):
    """0.5 * reg * sum of squared weights over a list of arrays (biases are usually left out)."""
    reg = real_number(reg, "reg", "l2_penalty", low=0)
    if isinstance(weights, (np.ndarray, str)) or not hasattr(weights, "__iter__"):
        raise TypeError(f"l2_penalty: expected weights as a list of arrays, got {type(weights).__name__}; "
                        "for one matrix W use [W]")
    total = 0.0
    for i, W in enumerate(weights):
        W = as_float_array(W, f"weights[{i}]", "l2_penalty")
        check_finite(W, f"weights[{i}]", "l2_penalty")
        total += float((W * W).sum())
    return 0.5 * reg * total


def l2_grad(W, reg):
    """Gradient of 0.5 * reg * sum(W**2) with respect to W: reg * W."""
    reg = real_number(reg, "reg", "l2_grad", low=0)
    W = as_float_array(W, "W", "l2_grad")
    check_finite(W, "W", "l2_grad")
    return reg * W


class Loss:
    """Base class: `forward(pred, y) -> loss` (a float), then `backward() -> dpred`."""

    classification = True

    def __init__(self):
        self.cache = None

    def __repr__(self):
        return f"{type(self).__name__}()"

    def forward(self, pred, y):
        """pred: (N, C), y: the targets -> the mean loss over the batch."""
        loss = self.fn(pred, y)  # checks pred and y
        self.cache = (np.array(pred), np.array(y))  # copies: editing pred later must not change backward
        return loss

    def backward(self):
        """-> dpred: (N, C), the gradient of the last forward's loss."""
        if self.cache is None:
            raise RuntimeError(f"{self}.backward: call forward before backward")
        return self.fn_backward(*self.cache)


class SoftmaxCrossEntropy(Loss):
    """Softmax and cross-entropy in one: takes logits (N, C), gives dlogits = (probs - onehot) / N."""

    def forward(self, logits, y):
        loss, dlogits, self.probs = softmax_cross_entropy(logits, y)
        self.cache = dlogits
        return loss

    def backward(self):
        if self.cache is None:
            raise RuntimeError(f"{self}.backward: call forward before backward")
        return self.cache.copy()  # a copy: editing it must not change the next backward


class CrossEntropy(Loss):
    """Categorical cross-entropy on probabilities (N, C), with sparse (N,) or one-hot (N, C) labels."""

    fn = staticmethod(cross_entropy)
    fn_backward = staticmethod(cross_entropy_backward)


class MSE(Loss):
    """Mean squared error over every entry of (N, C)."""

    classification = False
    fn = staticmethod(mse)
    fn_backward = staticmethod(mse_backward)


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy on sigmoid outputs (N, C) against 0/1 targets (N, C)."""

    fn = staticmethod(binary_cross_entropy)
    fn_backward = staticmethod(binary_cross_entropy_backward)
