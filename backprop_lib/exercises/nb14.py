"""Checks for notebook 14, convolution: dW and db, the whole backward, dx at stride > 1, col2im, max-pool.

    from backprop_lib.exercises import nb14 as ex
    ex.check_conv_param_grads(conv_param_grads)    # fn(dout, cache) -> (dW, db)
    ex.check_conv2d_backward(conv_backward_loops)  # fn(dout, cache) -> (dx, dW, db)
    ex.check_conv_dx_strided(conv_dx_strided)      # fn(dout, cache) -> dx, by a forward pass on dilated dout
    ex.check_col2im(my_col2im)                     # fn(dcols, x_shape, KH, KW, stride, pad) -> dx
    ex.check_maxpool_backward(maxpool_backward_loops)  # fn(dout, cache) -> dx

The convolution exercises take the cache of `conv2d_forward_loop`, `(x, W, stride, pad)`; the
max-pool one the cache of `maxpool_forward_loop`, `(x, size, stride)`. Nothing is square: images
are 5 x 7 or 5 x 8, kernels 2 x 3 or 3 x 2, so a mix-up of KH and KW (or H and W, OH and OW)
changes a shape or a value instead of passing unseen. The max-pool cases include integer
pixels with ties, where each window still has one winner, so dx adds up to dout. Each check runs
its cases in order and reports the first that fails, naming the mistake when it knows it.
"""


import numpy as np

from ..checks import PASS, CheckResult, check_cases
from ..conv import (
    col2im,
    conv2d_backward_loop,
    conv2d_forward_loop,
    im2col,
    maxpool_backward_loop,
    maxpool_forward_loop,
)


def _report(results, name, outputs, quiet):
    for label, result in results:
        if not result:
            message = f"{result.message}\n(in the case {label})" if result.status != "todo" else result.message
            result = CheckResult(False, message, result.status)
            if not quiet:
                print(result.message)
            return result
    labels = "; ".join(label for label, _ in results)
    result = CheckResult(True, f"{PASS} {name} is correct ({outputs}) in every case: {labels}.")
    if not quiet:
        print(result.message)
    return result


SHAPE_HINT = (
    "nothing in this case is square, so a shape error usually means KH and KW (or H and W, OH and OW) "
    "were mixed up: KH, KW = W.shape[2:], and rows go with KH, OH and H, columns with KW, OW and W."
)


def _run_cases(fn, cases, reference, quiet, explain=None, **options):
    """The shared `check_cases`, in this module's argument order (quiet: the callers print)."""
    return check_cases(fn, reference, cases, explain, **options)


# -- the cases -------------------------------------------------------------------------------------
CONV_SHAPES = (  # label, x shape (N, C, H, W), W shape (F, C, KH, KW), stride, pad
    ("x (2, 3, 5, 7), W (4, 3, 2, 3), stride 1, pad 0", (2, 3, 5, 7), (4, 3, 2, 3), 1, 0),
    ("x (3, 3, 5, 8), W (4, 3, 3, 2), stride 2, pad 1", (3, 3, 5, 8), (4, 3, 3, 2), 2, 1),
)
STRIDED_SHAPES = (
    ("x (3, 3, 5, 8), W (4, 3, 3, 2), stride 2, pad 1", (3, 3, 5, 8), (4, 3, 3, 2), 2, 1),
    ("x (2, 2, 8, 12), W (3, 2, 2, 3), stride 3, pad 0", (2, 2, 8, 12), (3, 2, 2, 3), 3, 0),
    ("x (2, 3, 5, 7), W (4, 3, 2, 3), stride 1, pad 0", (2, 3, 5, 7), (4, 3, 2, 3), 1, 0),
)


def conv_cases(seed=14, shapes=CONV_SHAPES):
    """(label, dout, cache) cases with non-square images and kernels; the cache is conv2d_forward_loop's."""
    rng = np.random.default_rng(seed)
    cases = []
    for label, x_shape, w_shape, stride, pad in shapes:
        x, W = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
        out, cache = conv2d_forward_loop(x, W, rng.standard_normal(w_shape[0]), stride, pad)
        cases.append((label, rng.standard_normal(out.shape), cache))
    return cases


# -- wrong answers of the convolution backward -------------------------------------------------------
def _conv_backward_variant(dout, cache, step=None, accumulate=True, crop="right"):
    """The loop backward with a mistake built in: windows `step` apart instead of `stride`, `=` where
    the input gradient should add up, or the padding cropped wrongly ("none", "swapped")."""
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
    H, W_in = x.shape[2:]
    if crop == "none":
        dx = dxp
    elif crop == "swapped":
        dx = dxp[:, :, pad : pad + W_in, pad : pad + H]
    else:
        dx = dxp[:, :, pad : pad + H, pad : pad + W_in]
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


