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
