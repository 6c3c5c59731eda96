"""The checks of notebook 16 (embedding scatter-add, causal softmax, one head's backward, the block's
backward) fed right and wrong answers."""

import numpy as np

import backprop_lib as bl
from backprop_lib.exercises import nb16 as ex
from tests.lib.exercise_suite import standard_tests


def todo(*args):
    raise NotImplementedError


def scatter_add(dout, ids, n_tokens):
    dW = np.zeros((n_tokens, dout.shape[-1]))
    np.add.at(dW, ids, dout)
    return dW


def block_backward(dout, cache):
    """The notebook's solution: the pieces' backward functions, in reverse."""
    shape, ln1, attn, ln2, fc1, relu, fc2 = cache
    N, T, D = shape
    grads = {}
    dr, grads["mlp.W2"], grads["mlp.b2"] = bl.dense_backward(dout.reshape(N * T, D), fc2)
    dm2, grads["mlp.W1"], grads["mlp.b1"] = bl.dense_backward(bl.activations.relu_backward(dr, relu), fc1)
    dm2, grads["ln2.gamma"], grads["ln2.beta"] = bl.layernorm_backward(dm2.reshape(N, T, D), ln2)
    dh = dout + dm2
    dm1, dattn = bl.attention_backward(dh, attn)
    grads.update({f"attn.{k}": g for k, g in dattn.items()})
    dx, grads["ln1.gamma"], grads["ln1.beta"] = bl.layernorm_backward(dm1, ln1)
    return dh + dx, grads


def library_block_backward(dout, cache):
    block = bl.TransformerBlock(cache[0][-1])
    block.cache = cache
    return block.backward(dout), dict(block.grads)


CASES = {
    "embedding": (ex.check_embedding_backward, scatter_add, ex.EMBEDDING_MISTAKES),
    "causal_softmax": (ex.check_causal_softmax, ex._causal_reference, ex.CAUSAL_MISTAKES),
    "head_backward": (ex.check_attention_head_backward, ex._head_reference, ex.HEAD_MISTAKES),
    "block_backward": (ex.check_block_backward, block_backward, ex.BLOCK_MISTAKES),
}
test_the_reference_passes, test_each_common_mistake_is_named, test_a_stub_is_todo = standard_tests(CASES, todo)


def test_the_head_reference_is_the_library_attention():
    """The head's reference agrees with the library's attention backward on a one-head layer."""
    att = bl.SelfAttention(4, heads=1, causal=True, rng=0)
    x = np.random.default_rng(1).standard_normal((2, 5, 4))
    att.forward(x)
    _, q, k, v, weights, *_ = att.cache
    dout = np.random.default_rng(2).standard_normal((2, 5, 4))
    da = (dout @ att.params["Wo"].T)[:, None]  # (N, 1, T, d)
    dq, dk, dv = ex._head_reference(da[:, 0], q[:, 0], k[:, 0], v[:, 0], weights[:, 0])
    att.backward(dout)
    np.testing.assert_allclose(att.grads["Wv"], x.reshape(10, 4).T @ dv.reshape(10, 4), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(att.grads["Wq"], x.reshape(10, 4).T @ dq.reshape(10, 4), rtol=1e-10, atol=1e-12)


def test_a_softmax_without_the_max_shift_overflows_and_is_named():
    def unstable(scores):
        T = scores.shape[-1]
        e = np.exp(np.where(np.triu(np.ones((T, T), bool), 1), -np.inf, scores))
        return e / e.sum(axis=-1, keepdims=True)

    with np.errstate(over="ignore", invalid="ignore"):
        result = ex.check_causal_softmax(unstable)
    assert not result and "overflows on scores near 1000" in result.message


def test_block_backward_with_the_wrong_return_form_is_named():
    result = ex.check_block_backward(lambda dout, cache: block_backward(dout, cache)[0])
    assert not result and "should return (dx, grads) with grads a dict" in result.message
    result = ex.check_block_backward(lambda dout, cache: (block_backward(dout, cache)[0], {}))
    assert not result and "returned grads without ln1.gamma" in result.message


def test_block_backward_with_a_gradient_scaled_by_mistake_fails():
    def half_mlp(dout, cache):
        dx, g = block_backward(dout, cache)
        g["mlp.W1"] = g["mlp.W1"] / 2
        return dx, g

    result = ex.check_block_backward(half_mlp)
    assert not result and "mlp.W1" in result.message


def test_embedding_with_a_loop_passes_and_in_place_edits_fail():
    def loop(dout, ids, n_tokens):
        dW = np.zeros((n_tokens, dout.shape[-1]))
        for n in range(ids.shape[0]):
            for t in range(ids.shape[1]):
                dW[ids[n, t]] += dout[n, t]
        return dW

    assert ex.check_embedding_backward(loop)

    def in_place(dout, ids, n_tokens):
        dW = scatter_add(dout, ids, n_tokens)
        dout *= 0
        return dW

    result = ex.check_embedding_backward(in_place)
    assert not result and "in place" in result.message


def test_calling_the_library_is_not_an_answer():
    result = ex.check_block_backward(library_block_backward)
    assert not result and "calls the library's own TransformerBlock, backward" in result.message
    result = ex.check_embedding_backward(lambda dout, ids, n: bl.embedding_backward(dout, (ids, n)))
    assert not result and "embedding_backward" in result.message


def test_the_embedding_table_has_n_tokens_rows_even_when_the_last_never_appear():
    def sized_by_ids(dout, ids, n_tokens):
        dW = np.zeros((ids.max() + 1, dout.shape[-1]))
        np.add.at(dW, ids, dout)
        return dW

    result = ex.check_embedding_backward(sized_by_ids)
    assert not result and "wrong shape" in result.message


def test_a_mask_that_hides_the_diagonal_or_the_past_is_named():
    def diagonal_too(scores):
        T = scores.shape[-1]
        masked = np.where(np.triu(np.ones((T, T), bool)), -np.inf, scores)
        e = np.exp(masked - masked.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def past(scores):
        T = scores.shape[-1]
        masked = np.where(np.tril(np.ones((T, T), bool)), -np.inf, scores)
        e = np.exp(masked - masked.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    with np.errstate(all="ignore"):
        for fn in (diagonal_too, past):
            result = ex.check_causal_softmax(fn)
            assert not result and "a row whose keys are all masked" in result.message


def test_one_maximum_for_the_whole_array_is_named():
    def global_max(scores):
        T = scores.shape[-1]
        masked = np.where(np.triu(np.ones((T, T), bool), 1), -np.inf, scores)
        e = np.exp(masked - masked.max())
        return e / e.sum(axis=-1, keepdims=True)

    with np.errstate(all="ignore"):
        result = ex.check_causal_softmax(global_max)
    assert not result and "one maximum for the whole array" in result.message


def test_head_backward_with_outputs_swapped_or_a_batch_dropped_fails():
    def swapped(da, q, k, v, weights):
        dq, dk, dv = ex._head_reference(da, q, k, v, weights)
        return dk, dq, dv

    def first_sequence_only(da, q, k, v, weights):
        return tuple(g[:1] for g in ex._head_reference(da, q, k, v, weights))

    def remasked(da, q, k, v, weights):  # dscores masked again as if every head were causal
        T = q.shape[-2]
        keep = np.tril(np.ones((T, T)))
        dq, dk, dv = ex._head_reference(da, q, k, v, weights * keep / (weights * keep).sum(-1, keepdims=True))
        return dq, dk, dv

    for fn in (swapped, first_sequence_only, remasked):
        result = ex.check_attention_head_backward(fn)
        assert not result and ("dq" in result.message or "shape" in result.message), fn.__name__
