"""Activations: pure forward/backward functions and thin classes.

Every `*_forward(x)` returns `(out, cache)`, every `*_backward(dout, cache)` returns `dx`
of the same shape as `x`. Backward passes never modify `dout` or the cache.
"""

import numpy as np

from ._validate import as_float_array, check_2d, check_finite


def relu_forward(x):
    """x: (N, H) -> out: (N, H), cache."""
    out = np.maximum(x, 0)
    return out, out


def relu_backward(dout, cache):
    """dout: (N, H) -> dx: (N, H). The derivative is 1 where x > 0 and 0 elsewhere (0 at x = 0)."""
    return dout * (cache > 0)


def leaky_relu_forward(x, alpha=0.01):
    """x: (N, H) -> out: (N, H), cache."""
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    """dout: (N, H) -> dx: (N, H)."""
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)


def sigmoid(x):
    """Numerically stable logistic function: no overflow for large |x|."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_forward(x):
    """x: (N, H) -> out: (N, H), cache."""
    out = sigmoid(x)
    return out, out


def sigmoid_backward(dout, cache):
    """dout: (N, H) -> dx: (N, H), using sigma' = sigma (1 - sigma)."""
    return dout * cache * (1 - cache)


def tanh_forward(x):
    """x: (N, H) -> out: (N, H), cache."""
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    """dout: (N, H) -> dx: (N, H), using tanh' = 1 - tanh^2."""
    return dout * (1 - cache * cache)


def row_max(x):
    """x: (N, C) -> (N, 1), the largest entry of each row (NaN if the row has one).

    Same result as x.max(axis=1, keepdims=True), but for a few classes it runs a column at a
    time: NumPy's reduction along a short last axis is 5 to 25 times slower than C - 1
    vectorised passes of np.maximum down the batch.
    """
    if x.shape[1] > 24 or x.shape[0] == 0:
        return x.max(axis=1, keepdims=True)
    m = x[:, :1].copy()  # (N, 1)
    col = m[:, 0]
    for j in range(1, x.shape[1]):
        np.maximum(col, x[:, j], out=col)
    return m


def softmax(logits):
    """logits: (N, C) -> probs: (N, C). Subtracting the row max first keeps exp from overflowing."""
    e = np.exp(logits - row_max(logits))
    e /= e.sum(axis=1, keepdims=True)
    return e


def softmax_forward(logits):
    """logits: (N, C) -> probs: (N, C), cache."""
    probs = softmax(logits)
    return probs, probs


def softmax_backward(dout, cache):
    """dout: (N, C) -> dlogits: (N, C), the closed-form vector-Jacobian product s * (g - sum(g * s))."""
    probs = cache
    return probs * (dout - (dout * probs).sum(axis=1, keepdims=True))


def softmax_jacobian(s):
    """s: (C,) one row of probabilities -> J: (C, C) with J[i, j] = ds_i / dz_j = s_i (delta_ij - s_j)."""
    s = np.asarray(s)
    if s.ndim != 1:
        raise ValueError(f"softmax_jacobian: expected one sample's probabilities of shape (C,), got {s.shape}")
    return np.diag(s) - np.outer(s, s)


def softmax_jacobian_batched(probs):
    """probs: (N, C) -> J: (N, C, C), every sample's Jacobian at once with einsum."""
    C = probs.shape[1]
    return np.einsum("ni,ij->nij", probs, np.eye(C, dtype=probs.dtype)) - np.einsum("ni,nj->nij", probs, probs)


def softmax_backward_einsum(dout, probs):
    """dout, probs: (N, C) -> dlogits: (N, C), multiplying each sample's full Jacobian by its dout."""
    return np.einsum("nij,nj->ni", softmax_jacobian_batched(probs), dout)


def softmax_backward_loop(dout, probs):
    """dout, probs: (N, C) -> dlogits: (N, C), one Jacobian per sample in a Python loop.

    For teaching and benchmarks only: it is the slow form the other two are measured against.
    """
    dx = np.empty_like(dout)
    for n in range(probs.shape[0]):
        dx[n] = softmax_jacobian(probs[n]) @ dout[n]
    return dx


class Activation:
    """Base class: `forward(x) -> out`, `backward(dout) -> dx`; no parameters."""

    name = "activation"
    params = {}
    grads = {}

    def __init__(self):
        self.cache = None

    def __repr__(self):
        return f"{type(self).__name__}()"

    def forward(self, x):
        """x: (N, H) -> out: (N, H)."""
        where = f"{self}.forward"
        x = check_2d(as_float_array(x, "x", where), "x", where, col_letter="H")
        check_finite(x, "x", where)
        return self._forward(x)

    def backward(self, dout):
        """dout: (N, H) -> dx: (N, H)."""
        where = f"{self}.backward"
        if self.cache is None:
            raise RuntimeError(f"{where}: call forward before backward")
        dout = as_float_array(dout, "dout", where)
        shape = self._out_shape()
        if dout.shape != shape:
            raise ValueError(f"{where}: expected dout of the output's shape {shape}, got {dout.shape}")
        return self._backward(dout)

    def _out_shape(self):
        return self.cache.shape

    def _forward(self, x):
        out, self.cache = self.fn_forward(x)
        return out

    def _backward(self, dout):
        return self.fn_backward(dout, self.cache)


class ReLU(Activation):
    name = "relu"
    fn_forward = staticmethod(relu_forward)
    fn_backward = staticmethod(relu_backward)
    # Set by `Sequential` when this layer sits between two Dense layers: then its input and
    # its upstream gradient are fresh arrays nobody else holds, and overwriting them saves a
    # pass over memory each way. A ReLU used on its own never touches its arguments.
    overwrite = False

    def _forward(self, x):
        if not self.overwrite:
            return super()._forward(x)
        self.cache = np.maximum(x, 0, out=x)
        return x

    def _backward(self, dout):
        if not self.overwrite:
            return super()._backward(dout)
        return np.multiply(dout, self.cache > 0, out=dout)


class Sigmoid(Activation):
    name = "sigmoid"
    fn_forward = staticmethod(sigmoid_forward)
    fn_backward = staticmethod(sigmoid_backward)


class Tanh(Activation):
    name = "tanh"
    fn_forward = staticmethod(tanh_forward)
    fn_backward = staticmethod(tanh_backward)


class Softmax(Activation):
    """Softmax as a layer. For classification prefer `SoftmaxCrossEntropy`, which fuses it with the loss."""

    name = "softmax"
    fn_forward = staticmethod(softmax_forward)
    fn_backward = staticmethod(softmax_backward)


class LeakyReLU(Activation):
    name = "leaky_relu"

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = float(alpha)

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"

    def _out_shape(self):
        return self.cache[0].shape

    def _forward(self, x):
        out, self.cache = leaky_relu_forward(x, self.alpha)
        return out

    fn_backward = staticmethod(leaky_relu_backward)


ACTIVATIONS = {cls.name: cls for cls in (ReLU, Sigmoid, Tanh, LeakyReLU, Softmax)}


def get_activation(name):
    """'relu', 'sigmoid', 'tanh', 'leaky_relu' or 'softmax' -> a new activation object."""
    if isinstance(name, Activation):
        return name
    if name not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()