DW_DB_MISTAKES = {
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
    "dW has the filter and channel axes swapped: dW must have W's shape (F, C, KH, KW).": _with(
        dW=lambda d, c: _dW(d, c).transpose(1, 0, 2, 3)
    ),
    "dW has KH and KW swapped (each kernel transposed): dW[f, c, p, q] pairs kernel row p with image "
    "row i * stride + p and kernel column q with image column j * stride + q, so dW has W's shape "
    "(F, C, KH, KW).": _with(dW=lambda d, c: _dW(d, c).transpose(0, 1, 3, 2)),
    "dW is flipped: dW[f, c, p, q] is the sum of dout[n, f, i, j] times the pixel at "
    "(i * stride + p, j * stride + q), with no flip (the flip belongs to dx).": _with(
        dW=lambda d, c: _dW(d, c)[:, :, ::-1, ::-1]
    ),
}

DX_MISTAKES = {
    "dx uses the kernel the wrong way round: written as a sum over the output positions, dx is a "
    "convolution of dout with the kernel (a correlation with the flipped kernel), not a correlation "
    "with the kernel as it is. Scatter dout[n, f, i, j] * W[f] back onto the window it came from.": _with(
        dx=_unflipped_dx
    ),
    "dx overwrites where it should add: the windows overlap and every filter reads the same pixels, so "
    "each pixel's gradient is a sum (use +=).": lambda d, c: _conv_backward_variant(d, c, accumulate=False),
    "dx still has the padding: compute the gradient of the padded image, then cut the pad rows and "
    "columns off so that dx has x's shape.": lambda d, c: _conv_backward_variant(d, c, crop="none"),
    "dx is cropped with H and W swapped: keep rows pad : pad + H and columns pad : pad + W, "
    "with H, W = x.shape[2:].": lambda d, c: _conv_backward_variant(d, c, crop="swapped"),
}

CONV_MISTAKES = {**DX_MISTAKES, **DW_DB_MISTAKES}


def _reference_param_grads(dout, cache):
    return conv2d_backward_loop(dout, cache)[1:]


def _param_grads(mistake):
    return lambda dout, cache: mistake(dout, cache)[1:]


PARAM_MISTAKES = {message: _param_grads(wrong) for message, wrong in DW_DB_MISTAKES.items()}


def check_conv_param_grads(fn, quiet=False):
    """fn(dout, cache) -> (dW, db), with cache = (x, W, stride, pad) from `conv2d_forward_loop`."""
    cases = [(label, (dout, cache)) for label, dout, cache in conv_cases()]
    results = _run_cases(
        fn,
        cases,
        _reference_param_grads,
        quiet,
        outputs=("dW", "db"),
        mistakes=PARAM_MISTAKES,
        hint="W[f] multiplied the window xp[n, :, i*stride : i*stride+KH, j*stride : j*stride+KW] in every "
        "output (n, f, i, j), and b[f] was added there: add up dout[n, f, i, j] times what each was multiplied by. "
        + SHAPE_HINT,
    )
    return _report(results, getattr(fn, "__name__", "your function"), "dW, db", quiet)


def check_conv2d_backward(fn, quiet=False):
    """fn(dout, cache) -> (dx, dW, db), with cache = (x, W, stride, pad) from `conv2d_forward_loop`."""
    cases = [(label, (dout, cache)) for label, dout, cache in conv_cases()]
    results = _run_cases(
        fn,
        cases,
        conv2d_backward_loop,
        quiet,
        outputs=("dx", "dW", "db"),
        n_samples=None,
        mistakes=CONV_MISTAKES,
        hint="output (i, j) of filter f read the window of x starting at (i * stride, j * stride) "
        "in the padded image; send dout[n, f, i, j] back along the same two products. " + SHAPE_HINT,
    )
    return _report(results, getattr(fn, "__name__", "your function"), "dx, dW, db", quiet)


# -- dx at stride > 1, as a forward pass on the dilated dout -------------------------------------------
def dilate(dout, stride):
    """dout: (N, F, OH, OW) -> (N, F, (OH - 1) * stride + 1, (OW - 1) * stride + 1), stride - 1 zeros between entries."""
    N, F, OH, OW = dout.shape
    out = np.zeros((N, F, (OH - 1) * stride + 1, (OW - 1) * stride + 1))
    out[:, :, ::stride, ::stride] = dout
    return out


