"""Weight initialisation and what it does to a deep stack: per-layer activation and gradient statistics.

A stack of `depth` blocks h_l = f(h_{l-1} @ W_l), l = 1 ... L, with h_0 = X: (N, D) and every
W_l: (D, H) for the first block, (H, H) after it (biases 0: they start at 0 in practice and do not
change the argument). The scales, for W: (D, H) with D inputs (fan-in) and H outputs (fan-out):

    "zeros"   every weight 0 (the symmetry that never breaks)
    "nnfs"    0.01 * standard normal (a small, fixed scale, as in the nnfs book and CS231n)
    "lecun"   standard normal * sqrt(1 / D)       Var(w) = 1 / D       keeps Var(z) = Var(h) (linear, tanh)
    "glorot"  standard normal * sqrt(2 / (D + H)) Var(w) = 2 / (D + H) the average of forward and backward
              (PyTorch's xavier_normal_ and Keras's glorot_normal; the library has no "xavier", which
              some texts use for 1 / D)
    "he"      standard normal * sqrt(2 / D)       Var(w) = 2 / D       makes up for ReLU zeroing half its inputs
    "normal"  standard normal, std 1              too large for any width above a few units
"""

import numpy as np

from . import activations as act
from ._random import as_rng
from ._validate import as_float_array, check_2d, check_finite
from .layers import INITS, check_init
from .layers import init_weights as _library_init_weights

INIT_SCHEMES = ("zeros", "nnfs", "lecun", "glorot", "he", "normal")


def _linear_forward(x):
    return x, None


def _linear_backward(dout, cache):
    return dout


# name -> (forward, backward): the library's pure pairs, plus "linear" (no activation)
ACTIVATIONS = {
    "linear": (_linear_forward, _linear_backward),
    "tanh": (act.tanh_forward, act.tanh_backward),
    "relu": (act.relu_forward, act.relu_backward),
    "sigmoid": (act.sigmoid_forward, act.sigmoid_backward),
}


def _check_choice(value, name, choices, where):
    if value not in choices:
        raise ValueError(f"{where}: expected {name} as one of {tuple(choices)}, got {value!r}")


def _check_positive_int(n, name, where):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{where}: expected {name} as a positive integer, got {n!r}")
    return int(n)


def init_std(init, D, H):
    """The standard deviation of every weight of W: (D, H) under the scheme `init`."""
    check_init(init, INIT_SCHEMES, "init_std")
    D, H = _check_positive_int(D, "D", "init_std"), _check_positive_int(H, "H", "init_std")
    return {"zeros": 0.0, "nnfs": 0.01, "lecun": (1 / D) ** 0.5, "glorot": (2 / (D + H)) ** 0.5,
            "he": (2 / D) ** 0.5, "normal": 1.0}[init]


def init_weights(D, H, init="he", rng=None):
    """D, H -> W: (D, H), standard normal draws from `rng` times `init_std(init, D, H)`.

    The schemes `backprop_lib.layers.init_weights` knows ("nnfs", "lecun", "glorot", "he") come from it,
    so a `Dense` layer built with the same generator gets the same weights.
    """
    std = init_std(init, D, H)
    if init in INITS:
        return _library_init_weights(D, H, init, rng)
    draw = as_rng(rng, "init_weights").standard_normal((D, H))  # drawn even for "zeros", so the stream stays aligned
    return std * draw


def deep_stack(X, weights, activation, dout):
    """X: (N, D), weights: list of L arrays (D, H), (H, H), ..., dout: (N, H) the gradient at the top
    -> activations [h_1 ... h_L], gradients [dh_1 ... dh_L], each (N, H).

    Forward h_l = f(h_{l-1} @ W_l); backward dz_l = dh_l * f'(z_l), dh_{l-1} = dz_l @ W_l.T,
    starting from dh_L = dout. gradients[l - 1] is dL/dh_l, the gradient at block l's output.
    """
    where = "deep_stack"
    _check_choice(activation, "activation", ACTIVATIONS, where)
    X = check_2d(as_float_array(X, "X", where), "X", where)
    check_finite(X, "X", where)
    if not weights:
        raise ValueError(f"{where}: expected at least one weight matrix, got none")
    width = X.shape[1]
    checked = []
    for i, W in enumerate(weights):
        W = as_float_array(W, f"weights[{i}]", where)
        if W.ndim != 2 or W.shape[0] != width:
            raise ValueError(f"{where}: expected weights[{i}] of shape ({width}, H), got {W.shape}")
        check_finite(W, f"weights[{i}]", where)
        checked.append(W)
        width = W.shape[1]
    weights = checked
    dout = as_float_array(dout, "dout", where)
    if dout.shape != (X.shape[0], width):
        raise ValueError(f"{where}: expected dout of shape (N, H) = {(X.shape[0], width)}, got {dout.shape}")
    check_finite(dout, "dout", where)
    forward, backward = ACTIVATIONS[activation]
    h, activations, caches = X, [], []
    for W in weights:
        z = h @ W  # (N, H)
        h, cache = forward(z)
        activations.append(h)
        caches.append(cache)
    dh, gradients = dout, [dout]
    for W, cache in zip(weights[:0:-1], caches[:0:-1]):  # blocks L ... 2: block 1 passes dX, not a dh_l
        dz = backward(dh, cache)  # (N, H)
        dh = dz @ W.T  # (N, H), the gradient at the block below's output
        gradients.append(dh)
    return activations, gradients[::-1]


def layer_statistics(depth=10, activation="tanh", init="lecun", width=128, n_samples=256, seed=0):
    """The activations and gradients of every block of a random deep stack, drawn from one seed.

    One generator seeded with `seed` draws, in this order, X: (N, width) standard normal,
    W_1 ... W_depth with `init_weights(width, width, init)`, and dout: (N, width) standard
    normal. Returns a dict with "activations" and "gradients" (lists of `depth` arrays (N, H),
    as `deep_stack` gives them) and "activation_std", "gradient_std" (arrays (depth,)).
    """
    where = "layer_statistics"
    depth = _check_positive_int(depth, "depth", where)
    _check_positive_int(width, "width", where)
    _check_positive_int(n_samples, "n_samples", where)
    check_init(init, INIT_SCHEMES, where)
    _check_choice(activation, "activation", ACTIVATIONS, where)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, width))  # (N, H)
    weights = [init_weights(width, width, init, rng) for _ in range(depth)]
    dout = rng.standard_normal((n_samples, width))  # (N, H)
    activations, gradients = deep_stack(X, weights, activation, dout)
    return {
        "activations": activations,
        "gradients": gradients,
        "activation_std": layer_stds(activations),
        "gradient_std": layer_stds(gradients),
    }


def layer_stds(arrays):
    """A list of L arrays -> (L,): the standard deviation of every entry of each."""
    stds = []
    for i, a in enumerate(arrays):
        a = as_float_array(a, f"arrays[{i}]", "layer_stds")
        check_finite(a, f"arrays[{i}]", "layer_stds")
        stds.append(float(np.std(a)))
    return np.array(stds)
