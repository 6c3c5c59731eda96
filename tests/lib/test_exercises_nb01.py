"""The checks of notebook 01 pass the reference, name every common wrong answer and say "todo"
for a stub."""

import numpy as np
import pytest

from backprop_lib.exercises import nb01 as ex
from backprop_lib.gradcheck import numerical_gradient_array, rel_error


def stub(*args):
    raise NotImplementedError


def test_numerical_derivative():
    assert ex.check_numerical_derivative(lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / (2 * h))
    assert ex.check_numerical_derivative(stub).status == "todo"
    assert not ex.check_numerical_derivative(lambda f, x, h=1e-5: None)


@pytest.mark.parametrize("message", list(ex.NUMERICAL_MISTAKES))
def test_numerical_derivative_names_each_mistake(message):
    result = ex.check_numerical_derivative(ex.NUMERICAL_MISTAKES[message])
    assert not result and message in result.message


def test_gradient_step():
    assert ex.check_gradient_step(lambda w, b, dw, db, lr: (w - lr * dw, b - lr * db))
    assert ex.check_gradient_step(stub).status == "todo"


@pytest.mark.parametrize("message", list(ex.STEP_MISTAKES))
def test_gradient_step_names_each_mistake(message):
    result = ex.check_gradient_step(ex.STEP_MISTAKES[message])
    assert not result and message in result.message


def test_gradient_step_in_place_is_caught():
    def in_place(w, b, dw, db, lr):
        w -= lr * dw
        return w, b - lr * db
    result = ex.check_gradient_step(in_place)
    assert not result and "in place" in result.message


def test_fork_reference_matches_central_differences():
    rng = np.random.default_rng(0)
    x, y, dout = rng.standard_normal(7), rng.standard_normal(7), rng.standard_normal(7)
    dx, dy = ex.fork_backward(x, y, dout)
    assert rel_error(dx, numerical_gradient_array(lambda v: np.maximum(v + y, 0) * v, x.copy(), dout)) < 1e-7
    assert rel_error(dy, numerical_gradient_array(lambda v: np.maximum(x + v, 0) * x, y.copy(), dout)) < 1e-7


def test_fork_backward():
    def by_hand(x, y, dout):
        s = x + y
        r = np.maximum(s, 0)
        dr = dout * x
        ds = dr * (s > 0)
        dx = dout * r
        dx = dx + ds
        return dx, ds
    assert ex.check_fork_backward(by_hand)
    assert ex.check_fork_backward(stub).status == "todo"


@pytest.mark.parametrize("message", list(ex.FORK_MISTAKES))
def test_fork_backward_names_each_mistake(message):
    result = ex.check_fork_backward(ex.FORK_MISTAKES[message])
    assert not result and message in result.message, result.message


def test_fork_mistakes_are_all_different_on_the_check_inputs():
    x = np.array([1.0, -2.0, 0.5, 3.0, -0.7, 1.5])
    y = np.array([2.0, 1.0, -1.5, -1.0, 2.2, 0.4])
    dout = np.array([1.0, 0.5, -1.2, 0.8, -0.3, 2.0])
    results = [np.concatenate(m(x, y, dout)) for m in ex.FORK_MISTAKES.values()]
    results.append(np.concatenate(ex.fork_backward(x, y, dout)))
    for i in range(len(results)):
        for j in range(i):
            assert not np.allclose(results[i], results[j]), (i, j)


def test_overwriting_the_first_path_is_named():
    def overwrites(x, y, dout):
        s = x + y
        r = np.maximum(s, 0)
        dx = dout * r  # the product's path ...
        ds = dout * x * (s > 0)
        dx = ds  # ... overwritten by the sum's path
        return dx, ds
    result = ex.check_fork_backward(overwrites)
    assert not result and "only the path through the sum" in result.message


