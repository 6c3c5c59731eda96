"""Checks for notebook 06, training a network. Shapes: N samples, D inputs, H hidden, C classes.

    from backprop_lib.exercises import nb06 as ex
    ex.check_l2_penalty_and_grads(l2_penalty_and_grads)
    ex.check_accuracy_from_logits(accuracy_from_logits)
    ex.check_tanh_training_step(tanh_training_step)
    ex.check_deep_network(deep_forward, deep_backward)   # the capstone
"""

from itertools import pairwise

import numpy as np

from ..activations import Tanh, softmax
from ..checks import FAIL, PASS, CheckResult, check_function, first_failure, in_turn
from ..datasets import spiral
from ..gradcheck import numerical_gradient, rel_error
from ..layers import Dense
from ..losses import l2_grad, l2_penalty, one_hot, softmax_cross_entropy
from ..model import Sequential, mlp
from ..optim import SGD
from .nb07 import summarised


def _rng(seed):
    return np.random.default_rng(seed)


# -- exercise 1: the L2 penalty and its gradients ---------------------------------------------
def l2_reference(W1, W2, reg):
    """W1: (D, H), W2: (H, C), reg -> penalty (float), dW1: (D, H), dW2: (H, C)."""
    return l2_penalty([W1, W2], reg), l2_grad(W1, reg), l2_grad(W2, reg)


def _sq(W1, W2):
    return float(np.sum(W1 * W1) + np.sum(W2 * W2))


L2_MISTAKES = {
    "The penalty is missing its 0.5: it is 0.5 * reg * (sum of squares), the 0.5 there to cancel the 2 "
    "of the derivative.": lambda W1, W2, reg: (reg * _sq(W1, W2), reg * W1, reg * W2),
    "The gradients are 2 reg W: with the 0.5 in the penalty, the 2 from differentiating the square "
    "cancels, leaving reg * W.": lambda W1, W2, reg: (0.5 * reg * _sq(W1, W2), 2 * reg * W1, 2 * reg * W2),
    "The gradients are 0.5 reg W: differentiating W**2 gives 2 W, which cancels the 0.5.": (
        lambda W1, W2, reg: (0.5 * reg * _sq(W1, W2), 0.5 * reg * W1, 0.5 * reg * W2)),
    "The penalty uses the norms, not their squares: sum W**2 without a square root.": (
        lambda W1, W2, reg: (0.5 * reg * (np.sqrt(np.sum(W1 * W1)) + np.sqrt(np.sum(W2 * W2))), reg * W1, reg * W2)),
    "The gradients are missing reg: the penalty is scaled by reg, so its gradient is too.": (
        lambda W1, W2, reg: (0.5 * reg * _sq(W1, W2), W1, W2)),
}


def check_l2_penalty_and_grads(fn):
    """fn(W1: (D, H), W2: (H, C), reg) -> (penalty, dW1, dW2)."""
    rng = _rng(0)
    cases = [(rng.standard_normal((2, 5)), rng.standard_normal((5, 3)), 1e-2),
             (rng.standard_normal((3, 1)), rng.standard_normal((1, 4)), 0.5)]  # another reg, other shapes
    return in_turn(*[lambda a=a: summarised(fn, l2_reference, a, getattr(fn, "__name__", "l2_penalty_and_grads"),
                                            ("penalty", "dW1", "dW2"), quiet=True, mistakes=L2_MISTAKES,
                                            hint="Differentiate 0.5 * reg * W_ij**2 with respect to W_ij, one entry "
                                                 "at a time.") for a in cases])


# -- exercise 2: accuracy from logits ---------------------------------------------------------
def accuracy_reference(logits, y):
    """logits: (N, C), y: (N,) -> the fraction of rows whose largest logit is at y."""
    return float(np.mean(logits.argmax(axis=1) == y))


ACCURACY_MISTAKES = {
    "This counts the right answers; the accuracy is their fraction (divide by N, or take the mean).": (
        lambda logits, y: float(np.sum(logits.argmax(axis=1) == y))),
    "This is the error rate, the fraction of WRONG answers.": (
        lambda logits, y: float(np.mean(logits.argmax(axis=1) != y))),
    "logits.max gives the largest VALUE of each row; the predicted class is its index, argmax.": (
        lambda logits, y: float(np.mean(logits.max(axis=1) == y))),
    "argmax(axis=0) picks, for each class, the sample with the largest logit: the prediction of a sample "
    "is the argmax over its row, axis=1.": lambda logits, y: float(np.mean(logits.argmax(axis=0) == y)),
    "A row whose largest logit is tied counts as right for every tied class: a prediction is ONE class per "
    "row, argmax (the first of the tied ones).": (
        lambda logits, y: float(np.mean((logits == logits.max(axis=1, keepdims=True))[np.arange(len(y)), y]))),
}

