"""Convolution and max-pooling: slow loops to read, `im2col` forms to use, and thin classes.

Shapes (images are channels-first):

    N   images in a batch          C   input channels       H, W  input height and width
    F   filters (output channels)  KH, KW  kernel height and width
    OH, OW  output height and width: OH = (H + 2 pad - KH) // stride + 1, OW likewise

x: (N, C, H, W), filters W: (F, C, KH, KW), bias b: (F,), out: (N, F, OH, OW). As in
every deep-learning library, "convolution" here is a cross-correlation: the kernel slides
over the image without being flipped (the flip turns up in the backward pass, for dx).

The `*_loop` functions are the slow teaching form: one window at a time, exactly the
formula. `conv2d_forward` / `conv2d_backward` do the same with `im2col`: every window laid
out as one row of a matrix, so the convolution is one matrix product, a Dense layer applied
to every window.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._random import as_rng
from ._validate import as_float_array, check_batch, check_finite, gradient_like
from .layers import INITS, check_init, init_weights


# -- checks -------------------------------------------------------------------------------------
def _check_images(x, name, where, channels=None):
    """A finite float array (N, C, H, W), with `channels` channels if given."""
    x = as_float_array(x, name, where)
    want = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
    if x.ndim != 4:
        hint = f"; for one grey image use {name}[None, None]" if x.ndim == 2 else ""
        raise ValueError(f"{where}: expected {name} of shape {want} (4-D), got shape {x.shape}{hint}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{where}: expected {name} of shape {want}, got {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{where}: expected at least one image in {name}, got an empty batch {x.shape}")
    check_finite(x, name, where)
    return x


def _check_int(value, name, where, low):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
        raise ValueError(f"{where}: expected {name} as an integer >= {low}, got {value!r}")
    return int(value)


def _output_size(size, kernel, stride, pad, what, where):
    """Output length along one axis; an error if the kernel does not fit or the stride does not divide."""
    span = size + 2 * pad - kernel
    padded = f"{size} + 2 * {pad}" if pad else f"{size}"
    if span < 0:
        raise ValueError(f"{where}: the {what} {kernel} is larger than the input ({padded})")
    if span % stride:
        fix = "change pad or stride" if what.startswith("kernel") else "choose a size and stride"
        raise ValueError(
            f"{where}: the windows do not tile the input: ({padded} - {kernel}) = {span} is not a "
            f"multiple of stride {stride}; {fix} so that it is"
        )
    return span // stride + 1


def _conv_shapes(x, W, b, stride, pad, where):
    x = _check_images(x, "x", where)
    W = as_float_array(W, "W", where)
    if W.ndim != 4 or W.shape[1] != x.shape[1]:
        raise ValueError(f"{where}: expected filters W of shape (F, {x.shape[1]}, KH, KW), got {W.shape}")
    check_finite(W, "W", where)
    b = as_float_array(b, "b", where)
    if b.shape != (W.shape[0],):
        raise ValueError(f"{where}: expected b of shape (F,) = ({W.shape[0]},), got {b.shape}")
    stride, pad = _check_int(stride, "stride", where, 1), _check_int(pad, "pad", where, 0)
    OH = _output_size(x.shape[2], W.shape[2], stride, pad, "kernel height", where)
    OW = _output_size(x.shape[3], W.shape[3], stride, pad, "kernel width", where)
    return x, W, b, stride, pad, OH, OW


def _pad(x, pad):
    """x: (N, C, H, W) -> (N, C, H + 2 pad, W + 2 pad), zeros around each image (a new array)."""
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


# -- convolution as loops: the slow teaching form ----------------------------------------------
def conv2d_forward_loop(x, W, b, stride=1, pad=0):
    """x: (N, C, H, W), W: (F, C, KH, KW), b: (F,) -> out: (N, F, OH, OW), cache.

    The slow reference: one output number at a time, the sum over one window times one filter.
    """
    x, W, b, stride, pad, OH, OW = _conv_shapes(x, W, b, stride, pad, "conv2d_forward_loop")
    N, F, (KH, KW) = x.shape[0], W.shape[0], W.shape[2:]
    xp = _pad(x, pad)  # (N, C, H + 2 pad, W + 2 pad)
    out = np.zeros((N, F, OH, OW))
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    window = xp[n, :, i * stride : i * stride + KH, j * stride : j * stride + KW]  # (C, KH, KW)
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out, (x, W, stride, pad)


def conv2d_backward_loop(dout, cache):
    """dout: (N, F, OH, OW) -> dx: (N, C, H, W), dW: (F, C, KH, KW), db: (F,).

    The slow reference: every output number sends dout[n, f, i, j] back to the window it read,
    weighted by the filter (for dx), and to the filter, weighted by the window (for dW).
    """
    x, W, stride, pad = cache
    N, F, (KH, KW) = x.shape[0], W.shape[0], W.shape[2:]
    OH, OW = (x.shape[2] + 2 * pad - KH) // stride + 1, (x.shape[3] + 2 * pad - KW) // stride + 1
    dout = gradient_like(dout, (N, F, OH, OW), "conv2d_backward_loop")
    xp = _pad(x, pad)
    dxp = np.zeros_like(xp)
    dW = np.zeros_like(W)
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    rows = slice(i * stride, i * stride + KH)
                    cols = slice(j * stride, j * stride + KW)
                    dW[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += dout[n, f, i, j] * W[f]
    db = dout.sum(axis=(0, 2, 3))  # (F,)
    dx = dxp[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]  # drop the padding
    return dx, dW, db


# -- im2col: every window a row, the convolution one matrix product ----------------------------
def im2col(x, KH, KW, stride=1, pad=0):
    """x: (N, C, H, W) -> cols: (N * OH * OW, C * KH * KW), one row per window.

    Rows run over (n, i, j) in that order, columns over (c, p, q), the order of W[f].ravel().
    No Python loop: `sliding_window_view` sees every window of the padded images at once.
    """
    where = "im2col"
    x = _check_images(x, "x", where)
    KH, KW = _check_int(KH, "KH", where, 1), _check_int(KW, "KW", where, 1)
    stride, pad = _check_int(stride, "stride", where, 1), _check_int(pad, "pad", where, 0)
    _output_size(x.shape[2], KH, stride, pad, "kernel height", where)
    _output_size(x.shape[3], KW, stride, pad, "kernel width", where)
    windows = sliding_window_view(_pad(x, pad), (KH, KW), axis=(2, 3))  # (N, C, H', W', KH, KW), a view
    windows = windows[:, :, ::stride, ::stride]  # (N, C, OH, OW, KH, KW)
    N, C, OH, OW = windows.shape[:4]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * KH * KW)  # a copy


def col2im(dcols, x_shape, KH, KW, stride=1, pad=0):
    """dcols: (N * OH * OW, C * KH * KW) -> dx: (N, C, H, W), the adjoint of `im2col`.

    Windows overlap, so one pixel collects from every window row it appears in: the gradient
    of a copy is a sum. One loop over the KH * KW kernel offsets (never over samples): offset
    (p, q) of every window lands on the strided grid of pixels p, p + stride, ... at once.
    """
    N, C, H, W = x_shape
    OH, OW = (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1
    dcols = as_float_array(dcols, "dcols", "col2im")
    if dcols.shape != (N * OH * OW, C * KH * KW):
        raise ValueError(f"col2im: expected dcols of shape {(N * OH * OW, C * KH * KW)}, got {dcols.shape}")
    check_finite(dcols, "dcols", "col2im")
    d = dcols.reshape(N, OH, OW, C, KH, KW).transpose(0, 3, 1, 2, 4, 5)  # (N, C, OH, OW, KH, KW)
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=dcols.dtype)
    for p in range(KH):
        for q in range(KW):
            dxp[:, :, p : p + stride * OH : stride, q : q + stride * OW : stride] += d[..., p, q]
    return dxp[:, :, pad : pad + H, pad : pad + W]


def conv2d_forward(x, W, b, stride=1, pad=0):
    """x: (N, C, H, W), W: (F, C, KH, KW), b: (F,) -> out: (N, F, OH, OW), cache.

    out = im2col(x) @ W_row.T + b: a Dense layer applied to every window.
    """
    x, W, b, stride, pad, OH, OW = _conv_shapes(x, W, b, stride, pad, "conv2d_forward")
    N, F, (KH, KW) = x.shape[0], W.shape[0], W.shape[2:]
    cols = im2col(x, KH, KW, stride, pad)  # (N * OH * OW, C * KH * KW)
    W_row = W.reshape(F, -1)  # (F, C * KH * KW), one filter a row
    out = cols @ W_row.T + b  # (N * OH * OW, F)
    out = out.reshape(N, OH, OW, F).transpose(0, 3, 1, 2)  # (N, F, OH, OW)
    return out, (x.shape, W, stride, pad, cols)


def conv2d_backward(dout, cache):
    """dout: (N, F, OH, OW) -> dx: (N, C, H, W), dW: (F, C, KH, KW), db: (F,).

    The Dense backward on the window matrix, then col2im to fold the window gradients back.
    """
    x_shape, W, stride, pad, cols = cache
    F, KH, KW = W.shape[0], W.shape[2], W.shape[3]
    N = x_shape[0]
    OH, OW = (x_shape[2] + 2 * pad - KH) // stride + 1, (x_shape[3] + 2 * pad - KW) // stride + 1
    dout = gradient_like(dout, (N, F, OH, OW), "conv2d_backward")
    dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, F)  # (N * OH * OW, F), rows like cols
    dW = (dout_rows.T @ cols).reshape(W.shape)  # (F, C, KH, KW)
    db = dout_rows.sum(axis=0)  # (F,)
    dcols = dout_rows @ W.reshape(F, -1)  # (N * OH * OW, C * KH * KW)
    dx = col2im(dcols, x_shape, KH, KW, stride, pad)  # (N, C, H, W)
    return dx, dW, db


# -- max-pooling ---------------------------------------------------------------------------------
def _pool_shapes(x, size, stride, where):
    x = _check_images(x, "x", where)
    size, stride = _check_int(size, "size", where, 1), _check_int(stride, "stride", where, 1)
    OH = _output_size(x.shape[2], size, stride, 0, "pool size", where)
    OW = _output_size(x.shape[3], size, stride, 0, "pool size", where)
    return x, size, stride, OH, OW


def maxpool_forward_loop(x, size=2, stride=2):
    """x: (N, C, H, W) -> out: (N, C, OH, OW), cache. The slow reference: one window at a time."""
    x, size, stride, OH, OW = _pool_shapes(x, size, stride, "maxpool_forward_loop")
    N, C = x.shape[:2]
    out = np.zeros((N, C, OH, OW))
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    out[n, c, i, j] = x[n, c, i * stride : i * stride + size, j * stride : j * stride + size].max()
    return out, (x, size, stride)


def maxpool_backward_loop(dout, cache):
    """dout: (N, C, OH, OW) -> dx: (N, C, H, W). The slow reference.

    Max routes the gradient: each window's dout goes to the one pixel that won the max (the
    first in reading order if several tie), every other pixel of the window gets nothing.
    """
    x, size, stride = cache
    N, C = x.shape[:2]
    OH, OW = (x.shape[2] - size) // stride + 1, (x.shape[3] - size) // stride + 1
    dout = gradient_like(dout, (N, C, OH, OW), "maxpool_backward_loop")
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = x[n, c, i * stride : i * stride + size, j * stride : j * stride + size]
                    p, q = np.unravel_index(np.argmax(window), window.shape)  # first max in reading order
                    dx[n, c, i * stride + p, j * stride + q] += dout[n, c, i, j]  # += : windows may overlap
    return dx


def maxpool_forward(x, size=2, stride=2):
    """x: (N, C, H, W) -> out: (N, C, OH, OW), cache (the input shape and where each max was)."""
    x, size, stride, _, _ = _pool_shapes(x, size, stride, "maxpool_forward")
    windows = sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]  # (N, C, OH, OW, s, s)
    windows = windows.reshape(*windows.shape[:4], size * size)  # (N, C, OH, OW, s * s)
    out = windows.max(axis=-1)  # (N, C, OH, OW)
    argmax = windows.argmax(axis=-1)  # (N, C, OH, OW): the winner's offset p * size + q, first on ties
    return out, (x.shape, argmax, size, stride)


def maxpool_backward(dout, cache):
    """dout: (N, C, OH, OW) -> dx: (N, C, H, W): each window's dout goes to its max only.

    Ties go to one position, the first maximum in reading order (as `argmax` picks it), so dx
    sums to dout.sum() exactly. One loop over the size * size window offsets, as in `col2im`.
    """
    x_shape, argmax, size, stride = cache
    dout = gradient_like(dout, argmax.shape, "maxpool_backward")
    OH, OW = argmax.shape[2:]
    dx = np.zeros(x_shape, dtype=dout.dtype)
    for k in range(size * size):
        p, q = divmod(k, size)
        dx[:, :, p : p + stride * OH : stride, q : q + stride * OW : stride] += dout * (argmax == k)
    return dx


# -- flatten ---------------------------------------------------------------------------------------
def flatten_forward(x):
    """x: (N, C, H, W) -> out: (N, C * H * W), cache. Each image becomes one row, in C, H, W order."""
    return _flatten(x, "flatten_forward")


def _flatten(x, where):
    x = as_float_array(x, "x", where)
    if x.ndim < 2:
        raise ValueError(f"{where}: expected x with a batch axis and at least one more, got {x.shape}")
    check_batch(x, "x", where)
    check_finite(x, "x", where)
    return x.reshape(x.shape[0], -1).copy(), x.shape  # a copy: editing out must not change the caller's x


def flatten_backward(dout, cache):
    """dout: (N, C * H * W) -> dx: (N, C, H, W): the same numbers, put back in their places."""
    x_shape = cache
    dout = gradient_like(dout, (x_shape[0], int(np.prod(x_shape[1:]))), "flatten_backward")
    return dout.reshape(x_shape).copy()  # a copy: editing dx must not change the caller's dout


# -- the layers ------------------------------------------------------------------------------------
def _pair(value, name, where):
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return _check_int(value[0], name, where, 1), _check_int(value[1], name, where, 1)
    k = _check_int(value, name, where, 1)
    return k, k


class _Layer:
    def __init__(self):
        self.params, self.grads = {}, {}
        self.cache = None
        self.training = True

    def _upstream(self, dout, where):
        """dout, checked against the last forward's output shape."""
        if self.cache is None:
            raise RuntimeError(f"{where}: call forward before backward")
        return gradient_like(dout, self.out_shape, where)


