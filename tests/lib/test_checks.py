"""The exercise checkers: right answers pass, and the usual wrong answers are named."""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.checks import (
    check_array,
    check_function,
    diagnose,
    division_slips,
    ignores_argument,
    in_turn,
    one_verdict,
)


def dense_grads(X, W, dout):
    return X.T @ dout, dout.sum(axis=0)


@pytest.fixture
def arrays(rng):
    X = rng.standard_normal((6, 4))
    dout = rng.standard_normal((6, 3))
    return X, dout, X.T @ dout


def test_a_right_answer_passes(arrays, capsys):
    X, dout, dW = arrays
    result = check_array(dW + 1e-12, dW, "dW")
    assert result and result.passed
    assert "✅ dW is correct" in capsys.readouterr().out


def test_transposed(arrays):
    X, dout, dW = arrays
    r = diagnose(dW.T, dW, "dW")
    assert not r
    assert "wrong shape: expected (4, 3), got (3, 4)" in r.message
    assert "right answer transposed" in r.message


def test_missing_and_doubled_one_over_n(arrays):
    X, dout, dW = arrays
    assert "the 1/N of the mean (N = 6) is missing" in diagnose(dW * 6, dW, n_samples=6).message
    assert "1/N (N = 6) is applied twice" in diagnose(dW / 6, dW, n_samples=6).message


def test_wrong_sign_and_factors(arrays):
    X, dout, dW = arrays
    assert "wrong sign" in diagnose(-dW, dW).message
    assert "a factor 2 is off" in diagnose(2 * dW, dW).message
    assert "a factor 2 is off" in diagnose(0.5 * dW, dW).message
    assert "constant 3.7 times" in diagnose(3.7 * dW, dW).message


def test_failure_report_has_shapes_errors_slices_and_hint(arrays):
    X, dout, dW = arrays
    wrong = dW.copy()
    wrong[1, 2] += 0.5
    msg = diagnose(wrong, dW, "dW", hint="dW = X.T @ dout").message
    assert "❌ dW does not match" in msg
    assert "shape:              (4, 3) (both)" in msg
    assert "largest abs error:  0.5 at index (1, 2)" in msg
    assert "largest rel error:" in msg
    assert "  expected:  " in msg and "  got:  " in msg
    assert msg.endswith("Hint: dW = X.T @ dout")


def test_keepdims_shape(rng):
    v = rng.standard_normal(3)
    assert "check keepdims" in diagnose(v[None, :], v).message


def test_none_nan_and_not_numbers():
    assert "forget to `return`" in diagnose(None, np.ones(2)).message
    assert "contains NaN" in diagnose(np.array([1.0, np.nan]), np.ones(2)).message
    assert "should be a numeric array" in diagnose("abc", np.ones(2)).message


def test_check_function_passes_and_names_outputs(arrays, capsys):
    X, dout, _ = arrays
    W = np.ones((4, 3))
    assert check_function(dense_grads, dense_grads, X, W, dout, outputs=("dW", "db"))
    assert "is correct (dW, db)" in capsys.readouterr().out


def test_check_function_catches_in_place_modification(rng):
    def relu_in_place(x):
        x[x < 0] = 0
        return x

    r = check_function(relu_in_place, lambda x: np.maximum(x, 0), rng.standard_normal((3, 3)), quiet=True)
    assert not r
    assert "changed its input `x` in place" in r.message


def test_check_function_reports_exceptions_and_todo(rng):
    def todo(x):
        raise NotImplementedError

    def broken(x):
        return x @ np.ones((5, 5))

    r = check_function(todo, np.tanh, rng.standard_normal(3), quiet=True)
    assert r.status == "todo" and "not implemented yet" in r.message
    r = check_function(broken, np.tanh, rng.standard_normal((2, 3)), quiet=True, hint="use np.tanh")
    assert "raised ValueError" in r.message and "Hint: use np.tanh" in r.message


def test_check_function_wrong_number_of_outputs(arrays):
    X, dout, _ = arrays
    r = check_function(lambda X, W, dout: X.T @ dout, dense_grads, X, np.ones((4, 3)), dout, quiet=True)
    assert "should return 2 values as a tuple, got one ndarray" in r.message


