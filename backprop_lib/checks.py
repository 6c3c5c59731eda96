"""Exercise checkers: compare a learner's answer with the reference and explain what is wrong.

A check prints its verdict and returns a `CheckResult` (true when it passed). A failed check
shows both shapes, the largest absolute and relative error, a slice of both arrays and a
hint, and names the usual mistakes when it recognises them: a transposed result, a missing
or doubled 1/N, a wrong sign, a constant factor, an input changed in place.

`require` turns a check into a test that raises: the hidden tests of the graded notebooks.
"""

import contextlib
import copy
import io

import numpy as np

PASS, FAIL, TODO = "✅", "❌", "⏳"


class CheckResult:
    """The verdict of a check: `bool(result)` is whether it passed; `str(result)` explains."""

    def __init__(self, passed, message, status=None):
        self.passed = passed
        self.message = message
        self.status = status or ("passed" if passed else "failed")

    def __bool__(self):
        return self.passed

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"CheckResult(passed={self.passed})"

    def _ipython_display_(self):
        pass  # already printed; a check at the end of a cell should not show twice


def _report(result, quiet):
    if not quiet:
        print(result.message)
    return result


def _fmt(arr, rows=3, cols=4):
    """A small corner of an array, for the report."""
    a = np.asarray(arr)
    if a.ndim == 0:
        return f"{a.item():.6g}"
    lead = ""
    if a.ndim > 2:  # images and the like: the first (H, W) plane says enough
        lead, a = "[" + "0, " * (a.ndim - 2) + ":, :] ", a[(0,) * (a.ndim - 2)]
    corner = a[tuple(slice(0, rows if i == 0 else cols) for i in range(a.ndim))]
    more = " ..." if corner.size < a.size else ""
    text = np.array2string(corner + 0.0, precision=5, suppress_small=False, separator=", ", max_line_width=66)
    return lead + text.replace("\n", "\n" + " " * 22) + more  # continuation rows line up under the first


def _close(a, b, rtol, atol):
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol)


def _factor_diagnosis(actual, expected, n_samples, rtol, atol):
    """If actual is expected times a constant, say which mistake that constant points to."""
    denom = float((expected * expected).sum())
    if denom == 0 or expected.size < 2:  # any single number is "a constant times" another
        return None
    c = float((actual * expected).sum()) / denom
    if not np.isfinite(c) or c == 0 or abs(c - 1) < 1e-3 or not _close(actual, c * expected, max(rtol, 1e-6), atol):
        return None

    def near(x):
        return abs(c - x) <= 1e-6 * max(1.0, abs(x))

    if near(-1):
        return "It has the right size but the wrong sign: check the sign of each term (a gradient points uphill)."
    if n_samples:
        if near(n_samples) and n_samples == 2:
            return (
                "It is 2 times too large: the 1/N of the mean (N = 2) is missing, or a factor 2 is "
                "off (the 2 from differentiating a square)."
            )
        if near(n_samples):
            return f"It is {n_samples} times too large: the 1/N of the mean (N = {n_samples}) is missing."
        if near(1 / n_samples):
            return f"It is {n_samples} times too small: 1/N (N = {n_samples}) is applied twice."
        if near(-n_samples) or near(-1 / n_samples):
            return "It has the wrong sign and a wrong 1/N: check both."
    if near(2) or near(0.5):
        also = "" if n_samples else " If the batch has 2 samples, it may instead be a missing or doubled 1/N."
        return (
            f"It is {c:g} times the answer: a factor 2 is off (the 2 from differentiating a square, "
            f"or the 0.5 in front of an L2 penalty).{also}"
        )
    return f"It is a constant {c:.4g} times the answer: a scale factor is wrong somewhere."


