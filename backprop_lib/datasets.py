"""Data sets, each seeded through its `rng` argument, never through NumPy's global state.

`rng` may be a seed, a `np.random.Generator`, or a `np.random.RandomState`; the last one
replays the stream of books that call `np.random.seed(0)`.
"""

from collections import namedtuple

import numpy as np

from ._random import as_rng
from ._validate import as_float_array, check_2d, check_finite, real_number

SPIRAL_KINDS = {"nnfs": 2.5, "cs231n": 1.0}  # angle multiplier: sin(2.5 t) in the nnfs book, sin(t) in CS231n


def _check_counts(where, **counts):
    for name, n in counts.items():
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{where}: expected {name} as a positive integer, got {n!r}")


def spiral(n_per_class=100, n_classes=3, kind="nnfs", rng=0, noise=0.2, dtype=np.float64):
    """Interleaved spiral arms -> X: (N, 2), y: (N,) with N = n_per_class * n_classes.

    kind "nnfs" turns sin(2.5 t) (the nnfs book), kind "cs231n" sin(t) (the CS231n case study).
    """
    _check_counts("spiral", n_per_class=n_per_class, n_classes=n_classes)
    noise = real_number(noise, "noise", "spiral", low=0)
    if kind not in SPIRAL_KINDS:
        raise ValueError(f"spiral: expected kind in {sorted(SPIRAL_KINDS)}, got {kind!r}")
    # One draw of n_per_class normals per class, in class order: the books' stream, in one call.
    jitter = as_rng(rng, "spiral").standard_normal((n_classes, n_per_class)).astype(dtype) * noise  # (C, n)
    r = np.linspace(0.0, 1, n_per_class)  # (n,)
    start = 4.0 * np.arange(n_classes)
    t = np.linspace(start, start + 4, n_per_class, axis=1) + jitter  # (C, n)
    a = SPIRAL_KINDS[kind] * t
    X = np.stack([r * np.sin(a), r * np.cos(a)], axis=-1).reshape(-1, 2).astype(dtype)
    y = np.repeat(np.arange(n_classes), n_per_class)
    return X, y


def vertical(n_per_class=100, n_classes=3, rng=0, dtype=np.float64):
    """Vertical blobs (the nnfs book's easy data) -> X: (N, 2), y: (N,)."""
    _check_counts("vertical", n_per_class=n_per_class, n_classes=n_classes)
    z = as_rng(rng, "vertical").standard_normal((n_classes, 2, n_per_class)).astype(dtype) * 0.1  # (C, 2, n)
    centre = np.stack([np.arange(n_classes) / 3, np.full(n_classes, 0.5)], axis=1)[:, :, None]  # (C, 2, 1)
    X = (z + centre).transpose(0, 2, 1).reshape(-1, 2).astype(dtype)
    return X, np.repeat(np.arange(n_classes), n_per_class)


def sine(n=1000, dtype=np.float64):
    """The nnfs book's regression data: x in [0, 1) on a grid -> X: (n, 1), y = sin(2 pi x): (n, 1)."""
    _check_counts("sine", n=n)
    X = (np.arange(n) / n).reshape(-1, 1).astype(dtype)
    return X, np.sin(2 * np.pi * X)


def sine_regression(n=100, amplitude=20.0, noise=0.0, rng=0, dtype=np.float64):
    """x in [0, 1) on a grid of n points -> X: (n, 1), y = amplitude * sin(2 pi x) (+ noise): (n, 1)."""
    _check_counts("sine_regression", n=n)
    amplitude = real_number(amplitude, "amplitude", "sine_regression")
    noise = real_number(noise, "noise", "sine_regression", low=0)
    X = (np.arange(n) / n).reshape(-1, 1).astype(dtype)
    y = amplitude * np.sin(2 * np.pi * X)
    if noise:
        y = y + noise * as_rng(rng, "sine_regression").standard_normal(y.shape).astype(dtype)
    return X, y