def test_check_function_tuple_with_one_wrong_part(arrays):
    X, dout, _ = arrays

    def mine(X, W, dout):
        return X.T @ dout, dout.sum(axis=0) / 6

    r = check_function(mine, dense_grads, X, np.ones((4, 3)), dout, outputs=("dW", "db"), n_samples=6, quiet=True)
    assert not r
    assert "db" in r.message and "applied twice" in r.message and "dW does not match" not in r.message


def test_result_does_not_display_twice():
    r = bl.checks.CheckResult(True, "ok")
    assert r._ipython_display_() is None
    assert repr(r) == "CheckResult(passed=True)"


@pytest.mark.parametrize("answer", [np.nan, np.full((2, 3), np.nan), np.array([[np.inf, 1.0, 2.0], [0.0, np.nan, 1.0]])])
def test_an_answer_of_nan_or_inf_is_reported_not_raised(answer):
    expected = np.ones((2, 3)) if np.ndim(answer) else 1.0
    result = diagnose(answer, expected, name="loss")
    assert not result.passed and ("NaN" in result.message or "inf" in result.message)


def three_grads(dout, cache):
    X, W = cache
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)


@pytest.fixture
def dense_case(rng):
    return rng.standard_normal((5, 3)), (rng.standard_normal((5, 4)), rng.standard_normal((4, 3)))


def test_a_forgotten_return_is_named_as_such(dense_case):
    def forgot(dout, cache):
        X, W = cache
        dX = dout @ W.T  # noqa: F841 (the mistake under test)

    r = check_function(forgot, three_grads, *dense_case, quiet=True)
    assert "returned None: did the function forget to `return" in r.message
    assert "got 1" not in r.message


def test_a_list_instead_of_a_tuple_is_named_as_such(dense_case):
    r = check_function(lambda dout, cache: list(three_grads(dout, cache)), three_grads, *dense_case, quiet=True)
    assert "returned a list of 3 values: return them as a tuple" in r.message
    assert "got 1" not in r.message


def test_missing_one_over_n_with_two_samples_is_not_only_a_factor_two(rng):
    X, dout = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))

    def mean_grad(X, dout):
        return X.T @ dout / 2

    r = check_function(lambda X, dout: X.T @ dout, mean_grad, X, dout, quiet=True)
    assert "missing or doubled 1/N" in r.message  # N unknown: both readings are offered
    r = check_function(lambda X, dout: X.T @ dout, mean_grad, X, dout, n_samples=2, quiet=True)
    assert "the 1/N of the mean (N = 2) is missing, or a factor 2" in r.message


def test_an_input_changed_inside_a_cache_tuple_fails(dense_case):
    def scribbles_on_the_cache(dout, cache):
        X, W = cache
        X *= 0  # in place: the caller's cache changes
        return three_grads(dout, (X, W))

    r = check_function(scribbles_on_the_cache, three_grads, *dense_case, quiet=True)
    assert not r
    assert "changed its input `cache[0]` in place" in r.message


def test_a_known_mistake_is_named_and_replaces_the_generic_hint(rng):
    probs = bl.softmax(rng.standard_normal((4, 3)))
    dout = rng.standard_normal((4, 3))

    def diagonal_only(dout, probs):
        return probs * (1 - probs) * dout

    mistakes = {"You used only the diagonal of the Jacobian, s * (1 - s) * g.": diagonal_only}
    r = check_function(diagonal_only, bl.softmax_backward_einsum, dout, probs, mistakes=mistakes,
                       hint="keepdims=True keeps the sum a column", quiet=True)
    assert "known wrong answer. You used only the diagonal of the Jacobian" in r.message
    assert "keepdims" not in r.message
    assert check_function(bl.softmax_backward_einsum, bl.softmax_backward_einsum, dout, probs,
                          mistakes=mistakes, quiet=True)


# -- several outputs: one summary line, then the first wrong output ----------------------------------
def fork(x, y, dout):
    return dout * x, dout * y, dout * (x + y)


