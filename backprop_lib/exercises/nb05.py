"""Checks for notebook 05, cross-entropy and the fused gradient. Shapes: N samples, C classes.

    from backprop_lib.exercises import nb05 as ex
    ex.check_sparse_cross_entropy(sparse_cross_entropy)
    ex.check_cross_entropy_per_sample(cross_entropy_per_sample)
    ex.check_fused_gradient(fused_gradient)
    ex.check_sigmoid_bce(sigmoid_bce)
"""

import numpy as np

from ..activations import sigmoid, softmax
from ..checks import FAIL, CheckResult, check_function, first_failure, in_turn
from ..losses import cross_entropy, log_softmax, one_hot, softmax_cross_entropy_backward


def _rng(seed):
    return np.random.default_rng(seed)


def _fail(fn, text):
    result = CheckResult(False, f"{FAIL} {getattr(fn, '__name__', 'your function')}: {text}")
    print(result.message)
    return result


# -- exercise 1: cross-entropy from integer labels --------------------------------------------
def sparse_cross_entropy_reference(probs, y):
    """probs: (N, C), y: (N,) -> the mean of -log probs[n, y[n]], a float."""
    return cross_entropy(probs, y)


SPARSE_CE_MISTAKES = {
    "probs[:, y] picks, for every row, the columns of EVERY label, an (N, N) matrix: "
    "probs[np.arange(N), y] picks one entry per row.": lambda probs, y: float(-np.log(probs[:, y]).mean()),
    "This is the sum over the batch, not the mean: divide by N.": (
        lambda probs, y: float(-np.log(probs[np.arange(len(y)), y]).sum())),
    "The minus sign is missing: log of a probability is negative, and the loss is -log p.": (
        lambda probs, y: float(np.log(probs[np.arange(len(y)), y]).mean())),
    "This averages -log over every probability of every class: only the true class's "
    "probability counts.": lambda probs, y: float(-np.log(probs).mean()),
    "This is the probability of the true class itself, averaged, without the log.": (
        lambda probs, y: float(-probs[np.arange(len(y)), y].mean())),
    "This uses the predicted class (the row's argmax) instead of the true label y.": (
        lambda probs, y: float(-np.log(probs.max(axis=1)).mean())),
    "The mean is divided by the number of classes C, not by the batch size N.": (
        lambda probs, y: float(-np.log(probs[np.arange(len(y)), y]).sum() / probs.shape[1])),
}


def check_sparse_cross_entropy(fn):
    """fn(probs: (N, C), y: (N,)) -> float; on a hand-made batch and a random one."""
    hint = "Pick one probability per row, the true class's, then take -log and the mean over the batch."
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.05, 0.15, 0.8], [0.3, 0.4, 0.3]])
    rng = _rng(0)
    cases = [(probs, np.array([0, 1, 1, 2])), (softmax(rng.standard_normal((8, 5))), rng.integers(0, 5, size=8)),
             (softmax(rng.standard_normal((2, 9))), np.array([8, 3])),  # wide rows, N = 2
             (np.full((1, 4), 0.25), np.array([2])),  # one sample, four tied classes
             (np.array([[0.0, 0.9, 0.1], [0.5, 0.0, 0.5]]), np.array([1, 2]))]  # a wrong class at probability 0
    return in_turn(*[lambda a=a: check_function(fn, sparse_cross_entropy_reference, *a, n_samples=len(a[1]),
                                                hint=hint, mistakes=SPARSE_CE_MISTAKES, quiet=True)
                     for a in cases])


# -- exercise 2: the per-sample loss from the logits, with log-sum-exp ------------------------
def cross_entropy_per_sample_reference(logits, y):
    """logits: (N, C), y: (N,) -> (N,), -log softmax(logits)[n, y[n]] by log-sum-exp."""
    return -log_softmax(logits)[np.arange(len(y)), y]


def _clipped(logits, y):
    p = np.clip(softmax(logits), 1e-7, 1 - 1e-7)
    return -np.log(p[np.arange(len(y)), y])


def _max_only_inside(logits, y):
    m = logits.max(axis=1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))  # the m is missing here
    return -log_probs[np.arange(len(y)), y]


def _no_lse_term(logits, y):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return -shifted[np.arange(len(y)), y]


def _lse_of_wrong_axis(logits, y):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    return -log_probs[np.arange(len(y)), y]


PER_SAMPLE_MISTAKES = {
    "This takes the log of clipped probabilities: the loss cannot exceed -log(1e-7) = 16.12, "
    "but the exact loss for a gap of 800 is 800. Work with the logits: log s_i = z_i - log sum_k e^(z_k).": _clipped,
    "The row maximum m went into the exp but was not subtracted outside it too (or added back to the "
    "log-sum-exp): log s_i = (z_i - m) - log sum_k e^(z_k - m).": _max_only_inside,
    "The log-sum-exp term is missing: -(z_y - m) alone is 0 for the most likely class, whatever the others are.": (
        _no_lse_term),
    "The sum inside the log runs over the batch (axis=0) instead of over one sample's classes (axis=1).": (
        _lse_of_wrong_axis),
    "This is the mean over the batch, one number: the exercise asks for every sample's loss, shape (N,).": (
        lambda logits, y: np.mean(cross_entropy_per_sample_reference(logits, y))),
}


