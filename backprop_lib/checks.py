"""Exercise checkers: compare a learner's answer with the reference and explain what is wrong.

A check prints its verdict and returns a `CheckResult` (true when it passed). A failed check
shows both shapes, the largest absolute and relative error, a slice of both arrays and a
hint, and names the usual mistakes when it recognises them: a transposed result, a missing
or doubled 1/N, a wrong sign, a constant factor, an input changed in place.

A result with several outputs gets one summary line (which are wrong, which are right) and the
first wrong output in detail; the excerpt of both arrays is centred on the largest error; a
learner's exception is reported at the line of the learner's own code that raised it.
`in_turn` (or the `one_verdict` decorator) runs several cases and prints one verdict;
`ignores_argument` and `division_slips` name a hard-coded argument and a `/ 2 * h` slip.

`require` turns a check into a test that raises: the hidden tests of the graded notebooks.
"""

import contextlib
import copy
import functools
import inspect
import io
import os
import sysconfig
import traceback

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


def _window(n, centre, size):
    """The slice of `size` indices out of n that has `centre` in its middle (shifted to fit)."""
    start = min(max(centre - size // 2, 0), max(n - size, 0))
    return slice(start, min(start + size, n))


def _excerpt(arr, centre, precision=5, rows=3, cols=4):
    """(text, where, whole): the part of an array around the index `centre`, the index ranges it
    covers, and whether that is the whole array."""
    a = np.asarray(arr)
    if a.ndim == 0:
        return f"{a.item():.{max(precision, 6)}g}", "", True
    lead = tuple(int(i) for i in centre[:-2])  # images and the like: the (H, W) plane of the error
    plane = a[lead] if lead else a
    sizes = (rows, cols) if plane.ndim == 2 else (2 * cols,)
    window = tuple(_window(n, int(c), k) for n, c, k in zip(plane.shape, centre[len(lead):], sizes))
    part = plane[window]
    text = np.array2string(part + 0.0, precision=precision, suppress_small=False, separator=", ",
                           max_line_width=66)
    where = ", ".join([str(i) for i in lead] + [f"{w.start}:{w.stop}" for w in window])
    more = "" if part.size == a.size else " ..."
    return text.replace("\n", "\n" + " " * 22) + more, where, part.size == a.size


def _fmt(arr, rows=3, cols=4):
    """The top-left corner of an array, for a report."""
    a = np.asarray(arr)
    return _excerpt(a, (0,) * a.ndim, rows=rows, cols=cols)[0]


def _excerpt_lines(e, a, centre):
    """The `expected` / `got` lines around `centre`, with enough digits that they differ when the arrays do."""
    for precision in (5, 8, 12, 17):
        want, where, whole = _excerpt(e, centre, precision)
        got = _excerpt(a, centre, precision)[0]
        if want != got:
            break
    lines = []
    if not whole:
        lines.append(f"  showing:            [{where}] of {e.shape}, around index {tuple(int(i) for i in centre)}")
    return [*lines, f"  expected:           {want}", f"  got:                {got}"]


def _close(a, b, rtol, atol):
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol)


def _near(c, x):
    return abs(c - x) <= 1e-6 * max(abs(x), 1e-300)


def _named_factor(c, factors):
    """The message for the named factor that `c` equals, if any."""
    for value, message in (factors or {}).items():
        if _near(c, value):
            return message
    return None


def _factor_diagnosis(actual, expected, n_samples, rtol, atol, factor_hint=None, factors=None):
    """If actual is expected times a constant, say which mistake that constant points to."""
    denom = float((expected * expected).sum())
    if denom == 0:
        return None
    c = float((actual * expected).sum()) / denom
    if not np.isfinite(c) or c == 0 or abs(c - 1) < 1e-3 or not _close(actual, c * expected, max(rtol, 1e-6), atol):
        return None
    named = _named_factor(c, factors)
    if named:
        return named
    if expected.size < 2:  # any single number is "a constant times" another: only named factors say something
        return None

    def near(x):
        return abs(c - x) <= 1e-6 * max(1.0, abs(x))

    two = f" ({factor_hint})" if factor_hint else ""
    if near(-1):
        return "It has the right size but the wrong sign: check the sign of each term (a gradient points uphill)."
    if n_samples:
        if near(n_samples) and n_samples == 2:
            return f"It is 2 times too large: the 1/N of the mean (N = 2) is missing, or a factor 2 is off{two}."
        if near(n_samples):
            return f"It is {n_samples} times too large: the 1/N of the mean (N = {n_samples}) is missing."
        if near(1 / n_samples):
            return f"It is {n_samples} times too small: 1/N (N = {n_samples}) is applied twice."
        if near(-n_samples) or near(-1 / n_samples):
            return "It has the wrong sign and a wrong 1/N: check both."
    if near(2) or near(0.5):
        also = "" if n_samples else " If the batch has 2 samples, it may instead be a missing or doubled 1/N."
        return f"It is {c:g} times the answer: a factor 2 is off{two}.{also}"
    return f"It is a constant {c:.4g} times the answer: a scale factor is wrong somewhere."


def _not_finite_lines(a, e):
    """The report lines for an answer with inf or NaN where the reference has a number."""
    bad = ~np.isfinite(a) & np.isfinite(e)
    first = tuple(int(i) for i in np.argwhere(bad)[0]) if a.ndim else ()
    kinds = " or ".join(k for k, m in (("inf", np.isinf(a) & bad), ("NaN", np.isnan(a) & bad)) if m.any())
    if not a.ndim:
        return first, [f"  not finite:         the value is {kinds}, where {e[first]:.6g} was expected"]
    count = int(bad.sum())
    return first, [f"  not finite:         {count} of {a.size} {'entry is' if count == 1 else 'entries are'} {kinds}; "
                   f"the first at index {first}, where {e[first]:.6g} was expected"]


def diagnose(actual, expected, name="your answer", rtol=1e-6, atol=1e-9, n_samples=None, hint=None,
             factor_hint=None, factors=None):
    """Compare arrays and return a `CheckResult` without printing.

    n_samples: the batch size N, so that a missing or doubled 1/N is named. factor_hint: what a
    factor 2 would come from here (e.g. "the 2 from differentiating a square"). factors: {constant:
    message} for answers that are a known constant times the right one (see `division_slips`).
    """
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
    not_finite = (~np.isfinite(a) & np.isfinite(e)).any()
    if not_finite:
        bad = "NaN" if np.isnan(a[np.isfinite(e)]).any() else "inf"
        lines.append(f"{FAIL} {name} contains {bad}: look for a division by zero, or log/exp of an extreme value.")
    elif _close(a, e, rtol, atol):
        return CheckResult(True, f"{PASS} {name} is correct (shape {e.shape}, within rtol={rtol:g}).")
    else:
        lines.append(f"{FAIL} {name} does not match the reference.")
    with np.errstate(invalid="ignore", over="ignore"):
        abs_err = np.abs(a - e)
    comparable = np.isfinite(abs_err)  # entries where both are numbers
    if not_finite:
        centre, more = _not_finite_lines(a, e)
        lines += [f"  shape:              {e.shape} (both)", *more]
    else:
        why = _factor_diagnosis(a, e, n_samples, rtol, atol, factor_hint, factors) if comparable.all() else None
        if not why and getattr(actual, "dtype", None) == np.float32 and _close(a, e, 1e-4, 1e-6):
            why = ("It is right to about 7 significant digits, all that float32 keeps: the reference is float64, "
                   "so keep your arrays in float64 (x.astype(np.float64), or create them without dtype=np.float32).")
        if why:
            lines.append(why)
        if comparable.any():
            errs = np.where(comparable, abs_err, -1.0)
            centre = np.unravel_index(np.argmax(errs), errs.shape) if errs.ndim else ()
            rel_ok = comparable & (np.abs(e) > 0)
            rel = (f"{np.max(abs_err[rel_ok] / np.abs(e[rel_ok])):.3g}" if rel_ok.any()
                   else "- (every expected entry is 0)")
            largest = f"{np.max(errs):.3g} at index {tuple(int(i) for i in centre)}"
        else:
            centre = (0,) * a.ndim
            largest, rel = "- (no entry is a finite number)", "-"
        lines += [
            f"  shape:              {e.shape} (both)",
            f"  largest abs error:  {largest}",
            f"  largest rel error:  {rel}",
        ]
    lines += _excerpt_lines(e, a, centre)
    if hint:
        lines.append(f"Hint: {hint}")
    return CheckResult(False, "\n".join(lines))


def check_array(actual, expected, name="your answer", *, rtol=1e-6, atol=1e-9, n_samples=None, hint=None,
                factor_hint=None, factors=None, quiet=False):
    """Check an array (or a number) against the expected one; prints the verdict, returns a CheckResult.

    n_samples: the batch size N, so that a missing or doubled 1/N can be named; factor_hint and
    factors: see `diagnose`.
    """
    return _report(diagnose(actual, expected, name, rtol, atol, n_samples, hint, factor_hint, factors), quiet)


def _arg_names(fn, n):
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
            with np.errstate(all="ignore"):  # a known mistake may overflow or divide by 0: no warning for it
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


_NOT_YOURS = tuple(os.path.normcase(os.path.realpath(d)) + os.sep for d in (
    os.path.dirname(__file__), os.path.dirname(np.__file__), sysconfig.get_paths()["stdlib"]))


def _where_raised(exc):
    """'at line 4 of your cell' (or of the learner's file) for the last frame of the learner's own code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not os.path.normcase(os.path.realpath(f.filename)).startswith(_NOT_YOURS)
              and not f.filename.startswith("<frozen")]
    if not frames:
        return "", ""
    frame = frames[-1]
    base = os.path.basename(frame.filename)
    cell = frame.filename.startswith("<ipython-input-") or "ipykernel_" in frame.filename
    where = f" at line {frame.lineno} of your cell" if cell else f" at line {frame.lineno} of {base}"
    return where, f"\n  line {frame.lineno}: {frame.line}" if frame.line else ""


def _summary_detail(result, label):
    """The detail of one wrong output, without its mark; its reason joins the first line."""
    lines = result.message.split("\n")
    first = lines[0].removeprefix(FAIL).strip()
    if first == f"{label} does not match the reference." and len(lines) > 1 and not lines[1][:1].isspace():
        return "\n".join([f"{label}: {lines[1]}", *lines[2:]])
    return "\n".join([first, *lines[1:]])


def check_function(fn, reference, *args, name=None, outputs=None, rtol=1e-6, atol=1e-9, n_samples=None,
                   hint=None, mistakes=None, quiet=False, factor_hint=None, factors=None, **kwargs):
    """Call `fn` and `reference` on copies of the same arguments and compare what they return.

    Also fails if `fn` changed one of its array arguments in place (arrays inside tuples,
    lists and dicts included, such as a cache). `outputs` names the parts of a tuple result,
    e.g. ("dX", "dW", "db"); a wrong tuple gets one line saying which parts are wrong and which
    right, then the first wrong part in detail. `mistakes` maps a message to a function with the
    reference's signature that computes a known wrong answer: when the learner's result equals
    one, that message is shown, in place of the generic hint. `n_samples` is the batch size, or
    a function of the arguments that returns it (e.g. `lambda dout, cache: len(dout)`), so that
    a missing or doubled 1/N is named; `factor_hint` and `factors`: see `diagnose`.
    """
    name = name or getattr(fn, "__name__", "your function")
    if callable(n_samples):
        n_samples = n_samples(*args, **kwargs)
    mine = copy.deepcopy(args)
    try:
        got = fn(*mine, **copy.deepcopy(kwargs))
    except NotImplementedError:
        todo = f"{TODO} {name}: not implemented yet. Write your solution above, then run this cell again."
        return _report(CheckResult(False, todo, "todo"), quiet)
    except Exception as exc:  # the learner's code failed: say where and how, without a traceback wall
        where, line = _where_raised(exc)
        msg = f"{FAIL} {name} raised {type(exc).__name__}{where}: {exc}{line}"
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
    compare = {"n_samples": n_samples, "factor_hint": factor_hint, "factors": factors}
    if _matches(got, want, rtol, atol):
        labels = outputs or [f"output {i}" for i in range(len(want))] if isinstance(want, tuple) else None
        if labels:
            return _report(CheckResult(True, f"{PASS} {name} is correct ({', '.join(labels)})."), quiet)
        return _report(diagnose(got, want, name, rtol, atol, hint=hint, **compare), quiet)
    known = _known_mistake(mistakes, got, args, kwargs, rtol, atol)
    if known:
        return _report(CheckResult(False, f"{FAIL} {name} gives a known wrong answer. {known}"), quiet)
    if isinstance(want, tuple):
        wrong_form = _shape_of_result(got, len(want))
        if wrong_form:
            return _report(CheckResult(False, f"{FAIL} {name} {wrong_form}"), quiet)
        labels = list(outputs or [f"output {i}" for i in range(len(want))])
        results = [diagnose(g, w, label, rtol, atol, **compare) for g, w, label in zip(got, want, labels)]
        wrong = [label for label, r in zip(labels, results) if not r]
        right = [label for label, r in zip(labels, results) if r]
        summary = f"{FAIL} {name}: wrong: {', '.join(wrong)}" + (f"; right: {', '.join(right)}" if right else "")
        first = _summary_detail(results[labels.index(wrong[0])], wrong[0])
        message = f"{summary}\n{first}" + (f"\nHint: {hint}" if hint else "")
        return _report(CheckResult(False, message), quiet)
    return _report(diagnose(got, want, name, rtol, atol, hint=hint, **compare), quiet)


def check_cases(fn, reference, cases, explain=None, **options):
    """Quiet `check_function` on each (label, args) case until one fails -> [(label, CheckResult), ...].

    `explain(got, args)` may name a mistake that no fixed wrong answer reproduces (a new random
    mask, a swapped axis that only raises); its sentence replaces the generic report.
    """
    name = getattr(fn, "__name__", "your function")
    results = []
    for label, args in cases:
        result = check_function(fn, reference, *args, name=name, quiet=True, **options)
        if not result and result.status != "todo" and explain and "known wrong answer" not in result.message:
            try:
                got = fn(*copy.deepcopy(args))
            except Exception:  # the check has said how it failed
                got = None
            reason = None if got is None else explain(got, args)
            if reason:
                result = CheckResult(False, f"{FAIL} {name}: {reason}")
        results.append((label, result))
        if not result:
            break
    return results


def first_failure(checks):
    """Run quiet checks (zero-argument functions returning a CheckResult) until one fails.

    Returns the first failure, or the last result if every check passed; a check that is not
    implemented yet stops the others.
    """
    result = None
    for check in checks:
        result = check()
        if not result:
            break
    return result


def in_turn(*checks):
    """Run quiet checks (zero-argument functions) until one fails and print ONE verdict: the
    first failure, or the last pass. Use it where a check tries several cases, so that a cell
    never shows a pass and a failure together.

        return in_turn(*[lambda c=c: check_function(fn, ref, *c, quiet=True) for c in cases])
    """
    result = first_failure(checks)
    print(result.message)
    return result


def one_verdict(check):
    """Decorator for a check that runs several cases: whatever the cases print is held back, and
    only the verdict the check returns is printed, once."""
    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        with contextlib.redirect_stdout(io.StringIO()):
            result = check(*args, **kwargs)
        if isinstance(result, CheckResult):
            print(result.message)
        return result
    return wrapper


def ignores_argument(reference, arg, value):
    """A `mistakes` entry for an answer that ignores the argument `arg` and always uses `value`
    (a number written into the code, often the default): {message: wrong answer}. Use it in a
    case that passes another value of `arg`."""
    def wrong(*args, **kwargs):
        bound = inspect.signature(reference).bind(*args, **kwargs)
        bound.arguments[arg] = value
        return reference(*bound.args, **bound.kwargs)

    message = (f"Your answer ignores the argument {arg}: it is the answer for {arg} = {value:g} whatever "
               f"{arg} it is given (a number written into the code?). Use the argument.")
    return {message: wrong}


def division_slips(h, divisor="2 * h"):
    """`factors` for a result divided by `2 * h` with a precedence slip: `/ 2 * h` divides by 2
    and then MULTIPLIES by h (the answer times h**2), `/ h * 2` gives 4 times the answer."""
    return {
        h * h: (f"It is the answer times h**2 = {h * h:g}: `... / 2 * h` divides by 2 and then multiplies by h "
                f"(Python reads it as `(... / 2) * h`); write `/ ({divisor})`."),
        4.0: f"It is 4 times the answer: `... / h * 2` divides by h and then multiplies by 2; write `/ ({divisor})`.",
    }


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
