"""The three tests every exercise check must pass, made once for a table of cases.

`cases` maps a name to (check, a right answer, {message of a known mistake: a function
making that mistake}). The tests: the right answer passes; each mistake fails and the check
names it with its message; a stub that raises NotImplementedError is "todo".
"""

import pytest


def standard_tests(cases, todo):
    @pytest.mark.parametrize("case", list(cases))
    def test_the_reference_passes(case):
        check, right, _ = cases[case]
        result = check(right)
        assert result and result.status == "passed"

    @pytest.mark.parametrize("case, mistake", [(c, m) for c in cases for m in cases[c][2]])
    def test_each_common_mistake_is_named(case, mistake):
        check, _, wrong = cases[case]
        result = check(wrong[mistake])
        assert not result and mistake in result.message and "known wrong answer" in result.message

    @pytest.mark.parametrize("case", list(cases))
    def test_a_stub_is_todo(case):
        assert cases[case][0](todo).status == "todo"

    return test_the_reference_passes, test_each_common_mistake_is_named, test_a_stub_is_todo
