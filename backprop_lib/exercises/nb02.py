"""Checks for notebook 02, a dense layer on a batch: the backward pass from the index form (loops),
the same vectorised, and the same for a layout with samples as columns."""

import numpy as np

from ..checks import check_function, in_turn
from ..layers import dense_backward


def _reference(dout, cache):
    return dense_backward(dout, cache)


def _cases():
    """(dout, cache) for a batch where N, D, H are all equal, one where they all differ, and one
    sample in a wide row with ties and extreme values."""
    rng = np.random.default_rng(20)
    N, D, H = 5, 3, 4
    rectangular = (rng.standard_normal((N, H)), (rng.standard_normal((N, D)), rng.standard_normal((D, H))))
    square = (rng.standard_normal((3, 3)), (rng.standard_normal((3, 3)), rng.standard_normal((3, 3))))
    wide = (np.array([[1.0, 1.0, -2.0, 0.0, 1e4, -1e4, 0.5, 0.5]]),  # (1, 8)
            (np.array([[3.0, -1e-3]]), rng.standard_normal((2, 8))))
    return square, rectangular, wide  # square first: there a wrong product still runs, and can be named


def _scale_factors(dout, cache):
    """Named factors for a dense layer, whose backward pass adds the samples up and never divides."""
    n = len(dout)
    return {
        1 / n: (f"It is N = {n} times too small: it is divided by N, but a layer adds its samples' "
                "contributions up; the 1/N of a mean loss is already inside dout, so dividing again "
                "applies it twice."),
        float(n): (f"It is N = {n} times too large: it is multiplied by N (or counts every sample N times); "
                   "each sample adds its contribution once."),
    }


FACTOR_HINT = "nothing in a dense layer's backward pass doubles: look for a term added twice"


def _last_sample_only(dout, cache):
    X, W = cache
    return dout @ W.T, np.outer(X[-1], dout[-1]), dout[-1].copy()


def _dX_over_batch(dout, cache):
    X, W = cache
    dX_row = dout.sum(axis=0) @ W.T  # (D,): every sample's gradient in every row
    return np.tile(dX_row, (len(dout), 1)), X.T @ dout, dout.sum(axis=0)


SHARED_MISTAKES = {
    "dW ignores dout: it is the local derivative X summed up; each term must be weighted by dout[n, h].": lambda dout, cache: (
        dout @ cache[1].T,
        cache[0].T @ np.ones_like(dout),
        dout.sum(axis=0),
    ),
    "dW is transposed: it has the shape of W, (D, H), so the batch axis N is the inner size of (D, N) @ (N, H).": lambda dout, cache: (
        dout @ cache[1].T,
        dout.T @ cache[0],
        dout.sum(axis=0),
    ),
    "dX uses W without the transpose: dX[n, d] = sum over h of dout[n, h] * W[d, h].": lambda dout, cache: (
        dout @ cache[1],
        cache[0].T @ dout,
        dout.sum(axis=0),
    ),
    "db sums over the units instead of the samples: b_h is added to column h of every row, so db[h] "
    "sums column h of dout over n.": lambda dout, cache: (dout @ cache[1].T, cache[0].T @ dout, dout.sum(axis=1)),
    "dW and db hold only the last sample: each sample adds its contribution (+=), and the total is the sum.": _last_sample_only,
    "dX adds up every sample: X[n, d] appears in row n of Z only, so row n of dX uses row n of dout only.": _dX_over_batch,
    "dW and db are averaged over the batch: the layer adds the samples' contributions up; any 1/N "
    "belongs to the loss, which has already put it into dout.": lambda dout, cache: (
        dout @ cache[1].T,
        cache[0].T @ dout / len(dout),
        dout.mean(axis=0),
    ),
    "dX, dW and db are right but in the wrong order: return (dX, dW, db), the order of the layer's "
    "inputs X, W, b.": lambda dout, cache: (cache[0].T @ dout, dout @ cache[1].T, dout.sum(axis=0)),
}
LOOP_HINT = "for every entry, add up dout[m, h] times the local derivative over all the Z[m, h] it touches."
VECTOR_HINT = (
    "each gradient has the shape of what it differentiates; the sum over h or over n is the inner size of a product."
)


def _check_both(fn, hint):
    return in_turn(*[lambda c=c: check_function(fn, _reference, *c, name=getattr(fn, "__name__", None),
                                                outputs=("dX", "dW", "db"), mistakes=SHARED_MISTAKES, hint=hint,
                                                n_samples=len(c[0]), factors=_scale_factors(*c),
                                                factor_hint=FACTOR_HINT, quiet=True)
                     for c in _cases()])


def check_dense_backward_loop(fn):
    """fn(dout, cache) -> (dX, dW, db) written with loops, cache = (X, W); a rectangular batch and a square one."""
    return _check_both(fn, LOOP_HINT)


def check_dense_backward(fn):
    """fn(dout, cache) -> (dX, dW, db), vectorised, cache = (X, W); a rectangular batch and a square one."""
    return _check_both(fn, VECTOR_HINT)


# -- samples as columns --------------------------------------------------------------------------
def _columns_reference(dout_c, Xc, Wc):
    dX, dW, db = dense_backward(dout_c.T, (Xc.T, Wc.T))  # back to rows-are-samples
    return dX.T, dW.T, db


COLUMNS_MISTAKES = {
    "dbc sums over the wrong axis: the samples are now the columns, axis 1.": lambda dout_c, Xc, Wc: (
        Wc.T @ dout_c,
        dout_c @ Xc.T,
        dout_c.sum(axis=0),
    ),
    "dWc is transposed: it has the shape of Wc, (H, D), so the sample axis N must be the inner size "
    "of (H, N) @ (N, D).": lambda dout_c, Xc, Wc: (Wc.T @ dout_c, Xc @ dout_c.T, dout_c.sum(axis=1)),
    "dXc is transposed: it has the shape of Xc, (D, N), which is (D, H) @ (H, N).": lambda dout_c, Xc, Wc: (
        dout_c.T @ Wc,
        dout_c @ Xc.T,
        dout_c.sum(axis=1),
    ),
}


def check_dense_backward_columns(fn):
    """fn(dout_c, Xc, Wc) -> (dXc, dWc, dbc), with Xc: (D, N), Wc: (H, D), dout_c: (H, N); a batch
    of 6 and one sample with ties and extreme values; one verdict."""
    rng = np.random.default_rng(21)
    cases = ((rng.standard_normal((3, 6)), rng.standard_normal((4, 6)), rng.standard_normal((3, 4))),
             (np.array([[2.0], [2.0], [-1e5]]), np.array([[1.0], [0.0], [1e-3], [1.0]]), rng.standard_normal((3, 4))))
    return in_turn(*[lambda c=c: check_function(fn, _columns_reference, *c, name=getattr(fn, "__name__", None),
                                                outputs=("dXc", "dWc", "dbc"), mistakes=COLUMNS_MISTAKES,
                                                n_samples=c[0].shape[1],
                                                factors=_scale_factors(c[0].T, None), factor_hint=FACTOR_HINT,
                                                hint="write down the shape of each gradient first; N is now the "
                                                     "last axis.", quiet=True)
                     for c in cases])