TIED = (np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0], [3.0, 3.0, 3.0], [0.0, 1.0, 0.0]]), np.array([1, 2, 0, 1]))


def check_accuracy_from_logits(fn):
    """fn(logits: (N, C), y: (N,)) -> float. Uses N = C batches so that an axis mix-up does not raise."""
    hint = "One predicted class per row: the index of the largest logit. Compare with y, then average."

    def case(seed, N, C):
        rng = _rng(seed)
        y = rng.integers(0, C, size=N)
        # (N, C): right more often than not; whole numbers, so that ties occur and logits.max == y can hold
        return np.round(2 * rng.standard_normal((N, C)) + 2 * one_hot(y, C)), y

    return in_turn(*[lambda a=a: check_function(fn, accuracy_reference, *a, hint=hint, mistakes=ACCURACY_MISTAKES,
                                                quiet=True) for a in (case(39, 12, 12), case(3, 30, 3), case(4, 2, 7), TIED)])


# -- exercise 3: one training step with tanh --------------------------------------------------
def tanh_step_reference(X, y, W1, b1, W2, b2, lr, reg):
    """One SGD step of Dense-tanh-Dense + softmax cross-entropy + L2 -> loss before, W1, b1, W2, b2 after."""
    (D, H), C = W1.shape, W2.shape[1]
    net = Sequential([Dense(D, H, W=W1, b=b1), Tanh(), Dense(H, C, W=W2, b=b2)], reg=reg)
    loss = net.train_step(X, y, SGD(lr))
    return (loss, *net.params().values())


def _tanh_step(X, y, W1, b1, W2, b2, lr, reg, bug=None):
    """The reference step written out, with one known mistake switched on by `bug`."""
    N = X.shape[0]
    Z1 = X @ W1 + b1  # (N, H)
    A = np.tanh(Z1)
    logits = A @ W2 + b2  # (N, C)
    probs = softmax(logits)
    penalty = 0.0 if bug == "no penalty in loss" else 0.5 * reg * _sq(W1, W2)
    loss = float(-np.log(probs[np.arange(N), y]).mean()) + penalty
    dlogits = (probs - one_hot(y, W2.shape[1])) / N
    pull = 0.0 if bug == "no penalty gradient" else reg
    dW2 = A.T @ dlogits + pull * W2
    db2 = dlogits.sum(axis=0)
    dA = dlogits @ W2.T  # (N, H)
    gate = {"relu gate": Z1 > 0, "pre-activation": 1 - Z1 * Z1, "tanh not squared": 1 - A}.get(bug, 1 - A * A)
    dZ1 = dA * gate
    dW1 = X.T @ dZ1 + pull * W1
    db1 = dZ1.sum(axis=0)
    return loss, W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2


TANH_STEP_MISTAKES = {
    "The gate is still ReLU's (Z1 > 0): tanh's local derivative is 1 - tanh(Z1)**2.": (
        lambda *a: _tanh_step(*a, bug="relu gate")),
    "The gate uses the pre-activation, 1 - Z1**2: the formula is 1 - tanh(Z1)**2, i.e. 1 - A**2 with the "
    "activation A.": lambda *a: _tanh_step(*a, bug="pre-activation"),
    "The gate is 1 - A: tanh' = 1 - A**2, the activation squared.": lambda *a: _tanh_step(*a, bug="tanh not squared"),
    "The loss is missing the L2 penalty 0.5 * reg * (sum W1**2 + sum W2**2).": (
        lambda *a: _tanh_step(*a, bug="no penalty in loss")),
    "The weight gradients are missing the penalty's reg * W.": lambda *a: _tanh_step(*a, bug="no penalty gradient"),
}


def _tanh_case(per_class, H, lr, reg, seed):
    X, y = spiral(per_class, 3, kind="cs231n", rng=seed)
    rng = _rng(seed + 1)
    W1, b1 = 0.5 * rng.standard_normal((2, H)), 0.1 * rng.standard_normal(H)
    W2, b2 = 0.5 * rng.standard_normal((H, 3)), 0.1 * rng.standard_normal(3)
    return X, y, W1, b1, W2, b2, lr, reg