def check_cross_entropy_per_sample(fn):
    """fn(logits: (N, C), y: (N,)) -> losses: (N,); on a random batch and rows with a gap of 800."""
    hint = ("Never take np.log of a probability: subtract the row max m, then "
            "log s_i = (z_i - m) - log sum exp(z_k - m).")
    rng = _rng(1)
    cases = [(rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)),
             (3 * rng.standard_normal((2, 9)), np.array([4, 0])),  # wide rows
             (np.array([[5.0, 5.0, 5.0], [-800.0, 0.0, -800.0]]), np.array([2, 0])),  # ties and a gap of 800
             (np.array([[800.0, 0.0], [0.0, 800.0], [3.0, 1.0]]), np.array([1, 1, 0]))]
    return in_turn(*[lambda a=a: check_function(fn, cross_entropy_per_sample_reference, *a, hint=hint,
                                                mistakes=PER_SAMPLE_MISTAKES, quiet=True) for a in cases])


# -- exercise 3: the fused gradient -----------------------------------------------------------
def fused_gradient_reference(probs, y):
    """probs: (N, C), y: (N,) -> dlogits: (N, C) = (probs - onehot) / N."""
    return softmax_cross_entropy_backward(probs, y)


FUSED_MISTAKES = {
    "The 1/N is missing: the loss is a mean over the batch, so every entry of the gradient carries 1/N.": (
        lambda probs, y: probs - one_hot(y, probs.shape[1])),
    "The sign is flipped: it is probs - onehot (predicted minus wanted), so that gradient descent raises "
    "the true class's logit.": lambda probs, y: (one_hot(y, probs.shape[1]) - probs) / len(y),
    "Only the true class's entries are there: the other classes' s_j / N count too (each row sums to 0).": (
        lambda probs, y: (probs * one_hot(y, probs.shape[1]) - one_hot(y, probs.shape[1])) / len(y)),
    "1 was subtracted from every entry of the row, not only at the true class: use [np.arange(N), y].": (
        lambda probs, y: (probs - 1) / len(y)),
    "This is the cross-entropy's gradient with respect to the probabilities, -onehot / (N probs): "
    "it still has to go through the softmax's Jacobian.": (
        lambda probs, y: -one_hot(y, probs.shape[1]) / probs / len(y)),
    "This divides by the number of classes C instead of the batch size N: the 1/N comes from the mean "
    "over the samples.": lambda probs, y: (probs - one_hot(y, probs.shape[1])) / probs.shape[1],
    "This subtracts 1 at the predicted class (the row's argmax), not at the true label y.": (
        lambda probs, y: (probs - one_hot(probs.argmax(axis=1), probs.shape[1])) / len(y)),
}

UNDERFLOWED = (softmax(np.array([[800.0, 0.0, 0.0], [0.0, 0.0, 800.0], [1.0, 2.0, 3.0]])), np.array([1, 2, 0]))


def _divides_by_probs(fn):
    """Name an answer that is right on ordinary inputs but not finite where the true class's s_y is exactly 0."""
    try:
        with np.errstate(all="ignore"):
            got = np.asarray(fn(*(a.copy() for a in UNDERFLOWED)), dtype=np.float64)
    except NotImplementedError:
        return None
    except Exception:  # noqa: BLE001 (the library refuses an infinite dout, for one: the same mistake)
        got = np.full(UNDERFLOWED[0].shape, np.nan)
    if got.shape == UNDERFLOWED[0].shape and not np.isfinite(got).all():
        return ("the result is nan or inf (or an error) where the true class's probability is exactly 0 "
                "(logits [800, 0, 0], true class 1): it still divides by a probability. Simplify the composed "
                "sum until only N is divided by.")
    return None


def check_fused_gradient(fn):
    """fn(probs: (N, C), y: (N,)) -> dlogits: (N, C); must leave probs unchanged."""
    hint = "Compose -t_k / (N s_k) with s_k (delta_kj - s_j), sum over k, and use that t sums to 1."
    rng = _rng(3)
    cases = [(softmax(rng.standard_normal((7, 4))), rng.integers(0, 4, size=7)),
             (softmax(rng.standard_normal((5, 5))), rng.integers(0, 5, size=5)),
             (softmax(2 * rng.standard_normal((2, 9))), np.array([3, 8])),  # wide rows
             (np.full((1, 3), 1 / 3), np.array([1]))]  # one sample, tied probabilities
    result = first_failure([lambda a=a: check_function(fn, fused_gradient_reference, *a, n_samples=len(a[1]),
                                                       hint=hint, mistakes=FUSED_MISTAKES, quiet=True) for a in cases])
    problem = _divides_by_probs(fn) if result else None
    if problem:
        return _fail(fn, problem)
    print(result.message)
    return result


