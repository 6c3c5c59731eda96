"""The dense (fully connected) layer: pure forward/backward functions and a `Dense` class."""

import numpy as np

from ._validate import as_float_array, check_2d, check_finite
from ._random import as_rng

INITS = ("nnfs", "xavier", "he")


def dense_forward(X, W, b):
    """X: (N, D), W: (D, H), b: (H,) -> out: (N, H), cache."""
    out = X @ W  # (N, H)
    out += b
    return out, (X, W)


def dense_backward(dout, cache, input_grad=True):
    """dout: (N, H) -> dX: (N, D) (None if not input_grad), dW: (D, H), db: (H,)."""
    X, W = cache
    dW = X.T @ dout  # (D, H)
    db = np.ones(len(dout), dtype=dout.dtype) @ dout  # (H,): dout.sum(axis=0) as one BLAS call, 2-6x faster
    dX = dout @ W.T if input_grad else None  # (N, D)
    return dX, dW, db


def init_weights(n_inputs, n_outputs, init="nnfs", rng=None, dtype=np.float64):
    """Initial W: (D, H) drawn from `rng`.

    "nnfs": 0.01 * standard normal, as in the nnfs book and CS231n;
    "xavier": standard normal * sqrt(1 / D); "he": standard normal * sqrt(2 / D).
    """
    if init not in INITS:
        raise ValueError(f"init: expected one of {INITS}, got {init!r}")
    scale = {"nnfs": 0.01, "xavier": (1.0 / n_inputs) ** 0.5, "he": (2.0 / n_inputs) ** 0.5}[init]
    draw = as_rng(rng).standard_normal((n_inputs, n_outputs))
    # Cast the draws before scaling (a Python float keeps the dtype), as the nnfs book does,
    # so its numbers come out to the last digit.
    return scale * draw.astype(dtype)


class Dense:
    """A fully connected layer: out = X @ W + b, with W: (D, H) and b: (H,).

    `rng` is a seed, a `np.random.Generator` or a legacy `np.random.RandomState`
    (the latter reproduces books that seed NumPy's global state).
    """

    def __init__(self, n_inputs, n_outputs, init="nnfs", rng=None, dtype=np.float64, W=None, b=None):
        for name, n in (("n_inputs", n_inputs), ("n_outputs", n_outputs)):
            if not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"Dense: expected {name} as a positive integer, got {n!r}")
        self.n_inputs, self.n_outputs = int(n_inputs), int(n_outputs)
        self.dtype = np.dtype(dtype)
        where = f"{self}"
        if W is None:
            W = init_weights(self.n_inputs, self.n_outputs, init, rng, self.dtype)
        else:
            W = as_float_array(W, "W", where, self.dtype).copy()
            if W.shape != (self.n_inputs, self.n_outputs):
                raise ValueError(f"{where}: expected W of shape {(self.n_inputs, self.n_outputs)}, got {W.shape}")
        if b is None:
            b = np.zeros(self.n_outputs, dtype=self.dtype)
        else:
            b = as_float_array(b, "b", where, self.dtype).reshape(-1).copy()
            if b.shape != (self.n_outputs,):
                raise ValueError(f"{where}: expected b of shape ({self.n_outputs},), got {b.shape}")
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
        # The model switches this off for its first layer: nobody needs dL/dX of the data.
        self.input_grad = True
        self.cache = None

    def __repr__(self):
        return f"Dense({self.n_inputs}, {self.n_outputs})"

    @property
    def W(self):
        return self.params["W"]

    @property
    def b(self):
        return self.params["b"]

    def forward(self, X):
        """X: (N, D) -> out: (N, H)."""
        where = f"{self}.forward"
        X = check_2d(as_float_array(X, "X", where), "X", where, cols=self.n_inputs)
        check_finite(X, "X", where)
        return self._forward(X)

    def _forward(self, X):
        if X.dtype != self.dtype:
            X = X.astype(self.dtype)
        out, self.cache = dense_forward(X, self.params["W"], self.params["b"])
        return out

    def backward(self, dout):
        """dout: (N, H) -> dX: (N, D); stores dW, db in `self.grads`."""
        where = f"{self}.backward"
        if self.cache is None:
            raise RuntimeError(f"{where}: call forward before backward")
        dout = as_float_array(dout, "dout", where)
        n = self.cache[0].shape[0]
        if dout.shape != (n, self.n_outputs):
            raise ValueError(f"{where}: expected dout of shape (N, H) = {(n, self.n_outputs)}, got {dout.shape}")
        return self._backward(dout)

    def _backward(self, dout):
        dX, self.grads["W"], self.grads["b"] = dense_backward(dout, self.cache, self.input_grad)
        return dX