def check_tanh_training_step(fn):
    """fn(X, y, W1, b1, W2, b2, lr, reg) -> (loss, W1, b1, W2, b2): 30 points, 8 tanh units, lr 0.5, reg 0.01,
    then 21 points, 5 units, lr 0.3, reg 0.003 (an answer with a number written in fails the second)."""
    name = getattr(fn, "__name__", "tanh_training_step")
    result = None
    for i, case in enumerate((_tanh_case(10, 8, 0.5, 1e-2, 0), _tanh_case(7, 5, 0.3, 3e-3, 2))):
        result = summarised(fn, tanh_step_reference, case, name, ("loss", "W1", "b1", "W2", "b2"), quiet=True,
                            n_samples=len(case[1]), mistakes=TANH_STEP_MISTAKES,
                            hint="every piece is in the table of the loop's gradients; tanh's local derivative is "
                                 "notebook 03's. Update with W1 - lr * dW1 (a new array), not W1 -= ...")
        if not result:
            if i and result.status == "failed":
                result = CheckResult(False, f"{result.message}\nIt was right for 30 points, 8 units, lr 0.5 and "
                                            "reg 0.01, and wrong for 21 points, 5 units, lr 0.3 and reg 0.003: does "
                                            "the answer use every input, or was a number (N, lr, reg) written in?")
            break
    print(result.message)
    return result


# -- the capstone: a network of any depth ------------------------------------------------------
def deep_forward_reference(X, layers):
    """X: (N, D), layers: [(W, b), ...] -> logits: (N, C), caches: one (A_prev, W, Z) per layer.

    Every layer but the last is followed by a ReLU; the last gives the logits.
    """
    return _forward(X, layers)


def deep_backward_reference(logits, y, caches):
    """logits: (N, C), y: (N,), caches from the forward pass -> [(dW, db), ...] of the mean cross-entropy."""
    return _backward(logits, y, caches)


def _forward(X, layers, bug=None):
    caches, A = [], X
    last = len(layers) - 1
    for i, (W, b) in enumerate(layers):
        A_in = X if bug == "reads X" else A
        Z = A_in @ W + b  # (N, width of layer i)
        caches.append((A_in, W, Z))
        A = Z if i == last and bug != "relu on logits" else np.maximum(Z, 0)
    return A, caches


def _backward(logits, y, caches, bug=None):
    N, C = logits.shape
    dZ = softmax(logits) - one_hot(y, C)
    if bug != "no 1/N":
        dZ = dZ / N  # (N, C)
    grads = [None] * len(caches)
    for i in reversed(range(len(caches))):
        A_prev, W, Z = caches[i]
        dW = dZ.T @ A_prev if bug == "dW transposed" else A_prev.T @ dZ
        db = dZ.sum(axis=1) if bug == "db axis" else dZ.sum(axis=0)
        grads[i] = (dW, db)
        if i == 0:
            break
        dA = dZ @ W.T  # (N, width of layer i - 1): the gradient of the previous layer's activation
        Z_prev = caches[i - 1][2]
        A_prev_prev = caches[i - 1][0]
        mask = {"mask from layer above": Z > 0, "no Z cached": A_prev_prev > 0}.get(bug, Z_prev > 0)
        dZ = dA * A_prev if bug == "times activation" else dA * mask
    return grads


def _deep(forward, backward):
    """One function of (X, y, layers) -> (logits, dW1, db1, ..., dWL, dbL) from a forward and a backward."""
    def run(X, y, layers):
        logits, caches = forward(X, layers)
        grads = backward(logits, y, caches)
        return (logits, *[g for pair in grads for g in pair])
    return run


def _bug(forward_bug=None, backward_bug=None):
    return _deep(lambda X, layers: _forward(X, layers, forward_bug),
                 lambda logits, y, caches: _backward(logits, y, caches, backward_bug))


DEEP_BUGS = {  # message -> (which function, which mistake)
    "The pre-activation Z was not cached, and the ReLU mask was taken from what was: the layer's input "
    "A_prev (the activation one layer further down). The mask of a layer's ReLU is Z > 0 for that layer's own "
    "Z; cache it in the forward pass.": ("backward", "no Z cached"),
    "The gradient was multiplied by the activation itself (dZ = dA * A) instead of by the ReLU mask of the "
    "pre-activation (dZ = dA * (Z > 0)): ReLU's derivative is 0 or 1, not the activation's value.": (
        "backward", "times activation"),
    "The 1/N is missing: the loss is a mean, so the gradient of the logits is (probs - onehot) / N.": (
        "backward", "no 1/N"),
    "dW is transposed: dW = A_prev.T @ dZ, of the shape of W, (inputs, outputs).": ("backward", "dW transposed"),
    "Off by one layer: the ReLU mask applied to layer l - 1's gradient is taken from layer l's cache. "
    "After dA = dZ @ W.T, the mask must come from the previous layer's Z, caches[i - 1] at layer i.": (
        "backward", "mask from layer above"),
    "Every layer reads X: the input of layer l is the activation of layer l - 1, not the data.": (
        "forward", "reads X"),
    "A ReLU was applied to the logits too: the last layer is linear, the softmax in the loss comes next.": (
        "forward", "relu on logits"),
    "db is summed over the wrong axis: the bias is shared by every sample, so its gradient sums dZ over "
    "the batch, axis=0.": ("backward", "db axis"),
}
DEEP_MISTAKES = {message: _bug(**{f"{where}_bug": bug}) for message, (where, bug) in DEEP_BUGS.items()}


