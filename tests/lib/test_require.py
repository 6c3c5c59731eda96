"""`checks.require`: the hidden tests of the graded notebooks, a check that raises."""

import numpy as np
import pytest

from backprop_lib.checks import CheckResult, check_function, require


def test_a_passing_check_prints_nothing_and_returns_its_result(capsys):
    result = require(check_function, np.tanh, np.tanh, np.linspace(-2, 2, 5))
    assert isinstance(result, CheckResult) and result.passed
    assert capsys.readouterr().out == ""


def test_a_wrong_answer_raises_with_the_checks_message(capsys):
    with pytest.raises(AssertionError, match="wrong sign") as info:
        require(check_function, lambda x: -2 * x, lambda x: 2 * x, np.arange(1.0, 5.0))
    assert info.value.args[0].startswith("❌")
    assert capsys.readouterr().out == ""


def test_an_unwritten_answer_raises_too():
    def todo(x):
        raise NotImplementedError

    with pytest.raises(AssertionError, match="not implemented yet"):
        require(check_function, todo, np.tanh, np.ones(3))


def test_keywords_reach_the_check():
    with pytest.raises(AssertionError, match="1/N"):
        require(check_function, lambda x: x, lambda x: x / 4, np.arange(1.0, 5.0), n_samples=4)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="expected a check function first, got str"):
        require("check_tanh", np.tanh)
    with pytest.raises(TypeError, match="returned bool, expected the CheckResult"):
        require(lambda: True)
