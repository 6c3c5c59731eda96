"""Gradient checking: central differences compared with an analytic backward pass.

Float64 by design: with float32 the rounding error of f(x + h) - f(x - h) swamps the
difference itself, and a correct gradient looks wrong.
"""

import numpy as np

from ._random import as_rng
from ._validate import as_float_array, check_finite, real_number

TOLERANCE = 1e-7  # a right float64 gradient gives about 1e-10 (see rel_error)
GRADIENT_FLOOR = 1e-8  # entries this small are indistinguishable from 0 by central differences


def _require_float64(x, name, where):
    x = np.asarray(x)
    if x.dtype != np.float64:
        raise TypeError(
            f"{where}: expected {name} in float64, got {x.dtype}; numerical gradients need float64 "
            f"(use {name}.astype(np.float64))"
        )
    check_finite(x, name, where)
    return x


def rel_error(a, b):
    """max|a - b| / (max|a| + max|b|): the largest difference measured against the size of the arrays.

    A right float64 gradient gives about 1e-10, a wrong one 1e-3 or more. Measuring against
    the largest entry, not entry by entry, keeps entries near zero (whose central difference
    is mostly rounding noise) from making a right gradient look wrong.
    """
    a, b = as_float_array(a, "a", "rel_error", np.float64), as_float_array(b, "b", "rel_error", np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: expected arrays of one shape, got {a.shape} and {b.shape}")
    check_finite(a, "a", "rel_error")
    check_finite(b, "b", "rel_error")
    if a.size == 0:
        return 0.0
    # Two arrays that are both rounding noise around 0 (a gradient that is exactly 0, say) agree:
    # below GRADIENT_FLOOR, float64 central differences cannot tell a number from 0.
    scale = max(np.abs(a).max() + np.abs(b).max(), GRADIENT_FLOOR)
    return float(np.abs(a - b).max() / scale)


def _central_differences(f, x, h, slope, where):
    """Nudge each entry of x by +h and -h in turn; slope(f(x + h), f(x - h)) gives that entry's derivative."""
    grad = np.zeros_like(x)
    # One entry at a time: this is a checker, run on small inputs, not a hot path.
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        pos = np.array(f(x), dtype=np.float64)  # a copy: f may return a view or reuse a buffer
        x[i] = old - h
        neg = np.array(f(x), dtype=np.float64)
        x[i] = old
        if not (np.isfinite(pos).all() and np.isfinite(neg).all()):
            raise ValueError(f"{where}: f returned a NaN or an infinite value with x{list(i)} nudged by h = {h:g}; "
                             "a numerical gradient needs a finite f around x")
        grad[i] = slope(pos, neg)
    return grad


def numerical_gradient(f, x, h=1e-5):
    """df/dx for a scalar f of the array x, by central differences.

    Each entry of x is nudged in place and put back, so that an f which reads the array itself
    (a model reading its own weights) sees the nudge; x holds its original values afterwards.
    """
    if not callable(f):
        raise TypeError(f"numerical_gradient: expected f as a function of x, got {type(f).__name__}")
    x = _require_float64(x, "x", "numerical_gradient")
    h = real_number(h, "h", "numerical_gradient", low=0, low_open=True)
    return _central_differences(f, x, h, lambda pos, neg: (pos - neg) / (2 * h), "numerical_gradient")


def numerical_gradient_array(f, x, dout, h=1e-5):
    """Gradient of sum(f(x) * dout) with respect to x, for an array-valued f (dout: f(x).shape).

    The two outputs are subtracted before they are weighted by dout, so entries that x[i]
    does not touch cancel exactly and add no rounding error.
    """
    if not callable(f):
        raise TypeError(f"numerical_gradient_array: expected f as a function of x, got {type(f).__name__}")
    x = _require_float64(x, "x", "numerical_gradient_array")
    dout = as_float_array(dout, "dout", "numerical_gradient_array", np.float64)
    if dout.shape != np.shape(f(x)):
        raise ValueError(f"numerical_gradient_array: expected dout of f(x)'s shape {np.shape(f(x))}, got {dout.shape}")
    h = real_number(h, "h", "numerical_gradient_array", low=0, low_open=True)
    check_finite(dout, "dout", "numerical_gradient_array")
    return _central_differences(f, x, h, lambda pos, neg: np.sum((pos - neg) * dout) / (2 * h),
                                "numerical_gradient_array")


class GradCheckReport(dict):
    """Relative error per checked array; true when every one is below the tolerance."""

    def __init__(self, what, errors, tol=TOLERANCE):
        super().__init__(errors)
        self.what, self.tol = what, tol

    @property
    def passed(self):
        return all(e < self.tol for e in self.values())

    def __bool__(self):
        return self.passed

    def __repr__(self):
        rows = [f"gradient check of {self.what}: {'PASSED' if self.passed else 'FAILED'} (tolerance {self.tol:g})"]
        for name, e in self.items():
            rows.append(f"  {name:<8} relative error {e:.2e}  {'ok' if e < self.tol else 'WRONG'}")
        return "\n".join(rows)

    def _repr_pretty_(self, p, cycle):
        p.text(repr(self))


def check_layer(layer, X, rng=0, h=1e-5, tol=TOLERANCE):
    """Check any layer's backward (input and parameter gradients) against central differences.

    X: (N, D) float64. A random upstream gradient dout is drawn from `rng`, so every output
    entry matters. Returns a `GradCheckReport`; the layer's parameters are left as they were.
    """
    where = f"check_layer({layer!r})"
    if not all(hasattr(layer, a) for a in ("forward", "backward", "params", "grads")):
        raise TypeError(f"{where}: expected a layer with forward, backward, params and grads, e.g. bl.Dense(3, 2)")
    X = _require_float64(X, "X", where).copy()
    for name, p in layer.params.items():
        _require_float64(p, name, where)
    out = layer.forward(X)
    dout = as_rng(rng, where).standard_normal(out.shape)
    dX = layer.backward(dout)
    analytic = {"X": dX, **{k: v.copy() for k, v in layer.grads.items()}}
    errors = {"X": rel_error(dX, numerical_gradient_array(layer.forward, X, dout, h))}
    for name, p in layer.params.items():
        # numerical_gradient_array nudges the parameter array in place; forward reads that very array
        num = numerical_gradient_array(lambda _: layer.forward(X), p, dout, h)
        errors[name] = rel_error(analytic[name], num)
    return GradCheckReport(repr(layer), errors, tol)


def check_model(model, X, y, h=1e-5, tol=TOLERANCE):
    """Check a whole `Sequential` model: every parameter's gradient from `backward()` against
    central differences of `model.loss(X, y)` (data loss plus L2). Parameters end as they began.
    """
    where = f"check_model({type(model).__name__})"
    if not all(hasattr(model, a) for a in ("loss", "backward", "params", "grads")):
        raise TypeError(f"{where}: expected a model with loss, backward, params and grads, e.g. bl.mlp([2, 4, 3])")
    X = _require_float64(X, "X", where)
    params = model.params()
    for name, p in params.items():
        _require_float64(p, name, where)
    model.loss(X, y)
    model.backward()
    analytic = {name: g.copy() for name, g in model.grads().items()}
    # numerical_gradient nudges each parameter array in place; model.loss reads those very arrays
    errors = {name: rel_error(analytic[name], numerical_gradient(lambda _: model.loss(X, y), p, h))
              for name, p in params.items()}
    return GradCheckReport(f"the model's {len(params)} parameter arrays", errors, tol)


def check_loss(loss, pred, y, h=1e-5, tol=TOLERANCE):
    """Check a loss object's backward against central differences of its forward. pred: (N, C) float64."""
    where = f"check_loss({loss!r})"
    if not (hasattr(loss, "forward") and hasattr(loss, "backward")):
        raise TypeError(f"{where}: expected a loss object with forward(pred, y) and backward(), e.g. bl.MSE()")
    pred = _require_float64(pred, "pred", where).copy()
    loss.forward(pred, y)
    analytic = loss.backward()
    num = numerical_gradient(lambda z: loss.forward(z, y), pred, h)
    return GradCheckReport(repr(loss), {"pred": rel_error(analytic, num)}, tol)


def check_forward_backward(forward, backward, x, rng=0, h=1e-5, tol=TOLERANCE):
    """Check a pure pair `out, cache = forward(x)`, `dx = backward(dout, cache)` with a random dout.

    The library's own pairs follow this convention (`relu_forward`/`relu_backward`, ...); for a
    pair with parameters, close over them: `forward=lambda x: dense_forward(x, W, b)`.
    """
    where = "check_forward_backward"
    if not (callable(forward) and callable(backward)):
        raise TypeError(f"{where}: expected two functions, forward(x) -> (out, cache) and backward(dout, cache)")
    x = _require_float64(x, "x", where).copy()
    result = forward(x)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise TypeError(f"{where}: expected forward(x) to return (out, cache), got {type(result).__name__}")
    out, cache = result
    dout = as_rng(rng, where).standard_normal(np.shape(out))
    dx = backward(dout, cache)
    if isinstance(dx, tuple):  # (dx, dW, db): the input gradient comes first
        dx = dx[0]
    err = rel_error(dx, numerical_gradient_array(lambda z: forward(z)[0], x, dout, h))
    return GradCheckReport(getattr(forward, "__name__", "function"), {"x": err}, tol)
