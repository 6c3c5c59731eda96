"""The checks of notebook 03 pass the reference, name every common wrong answer and say "todo"
for a stub."""

import numpy as np
import pytest

from backprop_lib import activations as act
from backprop_lib.exercises import nb03 as ex
from backprop_lib.widgets.activations import deep_backward


def stub(*args):
    raise NotImplementedError


def test_tanh_backward():
    assert ex.check_tanh_backward(lambda dout, out: dout * (1 - out**2))
    assert ex.check_tanh_backward(stub).status == "todo"


@pytest.mark.parametrize("message", list(ex.TANH_MISTAKES))
def test_tanh_backward_names_each_mistake(message, capsys):
    result = ex.check_tanh_backward(ex.TANH_MISTAKES[message])
    assert not result and message in result.message


def test_leaky_relu_backward():
    assert ex.check_leaky_relu_backward(lambda dout, x, alpha=0.01: np.where(x > 0, dout, alpha * dout))
    assert ex.check_leaky_relu_backward(stub).status == "todo"
    # a version that ignores alpha passes the first case only
    result = ex.check_leaky_relu_backward(lambda dout, x, alpha=0.01: np.where(x > 0, dout, 0.01 * dout))
    assert not result


@pytest.mark.parametrize("message", list(ex.LEAKY_MISTAKES))
def test_leaky_relu_backward_names_each_mistake(message):
    result = ex.check_leaky_relu_backward(ex.LEAKY_MISTAKES[message])
    assert not result and message in result.message


def by_hand(dout, caches, activation_backward):
    L = len(caches)
    dWs, dhs = [None] * L, [None] * (L + 1)
    dhs[L] = dout
    for l in reversed(range(L)):
        (h_prev, W), act_cache = caches[l]
        dz = activation_backward(dhs[l + 1], act_cache)
        dWs[l] = h_prev.T @ dz
        dhs[l] = dz @ W.T
    return dWs, dhs


def test_deep_backward_passes_the_reference_and_a_hand_written_loop():
    assert ex.check_deep_backward(deep_backward)
    assert ex.check_deep_backward(by_hand)
    assert ex.check_deep_backward(stub).status == "todo"


def unflat(mistake):
    """A mistake returns the flat tuple; a learner returns (dWs, dhs)."""
    def learner(dout, caches, activation_backward):
        flat = mistake(dout, caches, activation_backward)
        L = len(caches)
        return list(flat[:L]), list(flat[L:])
    return learner


@pytest.mark.parametrize("message", list(ex.DEEP_MISTAKES))
def test_deep_backward_names_each_mistake(message):
    result = ex.check_deep_backward(unflat(ex.DEEP_MISTAKES[message]))
    assert not result and message in result.message, result.message


def test_deep_backward_appending_on_the_way_down_is_named():
    def appends(dout, caches, activation_backward):
        dWs, dhs, dh = [], [dout], dout
        for (h_prev, W), act_cache in reversed(caches):
            dz = activation_backward(dh, act_cache)
            dWs.append(h_prev.T @ dz)
            dh = dz @ W.T
            dhs.append(dh)
        return dWs, dhs
    result = ex.check_deep_backward(appends)
    assert not result and "top-down order" in result.message


@pytest.mark.parametrize("wrong, expected", [
    (lambda dout, caches, b: None, "forget to `return dWs, dhs`"),
    (lambda dout, caches, b: deep_backward(dout, caches, b)[0], "should return two lists"),
    (lambda dout, caches, b: (deep_backward(dout, caches, b)[0], deep_backward(dout, caches, b)[1][:-1]),
     "arrays in dhs"),
])
def test_deep_backward_explains_a_wrong_structure(wrong, expected):
    result = ex.check_deep_backward(wrong)
    assert not result and expected in result.message


def test_deep_backward_catches_a_cache_changed_in_place():
    def in_place(dout, caches, activation_backward):
        dWs, dhs = deep_backward(dout, caches, activation_backward)
        caches[0][0][0][...] = 0  # overwrites the input X inside the cache
        return dWs, dhs
    result = ex.check_deep_backward(in_place)
    assert not result and "in place" in result.message


