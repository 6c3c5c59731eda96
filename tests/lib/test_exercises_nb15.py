"""The checks of notebook 15 (backprop through time, clipping by global norm) fed right and wrong answers."""

import numpy as np

from backprop_lib import clip_grad_norm, rnn_backward
from backprop_lib.exercises import nb15 as ex
from tests.lib.exercise_suite import standard_tests


def todo(*args):
    raise NotImplementedError


CASES = {
    "rnn_backward": (ex.check_rnn_backward, rnn_backward, ex.BPTT_MISTAKES),
    "clip_grad_norm": (ex.check_clip_grad_norm, clip_grad_norm, ex.CLIP_MISTAKES),
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
    result = ex.check_rnn_backward(lambda dhs, cache: list(rnn_backward(dhs, cache)))
    assert not result and "as a tuple" in result.message
    result = ex.check_rnn_backward(lambda dhs, cache: rnn_backward(dhs, cache)[2:])
    assert not result and "should return 5 values" in result.message


def test_bptt_that_changes_the_cache_in_place_fails():
    def in_place(dhs, cache):
        out = rnn_backward(dhs, cache)
        cache[4][...] = 0  # hs
        return out

    result = ex.check_rnn_backward(in_place)
    assert not result and "in place" in result.message


def test_clipping_in_place_fails_and_the_wrong_return_shape_is_named():
    def in_place(grads, max_norm):
        clipped, norm = clip_grad_norm(grads, max_norm)
        for k in grads:
            grads[k] *= min(1.0, max_norm / norm)
        return grads, norm

    result = ex.check_clip_grad_norm(in_place)
    assert not result and "in place" in result.message
    result = ex.check_clip_grad_norm(lambda grads, max_norm: clip_grad_norm(grads, max_norm)[0])
    assert not result and "should return (a dict of clipped gradients, the norm before clipping), got dict" in result.message
    result = ex.check_clip_grad_norm(lambda grads, max_norm: ({"W": 1}, 1.0))
    assert not result and "expected the same keys as grads" in result.message


def test_clipping_with_a_hard_coded_max_norm_fails():
    result = ex.check_clip_grad_norm(lambda grads, max_norm: clip_grad_norm(grads, 1.0))
    assert not result  # the third case uses max_norm = 0.5