class Conv2D(_Layer):
    """A convolution layer: filters W: (F, C, KH, KW) and a bias b: (F,), drawn like a Dense layer's.

    The fan-in of one output is C * KH * KW, so "he" draws N(0, 2 / (C KH KW)). `rng` is a seed or a
    `np.random.Generator`.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad=0, init="he", rng=None):
        where = "Conv2D"
        self.in_channels = _check_int(in_channels, "in_channels", where, 1)
        self.out_channels = _check_int(out_channels, "out_channels", where, 1)
        self.kernel_size = _pair(kernel_size, "kernel_size", where)
        self.stride, self.pad = _check_int(stride, "stride", where, 1), _check_int(pad, "pad", where, 0)
        check_init(init, INITS, where)
        super().__init__()
        KH, KW = self.kernel_size
        fan_in = self.in_channels * KH * KW
        W_cols = init_weights(fan_in, self.out_channels, init, as_rng(rng, where))  # (C * KH * KW, F), as for Dense
        self.params = {
            "W": W_cols.T.reshape(self.out_channels, self.in_channels, KH, KW).copy(),
            "b": np.zeros(self.out_channels),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def __repr__(self):
        KH, KW = self.kernel_size
        text = f"Conv2D({self.in_channels}, {self.out_channels}, {KH if KH == KW else (KH, KW)}"
        text += f", stride={self.stride}" if self.stride != 1 else ""
        text += f", pad={self.pad}" if self.pad else ""
        return text + ")"

    def forward(self, x):
        """x: (N, C, H, W) -> out: (N, F, OH, OW)."""
        where = f"{self}.forward"
        x, *_ = _conv_shapes(
            _check_images(x, "x", where, channels=self.in_channels),
            self.params["W"],
            self.params["b"],
            self.stride,
            self.pad,
            where,
        )
        out, self.cache = conv2d_forward(x, self.params["W"], self.params["b"], self.stride, self.pad)
        self.out_shape = out.shape
        return out

    def backward(self, dout, input_grad=True):
        """dout: (N, F, OH, OW) -> dx: (N, C, H, W) (None if not input_grad); stores dW, db in `grads`."""
        dout = self._upstream(dout, f"{self}.backward")
        dx, self.grads["W"], self.grads["b"] = conv2d_backward(dout, self.cache)
        return dx if input_grad else None


class MaxPool2D(_Layer):
    """Max over size x size windows, moved `stride` pixels at a time (no parameters)."""

    def __init__(self, size=2, stride=2):
        super().__init__()
        self.size = _check_int(size, "size", "MaxPool2D", 1)
        self.stride = _check_int(stride, "stride", "MaxPool2D", 1)

    def __repr__(self):
        return f"MaxPool2D(size={self.size}, stride={self.stride})"

    def forward(self, x):
        """x: (N, C, H, W) -> out: (N, C, OH, OW)."""
        _pool_shapes(x, self.size, self.stride, f"{self}.forward")
        out, self.cache = maxpool_forward(x, self.size, self.stride)
        self.out_shape = out.shape
        return out

    def backward(self, dout):
        """dout: (N, C, OH, OW) -> dx: (N, C, H, W)."""
        return maxpool_backward(self._upstream(dout, f"{self}.backward"), self.cache)


class Flatten(_Layer):
    """(N, C, H, W) -> (N, C * H * W): the bridge from convolution layers to Dense ones."""

    def __repr__(self):
        return "Flatten()"

    def forward(self, x):
        """x: (N, C, H, W) -> out: (N, C * H * W)."""
        out, self.cache = _flatten(x, f"{self}.forward")
        self.out_shape = out.shape
        return out

    def backward(self, dout):
        """dout: (N, C * H * W) -> dx: (N, C, H, W)."""
        return flatten_backward(self._upstream(dout, "Flatten().backward"), self.cache)