def _dx_by_correlation(dout, cache, gap=None, flip=(True, True), pad_hw=None, crop=True, transpose=True):
    """dx as the forward pass of dout (dilated with `gap` zeros) with the turned kernel; mistakes as options."""
    x, W, stride, pad = cache
    KH, KW = W.shape[2:]
    gap = stride - 1 if gap is None else gap
    d = dilate(dout, gap + 1) if gap else dout
    kernel = W[:, :, :: -1 if flip[0] else 1, :: -1 if flip[1] else 1]
    kernel = kernel.transpose(1, 0, 2, 3) if transpose else kernel  # (C, F, KH, KW)
    ph, pw = (KH - 1, KW - 1) if pad_hw is None else pad_hw
    d = np.pad(d, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = conv2d_forward_loop(d, kernel, np.zeros(kernel.shape[0]))[0]
    H, W_in = x.shape[2:]
    return dxp[:, :, pad : pad + H, pad : pad + W_in] if crop else dxp


def _reference_dx(dout, cache):
    return conv2d_backward_loop(dout, cache)[0]


STRIDED_MISTAKES = {
    "The full correlation runs on dout as it is, without dilating it: at stride s the outputs were read "
    "s pixels apart, so put s - 1 zeros between neighbouring entries of dout (rows and columns) first; "
    "only at stride 1 does the plain full correlation give dx.": lambda d, c: _dx_by_correlation(d, c, gap=0),
    "The full correlation runs on dout without dilating it, and the padding is still on: dilate dout "
    "with s - 1 zeros between entries, then cut pad rows and columns off.": lambda d, c: _dx_by_correlation(
        d, c, gap=0, crop=False
    ),
    "dout is dilated with s zeros between entries: an output step of one is an input step of s, so "
    "neighbouring entries end up s apart, with s - 1 zeros between them.": lambda d, c: _dx_by_correlation(
        d, c, gap=c[2]
    ),
    "The kernel is not flipped: dx is a correlation of the dilated dout with each kernel turned by "
    "180 degrees, W[:, :, ::-1, ::-1].": lambda d, c: _dx_by_correlation(d, c, flip=(False, False)),
    "The kernel is flipped along one axis only: turn it by 180 degrees, reversing rows and columns, "
    "W[:, :, ::-1, ::-1].": lambda d, c: _dx_by_correlation(d, c, flip=(True, False)),
    "The kernel is flipped along one axis only (the columns): reverse rows and columns, "
    "W[:, :, ::-1, ::-1].": lambda d, c: _dx_by_correlation(d, c, flip=(False, True)),
    "The padding is still on: the correlation gives the gradient of the padded image; cut pad rows "
    "and columns off so that dx has x's shape.": lambda d, c: _dx_by_correlation(d, c, crop=False),
    "The full correlation pads dout with KH - 1 zeros on both axes: rows need KH - 1, columns KW - 1.": (
        lambda d, c: _dx_by_correlation(d, c, pad_hw=(c[1].shape[2] - 1, c[1].shape[2] - 1))
    ),
    "The full correlation pads dout with KW - 1 zeros on both axes: rows need KH - 1, columns KW - 1.": (
        lambda d, c: _dx_by_correlation(d, c, pad_hw=(c[1].shape[3] - 1, c[1].shape[3] - 1))
    ),
}


def _explain_strided(got, args):
    dout, (x, W, stride, pad) = args
    shape = np.shape(got)
    if len(shape) != 4:
        return None
    OH, OW = dout.shape[2:]
    KH, KW = W.shape[2:]
    undilated = (OH + KH - 1, OW + KW - 1)
    if stride > 1 and shape[2:] != x.shape[2:] and shape[2] <= undilated[0] and shape[3] <= undilated[1]:
        return (
            f"dx has shape {shape}, no larger than a full correlation of the undilated dout ({OH} x {OW} + kernel - 1): "
            "the full correlation ran without dilating dout. "
            f"At stride {stride} dilate dout first: {stride - 1} zero(s) between neighbouring entries gives "
            f"{(OH - 1) * stride + 1} x {(OW - 1) * stride + 1}, and the full correlation then has the padded "
            "image's size."
        )
    return None


def check_conv_dx_strided(fn, quiet=False):
    """fn(dout, cache) -> dx, with cache = (x, W, stride, pad) from `conv2d_forward_loop`, any stride."""
    cases = [(label, (dout, cache)) for label, dout, cache in conv_cases(seed=41, shapes=STRIDED_SHAPES)]
    results = _run_cases(
        fn,
        cases,
        _reference_dx,
        quiet,
        explain=_explain_strided,
        mistakes=STRIDED_MISTAKES,
        hint="dilate dout (stride - 1 zeros between entries), pad it with KH - 1 rows and KW - 1 columns of "
        "zeros, run the forward pass with the kernels turned by 180 degrees and F, C swapped, then cut the "
        "padding off. " + SHAPE_HINT,
    )
    return _report(results, getattr(fn, "__name__", "your function"), "dx", quiet)


# -- col2im ----------------------------------------------------------------------------------------
def _col2im_variant(dcols, x_shape, KH, KW, stride=1, pad=0, accumulate=True, crop=True, order="nijc", step=None):
    """col2im with a mistake built in: `=` for `+=`, no crop, rows or columns read in the wrong order,
    windows `step` apart."""
    N, C, H, W = x_shape
    OH, OW = (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1
    step = stride if step is None else step
    if order == "nijc":
        d = dcols.reshape(N, OH, OW, C, KH, KW)
    elif order == "kwkh":
        d = dcols.reshape(N, OH, OW, C, KW, KH).transpose(0, 1, 2, 3, 5, 4)
    else:  # rows in (n, j, i) order
        d = dcols.reshape(N, OW, OH, C, KH, KW).transpose(0, 2, 1, 3, 4, 5)
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for i in range(OH):
        for j in range(OW):
            rows, cols = slice(i * step, i * step + KH), slice(j * step, j * step + KW)
            if accumulate:
                dxp[:, :, rows, cols] += d[:, i, j]
            else:
                dxp[:, :, rows, cols] = d[:, i, j]
    return dxp[:, :, pad : pad + H, pad : pad + W] if crop else dxp


COL2IM_MISTAKES = {
    "col2im overwrites where it should add: a pixel is copied into every window that covers it, and "
    "the gradient of a copy is the sum of the copies' gradients (use +=).": lambda *a: _col2im_variant(
        *a, accumulate=False
    ),
    "col2im keeps the padding: fold into the padded image, then cut pad rows and columns off.": lambda *a: (
        _col2im_variant(*a, crop=False)
    ),
    "The columns are read with KH and KW swapped: a row of dcols runs over (c, p, q) with p < KH the "
    "kernel row, so reshape to (N, OH, OW, C, KH, KW).": lambda *a: _col2im_variant(*a, order="kwkh"),
    "The rows are read with OH and OW swapped: im2col's rows run over (n, i, j), i the output row, so "
    "reshape to (N, OH, OW, ...).": lambda *a: _col2im_variant(*a, order="njic"),
    "The stride is ignored: window (i, j) starts at row i * stride, column j * stride.": lambda *a: _col2im_variant(
        *a, step=1
    ),
}

COL2IM_SHAPES = (  # label, x shape, KH, KW, stride, pad
    ("x (2, 3, 5, 7), 2 x 3 windows, stride 1, pad 0", (2, 3, 5, 7), 2, 3, 1, 0),
    ("x (3, 2, 5, 8), 3 x 2 windows, stride 2, pad 1", (3, 2, 5, 8), 3, 2, 2, 1),
)


def col2im_cases(seed=24):
    """(label, (dcols, x_shape, KH, KW, stride, pad)) cases, non-square throughout."""
    rng = np.random.default_rng(seed)
    cases = []
    for label, x_shape, KH, KW, stride, pad in COL2IM_SHAPES:
        rows = im2col(np.zeros(x_shape), KH, KW, stride, pad).shape
        cases.append((label, (rng.standard_normal(rows), x_shape, KH, KW, stride, pad)))
    return cases


def check_col2im(fn, quiet=False):
    """fn(dcols, x_shape, KH, KW, stride, pad) -> dx: (N, C, H, W), the adjoint of `im2col`."""
    results = _run_cases(
        fn,
        col2im_cases(),
        col2im,
        quiet,
        mistakes=COL2IM_MISTAKES,
        hint="row (n, i, j) of dcols holds the gradients of window (i, j) of image n, its columns in (c, p, q) "
        "order; add each window back onto the padded image where im2col copied it from. " + SHAPE_HINT,
    )
    return _report(results, getattr(fn, "__name__", "your function"), "dx", quiet)


# -- the max-pool backward -------------------------------------------------------------------------
def _pool_variant(dout, cache, route="max", accumulate=True, offset=True):
    """The loop max-pool backward with a mistake built in."""
    x, size, stride = cache
    step = stride
    N, C, OH, OW = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    r0, c0 = (i * step, j * step) if offset else (0, 0)
                    window = x[n, c, i * step : i * step + size, j * step : j * step + size]
                    h, w = window.shape
                    g = dout[n, c, i, j]
                    if route in ("all", "mean", "ties", "split"):
                        share = {
                            "all": np.ones((h, w)),
                            "mean": np.full((h, w), 1 / size**2),
                            "ties": (window == window.max()).astype(float),
                            "split": (window == window.max()) / np.sum(window == window.max()),
                        }[route]
                        dx[n, c, r0 : r0 + h, c0 : c0 + w] += g * share
                        continue
                    if route == "last":
                        flat = window.ravel()[::-1]
                        pick = flat.size - 1 - int(np.argmax(flat))
                    else:
                        pick = int(np.argmax(window) if route == "max" else np.argmin(window))
                    p, q = divmod(pick, w)
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
    "Every tied pixel gets the whole dout (x == window.max() as a mask): where two pixels tie, dx then "
    "counts that window's dout twice, and dx.sum() is no longer dout.sum(). One winner per window: "
    "the first maximum in reading order, as np.argmax picks it.": lambda d, c: _pool_variant(d, c, route="ties"),
    "dout is split evenly between tied pixels: a valid subgradient, but this course (like the library "
    "and np.argmax) gives a window's whole dout to one winner, the first maximum in reading order.": (
        lambda d, c: _pool_variant(d, c, route="split")
    ),
    "Ties go to the last maximum in reading order: the convention here (np.argmax's, and the "
    "library's) is the first one.": lambda d, c: _pool_variant(d, c, route="last"),
    "The gradient goes to the smallest pixel of each window: use the position of the maximum.": lambda d, c: (
        _pool_variant(d, c, route="min")
    ),
    "The max's position is used as if the window started at (0, 0): inside the window it is (p, q), "
    "in the image (i * stride + p, j * stride + q).": lambda d, c: _pool_variant(d, c, offset=False),
    "dx overwrites where it should add: overlapping windows can share their maximum, and then that "
    "pixel collects the gradient of each of them (use +=).": lambda d, c: _pool_variant(d, c, accumulate=False),
}

POOL_SHAPES = (  # label, x shape, size, stride, integer pixels (ties)
    ("x (2, 3, 4, 6), size 2, stride 2", (2, 3, 4, 6), 2, 2, False),
    ("x (2, 2, 7, 9), size 3, stride 2 (overlapping)", (2, 2, 7, 9), 3, 2, False),
    ("x (2, 2, 4, 6) of integers 0-2 (ties), size 2, stride 2", (2, 2, 4, 6), 2, 2, True),
    ("x (2, 2, 5, 9) of integers 0-2 (ties), size 3, stride 2 (overlapping)", (2, 2, 5, 9), 3, 2, True),
)


def pool_cases(seed=41):
    """(label, dout, cache) cases: plain, overlapping, and both again with tied integer pixels."""
    rng = np.random.default_rng(seed)
    cases = []
    for label, shape, size, stride, ties in POOL_SHAPES:
        x = rng.integers(0, 3, shape).astype(float) if ties else rng.standard_normal(shape)
        out, cache = maxpool_forward_loop(x, size, stride)
        cases.append((label, rng.standard_normal(out.shape), cache))
    return cases


def _explain_pool(got, args):
    dout = args[0]
    if np.shape(got) != args[1][0].shape:
        return None
    total, want = float(np.sum(got)), float(dout.sum())
    if not np.isclose(total, want, rtol=1e-9, atol=1e-9):
        return (
            f"dx.sum() is {total:.4f} but dout.sum() is {want:.4f}: each window sends its whole dout to "
            "exactly one pixel (its first maximum, ties included), so dx must add up to dout."
        )
    return None


def check_maxpool_backward(fn, quiet=False):
    """fn(dout, cache) -> dx, with cache = (x, size, stride) from `maxpool_forward_loop`."""
    cases = [(label, (dout, cache)) for label, dout, cache in pool_cases()]
    results = _run_cases(
        fn,
        cases,
        maxpool_backward_loop,
        quiet,
        explain=_explain_pool,
        mistakes=POOL_MISTAKES,
        hint="find where the maximum of each window sits (the first one, if several tie), and add that "
        "window's dout there. The images are not square: rows go with H and OH, columns with W and OW.",
    )
    return _report(results, getattr(fn, "__name__", "your function"), "dx", quiet)
