"""The checks of notebook 15 (backprop through time, clipping by global norm) fed right and wrong answers."""

import numpy as np

from backprop_lib import clip_grad_norm, rnn_backward
from backprop_lib.exercises import nb15 as ex
from tests.lib.exercise_suite import standard_tests


def todo(*args):
    raise NotImplementedError


def clip_by_hand(grads, max_norm):
    norm = float(np.sqrt(sum((g * g).sum() for g in grads.values())))
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return {k: g * scale for k, g in grads.items()}, norm


CASES = {
    "rnn_backward": (ex.check_rnn_backward, rnn_backward, ex.BPTT_MISTAKES),
    "clip_grad_norm": (ex.check_clip_grad_norm, clip_by_hand, ex.CLIP_MISTAKES),
}
test_the_reference_passes, test_each_common_mistake_is_named, test_a_stub_is_todo = standard_tests(CASES, todo)


def test_every_bptt_case_has_distinct_sizes():
    for _, (x, _, _, Wh, _) in ex._cases()[:2]:
        N, T, D = x.shape
        assert len({N, T, D, Wh.shape[0]}) == 4  # a swapped axis cannot pass by accident


def test_a_forward_loop_in_time_fails_and_says_which_outputs_are_wrong():
    def forward_in_time(dhs, cache):
        x, h0, Wx, Wh, hs = cache
        h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
        dz_all, carry = np.zeros_like(hs), np.zeros_like(h0)
        for t in range(hs.shape[1]):  # the wrong direction
            dz = (dhs[:, t] + carry) * (1 - hs[:, t] ** 2)
            dz_all[:, t] = dz
            carry = dz @ Wh.T
        N, T, H = hs.shape
        return (dz_all @ Wx.T, carry, x.reshape(N * T, -1).T @ dz_all.reshape(N * T, H),
                h_prev.reshape(N * T, H).T @ dz_all.reshape(N * T, H), dz_all.sum(axis=(0, 1)))

    result = ex.check_rnn_backward(forward_in_time)
    assert not result and "dWh" in result.message


def test_bptt_returning_a_list_or_too_few_values_is_named():
    result = ex.check_rnn_backward(lambda dhs, cache: list(ex._bptt(dhs, cache)))
    assert not result and "as a tuple" in result.message
    result = ex.check_rnn_backward(lambda dhs, cache: ex._bptt(dhs, cache)[2:])
    assert not result and "should return 5 values" in result.message


def test_bptt_that_changes_the_cache_in_place_fails():
    def in_place(dhs, cache):
        out = ex._bptt(dhs, cache)
        cache[4][...] = 0  # hs
        return out

    result = ex.check_rnn_backward(in_place)
    assert not result and "in place" in result.message


def test_clipping_in_place_fails_and_the_wrong_return_shape_is_named():
    def in_place(grads, max_norm):
        clipped, norm = clip_by_hand(grads, max_norm)
        for k in grads:
            grads[k] *= min(1.0, max_norm / norm)
        return grads, norm

    result = ex.check_clip_grad_norm(in_place)
    assert not result and ("in place" in result.message or "returned the dict it was given" in result.message)
    result = ex.check_clip_grad_norm(lambda grads, max_norm: clip_by_hand(grads, max_norm)[0])
    assert not result and "should return (a dict of clipped gradients, the norm before clipping), got dict" in result.message
    result = ex.check_clip_grad_norm(lambda grads, max_norm: ({"W": 1}, 1.0))
    assert not result and "expected the same keys as grads" in result.message


def test_clipping_with_a_hard_coded_max_norm_fails():
    result = ex.check_clip_grad_norm(lambda grads, max_norm: clip_by_hand(grads, 1.0))
    assert not result and "max_norm is not used" in result.message


def test_clipping_wrong_thresholds_returned_dicts_and_zero_gradients():
    def squared_test(grads, max_norm):
        norm = float(np.sqrt(sum((g * g).sum() for g in grads.values())))
        scale = max_norm / norm if norm**2 > max_norm else 1.0
        return {k: g * scale for k, g in grads.items()}, norm

    def twice(grads, max_norm):
        norm = float(np.sqrt(sum((g * g).sum() for g in grads.values())))
        scale = max_norm / norm if norm > 2 * max_norm else 1.0
        return {k: g * scale for k, g in grads.items()}, norm

    def same_dict(grads, max_norm):
        norm = float(np.sqrt(sum((g * g).sum() for g in grads.values())))
        if norm <= max_norm:
            return grads, norm
        return {k: g * (max_norm / norm) for k, g in grads.items()}, norm

    def unguarded(grads, max_norm):
        norm = float(np.sqrt(sum((g * g).sum() for g in grads.values())))
        return {k: g * min(1.0, max_norm / norm) for k, g in grads.items()}, norm

    for fn in (squared_test, twice):
        assert not ex.check_clip_grad_norm(fn)
    result = ex.check_clip_grad_norm(same_dict)
    assert not result and "returned the dict it was given" in result.message
    result = ex.check_clip_grad_norm(unguarded)
    assert not result and "ZeroDivisionError" in result.message
    result = ex.check_clip_grad_norm(lambda grads, max_norm: clip_grad_norm(grads, max_norm))
    assert not result and "calls the library's own clip_grad_norm" in result.message


def test_clipping_return_forms_name_the_wrong_element():
    result = ex.check_clip_grad_norm(lambda g, m: clip_by_hand(g, m)[::-1])
    assert not result and "should return a dict of clipped gradients first, got float" in result.message
    result = ex.check_clip_grad_norm(lambda g, m: (clip_by_hand(g, m)[0], np.array(clip_by_hand(g, m)[1]).reshape(1)))
    assert not result and "should return the norm second, as a float, got ndarray" in result.message


def test_calling_the_library_is_not_an_answer():
    result = ex.check_rnn_backward(lambda dhs, cache: rnn_backward(dhs, cache))
    assert not result and "calls the library's own rnn_backward" in result.message