def test_leaky_reference_is_the_library():
    x = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(ex._leaky_reference(np.ones_like(x), x, 0.1), act.leaky_relu_backward(
        np.ones_like(x), (x, 0.1)))


# -- Exercise 2 is "find the bugs" in this draft: each bug alone is named ------------------------------------
def draft(dout, x, alpha=0.01):
    dx = dout
    dx[x < 0] *= 0.01
    return dx


@pytest.mark.parametrize("wrong, reason", [
    (draft, "changed its input `dout` in place"),
    (lambda dout, x, alpha=0.01: np.where(x > 0, dout, 0.01 * dout), "ignores the argument alpha"),
    (lambda dout, x, alpha=0.01: np.where(x >= 0, dout, alpha * dout), "At x = 0 exactly it uses slope 1"),
    (lambda dout, x, alpha=0.01: np.where(x > 0, dout, alpha), "returns alpha itself"),
    (lambda dout, x, alpha=0.01: np.where(x > 0, dout, alpha * dout).T, "wrong shape"),
    (lambda dout, x, alpha=0.01: np.where(x > 0, dout, -alpha * dout), "the sign is flipped"),
])
def test_leaky_wrong_answers_fail_with_their_reason(wrong, reason, capsys):
    result = ex.check_leaky_relu_backward(wrong)
    assert not result and reason in result.message, result.message
    out = capsys.readouterr().out
    assert out.count("❌") == 1 and "✅" not in out  # one verdict, even when an early case passed


def test_leaky_ignoring_alpha_only_in_the_third_case_fails():
    def two_alphas(dout, x, alpha=0.01):  # right for 0.01 and 0.2 only: the wide row with 0.3 catches it
        return np.where(x > 0, dout, (0.01 if alpha < 0.1 else 0.2) * dout)

    assert not ex.check_leaky_relu_backward(two_alphas)


@pytest.mark.parametrize("wrong, reason", [
    (lambda dout, out: dout * (1 - out) * (1 + out) * 2, "It is 2 times the answer"),
    (lambda dout, out: dout * (1 - np.abs(out)), "does not match"),
    (lambda dout, out: (dout * (1 - out**2))[:, ::-1], "does not match"),
    (lambda dout, out: dout * (1 - out**2) + (np.abs(out) > 0.999), "does not match"),  # wrong when saturated
    (lambda dout, out: dout * (1 - out**2) / len(dout), "does not match"),
    (lambda dout, out: np.sum(dout * (1 - out**2), axis=0), "wrong shape"),
])
def test_tanh_wrong_answers_fail_with_their_reason(wrong, reason):
    result = ex.check_tanh_backward(wrong)
    assert not result and reason in result.message, result.message


def test_tanh_wrong_only_on_the_wide_row_of_ties_and_extremes_fails():
    def right_for_three_rows(dout, out):
        return dout * (1 - out**2) if len(out) == 3 else dout

    result = ex.check_tanh_backward(right_for_three_rows)
    assert not result and "shape:              (1, 9) (both)" in result.message


def test_deep_backward_reports_one_summary_line_for_its_outputs(capsys):
    def forgot_the_last_dh(dout, caches, activation_backward):
        dWs, dhs = deep_backward(dout, caches, activation_backward)
        return dWs, [*dhs[:1], *(2 * d for d in dhs[1:-1]), dhs[-1]]

    result = ex.check_deep_backward(forgot_the_last_dh)
    first = result.message.split("\n")[0]
    assert first == "❌ forgot_the_last_dh: wrong: dh_1, dh_2, dh_3; right: dW_1, dW_2, dW_3, dW_4, dh_0, dh_4"
    assert result.message.count("shape:") == 1
    assert capsys.readouterr().out.count("❌") == 1


def test_deep_backward_one_pass_line_for_all_stacks(capsys):
    assert ex.check_deep_backward(deep_backward)
    assert capsys.readouterr().out.count("✅") == 1


def test_deep_backward_wrong_only_for_one_sample_is_caught():
    def squeezes(dout, caches, activation_backward):
        dWs, dhs = deep_backward(dout, caches, activation_backward)
        return dWs, [d.squeeze() if len(d) == 1 else d for d in dhs]

    result = ex.check_deep_backward(squeezes)
    assert not result and "wrong shape" in result.message