def test_a_tuple_result_gets_one_summary_line_and_one_detail(rng):
    x, y, dout = rng.standard_normal((3, 5))

    def two_wrong(x, y, dout):
        dx, dy, ds = fork(x, y, dout)
        return -dx, dy, 3 * ds

    r = check_function(two_wrong, fork, x, y, dout, outputs=("dx", "dy", "ds"), hint="h", quiet=True)
    lines = r.message.split("\n")
    assert lines[0] == "❌ two_wrong: wrong: dx, ds; right: dy"
    assert lines[1].startswith("dx: It has the right size but the wrong sign")
    assert r.message.count("❌") == 1 and r.message.count("shape:") == 1  # only the first wrong one in detail
    assert "ds" not in "\n".join(lines[1:]) and lines[-1] == "Hint: h"


def test_a_tuple_with_every_output_wrong_lists_no_right_ones(rng):
    x, y, dout = rng.standard_normal((3, 4))
    r = check_function(lambda x, y, dout: tuple(2.5 * g for g in fork(x, y, dout)), fork, x, y, dout,
                       outputs=("dx", "dy", "ds"), name="fork", quiet=True)
    assert r.message.split("\n")[0] == "❌ fork: wrong: dx, dy, ds"


# -- the excerpt is centred on the largest error -------------------------------------------------------
def test_the_excerpt_shows_where_the_error_is_and_says_which_part(rng):
    e = rng.standard_normal((8, 9))
    a = e.copy()
    a[6, 7] += 1e-4  # far from the top-left corner, and too small to show at 5 digits in most entries
    msg = diagnose(a, e, "dW").message
    assert "showing:            [5:8, 5:9] of (8, 9), around index (6, 7)" in msg
    want = msg.split("expected:")[1].split("got:")[0]
    got = msg.split("got:")[1]
    assert want.strip() != got.strip()


def test_expected_and_got_never_print_alike_when_they_differ():
    e = np.array([[1.0, 2.0], [3.0, 4.0]])
    a = e.copy()
    a[1, 1] += 1e-7  # within 5 digits, so more are shown
    msg = diagnose(a, e, rtol=1e-12, atol=0).message
    want, got = msg.split("expected:")[1].split("got:")
    assert want.strip() != got.strip()
    assert "showing" not in msg  # the whole array is shown: no range to name


def test_the_excerpt_of_an_image_takes_the_plane_of_the_error(rng):
    e = rng.standard_normal((2, 3, 5, 6))
    a = e.copy()
    a[1, 2, 3, 4] = 9.0
    msg = diagnose(a, e).message
    assert "[1, 2, 2:5, 2:6] of (2, 3, 5, 6), around index (1, 2, 3, 4)" in msg
    assert " 9. " in msg


# -- inf and NaN --------------------------------------------------------------------------------------
def test_inf_in_the_answer_is_counted_and_located_not_hidden_behind_a_finite_error():
    e = np.full((3, 4), 0.25)
    a = e + 8.33e-17
    a[1, 2:] = np.inf
    msg = diagnose(a, e, "dW").message
    assert "contains inf" in msg
    assert "not finite:         2 of 12 entries are inf; the first at index (1, 2), where 0.25 was expected" in msg
    assert "largest abs error" not in msg and "8.33e-17" not in msg


def test_nan_in_a_single_number_is_named():
    msg = diagnose(np.nan, 1.5, "loss").message
    assert "contains NaN" in msg and "the value is NaN, where 1.5 was expected" in msg


# -- the learner's line --------------------------------------------------------------------------------
def test_an_exception_names_the_line_of_the_learners_code(rng):
    def broken(x):
        y = x * 2
        return y @ np.ones((5, 5))  # the line that raises

    r = check_function(broken, np.tanh, rng.standard_normal((2, 3)), quiet=True)
    line = broken.__code__.co_firstlineno + 2
    assert f"raised ValueError at line {line} of test_checks.py: matmul" in r.message
    assert "return y @ np.ones((5, 5))" in r.message


def test_an_exception_in_a_notebook_cell_names_the_cell():
    namespace = {"np": np}
    code = compile("def cell_fn(x):\n    a = 1\n    return x @ np.ones((7, 7))\n", "/tmp/ipykernel_1/123.py", "exec")
    exec(code, namespace)
    r = check_function(namespace["cell_fn"], np.tanh, np.ones((2, 3)), quiet=True)
    assert "raised ValueError at line 3 of your cell: matmul" in r.message


