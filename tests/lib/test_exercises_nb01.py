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
