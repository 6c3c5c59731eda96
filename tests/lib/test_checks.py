"""The exercise checkers: right answers pass, and the usual wrong answers are named."""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.checks import check_array, check_function, diagnose


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
    assert "expected (corner):" in msg and "got (corner):" in msg
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
