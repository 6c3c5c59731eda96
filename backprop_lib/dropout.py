"""Inverted dropout: pure forward/backward functions and a `Dropout` class.

x: any shape, usually (N, H) activations. `p` is the probability of DROPPING a unit
(setting it to 0); each unit is kept with probability 1 - p, and the kept ones are scaled
by 1 / (1 - p), so the expected output equals the input and eval mode needs no change:
at test time dropout is simply the identity.
"""

import numbers

import numpy as np

from ._random import as_rng
from ._validate import as_float_array, check_finite


def _check_p(p, where):
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p < 1:
        raise ValueError(
            f"{where}: expected the drop probability p in [0, 1) (0 drops nothing; 1 would drop everything), got {p!r}"
        )
    return float(p)


def _check_x(x, name, where):
    x = as_float_array(x, name, where)
    if x.size == 0:
        raise ValueError(f"{where}: expected a non-empty {name}, got shape {x.shape}")
    check_finite(x, name, where)
    return x


def dropout_forward(x, p, rng):
    """x: (N, H) -> out: (N, H), cache = (mask, p). Drop each entry with probability p, scale the rest by 1 / (1 - p).

    mask: (N, H) booleans, True where the unit is kept. `rng` is a seed or a np.random.Generator.
    """
    where = "dropout_forward"
    x = _check_x(x, "x", where)
    p = _check_p(p, where)
    mask = as_rng(rng, where).random(x.shape) >= p  # (N, H): True with probability 1 - p
    out = x * mask / (1 - p)  # (N, H)
    return out, (mask, p)


def dropout_backward(dout, cache):
    """dout: (N, H) -> dx: (N, H). The same mask and the same scale as the forward pass: a gate."""
    mask, p = cache
    where = "dropout_backward"
    dout = _check_x(dout, "dout", where)
    if dout.shape != mask.shape:
        raise ValueError(f"{where}: expected dout of the output's shape {mask.shape}, got {dout.shape}")
    return dout * mask / (1 - p)


class Dropout:
    """Inverted dropout with drop probability `p`: a fresh random mask on every training-mode
    forward, the identity in eval mode (`training = False`, set by `Sequential.eval()`).

    `rng` is a seed or a `np.random.Generator`; the layer keeps drawing from it.
    """

    params = {}
    grads = {}

    def __init__(self, p, rng=None):
        self.p = _check_p(p, "Dropout")
        self.rng = as_rng(rng, "Dropout")
        self.training = True
        self.cache = None

    def __repr__(self):
        return f"Dropout(p={self.p:g})"

    def forward(self, x):
        """x: (N, H) -> out: (N, H)."""
        where = f"{self}.forward"
        x = _check_x(x, "x", where)
        if self.training:
            out, self.cache = dropout_forward(x, self.p, self.rng)
        else:
            # the identity, written as a mask that keeps everything and scales by 1
            out, self.cache = x.copy(), (np.ones(x.shape, dtype=bool), 0.0)
        return out

    def backward(self, dout):
        """dout: (N, H) -> dx: (N, H), through the mask of the last forward."""
        where = f"{self}.backward"
        if self.cache is None:
            raise RuntimeError(f"{where}: call forward before backward")
        dout = _check_x(dout, "dout", where)
        if dout.shape != self.cache[0].shape:
            raise ValueError(f"{where}: expected dout of the output's shape {self.cache[0].shape}, got {dout.shape}")
        return dropout_backward(dout, self.cache)
