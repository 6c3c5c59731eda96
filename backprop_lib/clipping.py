"""Gradient clipping by global norm: one scale for every gradient, so that their joint norm is at most max_norm.

    norm = sqrt(sum over every array g of sum(g**2))
    scale = min(1, max_norm / norm)
    g <- scale * g, for every g

The direction of the whole update is kept; only a step that would be too long is shortened.
"""

import math

import numpy as np

from ._validate import as_float_array, check_finite, real_number


def global_norm(grads):
    """grads: dict name -> array -> the norm of all of them taken together, as one long vector."""
    where = "global_norm"
    if not isinstance(grads, dict) or not grads:
        raise TypeError(f"{where}: expected grads as a non-empty dict name -> array, got {type(grads).__name__}")
    total = 0.0
    for name, g in grads.items():
        g = as_float_array(g, f"grads[{name!r}]", where)
        check_finite(g, f"grads[{name!r}]", where)
        total += float((g * g).sum())
    return math.sqrt(total)


def clip_grad_norm(grads, max_norm):
    """grads: dict name -> array, max_norm > 0 -> (clipped: a new dict of new arrays, norm before clipping)."""
    max_norm = real_number(max_norm, "max_norm", "clip_grad_norm", low=0, low_open=True)
    norm = global_norm(grads)
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return {name: np.asarray(g) * scale for name, g in grads.items()}, norm
