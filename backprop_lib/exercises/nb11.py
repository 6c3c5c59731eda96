"""Checks for notebook 11, initialisation: He's scale for leaky ReLU, and a leaky-ReLU stack measured."""

import numpy as np

from ..checks import check_function

# -- the He scale for leaky ReLU ------------------------------------------------------------------


def leaky_he_std_reference(D, a):
    """The answer to exercise 1: sqrt(2 / ((1 + a**2) D))."""
    return float(np.sqrt(2 / ((1 + a**2) * D)))


LEAKY_HE_MISTAKES = {
    "It ignores the slope a: sqrt(2 / D) is He's scale for ReLU (a = 0). With slope a the negative "
    "half keeps a² of its square, so E[h²] = (1 + a²) / 2 · Var(z).": lambda D, a: np.sqrt(2 / D),
    "It uses (1 + a) where the variance needs (1 + a²): the negative half is multiplied by a, so its "
    "square, and its share of E[h²], is multiplied by a².": lambda D, a: np.sqrt(2 / ((1 + a) * D)),
    "It uses (1 + a)² where the variance needs (1 + a²): the two halves add their squares, "
    "½·E[z²] + ½·a²·E[z²], not the square of a sum.": lambda D, a: np.sqrt(2 / ((1 + a) ** 2 * D)),
    "It returns the variance 2 / ((1 + a²) D); the question asks for the standard deviation, its "
    "square root.": lambda D, a: 2 / ((1 + a**2) * D),
    "The factor 2 is missing: E[h²] is (1 + a²) / 2 times Var(z), so Var(w) must be 2 / ((1 + a²) D) "
    "to keep D · Var(w) · E[h²] equal to Var(z).": lambda D, a: np.sqrt(1 / ((1 + a**2) * D)),
    "The fraction is upside down: D · Var(w) · (1 + a²) / 2 must equal 1, so Var(w) = 2 / ((1 + a²) D), "
    "not (1 + a²) / (2 D).": lambda D, a: np.sqrt((1 + a**2) / (2 * D)),
    "It uses (1 - a²): the negative half adds a²·E[z²]/2 to E[h²], it does not take it away.":
        lambda D, a: np.sqrt(2 / ((1 - a**2) * D)),
}

LEAKY_HE_CASES = ((300, 0.2), (40, 0.5), (128, 0.0), (7, 0.01), (1000, 0.3))  # (D, a)


def check_leaky_he_std(fn):
    """fn(D, a) -> the standard deviation of He's scale for leaky ReLU with slope a, fan-in D.

    Tries several fan-ins and slopes (a = 0 is ReLU) and names the usual slips."""
    name = getattr(fn, "__name__", "leaky_he_std")
    result = None
    for D, a in LEAKY_HE_CASES:
        result = check_function(
            fn, leaky_he_std_reference, D, a, name=f"{name}(D={D}, a={a})", mistakes=LEAKY_HE_MISTAKES,
            hint="work out E[h²] for h = z (z > 0) or a·z (z < 0) with z symmetric, then choose Var(w) so "
                 "that D · Var(w) · E[h²] = Var(z); return the square root.",
        )
        if not result:
            return result
    return result


# -- a leaky-ReLU stack, forward and backward ---------------------------------------------------------


def _leaky_stack_variant(X, weights, a, dout, variant=None):
    """The reference spreads of a leaky-ReLU stack, or one of the usual wrong ways to compute them."""
    h, hs, zs = X, [], []
    for W in weights:
        z = h @ W  # (N, H_l)
        h = np.where(z > 0, z, a * z)
        zs.append(z)
        hs.append(h)
    grads, below, dh = [dout], [], dout
    for l in range(len(weights) - 1, -1, -1):
        z = zs[l]
        if variant == "no_derivative":
            slope = 1.0
        elif variant == "relu_gate":
            slope = (z > 0).astype(float)
        elif variant == "slopes_swapped":
            slope = np.where(z > 0, a, 1.0)
        else:
            slope = np.where(z > 0, 1.0, a)
        dh = (dh * slope) @ weights[l].T  # the gradient at the block below's output
        below.append(dh)
        if l > 0:
            grads.append(dh)
    grads = below[::-1] if variant == "input_side" else grads[::-1]
    std = np.var if variant == "variance" else np.std
    a_std = np.array([float(std(v)) for v in (zs if variant == "z_not_h" else hs)])
    g_std = np.array([float(std(v)) for v in grads])
    if variant == "reversed":
        g_std = g_std[::-1]
    return a_std, g_std


def leaky_stack_spreads_reference(X, weights, a, dout):
    """The answer to exercise 2: (activation_std (L,), gradient_std (L,)) of a leaky-ReLU stack."""
    return _leaky_stack_variant(X, weights, a, dout)


def _stack_mistake(variant):
    return lambda X, weights, a, dout: _leaky_stack_variant(X, weights, a, dout, variant)


STACK_MISTAKES = {
    "The backward pass skips the activation: before multiplying by W.T, the gradient must pass "
    "through the slope, dz = dh * f'(z), with f'(z) = 1 where z > 0 and a elsewhere.": _stack_mistake("no_derivative"),
    "The backward pass uses ReLU's gate (z > 0): leaky ReLU passes a fraction a of the gradient where "
    "z < 0, f'(z) = a there, not 0.": _stack_mistake("relu_gate"),
    "The slopes are swapped: f'(z) is 1 where z > 0 (h = z there) and a where z < 0 (h = a·z).":
        _stack_mistake("slopes_swapped"),
    "It records variances, not standard deviations: use np.std (or the square root of np.var).":
        _stack_mistake("variance"),
    "The activation statistics are of the pre-activations z = h @ W; record the block's output "
    "h = f(z).": _stack_mistake("z_not_h"),
    "The gradient statistics are in the wrong order: entry l - 1 should be the gradient at block l's "
    "output, layer 1 first. A backward loop visits the layers from the top, so reverse its list.":
        _stack_mistake("reversed"),
    "Each gradient is recorded one block too low, at the block's input (dz_l @ W_l.T) instead of its "
    "output dh_l: the top entry should be dout itself.": _stack_mistake("input_side"),
}

STACK_WIDTHS = (5, 6, 6, 4, 4)  # D, then the width of each block: non-square, so W and W.T differ in shape


def _stack_inputs(seed, widths=STACK_WIDTHS, n=8):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, widths[0]))  # (N, D)
    weights = [rng.standard_normal((d, h)) * 0.7 for d, h in zip(widths[:-1], widths[1:])]
    dout = rng.standard_normal((n, widths[-1]))  # (N, H_L)
    return X, weights, dout


def check_leaky_stack_spreads(fn):
    """fn(X, weights, a, dout) -> (activation_std (L,), gradient_std (L,)), for two slopes a."""
    name = getattr(fn, "__name__", "leaky_stack_spreads")
    result = None
    for a, seed in ((0.1, 1), (0.3, 2)):
        X, weights, dout = _stack_inputs(seed)
        result = check_function(
            fn, leaky_stack_spreads_reference, X, weights, a, dout, name=f"{name}(..., a={a}, ...)",
            outputs=("activation_std", "gradient_std"),
            hint="forward: keep every z and h = where(z > 0, z, a·z); backward from dh = dout: dz = dh * f'(z), "
                 "then dh = dz @ W.T, recording std(dh) for every block's output, layer 1 first.",
            mistakes=STACK_MISTAKES,
        )
        if not result:
            return result
    return result