def diagnose(actual, expected, name="your answer", rtol=1e-6, atol=1e-9, n_samples=None, hint=None):
    """Compare arrays and return a `CheckResult` without printing."""
    if actual is None:
        return CheckResult(False, f"{FAIL} {name} is None: did the function forget to `return` its result?")
    if isinstance(actual, type(Ellipsis)):
        return CheckResult(False, f"{TODO} {name}: not implemented yet. Replace the `...` with your code.", "todo")
    try:
        a = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        kind = type(actual).__name__
        return CheckResult(False, f"{FAIL} {name} should be a numeric array, got {kind}: {actual!r:.80}")
    e = np.asarray(expected, dtype=np.float64)
    lines = []
    if a.shape != e.shape:
        lines.append(f"{FAIL} {name} has the wrong shape: expected {e.shape}, got {a.shape}.")
        if a.ndim == 2 and a.T.shape == e.shape:
            if _close(a.T, e, rtol, atol):
                lines.append(
                    "It is the right answer transposed: check the order of the product (A.T @ B versus B @ A.T)."
                )
            else:
                lines.append("Its shape is the transpose of the right one: check which side each factor goes on.")
        elif a.size == e.size and _close(a.reshape(e.shape), e, rtol, atol):
            lines.append("The numbers are right but arranged differently: check keepdims, or reshape.")
        elif a.ndim == e.ndim - 1 or a.ndim == e.ndim + 1:
            lines.append("One axis too many or too few: check which axis you summed over and keepdims.")
        if hint:
            lines.append(f"Hint: {hint}")
        return CheckResult(False, "\n".join(lines))
    if not np.isfinite(a).all() and np.isfinite(e).all():
        bad = "NaN" if np.isnan(a).any() else "inf"
        lines.append(f"{FAIL} {name} contains {bad}: look for a division by zero, or log/exp of an extreme value.")
    elif _close(a, e, rtol, atol):
        return CheckResult(True, f"{PASS} {name} is correct (shape {e.shape}, within rtol={rtol:g}).")
    else:
        lines.append(f"{FAIL} {name} does not match the reference.")
    with np.errstate(invalid="ignore"):
        abs_err = np.abs(a - e)
    comparable = np.isfinite(abs_err)  # entries where both are numbers
    why = _factor_diagnosis(a, e, n_samples, rtol, atol) if comparable.all() else None
    if why:
        lines.append(why)
    if comparable.any():
        errs = np.where(comparable, abs_err, -1.0)
        worst = np.unravel_index(np.argmax(errs), errs.shape) if errs.ndim else ()
        rel_ok = comparable & (np.abs(e) > 0)
        rel = f"{np.max(abs_err[rel_ok] / np.abs(e[rel_ok])):.3g}" if rel_ok.any() else "- (every expected entry is 0)"
        largest = f"{np.max(errs):.3g} at index {tuple(int(i) for i in worst)}"
    else:
        largest, rel = "- (no entry is a finite number)", "-"
    lines += [
        f"  shape:              {e.shape} (both)",
        f"  largest abs error:  {largest}",
        f"  largest rel error:  {rel}",
        f"  expected (corner):  {_fmt(e)}",
        f"  got (corner):       {_fmt(a)}",
    ]
    if hint:
        lines.append(f"Hint: {hint}")
    return CheckResult(False, "\n".join(lines))


def check_array(actual, expected, name="your answer", *, rtol=1e-6, atol=1e-9, n_samples=None, hint=None, quiet=False):
    """Check an array (or a number) against the expected one; prints the verdict, returns a CheckResult.

    n_samples: the batch size N, so that a missing or doubled 1/N can be named.
    """
    return _report(diagnose(actual, expected, name, rtol, atol, n_samples, hint), quiet)


def _arg_names(fn, n):
    import inspect  # only a failed in-place check needs it

    try:
        names = [p.name for p in inspect.signature(fn).parameters.values()]
    except (TypeError, ValueError):
        names = []
    return (names + [f"argument {i + 1}" for i in range(len(names), n)])[:n]


def _changed(before, after, path):
    """The path of the first array inside `before` (arrays, tuples, lists, dicts) that differs in `after`."""
    if isinstance(before, np.ndarray):
        same = isinstance(after, np.ndarray) and before.shape == after.shape and np.array_equal(
            before, after, equal_nan=before.dtype.kind in "fc")
        return None if same else path
    if isinstance(before, (tuple, list)):
        for i, (b, a) in enumerate(zip(before, after)):
            found = _changed(b, a, f"{path}[{i}]")
            if found:
                return found
    if isinstance(before, dict):
        for key in before:
            found = _changed(before[key], after.get(key), f"{path}[{key!r}]")
            if found:
                return found
    return None


def _matches(got, want, rtol, atol):
    """Whether `got` equals `want` (an array or a tuple of arrays) to the tolerance."""
    if isinstance(want, tuple):
        return isinstance(got, tuple) and len(got) == len(want) and all(
            _matches(g, w, rtol, atol) for g, w in zip(got, want))
    try:
        return _close(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), rtol, atol)
    except (TypeError, ValueError):
        return False