Iris = namedtuple("Iris", "X y feature_names class_names")


def iris():
    """Fisher's iris, shipped with the package -> Iris(X: (150, 4), y: (150,), feature_names, class_names)."""
    from importlib import resources  # here, not at the top: it costs more to import than the file takes to read

    text = resources.files("backprop_lib").joinpath("data/iris.csv").read_text(encoding="utf-8")
    header, *rows = text.strip().splitlines()
    cells = [row.split(",") for row in rows]
    class_names = ("setosa", "versicolor", "virginica")
    X = np.array([[float(v) for v in c[:4]] for c in cells])
    y = np.array([class_names.index(c[4]) for c in cells])
    return Iris(X, y, tuple(header.split(",")[:4]), class_names)


Digits = namedtuple("Digits", "X y")


def digits():
    """The 8x8 handwritten digits, shipped with the package -> Digits(X: (1797, 1, 8, 8), y: (1797,)).

    X holds images as (N, C, H, W) with one grey channel, the 16 grey levels scaled to [0, 1]
    (float64); y holds the digit 0..9 (int64). The data is the UCI optical digits test set as
    scikit-learn ships it (BSD-3; see data/DIGITS-LICENSE.txt).
    """
    import gzip
    import io
    from importlib import resources

    where = "digits"
    raw = resources.files("backprop_lib").joinpath("data/digits.csv.gz").read_bytes()
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",", dtype=np.int64, ndmin=2)  # (N, 65)
    if table.shape != (1797, 65):
        raise ValueError(f"{where}: expected 1797 rows of 64 pixels and a label, got a table of shape {table.shape}")
    pixels, y = table[:, :64], table[:, 64]
    if pixels.min() < 0 or pixels.max() > 16 or y.min() < 0 or y.max() > 9:
        raise ValueError(f"{where}: expected pixels in 0..16 and labels in 0..9; the data file is damaged")
    X = (pixels / 16.0).reshape(-1, 1, 8, 8)  # (N, 1, 8, 8)
    return Digits(X, y)


def train_test_split(X, y, test_fraction=0.2, rng=0):
    """X: (N, ...), y: (N, ...) -> X_train, X_test, y_train, y_test: a disjoint split by a seeded permutation.

    Lists are accepted and converted with np.asarray, so the parts come back as arrays.
    """
    where = "train_test_split"
    test_fraction = real_number(test_fraction, "test_fraction", where, low=0, high=1, low_open=True, high_open=True)
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"{where}: expected X and y with one entry per sample, got shapes {X.shape} and {y.shape}")
    N = len(X)
    if len(y) != N:
        raise ValueError(f"train_test_split: expected as many labels as samples ({N}), got {len(y)}")
    n_test = int(round(test_fraction * N))
    if not 0 < n_test < N:
        raise ValueError(f"train_test_split: {test_fraction} of {N} samples leaves one part empty")
    order = as_rng(rng, where).permutation(N)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


class Standardizer:
    """Per-feature standardisation: fit the mean and std on the training split only, then apply anywhere."""

    def fit(self, X):
        X = check_2d(as_float_array(X, "X", "Standardizer.fit"), "X", "Standardizer.fit")
        check_finite(X, "X", "Standardizer.fit")
        self.mean = X.mean(axis=0)  # (D,)
        self.std = X.std(axis=0)  # (D,)
        self.std[self.std == 0] = 1.0  # a constant feature stays 0 instead of becoming NaN
        return self

    def transform(self, X):
        if not hasattr(self, "mean"):
            raise RuntimeError("Standardizer.transform: call fit on the training data first")
        where = "Standardizer.transform"
        X = check_2d(as_float_array(X, "X", where), "X", where, cols=len(self.mean))
        check_finite(X, "X", where)
        return (X - self.mean) / self.std

    def fit_transform(self, X):
        return self.fit(X).transform(X)