# -- one verdict per cell -----------------------------------------------------------------------------
def hard_coded_leaky(dout, x, alpha=0.01):
    return np.where(x > 0, dout, 0.01 * dout)


def leaky(dout, x, alpha=0.01):
    return np.where(x > 0, dout, alpha * dout)


def test_in_turn_prints_one_verdict_the_first_failure(capsys):
    dout, x = np.ones(4), np.array([-1.0, 0.0, 1.0, 2.0])
    r = in_turn(*[lambda a=a: check_function(hard_coded_leaky, leaky, dout, x, a, quiet=True) for a in (0.01, 0.2)])
    out = capsys.readouterr().out
    assert not r and "✅" not in out and out.count("❌") == 1


def test_in_turn_prints_one_pass(capsys):
    dout, x = np.ones(4), np.array([-1.0, 0.0, 1.0, 2.0])
    assert in_turn(*[lambda a=a: check_function(leaky, leaky, dout, x, a, quiet=True) for a in (0.01, 0.2)])
    assert capsys.readouterr().out.count("✅") == 1


def test_one_verdict_holds_back_what_the_cases_print(capsys):
    @one_verdict
    def check(fn):
        result = None
        for a in (0.01, 0.2):
            result = check_function(fn, leaky, np.ones(3), np.array([-1.0, 0.0, 1.0]), a)
            if not result:
                return result
        return result

    assert not check(hard_coded_leaky)
    out = capsys.readouterr().out
    assert "✅" not in out and out.count("❌") == 1 and check.__name__ == "check"


# -- named mistakes ---------------------------------------------------------------------------------------
def test_a_hard_coded_argument_is_named():
    mistakes = ignores_argument(leaky, "alpha", 0.01)
    r = check_function(hard_coded_leaky, leaky, np.ones(3), np.array([-1.0, 0.0, 1.0]), 0.2, mistakes=mistakes,
                       quiet=True)
    assert "ignores the argument alpha: it is the answer for alpha = 0.01 whatever alpha it is given" in r.message
    r = check_function(hard_coded_leaky, leaky, np.ones(3), np.array([-1.0, 0.0, 1.0]), alpha=0.3,
                       mistakes=mistakes, quiet=True)
    assert "ignores the argument alpha" in r.message


