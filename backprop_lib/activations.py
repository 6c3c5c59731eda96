"""Activations: pure forward/backward functions and thin classes.

Every `*_forward(x)` returns `(out, cache)`, every `*_backward(dout, cache)` returns `dx`
of the same shape as `x`. Backward passes never modify `dout` or the cache. Where the cache is
the output (ReLU, sigmoid, tanh, softmax), it is a copy of `out`: editing what forward returned
in place never changes the next gradient.
"""

import numpy as np

from ._validate import as_float_array, check_finite, float_input, gradient_like, real_number


def _cached_output(dout, cache, where):
    cache = as_float_array(cache, "cache", where)
    check_finite(cache, "cache", where)
    return gradient_like(dout, cache.shape, where), cache


def relu_forward(x):
    """x: (N, H) -> out: (N, H), cache = a copy of out."""
    x = float_input(x, "x", "relu_forward", ndim=1)
    out = np.maximum(x, 0)
    return out, out.copy()  # the cache is not the array the caller may edit


def relu_backward(dout, cache):
    """dout: (N, H), cache = out -> dx: (N, H). The derivative is 1 where x > 0 and 0 elsewhere (0 at x = 0)."""
    dout, out = _cached_output(dout, cache, "relu_backward")
    return dout * (out > 0)


def leaky_relu_forward(x, alpha=0.01):
    """x: (N, H) -> out: (N, H), cache = (x, alpha)."""
    x = float_input(x, "x", "leaky_relu_forward", ndim=1)
    alpha = real_number(alpha, "alpha", "leaky_relu_forward", low=0, high=1, high_open=True)
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    """dout: (N, H), cache = (x, alpha) -> dx: (N, H)."""
    x, alpha = cache
    x = as_float_array(x, "the cached x", "leaky_relu_backward")
    check_finite(x, "the cached x", "leaky_relu_backward")
    dout = gradient_like(dout, x.shape, "leaky_relu_backward")
    return np.where(x > 0, dout, alpha * dout)


def sigmoid(x):
    """x: any shape -> the logistic function 1 / (1 + exp(-x)), without overflow for large |x|."""
    x = as_float_array(x, "x", "sigmoid")
    check_finite(x, "x", "sigmoid")
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_forward(x):
    """x: (N, H) -> out: (N, H), cache = a copy of out."""
    out = sigmoid(float_input(x, "x", "sigmoid_forward", ndim=1))
    return out, out.copy()


def sigmoid_backward(dout, cache):
    """dout: (N, H), cache = out -> dx: (N, H), using sigma' = sigma (1 - sigma)."""
    dout, out = _cached_output(dout, cache, "sigmoid_backward")
    return dout * out * (1 - out)


def tanh_forward(x):
    """x: (N, H) -> out: (N, H), cache = a copy of out."""
    out = np.tanh(float_input(x, "x", "tanh_forward", ndim=1))
    return out, out.copy()


def tanh_backward(dout, cache):
    """dout: (N, H), cache = out -> dx: (N, H), using tanh' = 1 - tanh^2."""
    dout, out = _cached_output(dout, cache, "tanh_backward")
    return dout * (1 - out**2)


def softmax(logits):
    """logits: (N, C) -> probs: (N, C). Subtracting the row max first keeps exp from overflowing."""
    logits = float_input(logits, "logits", "softmax", col_letter="C")
    e = np.exp(logits - logits.max(axis=1, keepdims=True))  # (N, C), every entry in (0, 1]
    return e / e.sum(axis=1, keepdims=True)


def softmax_forward(logits):
    """logits: (N, C) -> probs: (N, C), cache = a copy of probs."""
    probs = softmax(logits)
    return probs, probs.copy()


def softmax_backward(dout, cache):
    """dout: (N, C), cache = probs -> dlogits: (N, C), the closed-form vector-Jacobian product s * (g - sum(g * s))."""
    dout, probs = _cached_output(dout, cache, "softmax_backward")
    return probs * (dout - (dout * probs).sum(axis=1, keepdims=True))


def softmax_jacobian(s):
    """s: (C,) one row of probabilities -> J: (C, C) with J[i, j] = ds_i / dz_j = s_i (delta_ij - s_j)."""
    s = as_float_array(s, "s", "softmax_jacobian")
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"softmax_jacobian: expected one sample's probabilities of shape (C,), got {s.shape}")
    check_finite(s, "s", "softmax_jacobian")
    return np.diag(s) - np.outer(s, s)


def softmax_jacobian_batched(probs):
    """probs: (N, C) -> J: (N, C, C), every sample's Jacobian at once with einsum."""
    probs = float_input(probs, "probs", "softmax_jacobian_batched", col_letter="C")
    C = probs.shape[1]
    return np.einsum("ni,ij->nij", probs, np.eye(C, dtype=probs.dtype)) - np.einsum("ni,nj->nij", probs, probs)


def softmax_backward_einsum(dout, probs):
    """dout, probs: (N, C) -> dlogits: (N, C), multiplying each sample's full Jacobian by its dout."""
    dout = gradient_like(dout, np.shape(probs), "softmax_backward_einsum")
    return np.einsum("nij,nj->ni", softmax_jacobian_batched(probs), dout)


def softmax_backward_loop(dout, probs):
    """dout, probs: (N, C) -> dlogits: (N, C), one Jacobian per sample in a Python loop.

    For teaching and benchmarks only: it is the slow form the other two are measured against.
    """
    probs = float_input(probs, "probs", "softmax_backward_loop", col_letter="C")
    dout = gradient_like(dout, probs.shape, "softmax_backward_loop")
    dx = np.empty_like(dout)
    for n in range(probs.shape[0]):
        dx[n] = softmax_jacobian(probs[n]) @ dout[n]
    return dx


class Activation:
    """Base class: `forward(x) -> out`, `backward(dout) -> dx`; no parameters."""

    name = "activation"
    training = True  # no different behaviour in evaluation; Sequential sets it on every layer

    def __init__(self):
        self.params, self.grads = {}, {}
        self.cache = None

    def __repr__(self):
        return f"{type(self).__name__}()"

    def forward(self, x):
        """x: (N, H) -> out: (N, H)."""
        out, self.cache = self.fn_forward(x)
        return out

    def backward(self, dout):
        """dout: (N, H) -> dx: (N, H)."""
        if self.cache is None:
            raise RuntimeError(f"{self}.backward: call forward before backward")
        return self.fn_backward(dout, self.cache)


class ReLU(Activation):
    name = "relu"
    fn_forward = staticmethod(relu_forward)
    fn_backward = staticmethod(relu_backward)


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
    fn_backward = staticmethod(leaky_relu_backward)

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = real_number(alpha, "alpha", "LeakyReLU", low=0, high=1, high_open=True)

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"

    def fn_forward(self, x):
        return leaky_relu_forward(x, self.alpha)


ACTIVATIONS = {cls.name: cls for cls in (ReLU, Sigmoid, Tanh, LeakyReLU, Softmax)}


def get_activation(name, where="get_activation"):
    """'relu', 'sigmoid', 'tanh', 'leaky_relu' or 'softmax' -> a new activation object."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"{where}: activation: expected one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()
