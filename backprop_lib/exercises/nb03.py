"""Checks for notebook 03, activations: tanh and leaky ReLU backward, and the backward loop
through a deep stack of Dense + activation blocks."""

import copy
from itertools import pairwise

import numpy as np

from .. import activations as act
from ..checks import FAIL, CheckResult, check_function, ignores_argument, in_turn
from ..widgets.activations import PAIRS, deep_backward, deep_forward


# -- tanh backward from its output ------------------------------------------------------------
def _tanh_inputs():
    x = np.array([[-6.0, -1.5, 0.0, 0.4], [0.8, 2.0, 4.0, -0.3], [1.2, -2.5, 0.1, 6.0]])  # (N, H)
    dout = np.random.default_rng(31).standard_normal(x.shape)
    return dout, np.tanh(x)


TANH_MISTAKES = {
    "It uses the sigmoid's derivative, out * (1 - out): derive tanh' on its own (it is not the same).":
        lambda dout, out: dout * out * (1 - out),
    "It is dout * (1 - out): the output must be squared.": lambda dout, out: dout * (1 - out),
    "It applies tanh again: `out` is already tanh(x), so use it as it is.":
        lambda dout, out: dout * (1 - np.tanh(out) ** 2),
    "It forgets the upstream gradient: multiply the local derivative by dout.": lambda dout, out: 1 - out ** 2,
    "It has the wrong sign: tanh rises everywhere, so its derivative is positive.":
        lambda dout, out: dout * (out ** 2 - 1),
}


def check_tanh_backward(fn):
    """fn(dout, out) -> dx, with out = tanh(x) the cached output: a (3, 4) batch with saturated
    entries, then one wide row of extreme and tied values."""
    dout, out = _tanh_inputs()
    wide_x = np.array([[-30.0, -3.0, 0.0, 0.0, 0.5, 0.5, 3.0, 30.0, 1e-8]])  # (1, 9): ties, saturation
    wide = (np.linspace(-2.0, 2.0, 9)[None, :], np.tanh(wide_x))
    hint = "write tanh x as sinh x / cosh x and use the quotient rule, then replace sinh/cosh by tanh = out."
    return in_turn(*[lambda a=a: check_function(fn, act.tanh_backward, *a, name=getattr(fn, "__name__", None),
                                                mistakes=TANH_MISTAKES, hint=hint, quiet=True)
                     for a in ((dout, out), wide)])


# -- leaky ReLU backward -------------------------------------------------------------------------
def _leaky_reference(dout, x, alpha=0.01):
    return act.leaky_relu_backward(dout, (x, alpha))


LEAKY_MISTAKES = {
    "It forgets the upstream gradient: the slopes 1 and alpha must multiply dout.":
        lambda dout, x, alpha=0.01: np.where(x > 0, 1.0, alpha),
    "Below zero it multiplies alpha by x, the forward pass's value, not by dout.":
        lambda dout, x, alpha=0.01: np.where(x > 0, dout, alpha * x),
    "Below zero it passes nothing, like a plain ReLU: leaky ReLU's slope there is alpha, not 0.":
        lambda dout, x, alpha=0.01: np.where(x > 0, dout, 0.0),
    "Below zero it returns alpha itself: the gradient there is alpha times dout.":
        lambda dout, x, alpha=0.01: np.where(x > 0, dout, alpha),
    "Below zero the sign is flipped: the slope there is +alpha, so the gradient is alpha * dout.":
        lambda dout, x, alpha=0.01: np.where(x > 0, dout, -alpha * dout),
    "At x = 0 exactly it uses slope 1: the library (and this course) use alpha there, so compare with x > 0.":
        lambda dout, x, alpha=0.01: np.where(x >= 0, dout, alpha * dout),
}


LEAKY_MISTAKES.update(ignores_argument(_leaky_reference, "alpha", 0.01))


def check_leaky_relu_backward(fn):
    """fn(dout, x, alpha) -> dx: alpha = 0.01 and 0.2 on a (2, 4) batch with exact zeros, then
    alpha = 0.3 on one wide row of extreme and tied values."""
    x = np.array([[-1.5, 0.0, 2.0, 0.3], [0.7, -0.2, -3.0, 0.0]])  # (N, H), with two exact zeros
    dout = np.array([[0.5, -1.0, 2.0, 1.5], [-0.4, 0.9, 1.1, -2.0]])
    wide_x = np.array([[-1e6, -1.0, -1.0, 0.0, 1e-9, 1.0, 1.0, 1e6]])  # (1, 8)
    cases = ((dout, x, 0.01), (dout, x, 0.2), (np.linspace(-3.0, 3.0, 8)[None, :] + 0.5, wide_x, 0.3))
    hint = "the slope is 1 where x > 0 and alpha elsewhere (x = 0 included); the gradient is dout times it."
    return in_turn(*[lambda c=c: check_function(fn, _leaky_reference, *c, name=getattr(fn, "__name__", None),
                                                mistakes=LEAKY_MISTAKES, hint=hint, quiet=True)
                     for c in cases])


# -- the backward loop through a deep stack ----------------------------------------------------------
def _flat(result):
    """(dWs, dhs) -> one tuple dW_1 ... dW_L, dh_0 ... dh_L, so that every array is compared."""
    dWs, dhs = result
    return tuple(dWs) + tuple(dhs)


def _structure(got, L):
    """Why `got` is not the pair (dWs, dhs) of lists of the right lengths, or None if it is."""
    if got is None:
        return "returned None: did the function forget to `return dWs, dhs`?"
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"should return two lists, `return dWs, dhs`, got {type(got).__name__}."
    dWs, dhs = got
    for name, value, n, what in (("dWs", dWs, L, "one per block"),
                                 ("dhs", dhs, L + 1, "one per h_l, from h_0 = X up to h_L at the top")):
        if not isinstance(value, (tuple, list)):
            return f"should return {name} as a list ({what}), got {type(value).__name__}."
        if len(value) != n:
            return f"should return {n} arrays in {name} ({what}), got {len(value)}."
    return None


