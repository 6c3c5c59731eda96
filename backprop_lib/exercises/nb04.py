"""Checks for notebook 04, softmax and its Jacobian. Shapes: N samples, C classes.

    from backprop_lib.exercises import nb04 as ex
    ex.check_stable_softmax(stable_softmax)
    ex.check_softmax_jacobian_row(softmax_jacobian_row)
    ex.check_softmax_vjps(softmax_backward_closed, log_softmax_backward)
"""

import numpy as np

from ..activations import softmax, softmax_backward, softmax_jacobian
from ..checks import FAIL, CheckResult, check_function, first_failure, in_turn


def _rng(seed):
    return np.random.default_rng(seed)


EXTREME = np.array([[1000.0, 1001.0, 1002.0],
                    [-1000.0, -1001.0, -1002.0],
                    [0.0, 0.0, 0.0],
                    [0.0, 0.0, 2000.0]])  # (4, 3): overflow, underflow, ties, and a wide spread


# -- exercise 1: a stable softmax -------------------------------------------------------------
def _no_keepdims_max(logits):
    e = np.exp(logits - logits.max(axis=1))
    return e / e.sum(axis=1, keepdims=True)


def _no_keepdims_sum(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1)


def _sum_over_columns(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


STABLE_SOFTMAX_MISTAKES = {
    "The row maxima were subtracted without keepdims=True: logits.max(axis=1) has shape (N,) and, "
    "on a square batch, broadcasts along the wrong axis (each row loses another row's maximum).": _no_keepdims_max,
    "The row sums were taken without keepdims=True: shape (N,) divides the columns, not the rows, "
    "on a square batch.": _no_keepdims_sum,
    "Each column sums to 1 instead of each row: the sum runs over axis=0, the samples, "
    "instead of axis=1, the classes.": _sum_over_columns,
}


def _numerator_only(logits):
    return np.exp(logits - logits.max(axis=1, keepdims=True)) / np.exp(logits).sum(axis=1, keepdims=True)


def _shifted_by(shift):
    def wrong(logits):
        e = np.exp(logits - shift(logits))
        return e / e.sum(axis=1, keepdims=True)

    return wrong


# Wrong answers that only rows like EXTREME's expose, each with the name of its mistake.
OVERFLOW_MISTAKES = {
    "the rows [1000, 1001, 1002] and [-1000, -1001, -1002] come out as NaN: np.exp overflows to inf in the first "
    "and underflows to 0 in the second (0 / 0). Subtract each row's maximum first.": _shifted_by(lambda z: 0.0),
    "one maximum for the whole batch (here 2000) leaves the other rows at e^-1000 or less, which is 0, and 0 / 0 "
    "is NaN. Subtract each row's own maximum (axis=1, keepdims=True).": _shifted_by(lambda z: z.max()),
    "only the numerator was shifted: e^(z - m) / sum e^z. For [1000, 1001, 1002] the denominator overflows and "
    "the row comes out [0, 0, 0]; for [-1000, -1001, -1002] it is 0 and the row is inf. Divide the shifted "
    "exponentials by their own sum.": _numerator_only,
    "the rows were shifted by something other than their maximum (their mean, minimum, median or first entry): "
    "in [0, 0, 2000] the largest exponent stays far above 0 (2000 - 666.7 = 1333 for the mean), and np.exp "
    "overflows. Only each row's maximum makes every exponent at most 0.": _shifted_by(lambda z: z.mean(axis=1, keepdims=True)),
}


def _nan_pattern(fn):
    """Name the overflow mistakes that show only on rows like EXTREME's (NaN, inf, or rows of 0)."""
    try:
        with np.errstate(all="ignore"):
            got = np.asarray(fn(EXTREME.copy()), dtype=np.float64)
    except Exception:  # noqa: BLE001 (any error: the full check reports it)
        return None
    if got.shape != EXTREME.shape:
        return None
    with np.errstate(all="ignore"):
        for message, wrong in OVERFLOW_MISTAKES.items():
            if np.allclose(got, wrong(EXTREME.copy()), equal_nan=True):
                return message
    bad = [str(row.astype(int).tolist()) for row, out in zip(EXTREME, got) if not np.isfinite(out).all()]
    if bad:
        return (f"the row(s) {', '.join(bad)} come out as NaN or inf: some np.exp overflows, or a sum is 0. "
                "Subtract each row's own maximum before exponentiating.")
    return None


def check_stable_softmax(fn):
    """fn(logits: (N, C)) -> probs: (N, C), on a random batch, a square one and extreme rows."""
    nan_rows = _nan_pattern(fn)
    if nan_rows:
        result = CheckResult(False, f"{FAIL} {getattr(fn, '__name__', 'your function')}: {nan_rows}")
        print(result.message)
        return result
    hint = "Shift each row so that its largest logit is 0, exponentiate, then divide each row by its own sum."

    def on(x):
        return lambda: check_function(fn, softmax, x, hint=hint, mistakes=STABLE_SOFTMAX_MISTAKES, quiet=True)

    return in_turn(on(_rng(0).standard_normal((4, 4))), on(_rng(1).standard_normal((5, 3))), on(EXTREME))


# -- exercise 2: the Jacobian of one row ------------------------------------------------------
JACOBIAN_ROW_MISTAKES = {
    "Only the diagonal s_i (1 - s_i) is there: the off-diagonal entries -s_i s_j are missing, "
    "and they matter, since every probability depends on every logit.": lambda s: np.diag(s * (1 - s)),
    "The sign is flipped: the diagonal must be positive (raising a logit raises its own probability), "
    "so it is diag(s) minus the outer product, not the other way round.": lambda s: np.outer(s, s) - np.diag(s),
    "s * s is the elementwise square, shape (C,), which broadcasts along every row: "
    "the (C, C) term needs every product s_i s_j, the outer product.": lambda s: np.diag(s) - s * s,
    "The diagonal holds 1 - s_i s_i instead of s_i - s_i s_i: delta_ij is multiplied by s_i.": (
        lambda s: np.eye(len(s)) - np.outer(s, s)),
    "The delta_ij term is missing: every entry is -s_i s_j, so the diagonal is negative; on the diagonal "
    "the quotient rule leaves s_i (1 - s_i).": lambda s: -np.outer(s, s),
    "The input was put through softmax again: s already holds probabilities, so use it as it is.": (
        lambda s: softmax_jacobian(softmax(s[None, :])[0])),
}


def check_softmax_jacobian_row(fn):
    """fn(s: (C,)) -> J: (C, C), on a hand-made row and a random one."""
    hint = ("Entry (i, j) is d s_i / d z_j: one expression for i = j, another for i != j, both in terms of s. "
            "The input is probabilities, not logits.")

    def on(s):
        return lambda: check_function(fn, softmax_jacobian, s, hint=hint, mistakes=JACOBIAN_ROW_MISTAKES, quiet=True)

    return in_turn(on(np.array([0.659, 0.242, 0.099])), on(softmax(_rng(2).standard_normal((1, 5)))[0]),
                   on(np.full(4, 0.25)), on(np.array([0.0, 1.0, 0.0])))  # ties, then a saturated row


# -- exercise 3: the closed-form vector-Jacobian products -------------------------------------
def softmax_vjp_reference(dout, probs):
    """dout, probs: (N, C) -> dlogits: (N, C), the softmax vector-Jacobian product."""
    return softmax_backward(dout, probs)


def log_softmax_vjp_reference(dout, probs):
    """dout: (N, C) gradient of the log-probabilities, probs: (N, C) -> dlogits: (N, C) = g - s sum(g)."""
    return dout - probs * dout.sum(axis=1, keepdims=True)


SOFTMAX_VJP_MISTAKES = {
    "This treats the Jacobian as diagonal, s*(1-s)*g: that keeps only the terms j = i of the sum "
    "and drops the off-diagonal -s_i s_j g_j, which is where every other class's gradient comes in.": (
        lambda dout, probs: probs * (1 - probs) * dout),
    "The sign is flipped: (J g)_i = s_i (g_i - s . g), the sample's own gradient first and the weighted "
    "sum subtracted from it.": lambda dout, probs: probs * ((dout * probs).sum(axis=1, keepdims=True) - dout),
    "The per-sample sums lost their axis (keepdims missing): a shape (N,) array broadcasts along the "
    "classes, so on a square batch each row is corrected with the other samples' sums.": (
        lambda dout, probs: probs * (dout - (dout * probs).sum(axis=1))),
    "The sum runs over the wrong axis: s . g is a sum over the classes of ONE sample (axis=1), "
    "not over the batch (axis=0).": lambda dout, probs: probs * (dout - (dout * probs).sum(axis=0, keepdims=True)),
    "The factor s_i in front is missing: (J g)_i = s_i (g_i - s . g), not g_i - s . g.": (
        lambda dout, probs: dout - (dout * probs).sum(axis=1, keepdims=True)),
    "The sum is of g alone: the subtracted number is the probability-weighted sum s . g = sum_j s_j g_j.": (
        lambda dout, probs: probs * (dout - dout.sum(axis=1, keepdims=True))),
}

LOG_SOFTMAX_VJP_MISTAKES = {
    "This is the softmax's product s * (g - s . g): the Jacobian of log s has entries delta_ij - s_j, "
    "with no factor s_i in front.": lambda dout, probs: probs * (dout - (dout * probs).sum(axis=1, keepdims=True)),
    "The subtracted term is weighted the wrong way round: column j of delta_ij - s_j carries s_j, so "
    "the sum over i is of g alone and s_j multiplies it.": (
        lambda dout, probs: dout - (dout * probs).sum(axis=1, keepdims=True)),
    "The sign is flipped: dz_j = g_j - s_j sum_i g_i.": (
        lambda dout, probs: probs * dout.sum(axis=1, keepdims=True) - dout),
    "The per-sample sums lost their axis (keepdims missing): on a square batch a shape (N,) array broadcasts "
    "along the classes.": lambda dout, probs: dout - probs * dout.sum(axis=1),
    "The sum runs over the batch (axis=0) instead of over one sample's classes (axis=1).": (
        lambda dout, probs: dout - probs * dout.sum(axis=0, keepdims=True)),
    "Only the diagonal 1 - s_i of the Jacobian is used: the off-diagonal -s_j terms are missing.": (
        lambda dout, probs: dout * (1 - probs)),
}


def _vjp_inputs(seed, shape):
    rng = _rng(seed)
    return rng.standard_normal(shape), softmax(2 * rng.standard_normal(shape))


def check_softmax_vjps(softmax_fn, log_softmax_fn):
    """softmax_fn(dout, probs) and log_softmax_fn(dout, probs), both (N, C) -> dlogits: (N, C).

    Each on a square batch first (where a missing keepdims broadcasts silently), then a tall
    one; prints one verdict per function and returns a CheckResult that passes if both do.
    """
    hints = (
        ("Write (J g)_i as a sum over j and split it at delta_ij; one of the two parts is the same number "
         "for every i of a sample, shape (N, 1)."),
        "The Jacobian of log s_i is delta_ij - s_j; multiply it out like the softmax's.",
    )

    def on(fn, reference, mistakes, hint, seed, shape):
        args = _vjp_inputs(seed, shape)
        return lambda: check_function(fn, reference, *args, hint=hint, mistakes=mistakes, quiet=True)

    results = []
    for fn, reference, mistakes, hint in [(softmax_fn, softmax_vjp_reference, SOFTMAX_VJP_MISTAKES, hints[0]),
                                          (log_softmax_fn, log_softmax_vjp_reference, LOG_SOFTMAX_VJP_MISTAKES,
                                           hints[1])]:
        results.append(first_failure([on(fn, reference, mistakes, hint, seed, shape)
                                      for seed, shape in [(4, (4, 4)), (5, (6, 5)), (6, (2, 7)), (7, (1, 3))]]))
    status = "todo" if any(r.status == "todo" for r in results) else None
    if status or all(results):
        message = "\n".join(r.message for r in results)
    else:  # one verdict for the cell: which function is wrong, then why
        names = [getattr(fn, "__name__", "your function") for fn in (softmax_fn, log_softmax_fn)]
        wrong = [name for name, r in zip(names, results) if not r]
        right = [name for name, r in zip(names, results) if r]
        details = [r.message.replace(f"{FAIL} ", "", 1) for r in results if not r]
        message = "\n".join([f"{FAIL} wrong: {', '.join(wrong)}; right: {', '.join(right) or 'none'}.", *details])
    print(message)
    return CheckResult(all(results), message, status)