# -- exercise 4: the binary analogue, sigmoid + binary cross-entropy --------------------------
def _softplus(x):
    """log(1 + e^x) without overflow."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def sigmoid_bce_reference(logits, targets):
    """logits: (N,), targets: (N,) of 0s and 1s -> loss (float), dlogits: (N,) = (p - t) / N.

    -log sigmoid(z) = softplus(-z) and -log(1 - sigmoid(z)) = softplus(z), so the loss never
    takes the log of a probability.
    """
    N = logits.shape[0]
    loss = float((targets * _softplus(-logits) + (1 - targets) * _softplus(logits)).mean())
    return loss, (sigmoid(logits) - targets) / N


def _right_loss(logits, targets):
    return sigmoid_bce_reference(logits, targets)[0]


def _grad(logits, targets):
    return sigmoid_bce_reference(logits, targets)[1]


def _clipped_bce(logits, targets):
    p = np.clip(sigmoid(logits), 1e-7, 1 - 1e-7)
    return float(-(targets * np.log(p) + (1 - targets) * np.log(1 - p)).mean())


SIGMOID_BCE_MISTAKES = {
    "dlogits is missing the 1/N of the mean: (p - t) / N.": (
        lambda z, t: (_right_loss(z, t), sigmoid(z) - t)),
    "dlogits has the wrong sign: it is p - t, predicted minus wanted.": (
        lambda z, t: (_right_loss(z, t), (t - sigmoid(z)) / len(z))),
    "dlogits still carries the sigmoid's slope p (1 - p): composing the loss's gradient with it cancels "
    "that factor, it does not add one.": (
        lambda z, t: (_right_loss(z, t), (sigmoid(z) - t) * sigmoid(z) * (1 - sigmoid(z)) / len(z))),
    "dlogits is the loss's gradient with respect to p, -(t / p - (1 - t) / (1 - p)) / N: it still has to "
    "go through the sigmoid (times p (1 - p)).": (
        lambda z, t: (_right_loss(z, t), -(t / sigmoid(z) - (1 - t) / (1 - sigmoid(z))) / len(z))),
    "The loss takes the log of clipped probabilities: it stops at 16.12 where the exact loss for a logit "
    "of 800 on the wrong side is 800. Write -log p and -log(1 - p) in terms of z.": (
        lambda z, t: (_clipped_bce(z, t), _grad(z, t))),
    "The loss is summed over the batch, not averaged: divide by N.": (
        lambda z, t: (len(z) * _right_loss(z, t), _grad(z, t))),
    "The loss has the wrong sign: -[t log p + (1 - t) log(1 - p)] is positive.": (
        lambda z, t: (-_right_loss(z, t), _grad(z, t))),
    "The loss swaps the two cases: t = 1 goes with -log p, t = 0 with -log(1 - p).": (
        lambda z, t: (_right_loss(z, 1 - t), _grad(z, t))),
}

BCE_EXTREME = (np.array([800.0, -800.0, 800.0, -800.0, 0.5, -2.0]), np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0]))


def _saturation(fn):
    """Name a loss or gradient that is not finite where p rounds to exactly 0 or 1."""
    try:
        with np.errstate(all="ignore"):
            got = fn(*(a.copy() for a in BCE_EXTREME))
            loss, dlogits = float(got[0]), np.asarray(got[1], dtype=np.float64)
    except Exception:  # noqa: BLE001 (not a (loss, dlogits) pair, or it raised: the full check says which)
        return None
    if dlogits.shape == BCE_EXTREME[0].shape and not np.isfinite(dlogits).all():
        return ("dlogits is NaN or inf at logits of +-800, where p rounds to exactly 1 or 0: it divides by p or "
                "1 - p somewhere. Simplify the composed gradient until no probability is divided by.")
    if not np.isfinite(loss):
        return ("the loss is inf or NaN at logits of +-800: np.exp(800) overflows, or log(0) comes up. "
                "Write -log p and -log(1 - p) in terms of z, so that no exp can overflow.")
    return None


def check_sigmoid_bce(fn):
    """fn(logits: (N,), targets: (N,)) -> (loss, dlogits: (N,)); on a random batch, then saturated logits."""
    hint = ("dL/dp = -(t/p - (1 - t)/(1 - p)) / N and dp/dz = p (1 - p): multiply, and simplify. "
            "For the loss: -log p = log(1 + e^(-z)).")
    rng = _rng(5)

    def on(args):
        return check_function(fn, sigmoid_bce_reference, *args, outputs=("loss", "dlogits"), n_samples=len(args[0]),
                              hint=hint, mistakes=SIGMOID_BCE_MISTAKES, quiet=True)

    result = on((2 * rng.standard_normal(7), rng.integers(0, 2, size=7).astype(float)))
    if result:
        problem = _saturation(fn)
        if problem:
            return _fail(fn, problem)
        result = on(tuple(a.copy() for a in BCE_EXTREME))
    print(result.message)
    return result
