"""Checks for notebook 11, initialisation: He's scale, and the statistics of a deep stack."""

import numpy as np

from ..checks import check_function
from ..init import deep_stack, layer_stds

D_IN, H_OUT = 300, 40  # fan-in and fan-out differ, so mixing them up shows


def _he_reference(D, H, rng):
    return rng.standard_normal((D, H)) * np.sqrt(2 / D)


HE_MISTAKES = {
    "It uses the fan-out H where He's scale needs the fan-in D: Var(z) sums over the D inputs "
    "of each unit, so Var(w) = 2 / D.": lambda D, H, rng: rng.standard_normal((D, H)) * np.sqrt(2 / H),
    "The factor 2 is missing: that is the 1 / D scale for linear or tanh units. ReLU zeroes half "
    "its inputs, so E[h²] is half of Var(z), and He doubles the variance to make up for it.":
        lambda D, H, rng: rng.standard_normal((D, H)) * np.sqrt(1 / D),
    "It scales by the variance 2 / D instead of the standard deviation: a standard normal times s "
    "has variance s², so multiply by sqrt(2 / D).": lambda D, H, rng: rng.standard_normal((D, H)) * (2 / D),
    "That is Glorot's compromise sqrt(2 / (D + H)), the average of fan-in and fan-out; He uses the "
    "fan-in alone, sqrt(2 / D).": lambda D, H, rng: rng.standard_normal((D, H)) * np.sqrt(2 / (D + H)),
    "It divides by D inside the wrong place: sqrt(2) / D is too small by a factor sqrt(D); the "
    "square root covers the whole fraction 2 / D.": lambda D, H, rng: rng.standard_normal((D, H)) * np.sqrt(2) / D,
}


def check_he_init(fn):
    """fn(D, H, rng) -> W: (D, H), He's initialisation drawn with rng.standard_normal((D, H))."""
    return check_function(
        fn, _he_reference, D_IN, H_OUT, np.random.default_rng(11), name=getattr(fn, "__name__", "he_init"),
        hint="draw rng.standard_normal((D, H)) once and multiply it by the standard deviation sqrt(2 / D).",
        mistakes=HE_MISTAKES,
    )


def _stack_variant(X, weights, activation, dout, variant=None):
    """The reference statistics, or one of the usual wrong ways to compute them."""
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
    h, hs, zs = X, [], []
    for W in weights:
        z = h @ W
        h = act(z)
        zs.append(z)
        hs.append(h)
    grads, below = [dout], []
    dh = dout
    for l in range(len(weights) - 1, -1, -1):
        W, z, h = weights[l], zs[l], hs[l]
        if variant == "no_derivative":
            dz = dh
        elif variant == "tanh_twice" and activation == "tanh":
            dz = dh * (1 - np.tanh(h) ** 2)
        else:
            dz = dh * ((1 - h * h) if activation == "tanh" else (z > 0))
        dh = dz @ (W if variant == "W_not_WT" else W.T)
        below.append(dh)
        if l > 0:
            grads.append(dh)
    grads = grads[::-1]
    if variant == "input_side":
        grads = below[::-1]
    std = np.var if variant == "variance" else np.std
    a_std = np.array([float(std(a)) for a in (zs if variant == "z_not_h" else hs)])
    g_std = np.array([float(std(g)) for g in grads])
    if variant == "reversed":
        g_std = g_std[::-1]
    return a_std, g_std


def _stack_reference(X, weights, activation, dout):
    activations, gradients = deep_stack(X, weights, activation, dout)
    return layer_stds(activations), layer_stds(gradients)


def _mistake(variant):
    return lambda X, weights, activation, dout: _stack_variant(X, weights, activation, dout, variant)


STACK_MISTAKES = {
    "The backward pass skips the activation: before multiplying by W.T, the gradient must pass "
    "through f'(z), dz = dh * f'(z).": _mistake("no_derivative"),
    "The backward pass multiplies by W where it needs W.T: dh_{l-1} = dz_l @ W_l.T (the shapes "
    "agree here only because the layers are square).": _mistake("W_not_WT"),
    "tanh's derivative applies tanh again: the forward pass already keeps h = tanh(z), so "
    "f'(z) = 1 - h**2, not 1 - tanh(h)**2.": _mistake("tanh_twice"),
    "It records variances, not standard deviations: use np.std (or the square root of np.var).":
        _mistake("variance"),
    "The activation statistics are of the pre-activations z = h @ W; record the block's output "
    "h = f(z).": _mistake("z_not_h"),
    "The gradient statistics are in the wrong order: entry l - 1 should be the gradient at block l's "
    "output, layer 1 first. A backward loop visits the layers from the top, so reverse its list.":
        _mistake("reversed"),
    "Each gradient is recorded one block too low, at the block's input (dz_l @ W_l.T) instead of its "
    "output dh_l: the top entry should be dout itself.": _mistake("input_side"),
}


def _stack_inputs(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((8, 6))  # (N, D), D = H so that every block's W is square
    weights = [rng.standard_normal((6, 6)) * 0.5 for _ in range(4)]
    dout = rng.standard_normal((8, 6))  # (N, H)
    return X, weights, dout


def check_stack_statistics(fn):
    """fn(X, weights, activation, dout) -> (activation_std (L,), gradient_std (L,)), for tanh and ReLU."""
    name = getattr(fn, "__name__", "stack_statistics")
    result = None
    for activation, seed in (("tanh", 1), ("relu", 2)):
        X, weights, dout = _stack_inputs(seed)
        result = check_function(
            fn, _stack_reference, X, weights, activation, dout, name=f"{name}(..., {activation!r}, ...)",
            outputs=("activation_std", "gradient_std"),
            hint="forward: keep every z and h; backward from dh = dout: dz = dh * f'(z), then dh = dz @ W.T, "
                 "recording std(dh) for every block's output, layer 1 first.",
            mistakes=STACK_MISTAKES,
        )
        if not result:
            return result
    return result
