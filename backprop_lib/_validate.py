"""Input checks shared by the library: every error names the function, what it expected and what came."""

import math
import numbers

import numpy as np

_FLOATS = (np.float32, np.float64)


def as_float_array(x, name, where, dtype=None):
    """Return `x` as a float ndarray (float32 kept, everything else float64)."""
    if type(x) is np.ndarray and x.dtype.type in _FLOATS and (dtype is None or x.dtype == dtype):
        return x  # the common case, answered without the checks below
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{where}: expected {name} as a numeric array, got {type(x).__name__} ({exc})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{where}: expected {name} as a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{where}: expected {name} as a real array, got dtype {arr.dtype}")
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if arr.dtype.type not in _FLOATS:
        arr = arr.astype(np.float64)
    return arr


# One door: a public entry point checks what its caller gave it; inside `trusted()` (a model's
# forward, backward and update, after the model has checked X at its door) the arrays handed
# from layer to layer were made by the library, and their finiteness is not tested again.
# Shapes and dtypes are still checked (that costs nothing); a NaN or inf born inside the model
# reaches the loss, which `fit` reports as divergence.
_TRUSTED = False


class _Trusted:
    """The context manager `trusted()` returns (a class: cheaper per step than a generator)."""

    def __enter__(self):
        global _TRUSTED
        self.before, _TRUSTED = _TRUSTED, True

    def __exit__(self, *exc):
        global _TRUSTED
        _TRUSTED = self.before


def trusted():
    """Within this block, skip the finiteness tests of arrays the library made itself."""
    return _Trusted()


def all_finite(arr):
    """Whether every entry of a numeric array is finite (no NaN, no inf)."""
    return arr.dtype.kind not in "fc" or bool(np.isfinite(arr).all())


def check_finite(arr, name, where):
    """Raise a ValueError naming `where`, `name` and the first index holding a NaN or an inf."""
    if _TRUSTED or all_finite(arr):
        return
    bad = np.argwhere(~np.isfinite(arr))[0]
    value = arr[tuple(bad)]
    raise ValueError(
        f"{where}: {name} contains {'NaN' if np.isnan(value) else 'an infinite value'} "
        f"at index {tuple(int(i) for i in bad)}; clean or drop those rows first"
    )