def _mistake(step):
    """A wrong deep backward pass built from one wrong step, returning the flat tuple."""
    def wrong(dout, caches, activation_backward):
        L = len(caches)
        X = caches[0][0][0]
        dWs, dhs = [None] * L, [None] * (L + 1)
        dhs[L] = dout
        for l in range(L - 1, -1, -1):
            (h_prev, W), act_cache = caches[l]
            dWs[l], dhs[l] = step(dhs[l + 1], dout, h_prev, W, X, act_cache, activation_backward)
        return _flat((dWs, dhs))
    return wrong


def _right(dh, dout, h_prev, W, X, ac, bwd):
    dz = bwd(dh, ac)
    return h_prev.T @ dz, dz @ W.T


DEEP_MISTAKES = {
    "The activation's derivative is missing: dz_l = dh_l * f'(z_l), with f' from the activation's backward pass.":
        _mistake(lambda dh, dout, h, W, X, ac, bwd: (h.T @ dh, dh @ W.T)),
    "The gradient passed down skips the activation: dh_{l-1} is dz_l @ W_l.T, not dh_l @ W_l.T.":
        _mistake(lambda dh, dout, h, W, X, ac, bwd: (h.T @ bwd(dh, ac), dh @ W.T)),
    "W_l is not transposed on the way down: dh_{l-1} = dz_l @ W_l.T, shape (N, H) @ (H, D).":
        _mistake(lambda dh, dout, h, W, X, ac, bwd: (h.T @ bwd(dh, ac), bwd(dh, ac) @ W)),
    "Every dW_l uses the network's input X: block l's weights multiply its own input h_{l-1}.":
        _mistake(lambda dh, dout, h, W, X, ac, bwd: (X.T @ bwd(dh, ac), bwd(dh, ac) @ W.T)),
    "dW_l is transposed: it has the shape of W_l, (D, H), so it is h_{l-1}.T @ dz_l.":
        _mistake(lambda dh, dout, h, W, X, ac, bwd: (bwd(dh, ac).T @ h, bwd(dh, ac) @ W.T)),
    "Every block starts from the top's dout: each block must use the gradient handed down by the block above it.":
        _mistake(lambda dh, dout, h, W, X, ac, bwd: (h.T @ bwd(dout, ac), bwd(dout, ac) @ W.T)),
}


def _reversed_lists(fn_order):
    def wrong(dout, caches, activation_backward):
        dWs, dhs = deep_backward(dout, caches, activation_backward)
        if fn_order == "both":
            return _flat((dWs[::-1], dhs[::-1]))
        return _flat((dWs[::-1], dhs)) if fn_order == "dWs" else _flat((dWs, dhs[::-1]))
    return wrong


DEEP_MISTAKES.update({
    "The lists are in top-down order (appended on the way down): dWs[0] and dhs[0] belong to the "
    "bottom, next to X; reverse them or fill them by index.": _reversed_lists("both"),
    "dWs is in top-down order: dWs[0] must be block 1's gradient, nearest the input.": _reversed_lists("dWs"),
    "dhs is in top-down order: dhs[0] must be the gradient at the input X and dhs[-1] the upstream dout.":
        _reversed_lists("dhs"),
})


def deep_case(activation, sizes, n_samples, seed):
    """dout, caches of a seeded stack with widths `sizes` (D, H_1, ..., H_L)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, sizes[0]))
    weights = [rng.standard_normal((a, b)) / np.sqrt(a) * 1.5 for a, b in pairwise(sizes)]
    out, caches = deep_forward(X, weights, activation)
    return rng.standard_normal(out.shape), caches


def _check_one_stack(fn, name, activation, sizes, n):
    dout, caches = deep_case(activation, sizes, n, seed=len(sizes))
    backward = PAIRS[activation][1]
    L = len(caches)
    try:
        problem = _structure(fn(copy.deepcopy(dout), copy.deepcopy(caches), backward), L)
    except Exception:  # noqa: BLE001 - not written yet, or broken: check_function says which
        problem = None
    if problem:
        return CheckResult(False, f"{FAIL} {name} {problem}")

    def learner(dout, caches, activation_backward):
        return _flat(fn(dout, caches, activation_backward))

    def reference(dout, caches, activation_backward):
        return _flat(deep_backward(dout, caches, activation_backward))

    labels = tuple(f"dW_{l}" for l in range(1, L + 1)) + tuple(f"dh_{l}" for l in range(L + 1))
    return check_function(learner, reference, dout, caches, backward, name=name, outputs=labels,
                          mistakes=DEEP_MISTAKES, quiet=True,
                          hint="go from the top block down; in each, dz = activation_backward(dh, act_cache), "
                               "then the dense layer's two gradients from notebook 02.")


def check_deep_backward(fn):
    """fn(dout, caches, activation_backward) -> (dWs, dhs), first on a square sigmoid stack (where
    a missing transpose still has the right shape, so the mistake can be named), then on a tanh
    stack of blocks of different widths and a one-sample ReLU stack; one verdict."""
    name = getattr(fn, "__name__", "deep_backward")
    stacks = (("sigmoid", (4, 4, 4, 4, 4), 4), ("tanh", (3, 5, 4, 2), 6), ("relu", (7, 2, 3), 1))
    return in_turn(*[lambda s=s: _check_one_stack(fn, name, *s) for s in stacks])
