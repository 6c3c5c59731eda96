"""The dense (fully connected) layer: pure forward/backward functions and a `Dense` class."""

import numpy as np

from ._random import as_rng
from ._validate import as_float_array, check_finite, float_dtype, float_input, gradient_like, positive_int

INITS = ("nnfs", "lecun", "glorot", "he")
# "xavier" names Glorot's scheme in PyTorch (xavier_normal_) and Keras (glorot_normal), and Var(w) = 1/D
# in some texts: the library asks which one was meant instead of guessing.
XAVIER = ("'xavier' is ambiguous: PyTorch's xavier_normal_ and Keras's glorot_normal mean 'glorot', "
          "Var(w) = 2 / (D + H); for Var(w) = 1 / D use 'lecun'")


def check_init(init, choices, where):
    """Raise a ValueError naming `where` unless `init` is one of `choices`."""
    if init not in choices:
        also = f" ({XAVIER})" if init == "xavier" else ""
        raise ValueError(f"{where}: expected init as one of {tuple(choices)}, got {init!r}{also}")


def dense_forward(X, W, b):
    """X: (N, D), W: (D, H), b: (H,) -> out: (N, H), cache = (X, W)."""
    where = "dense_forward"
    W = as_float_array(W, "W", where)
    if W.ndim != 2:
        raise ValueError(f"{where}: expected W of shape (D, H) (2-D), got shape {W.shape}")
    b = as_float_array(b, "b", where)
    if b.shape != (W.shape[1],):
        raise ValueError(f"{where}: expected b of shape (H,) = ({W.shape[1]},) to match W {W.shape}, got {b.shape}")
    check_finite(W, "W", where)
    check_finite(b, "b", where)
    X = float_input(X, "X", where, cols=W.shape[0])
    out = X @ W  # (N, H)
    out += b  # broadcast over the N rows
    return out, (X, W)


def dense_backward(dout, cache, input_grad=True):
    """dout: (N, H), cache = (X, W) -> dX: (N, D) (None if not input_grad), dW: (D, H), db: (H,)."""
    X, W = cache
    dout = gradient_like(dout, (X.shape[0], W.shape[1]), "dense_backward")
    dW = X.T @ dout  # (D, H)
    db = dout.sum(axis=0)  # (H,)
    dX = dout @ W.T if input_grad else None  # (N, D)
    return dX, dW, db


def init_weights(n_inputs, n_outputs, init="nnfs", rng=None, dtype=np.float64, where="init_weights"):
    """Initial W: (D, H) drawn from `rng`.

    "nnfs": 0.01 * standard normal, as in the nnfs book and CS231n;
    "lecun": standard normal * sqrt(1 / D); "glorot": standard normal * sqrt(2 / (D + H));
    "he": standard normal * sqrt(2 / D).
    """
    n_inputs = positive_int(n_inputs, "n_inputs", where)
    n_outputs = positive_int(n_outputs, "n_outputs", where)
    check_init(init, INITS, where)
    dtype = float_dtype(dtype, where)
    scale = {"nnfs": 0.01, "lecun": (1.0 / n_inputs) ** 0.5, "glorot": (2.0 / (n_inputs + n_outputs)) ** 0.5,
             "he": (2.0 / n_inputs) ** 0.5}[init]
    draw = as_rng(rng, where).standard_normal((n_inputs, n_outputs))
    # Cast the draws before scaling (a Python float keeps the dtype), as the nnfs book does,
    # so its numbers come out to the last digit.
    return scale * draw.astype(dtype)


class Dense:
    """A fully connected layer: out = X @ W + b, with W: (D, H) and b: (H,).

    `rng` is a seed, a `np.random.Generator` or a legacy `np.random.RandomState`
    (the latter reproduces books that seed NumPy's global state).
    """

    training = True  # no different behaviour in evaluation; Sequential sets it on every layer

    def __init__(self, n_inputs, n_outputs, init="nnfs", rng=None, dtype=np.float64, W=None, b=None):
        self.n_inputs = positive_int(n_inputs, "n_inputs", "Dense")
        self.n_outputs = positive_int(n_outputs, "n_outputs", "Dense")
        where = f"{self}"
        self.dtype = float_dtype(dtype, where)
        if W is None:
            W = init_weights(self.n_inputs, self.n_outputs, init, rng, self.dtype, where)
        else:
            W = as_float_array(W, "W", where, self.dtype).copy()
            if W.shape != (self.n_inputs, self.n_outputs):
                raise ValueError(f"{where}: expected W of shape {(self.n_inputs, self.n_outputs)}, got {W.shape}")
            check_finite(W, "W", where)
        if b is None:
            b = np.zeros(self.n_outputs, dtype=self.dtype)
        else:
            b = as_float_array(b, "b", where, self.dtype).reshape(-1).copy()
            if b.shape != (self.n_outputs,):
                raise ValueError(f"{where}: expected b of shape ({self.n_outputs},), got {b.shape}")
            check_finite(b, "b", where)
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
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
        if getattr(X, "dtype", None) != self.dtype:  # compute in the layer's own dtype
            X = as_float_array(X, "X", f"{self}.forward", self.dtype)
        out, self.cache = dense_forward(X, self.W, self.b)
        return out

    def backward(self, dout, input_grad=True):
        """dout: (N, H) -> dX: (N, D), or None with input_grad=False; stores dW, db in `self.grads`."""
        if self.cache is None:
            raise RuntimeError(f"{self}.backward: call forward before backward")
        dX, self.grads["W"], self.grads["b"] = dense_backward(dout, self.cache, input_grad)
        return dX