def finite_number(value, name, where):
    """A finite real scalar (int, float or a NumPy scalar) as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: expected {name} as a real number, got {type(value).__name__}: {value!r:.60}")
    if not math.isfinite(value):
        raise ValueError(f"{where}: {name} is {value!r}; expected a finite number")
    return float(value)


def check_2d(arr, name, where, cols=None, col_letter="D"):
    """Require a 2-D array with at least one row, optionally with a given number of columns."""
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = f"; for one sample use {name}[None, :], for one feature use {name}[:, None]"
        want = f"(N, {cols})" if cols is not None else f"(N, {col_letter})"
        raise ValueError(f"{where}: expected {name} of shape {want} (2-D), got shape {arr.shape}{hint}")
    if cols is not None and arr.shape[1] != cols:
        raise ValueError(f"{where}: expected {name} with {cols} columns (N, {cols}), got {arr.shape}")
    check_batch(arr, name, where)
    return arr


def check_batch(arr, name, where):
    """Require at least one sample (row)."""
    if arr.ndim == 0 or arr.shape[0] == 0:
        raise ValueError(f"{where}: expected {name} with at least one sample, got an empty batch of shape {arr.shape}")


def float_input(x, name, where, ndim=2, cols=None, col_letter="D", finite=True):
    """The usual check of a batch: numeric, 2-D (or at least `ndim`-D), not empty, finite (unless told not to)."""
    arr = as_float_array(x, name, where)
    if ndim == 2 and arr.ndim == 2 and arr.shape[0] and (cols is None or arr.shape[1] == cols):
        pass  # the common case: the checks below would pass
    elif ndim == 2:
        check_2d(arr, name, where, cols, col_letter)
    else:
        if arr.ndim < ndim:
            raise ValueError(
                f"{where}: expected {name} with at least {ndim} dimensions (N, ...), got shape {arr.shape}"
            )
        check_batch(arr, name, where)
    if finite:
        check_finite(arr, name, where)
    return arr


def check_same_shape(a, b, name_a, name_b, where):
    if a.shape != b.shape:
        raise ValueError(f"{where}: expected {name_b} of the same shape as {name_a} {a.shape}, got {b.shape}")


def gradient_like(dout, out_shape, where, name="dout"):
    """The upstream gradient of an output of shape `out_shape`: numeric, the same shape, finite."""
    if type(dout) is np.ndarray and dout.dtype.type in _FLOATS and dout.shape == out_shape:
        check_finite(dout, name, where)
        return dout  # the common case
    dout = as_float_array(dout, name, where)
    if dout.shape != tuple(out_shape):
        raise ValueError(f"{where}: expected {name} of the output's shape {tuple(out_shape)}, got {dout.shape}")
    check_finite(dout, name, where)
    return dout


def check_labels(y, n_samples, n_classes, where):
    """Sparse labels (N,) of integers in [0, C), or one-hot (N, C). Returns an int array or a float one-hot."""
    if type(y) is not np.ndarray:
        try:
            y = np.asarray(y)
        except Exception as exc:
            raise TypeError(f"{where}: expected labels y as an array, got {type(y).__name__} ({exc})") from None
    if y.ndim == 2 and y.shape[1] == 1 and n_classes != 1:
        raise ValueError(
            f"{where}: expected labels y of shape (N,) = ({n_samples},), got {y.shape}; use y.ravel()"
        )
    if y.ndim == 2:
        if y.shape != (n_samples, n_classes):
            raise ValueError(
                f"{where}: expected one-hot labels of shape (N, C) = ({n_samples}, {n_classes}), got {y.shape}"
            )
        y = as_float_array(y, "the one-hot labels", where)
        check_finite(y, "the one-hot labels", where)
        check_distribution_rows(y, "the one-hot labels", where)
        return y
    if y.ndim != 1:
        raise ValueError(f"{where}: expected labels y of shape (N,) = ({n_samples},), got {y.shape}")
    if len(y) != n_samples:
        raise ValueError(f"{where}: expected {n_samples} labels to match {n_samples} samples, got {len(y)}")
    if y.dtype.kind not in "iu":  # integers, signed or not
        raise TypeError(
            f"{where}: expected integer class labels 0..{n_classes - 1}, got dtype {y.dtype}; "
            "if they are whole numbers use y.astype(int)"
        )
    if len(y) and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"{where}: expected labels in 0..{n_classes - 1} for {n_classes} classes, "
            f"got values from {int(y.min())} to {int(y.max())}"
        )
    return y


def check_distribution_rows(p, name, where, tol=None):
    """Require rows of a (N, C) array to be probability distributions: entries in [0, 1], each row summing to 1.

    Soft labels (0.9, 0.1, 0) pass; a multi-hot row (1, 1, 0) or an all-zero row does not,
    since the loss and its gradient would no longer belong together.
    """
    if tol is None:
        tol = 1e-3 if p.dtype == np.float32 else 1e-6
    low, high = p.min(), p.max()
    if not (0 <= low and high <= 1):
        raise ValueError(
            f"{where}: expected {name} with entries in [0, 1], got values from {low:.4g} to {high:.4g}"
        )
    sums = p.sum(axis=1)
    off = np.abs(sums - 1) > tol
    if off.any():
        row = int(np.argmax(off))
        raise ValueError(
            f"{where}: expected each row of {name} to sum to 1 (one-hot or a probability distribution), "
            f"got row {row} summing to {sums[row]:.4g}"
        )


def float_dtype(dtype, where):
    """np.float32 or np.float64 (or their names) -> that np.dtype; an error for ints, bools and the rest."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{where}: expected dtype np.float32 or np.float64, got {dtype!r}; "
                        "weights and gradients need floating point")
    return dt


def positive_int(value, name, where):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: expected {name} as a positive integer, got {value!r}")
    return int(value)


def real_number(value, name, where, low=None, high=None, low_open=False, high_open=False):
    """A finite real number within [low, high] (open ends where asked); returns it as a float."""
    inside = (low is None or value > low) and (high is None or value < high) if type(value) is float else False
    if inside and math.isfinite(value):
        return value  # the common case, answered without the checks below
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{where}: expected {name} as a finite number, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        span = f"{left}{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}{right}"
        raise ValueError(f"{where}: expected {name} in {span}, got {value!r}")
    return float(value)