def _layers(sizes, rng):
    gen = _rng(rng)
    return [(0.7 * gen.standard_normal((a, b)), 0.3 * gen.standard_normal(b)) for a, b in pairwise(sizes)]


def _labels(sizes):
    return ("logits", *[f"{k}{i}" for i in range(1, len(sizes)) for k in ("dW", "db")])


def _against_reference(run, sizes, N, seed):
    rng = _rng(seed)
    X, y = rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], size=N)
    return summarised(run, _deep(deep_forward_reference, deep_backward_reference), (X, y, _layers(sizes, seed + 1)),
                      "deep_forward + deep_backward", _labels(sizes), n_samples=N, mistakes=DEEP_MISTAKES, quiet=True,
                      hint="Walk the layers backwards, each with notebook 02's three rules, and gate the gradient "
                           "passed down with the ReLU mask of the layer below (its own pre-activation).")


def _gradient_check(run, sizes=(3, 5, 4, 3), N=6, seed=7):
    """Central differences of the learner's own loss against the learner's own gradients."""
    rng = _rng(seed)
    X, y = rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], size=N)
    layers = _layers(sizes, seed + 1)
    got = run(X, y, layers)[1:]
    worst = 0.0
    for i, param in enumerate(p for pair in layers for p in pair):
        def loss(_):
            return softmax_cross_entropy(run(X, y, layers)[0], y)[0]
        worst = max(worst, rel_error(got[i], numerical_gradient(loss, param)))
    return worst


def _train_against_mlp(forward, backward, steps=300, lr=1.0, sizes=(2, 24, 24, 3)):
    """Train the learner's network and `mlp(sizes)` from the same weights -> the largest relative loss difference."""
    X, y = spiral(100, 3, kind="cs231n", rng=0)
    model = mlp(list(sizes), "relu", rng=0)
    p = model.params()
    layers = [(p[f"dense{i}.W"].copy(), p[f"dense{i}.b"].copy()) for i in range(1, len(sizes))]
    opt, worst = SGD(lr), 0.0
    for _ in range(steps):
        logits, caches = forward(X, layers)
        mine = softmax_cross_entropy(logits, y)[0]
        grads = backward(logits, y, caches)
        layers = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(layers, grads)]
        theirs = model.train_step(X, y, opt)
        worst = max(worst, abs(mine - theirs) / abs(theirs))
    return worst


def check_deep_network(deep_forward, deep_backward):
    """deep_forward(X, layers) -> (logits, caches); deep_backward(logits, y, caches) -> [(dW, db), ...].

    1. against the reference on a network whose widths are all equal, where a wrong cache or a
       transposed product gives no shape error, and on deeper networks of mixed widths;
    2. a gradient check of the learner's gradients against central differences of its own loss;
    3. 300 training steps on the spiral next to `mlp`, from the same weights, losses compared.
    """
    run = _deep(deep_forward, deep_backward)
    result = first_failure([lambda: _against_reference(run, [4, 4, 4, 4], 6, 10),
                            lambda: _against_reference(run, [3, 6, 5, 4, 2], 7, 20),
                            lambda: _against_reference(run, [2, 3], 5, 30)])
    if not result:
        print(result.message)
        return result
    lines = [f"{PASS} deep_forward + deep_backward match the reference on networks of 1, 3 and 4 layers."]
    worst = _gradient_check(run)
    if not worst < 1e-6:  # one verdict: the failure, saying what passed before it
        message = (f"{FAIL} The gradient check failed: rel_error {worst:.2g} against central differences "
                   "(the comparison with the reference on three networks passed).")
        print(message)
        return CheckResult(False, message)
    lines.append(f"{PASS} gradient check: every gradient agrees with central differences (rel_error below 1e-6).")
    diff = _train_against_mlp(deep_forward, deep_backward)
    if not diff < 1e-8:
        message = (f"{FAIL} Trained on the spiral, the loss drifts from mlp's by {diff:.2g} (the comparison with the "
                   "reference and the gradient check passed).")
        print(message)
        return CheckResult(False, message)
    lines.append(f"{PASS} 300 steps on the spiral with 2 hidden layers of 24: the same loss as bl.mlp at every "
                 f"step (relative difference below 1e-8).")
    message = "\n".join(lines)
    print(message)
    return CheckResult(True, message)
