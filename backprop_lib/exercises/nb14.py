"""Checks for notebook 14, convolution: the convolution backward and the max-pool backward.

Both exercises take the cache of the loop forward passes: `(x, W, stride, pad)` from
`conv2d_forward_loop`, `(x, size, stride)` from `maxpool_forward_loop`. Each check runs two
cases, a plain one and one with stride and padding (or overlapping windows), and reports the
first that fails.
"""

import numpy as np

from ..checks import PASS, CheckResult, check_function
from ..conv import conv2d_backward_loop, conv2d_forward_loop, maxpool_backward_loop, maxpool_forward_loop


def _report(results, name, outputs, quiet):
    for label, result in results:
        if not result:
            message = f"{result.message}\n(in the case {label})" if result.status != "todo" else result.message
            result = CheckResult(False, message, result.status)
            if not quiet:
                print(result.message)
            return result
    labels = "; ".join(label for label, _ in results)
    result = CheckResult(True, f"{PASS} {name} is correct ({outputs}) in both cases: {labels}.")
    if not quiet:
        print(result.message)
    return result


# -- the convolution backward -----------------------------------------------------------------
def _conv_backward_variant(dout, cache, step=None, accumulate=True):
    """The loop backward with a mistake built in: windows `step` apart instead of `stride`,
    or `=` where the input gradient should add up."""
    x, W, stride, pad = cache
    step = stride if step is None else step
    N, F, OH, OW = dout.shape
    KH, KW = W.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    rows, cols = slice(i * step, i * step + KH), slice(j * step, j * step + KW)
                    dW[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
                    if accumulate:
                        dxp[n, :, rows, cols] += dout[n, f, i, j] * W[f]
                    else:
                        dxp[n, :, rows, cols] = dout[n, f, i, j] * W[f]
    dx = dxp[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]
    return dx, dW, dout.sum(axis=(0, 2, 3))


def _with(dx=None, dW=None, db=None):
    """A wrong answer that differs from the reference in the parts given (functions of dout, cache)."""

    def wrong(dout, cache):
        right = conv2d_backward_loop(dout, cache)
        return tuple(right[k] if part is None else part(dout, cache) for k, part in enumerate((dx, dW, db)))

    return wrong


def _unflipped_dx(dout, cache):
    x, W, stride, pad = cache
    return conv2d_backward_loop(dout, (x, W[:, :, ::-1, ::-1], stride, pad))[0]


def _one_image_dW(dout, cache):
    x, W, stride, pad = cache
    return conv2d_backward_loop(dout[-1:], (x[-1:], W, stride, pad))[1]


def _dW(dout, cache):
    return conv2d_backward_loop(dout, cache)[1]


def _uncropped_dx(dout, cache):
    pad = cache[3]
    dx = conv2d_backward_loop(dout, cache)[0]
    return np.pad(dx, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


CONV_MISTAKES = {
    "dx uses the kernel the wrong way round: written as a sum over the output positions, dx is a "
    "convolution of dout with the kernel (a correlation with the flipped kernel), not a correlation "
    "with the kernel as it is. Scatter dout[n, f, i, j] * W[f] back onto the window it came from.": _with(
        dx=_unflipped_dx
    ),
    "dW comes from one image only: each filter is used on every image of the batch, so dW adds up "
    "the contributions of every n (and of every window position i, j).": _with(dW=_one_image_dW),
    "dW and db are divided by N: the 1/N of the mean belongs to the loss, and dout already carries it. "
    "Here the contributions are summed.": _with(
        dW=lambda d, c: _dW(d, c) / d.shape[0], db=lambda d, c: d.sum(axis=(0, 2, 3)) / d.shape[0]
    ),
    "dW is divided by N: the 1/N belongs to the loss, and dout already carries it; sum, do not average.": _with(
        dW=lambda d, c: _dW(d, c) / d.shape[0]
    ),
    "db keeps the position axes: b[f] is added at every (i, j) of every image, so db[f] sums dout[:, f] "
    "over the batch and both position axes, leaving shape (F,).": _with(db=lambda d, c: d.sum(axis=0)),
    "db keeps the batch axis: b[f] is shared by every image, so the sum runs over n too, leaving shape (F,).": _with(
        db=lambda d, c: d.sum(axis=(2, 3))
    ),
    "db is summed over the filter axis: there is one bias per filter, so keep the F axis and sum the others.": _with(
        db=lambda d, c: d.sum(axis=(1, 2, 3))
    ),
    "The stride is ignored: output (i, j) read the window starting at row i * stride, column j * stride, "
    "and its gradient must go back there.": lambda d, c: _conv_backward_variant(d, c, step=1),
    "dx overwrites where it should add: the windows overlap and every filter reads the same pixels, so "
    "each pixel's gradient is a sum (use +=).": lambda d, c: _conv_backward_variant(d, c, accumulate=False),
    "dW has the filter and channel axes swapped: dW must have W's shape (F, C, KH, KW).": _with(
        dW=lambda d, c: _dW(d, c).transpose(1, 0, 2, 3)
    ),
    "dW is transposed within each kernel (rows and columns swapped): dW[f, c, p, q] pairs kernel row p "
    "with image rows i * stride + p.": _with(dW=lambda d, c: _dW(d, c).transpose(0, 1, 3, 2)),
    "dW is flipped: dW[f, c, p, q] is the sum of dout[n, f, i, j] times the pixel at "
    "(i * stride + p, j * stride + q), with no flip (the flip belongs to dx).": _with(
        dW=lambda d, c: _dW(d, c)[:, :, ::-1, ::-1]
    ),
    "dx still has the padding: compute the gradient of the padded image, then cut the pad rows and "
    "columns off so that dx has x's shape.": _with(dx=_uncropped_dx),
}


def conv_cases(seed=14):
    """Two (label, dout, cache) cases: stride 1 without padding, and stride 2 with padding 1."""
    rng = np.random.default_rng(seed)
    cases = []
    for label, (N, C, H, F, K, stride, pad) in (
        ("stride 1, pad 0", (2, 3, 5, 4, 3, 1, 0)),
        ("stride 2, pad 1", (2, 3, 7, 4, 3, 2, 1)),
    ):
        x = rng.standard_normal((N, C, H, H))
        W = rng.standard_normal((F, C, K, K))
        out, cache = conv2d_forward_loop(x, W, rng.standard_normal(F), stride, pad)
        cases.append((label, rng.standard_normal(out.shape), cache))
    return cases


def check_conv2d_backward(fn, quiet=False):
    """fn(dout, cache) -> (dx, dW, db), with cache = (x, W, stride, pad) from `conv2d_forward_loop`."""
    results = []
    for label, dout, cache in conv_cases():
        result = check_function(
            fn,
            conv2d_backward_loop,
            dout,
            cache,
            outputs=("dx", "dW", "db"),
            n_samples=dout.shape[0],
            hint="output (i, j) of filter f read the window of x starting at (i * stride, j * stride) "
            "in the padded image; send dout[n, f, i, j] back along the same two products.",
            mistakes=CONV_MISTAKES,
            quiet=True,
        )
        results.append((label, result))
        if not result:
            break
    return _report(results, getattr(fn, "__name__", "your function"), "dx, dW, db", quiet)


# -- the max-pool backward -------------------------------------------------------------------------
def _pool_variant(dout, cache, route="max", accumulate=True, offset=True):
    """The loop max-pool backward with a mistake built in."""
    x, size, stride = cache
    N, C, OH, OW = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    r0, c0 = (i * stride, j * stride) if offset else (0, 0)
                    window = x[n, c, i * stride : i * stride + size, j * stride : j * stride + size]
                    g = dout[n, c, i, j]
                    if route in ("all", "mean"):
                        dx[n, c, r0 : r0 + size, c0 : c0 + size] += g if route == "all" else g / size**2
                        continue
                    pick = np.argmax(window) if route == "max" else np.argmin(window)
                    p, q = divmod(int(pick), size)
                    if accumulate:
                        dx[n, c, r0 + p, c0 + q] += g
                    else:
                        dx[n, c, r0 + p, c0 + q] = g
    return dx


POOL_MISTAKES = {
    "Every pixel of the window gets dout: only the pixel that won the max changed the output, so only "
    "it gets the gradient; the others get 0.": lambda d, c: _pool_variant(d, c, route="all"),
    "dout is shared out evenly over the window: that is the backward of average pooling. Max-pooling "
    "sends all of it to the maximum.": lambda d, c: _pool_variant(d, c, route="mean"),
    "The gradient goes to the smallest pixel of each window: use the position of the maximum.": lambda d, c: (
        _pool_variant(d, c, route="min")
    ),
    "The max's position is used as if the window started at (0, 0): inside the window it is (p, q), "
    "in the image (i * stride + p, j * stride + q).": lambda d, c: _pool_variant(d, c, offset=False),
    "dx overwrites where it should add: overlapping windows can share their maximum, and then that "
    "pixel collects the gradient of each of them (use +=).": lambda d, c: _pool_variant(d, c, accumulate=False),
}


def pool_cases(seed=41):
    """Two (label, dout, cache) cases: 2x2 windows at stride 2, and overlapping 3x3 windows at stride 2."""
    rng = np.random.default_rng(seed)
    cases = []
    for label, (shape, size, stride) in (
        ("size 2, stride 2", ((2, 3, 4, 6), 2, 2)),
        ("size 3, stride 2 (overlapping)", ((2, 2, 7, 7), 3, 2)),
    ):
        x = rng.standard_normal(shape)  # continuous values: no ties
        out, cache = maxpool_forward_loop(x, size, stride)
        cases.append((label, rng.standard_normal(out.shape), cache))
    return cases


def check_maxpool_backward(fn, quiet=False):
    """fn(dout, cache) -> dx, with cache = (x, size, stride) from `maxpool_forward_loop`."""
    results = []
    for label, dout, cache in pool_cases():
        result = check_function(
            fn,
            maxpool_backward_loop,
            dout,
            cache,
            name=getattr(fn, "__name__", None),
            mistakes=POOL_MISTAKES,
            hint="find where the maximum of each window sits, and add that window's dout there.",
            quiet=True,
        )
        results.append((label, result))
        if not result:
            break
    return _report(results, getattr(fn, "__name__", "your function"), "dx", quiet)