def central(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_a_division_precedence_slip_is_named_even_for_one_number():
    def slip(f, x, h):
        return (f(x + h) - f(x - h)) / 2 * h

    r = check_function(slip, central, np.sin, 0.7, 1e-3, factors=division_slips(1e-3), quiet=True)
    assert "answer times h**2 = 1e-06: `... / 2 * h` divides by 2 and then multiplies by h" in r.message
    r = check_function(lambda f, x, h: (f(x + h) - f(x - h)) / h * 2, central, np.sin, 0.7, 1e-3,
                       factors=division_slips(1e-3), quiet=True)
    assert "4 times the answer: `... / h * 2`" in r.message


def test_n_samples_can_be_a_function_of_the_arguments(rng):
    X, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    r = check_function(lambda X, dout: X.T @ dout / len(X), lambda X, dout: X.T @ dout, X, dout,
                       n_samples=lambda X, dout: len(X), quiet=True)
    assert "It is 5 times too small: 1/N (N = 5) is applied twice." in r.message


def test_the_factor_two_sentence_speaks_of_squares_only_when_told(arrays):
    X, dout, dW = arrays
    plain = diagnose(2 * dW, dW).message
    assert "a factor 2 is off" in plain and "square" not in plain and "L2" not in plain
    told = diagnose(2 * dW, dW, factor_hint="the 2 from differentiating a square").message
    assert "a factor 2 is off (the 2 from differentiating a square)" in told
    named = diagnose(dW / 6, dW, factors={1 / 6: "Divided by N inside the layer."}).message
    assert "Divided by N inside the layer." in named


# -- notebook 00's warm-ups: their checks, as the notebook runs them, fail wrong answers by name -------------
def _notebook_00():
    """The reference functions, test inputs and hints of notebook 00's check cells."""
    import ast
    import json
    from pathlib import Path

    cells = json.loads((Path(__file__).parents[2] / "notebooks" / "00_welcome.ipynb").read_text())["cells"]
    space = {"np": np, "bl": bl, "check_function": lambda *a, **k: None}
    for cell in cells:
        grade = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if cell["cell_type"] == "code" and grade.startswith("check-"):
            source = "".join(cell["source"]).split("### BEGIN HIDDEN TESTS")[0]
            tree = ast.parse(source)
            tree.body = [s for s in tree.body if not isinstance(s, ast.Expr)]  # definitions only, no checks
            exec(compile(tree, "00_welcome", "exec"), space)
    return space


NB00 = _notebook_00()


@pytest.mark.parametrize("wrong, reason", [
    (lambda A: A / A.sum(axis=1), "does not match"),  # no keepdims: square, so no shape error
    (lambda A: A / A.sum(axis=0, keepdims=True), "does not match"),
    (lambda A: A / A.sum(), "does not match"),
    (lambda A: A / A.sum(axis=1, keepdims=True).T, "does not match"),
    (lambda A: (A / A.sum(axis=1, keepdims=True)).ravel(), "wrong shape"),
    (lambda A: A.sum(axis=1), "One axis too many or too few"),
])
def test_row_normalise_wrong_answers_fail_with_their_reason(wrong, reason):
    r = check_function(wrong, NB00["row_normalise_reference"], NB00["A_square"], hint=NB00["hint"], quiet=True)
    assert not r and reason in r.message and r.message.endswith("keepdims=True), shape (N, 1), so that each row "
                                                               "is divided by its own total."), r.message


def test_row_normalise_hard_coded_for_the_square_case_fails_on_the_wide_one():
    def five_rows(A):
        return A / A.sum(axis=1).reshape(5, 1)

    assert check_function(five_rows, NB00["row_normalise_reference"], NB00["A_square"], quiet=True)
    r = check_function(five_rows, NB00["row_normalise_reference"], NB00["A_wide"], quiet=True)
    assert not r and "raised ValueError at line" in r.message and "reshape" in r.message


@pytest.mark.parametrize("wrong, reason", [
    (lambda probs, y: probs[:, y], "wrong shape"),
    (lambda probs, y: probs[y, np.arange(len(y))], "does not match"),
    (lambda probs, y: probs.max(axis=1), "does not match"),
    (lambda probs, y: probs[np.arange(len(y)), y - 1], "does not match"),
    (lambda probs, y: probs[np.arange(len(y)), y][:, None], "wrong shape"),
    (lambda probs, y: -np.log(probs[np.arange(len(y)), y]), "does not match"),
])
def test_pick_correct_wrong_answers_fail_with_their_reason(wrong, reason):
    r = check_function(wrong, NB00["pick_correct_reference"], NB00["probs_test"], NB00["y_test"], quiet=True)
    assert not r and reason in r.message, r.message


def _tiny_args():
    return NB00["args"]


@pytest.mark.parametrize("wrong, reason", [
    (lambda X, W1, b1, W2, b2: np.max(0, X @ W1 + b1) @ W2 + b2, "raised"),
    (lambda X, W1, b1, W2, b2: (X @ W1 + b1) @ W2 + b2, "does not match"),
    (lambda X, W1, b1, W2, b2: np.maximum(0, X @ W1 + b1) @ W2, "does not match"),
    (lambda X, W1, b1, W2, b2: np.maximum(0, np.maximum(0, X @ W1 + b1) @ W2 + b2), "does not match"),
    (lambda X, W1, b1, W2, b2: (np.maximum(0, X @ W1 + b1) @ W2 + b2).T, "right answer transposed"),
    (lambda X, W1, b1, W2, b2: np.maximum(0, X @ W1) @ W2 + b2, "does not match"),
])
def test_tiny_network_wrong_answers_fail_with_their_reason(wrong, reason):
    r = check_function(wrong, NB00["tiny_network_reference"], *_tiny_args(), quiet=True)
    assert not r and reason in r.message, r.message


def test_an_answer_in_float32_is_told_why_it_misses():
    rng = np.random.default_rng(0)
    expected = rng.standard_normal((4, 5))
    in_float32 = (expected * (1 + 3e-6 * rng.standard_normal((4, 5)))).astype(np.float32)  # sums rounded in float32
    result = check_array(in_float32, expected, "dW", quiet=True)
    assert not result and "float32" in result.message and "float64" in result.message