@pytest.mark.parametrize("wrong, reason", [
    (lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / 2 * h, "`... / 2 * h` divides by 2 and then multiplies by h"),
    (lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / h * 2, "`... / h * 2` divides by h and then multiplies by 2"),
    (lambda f, x, h=1e-5: (f(x + 1e-5) - f(x - 1e-5)) / (2 * 1e-5), "ignores the argument h"),
    (lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / (2 * 1e-5), "does not match"),  # h hard-coded in one place only
    (lambda f, x, h=1e-5: f(x + h) - f(x - h) / (2 * h), "does not match"),  # the numerator's parentheses
    (lambda f, x, h=1e-5: (f(x + h) - f(x)) / h, "one-sided difference"),
    (lambda f, x, h=1e-5: np.array([(f(x + h) - f(x - h)) / (2 * h)] * 2), "wrong shape"),
])
def test_numerical_derivative_wrong_answers_fail_with_their_reason(wrong, reason, capsys):
    result = ex.check_numerical_derivative(wrong)
    assert not result and reason in result.message, result.message
    out = capsys.readouterr().out
    assert out.count("❌") == 1 and "✅" not in out  # one verdict for the four cases


def test_numerical_derivative_prints_one_pass(capsys):
    assert ex.check_numerical_derivative(lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / (2 * h))
    assert capsys.readouterr().out.count("✅") == 1


@pytest.mark.parametrize("wrong, reason", [
    (lambda w, b, dw, db, lr: (w - 0.01 * dw, b - 0.01 * db), "ignores the argument lr"),
    (lambda w, b, dw, db, lr: (w + lr * dw, b + lr * db), "steps uphill"),
    (lambda w, b, dw, db, lr: (w - lr * dw, b - lr * dw.sum()), "wrong: b; right: w"),
    (lambda w, b, dw, db, lr: (w - lr * np.sign(dw), b - lr * np.sign(db)), "wrong: w; right: b"),
    (lambda w, b, dw, db, lr: (w - lr * dw / len(w), b - lr * db), "wrong: w; right: b"),
    (lambda w, b, dw, db, lr: [w - lr * dw, b - lr * db], "return them as a tuple"),
])
def test_gradient_step_wrong_answers_fail_with_their_reason(wrong, reason):
    result = ex.check_gradient_step(wrong)
    assert not result and reason in result.message, result.message


def _fork(dx_of, dy_of):
    def wrong(x, y, dout):
        s = x + y
        return dx_of(x, y, dout, s), dy_of(x, y, dout, s)
    return wrong


@pytest.mark.parametrize("wrong, reason", [
    (_fork(lambda x, y, g, s: g * np.maximum(s, 0) + g * x * (s >= 0), lambda x, y, g, s: g * x * (s >= 0)),
     "wrong: dx, dy"),  # the gate open at s = 0: caught by the second case's exact zeros
    (_fork(lambda x, y, g, s: g * np.maximum(s, 0) + g * x * (s > 0), lambda x, y, g, s: g * x * (s > 0) * 0.5),
     "wrong: dy; right: dx"),
    (_fork(lambda x, y, g, s: g * np.maximum(s, 0) + g * x * (s > 0), lambda x, y, g, s: g * y * (s > 0)),
     "wrong: dy; right: dx"),
    (_fork(lambda x, y, g, s: np.maximum(s, 0) + x * (s > 0), lambda x, y, g, s: x * (s > 0)),
     "upstream gradient is missing"),
    (_fork(lambda x, y, g, s: (g * np.maximum(s, 0) + g * x * (s > 0)).sum(), lambda x, y, g, s: g * x * (s > 0)),
     "wrong shape"),
])
def test_fork_wrong_answers_fail_with_their_reason(wrong, reason, capsys):
    result = ex.check_fork_backward(wrong)
    assert not result and reason in result.message, result.message
    assert capsys.readouterr().out.count("❌") == 1


def test_fork_right_on_one_dimension_only_fails_on_the_batch():
    def flat_only(x, y, dout):
        if x.ndim > 1:
            return x, y
        return ex.fork_backward(x, y, dout)

    result = ex.check_fork_backward(flat_only)
    assert not result and result.message.startswith("❌ flat_only: wrong: dx, dy")