def _known_mistake(mistakes, got, args, kwargs, rtol, atol):
    """The message of the first known wrong answer that `got` reproduces, if any."""
    for message, wrong in (mistakes or {}).items():
        try:
            want = wrong(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except Exception:  # a mistake that does not apply to these inputs
            continue
        if _matches(got, want, rtol, atol):
            return message
    return None


def _shape_of_result(got, n):
    """Why `got` is not the tuple of `n` results asked for, or None if it is one."""
    if got is None:
        return f"returned None: did the function forget to `return {', '.join(['...'] * n)}`?"
    if isinstance(got, list) and len(got) == n:
        return f"returned a list of {n} values: return them as a tuple, `return a, b, ...`, not `[a, b, ...]`."
    if isinstance(got, tuple):
        return None if len(got) == n else f"should return {n} values, got a tuple of {len(got)}."
    return f"should return {n} values as a tuple, got one {type(got).__name__}."


def check_function(fn, reference, *args, name=None, outputs=None, rtol=1e-6, atol=1e-9, n_samples=None,
                   hint=None, mistakes=None, quiet=False, **kwargs):
    """Call `fn` and `reference` on copies of the same arguments and compare what they return.

    Also fails if `fn` changed one of its array arguments in place (arrays inside tuples,
    lists and dicts included, such as a cache). `outputs` names the parts of a tuple result,
    e.g. ("dX", "dW", "db"). `mistakes` maps a message to a function with the reference's
    signature that computes a known wrong answer: when the learner's result equals one, that
    message is shown, in place of the generic hint.
    """
    name = name or getattr(fn, "__name__", "your function")
    mine = copy.deepcopy(args)
    try:
        got = fn(*mine, **copy.deepcopy(kwargs))
    except NotImplementedError:
        todo = f"{TODO} {name}: not implemented yet. Write your solution above, then run this cell again."
        return _report(CheckResult(False, todo, "todo"), quiet)
    except Exception as exc:  # the learner's code failed: say how, without a traceback wall
        msg = f"{FAIL} {name} raised {type(exc).__name__}: {exc}"
        if hint:
            msg += f"\nHint: {hint}"
        return _report(CheckResult(False, msg), quiet)
    for arg_name, before, after in zip(_arg_names(fn, len(args)), args, mine):
        where = _changed(before, after, arg_name)
        if where:
            return _report(CheckResult(False, (
                f"{FAIL} {name} changed its input `{where}` in place. Work on a copy "
                f"(e.g. `{where}.copy()`, or build a new array) so the caller's data stays as it was."
            )), quiet)
    want = reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    if _matches(got, want, rtol, atol):
        labels = outputs or [f"output {i}" for i in range(len(want))] if isinstance(want, tuple) else None
        if labels:
            return _report(CheckResult(True, f"{PASS} {name} is correct ({', '.join(labels)})."), quiet)
        return _report(diagnose(got, want, name, rtol, atol, n_samples, hint), quiet)
    known = _known_mistake(mistakes, got, args, kwargs, rtol, atol)
    if known:
        return _report(CheckResult(False, f"{FAIL} {name} gives a known wrong answer. {known}"), quiet)
    if isinstance(want, tuple):
        wrong_form = _shape_of_result(got, len(want))
        if wrong_form:
            return _report(CheckResult(False, f"{FAIL} {name} {wrong_form}"), quiet)
        labels = outputs or [f"output {i}" for i in range(len(want))]
        results = [diagnose(g, w, f"{name}: {label}", rtol, atol, n_samples) for g, w, label in zip(got, want, labels)]
        message = "\n".join(r.message for r in results if not r) + (f"\nHint: {hint}" if hint else "")
        return _report(CheckResult(False, message), quiet)
    return _report(diagnose(got, want, name, rtol, atol, n_samples, hint), quiet)


def require(check, *args, **kwargs):
    """Run `check(*args, **kwargs)` without printing; raise AssertionError with its message unless it passed.

    The graded notebooks' hidden tests are calls to `require`: the check cell's visible line
    prints the verdict and never raises, so Run All reaches the end; the hidden line fails the
    cell, and so loses its points, on a wrong or unwritten answer.
    """
    if not callable(check):
        raise TypeError(f"require: expected a check function first, got {type(check).__name__}: {check!r:.60}")
    with contextlib.redirect_stdout(io.StringIO()):  # the visible line has printed the verdict already
        result = check(*args, **kwargs)
    if not isinstance(result, CheckResult):
        raise TypeError(f"require: {getattr(check, '__name__', check)!r} returned {type(result).__name__}, "
                        "expected the CheckResult of a check")
    if not result:
        raise AssertionError(result.message)
    return result
