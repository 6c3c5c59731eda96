"""Embedding, RNN (backprop through time), layer norm, self-attention and the transformer block:
every gradient against central differences and against autograd, on non-square shapes."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib import transformer as tf

TOL = 1e-7


def numeric(f, x, dout):
    return bl.numerical_gradient_array(f, x, dout)


# -- autograd twins, written once more in autograd.numpy ------------------------------------------
def ag_rnn(x, h0, Wx, Wh, b):
    hs, h = [], h0
    for t in range(x.shape[1]):
        h = anp.tanh(x[:, t] @ Wx + h @ Wh + b)
        hs.append(h)
    return anp.stack(hs, axis=1)


def ag_layernorm(x, gamma, beta, eps=1e-5):
    mu = anp.mean(x, axis=-1, keepdims=True)
    var = anp.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return gamma * (x - mu) / anp.sqrt(var + eps) + beta


def ag_attention(x, p, heads, causal):
    N, T, D = x.shape
    d = D // heads

    def split(a):
        return anp.transpose(anp.reshape(a, (N, T, heads, d)), (0, 2, 1, 3))

    q, k, v = (split(x @ p[f"W{n}"] + p[f"b{n}"]) for n in "qkv")
    scores = anp.einsum("nhid,nhjd->nhij", q, k) / np.sqrt(d)
    if causal:
        scores = anp.where(np.triu(np.ones((T, T), bool), 1), -1e30, scores)
    scores = scores - anp.max(scores, axis=-1, keepdims=True)
    w = anp.exp(scores)
    w = w / anp.sum(w, axis=-1, keepdims=True)
    a = anp.reshape(anp.transpose(anp.einsum("nhij,nhjd->nhid", w, v), (0, 2, 1, 3)), (N, T, D))
    return a @ p["Wo"] + p["bo"]


def ag_block(x, p, heads, causal):
    att = {k: p[f"attn.{k}"] for k in tf.ATTENTION_KEYS}
    h = x + ag_attention(ag_layernorm(x, p["ln1.gamma"], p["ln1.beta"]), att, heads, causal)
    m = ag_layernorm(h, p["ln2.gamma"], p["ln2.beta"])
    return h + anp.maximum(m @ p["mlp.W1"] + p["mlp.b1"], 0) @ p["mlp.W2"] + p["mlp.b2"]


def perturbed(params, rng):
    """Non-trivial gains and biases, so that every parameter's gradient is exercised."""
    return {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}


# -- embedding ------------------------------------------------------------------------------------
def test_embedding_looks_up_rows_and_scatter_adds_repeated_ids(rng):
    emb = bl.Embedding(7, 3, rng=0)
    ids = np.array([[1, 4, 1, 1], [6, 4, 0, 1]])  # (N, T) = (2, 4), id 1 four times, id 4 twice
    out = emb.forward(ids)
    assert out.shape == (2, 4, 3) and np.array_equal(out[0, 2], emb.params["W"][1])
    dout = rng.standard_normal(out.shape)
    assert emb.backward(dout) is None
    dW = emb.grads["W"]
    want = np.zeros((7, 3))
    for n in range(2):
        for t in range(4):
            want[ids[n, t]] += dout[n, t]
    np.testing.assert_allclose(dW, want, rtol=0, atol=1e-15)
    assert np.all(dW[[2, 3, 5]] == 0)  # ids that never appear get no gradient
    W = emb.params["W"]
    assert bl.rel_error(dW, numeric(lambda W_: W_[ids], W, dout)) < TOL


def test_embedding_edits_of_ids_or_output_do_not_reach_the_gradient(rng):
    emb = bl.Embedding(5, 2, rng=0)
    ids = np.array([[0, 1, 2]])
    out = emb.forward(ids)
    out *= 0
    ids[0, 0] = 4
    emb.backward(np.ones((1, 3, 2)))
    assert emb.grads["W"][0].tolist() == [1, 1] and emb.grads["W"][4].tolist() == [0, 0]
    assert emb.params["W"].any()


@pytest.mark.parametrize(
    "ids, error, match",
    [
        (np.array([[0.0, 1.0]]), TypeError, r"Embedding\(5, 2\)|expected integer token ids 0\.\.4, got dtype float64; .*astype\(int\)"),
        (np.array([[0, 5]]), ValueError, r"expected ids in 0\.\.4 for 5 tokens, got values from 0 to 5"),
        (np.array([[-1, 2]]), ValueError, r"got values from -1 to 2"),
        (np.array([[True, False]]), TypeError, r"got dtype bool"),
        (np.zeros((0, 3), dtype=int), ValueError, r"at least one token"),
    ],
)
def test_embedding_bad_ids_are_named(ids, error, match):
    with pytest.raises(error, match=match):
        bl.Embedding(5, 2, rng=0).forward(ids)


# -- RNN --------------------------------------------------------------------------------------------
def rnn_case(rng, N=2, T=5, D=3, H=4):
    return (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)) * 0.5,
            rng.standard_normal((D, H)) * 0.5, rng.standard_normal((H, H)) * 0.5, rng.standard_normal(H) * 0.1)


@pytest.mark.parametrize("N,T,D,H", [(2, 5, 3, 4), (1, 1, 2, 3), (3, 7, 4, 2)])
def test_rnn_backward_matches_central_differences_and_autograd(rng, N, T, D, H):
    x, h0, Wx, Wh, b = rnn_case(rng, N, T, D, H)
    hs, cache = bl.rnn_forward(x, h0, Wx, Wh, b)
    np.testing.assert_allclose(hs, ag_rnn(x, h0, Wx, Wh, b), rtol=1e-12, atol=1e-14)
    dhs = rng.standard_normal(hs.shape)
    grads = bl.rnn_backward(dhs, cache)
    args = [x, h0, Wx, Wh, b]
    for i, g in enumerate(grads):
        def f(a, i=i):
            return bl.rnn_forward(*(a if j == i else args[j] for j in range(5)))[0]

        assert bl.rel_error(g, numeric(f, args[i], dhs)) < TOL, i
        ag = autograd.grad(lambda a, i=i: anp.sum(ag_rnn(*(a if j == i else args[j] for j in range(5))) * dhs))
        assert bl.rel_error(g, ag(args[i])) < 1e-12, i


def test_shared_weight_gradient_is_the_sum_over_steps(rng):
    """dWh is the sum of one term per step: the T per-step terms, computed on their own, add up to it."""
    x, h0, Wx, Wh, b = rnn_case(rng)
    hs, cache = bl.rnn_forward(x, h0, Wx, Wh, b)
    dhs = rng.standard_normal(hs.shape)
    _, _, _, dWh, _ = bl.rnn_backward(dhs, cache)
    # recompute dz by hand, then the terms h_{t-1}.T @ dz_t
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
    dz, carry = np.zeros_like(hs), np.zeros_like(h0)
    for t in reversed(range(hs.shape[1])):
        dz[:, t] = (dhs[:, t] + carry) * (1 - hs[:, t] ** 2)
        carry = dz[:, t] @ Wh.T
    terms = [h_prev[:, t].T @ dz[:, t] for t in range(hs.shape[1])]
    np.testing.assert_allclose(dWh, sum(terms), rtol=1e-12, atol=1e-14)
    assert bl.rel_error(dWh, terms[-1]) > 0.1  # the last step alone is not the gradient


def test_truncated_bptt_equals_chunks_whose_first_state_is_constant(rng):
    x, h0, Wx, Wh, b = rnn_case(rng, N=2, T=7)
    hs, cache = bl.rnn_forward(x, h0, Wx, Wh, b)
    dhs = rng.standard_normal(hs.shape)
    dx, dh0, dWx, dWh, db = bl.rnn_backward(dhs, cache, truncate=3)
    want = [np.zeros_like(a) for a in (Wx, Wh, b)]
    h, dxs = h0, []
    for start in range(0, 7, 3):  # chunks [0, 3), [3, 6), [6, 7), each from a constant state
        sl = slice(start, start + 3)
        hs_c, cache_c = bl.rnn_forward(x[:, sl], h, Wx, Wh, b)
        dx_c, dh0_c, *g = bl.rnn_backward(dhs[:, sl], cache_c)
        if start == 0:
            np.testing.assert_allclose(dh0, dh0_c, rtol=1e-12, atol=1e-14)
        want = [w + gi for w, gi in zip(want, g)]
        dxs.append(dx_c)
        h = hs_c[:, -1]
    np.testing.assert_allclose(dx, np.concatenate(dxs, axis=1), rtol=1e-12, atol=1e-14)
    for got, w in zip((dWx, dWh, db), want):
        np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-14)
    full = bl.rnn_backward(dhs, cache)[3]
    assert bl.rel_error(full, dWh) > 1e-3  # truncation really changes the gradient


def test_rnn_layer_matches_the_pure_functions_and_keeps_its_cache(rng):
    rnn = bl.RNN(3, 4, rng=0)
    x = rng.standard_normal((2, 5, 3))
    hs = rnn.forward(x)
    want, cache = bl.rnn_forward(x, np.zeros((2, 4)), rnn.params["Wx"], rnn.params["Wh"], rnn.params["b"])
    np.testing.assert_array_equal(hs, want)
    dout = rng.standard_normal(hs.shape)
    hs *= 0  # a learner's in-place edit of the output
    dx = rnn.backward(dout)
    dx_ref, dh0, *g = bl.rnn_backward(dout, cache)
    np.testing.assert_array_equal(dx, dx_ref)
    np.testing.assert_array_equal(rnn.dh0, dh0)
    for key, gi in zip(("Wx", "Wh", "b"), g):
        np.testing.assert_array_equal(rnn.grads[key], gi)
    assert bl.RNN(3, 4, rng=0, truncate=2).truncate == 2


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: bl.RNN(3, 4, rng=0).forward(np.zeros((2, 3))), ValueError, r"RNN\(3, 4\)\.forward: expected x of shape \(N, T, 3\)"),
        (lambda: bl.RNN(3, 4, rng=0).forward(np.zeros((2, 5, 2))), ValueError, r"expected x of shape \(N, T, 3\) .*got shape \(2, 5, 2\)"),
        (lambda: bl.RNN(3, 4, rng=0).forward(np.full((1, 2, 3), np.nan)), ValueError, r"x contains NaN at index \(0, 0, 0\)"),
        (lambda: bl.RNN(3, 4, rng=0).forward(np.zeros((2, 5, 3)), h0=np.zeros((2, 3))), ValueError, r"expected h0 of shape \(N, H\) = \(2, 4\)"),
        (lambda: bl.RNN(3, 4, truncate=0), ValueError, r"RNN: expected truncate as a positive integer, got 0"),
        (lambda: bl.RNN(3, 4, rng=0).backward(np.zeros((1, 1, 4))), RuntimeError, r"call forward before backward"),
    ],
)
def test_rnn_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


# -- layer norm -----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 5, 3), (4, 6), (1, 3, 2, 5)])
def test_layernorm_gradients(rng, shape):
    x = rng.standard_normal(shape) * 3 + 1
    D = shape[-1]
    gamma, beta = 1 + 0.5 * rng.standard_normal(D), rng.standard_normal(D)
    out, cache = bl.layernorm_forward(x, gamma, beta)
    np.testing.assert_allclose(out, ag_layernorm(x, gamma, beta), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(((out - beta) / gamma).mean(axis=-1), 0, atol=1e-12)  # each position: mean 0
    dout = rng.standard_normal(shape)
    dx, dgamma, dbeta = bl.layernorm_backward(dout, cache)
    args = [x, gamma, beta]
    for i, g in enumerate((dx, dgamma, dbeta)):
        def f(a, i=i):
            return bl.layernorm_forward(*(a if j == i else args[j] for j in range(3)))[0]

        assert bl.rel_error(g, numeric(f, args[i], dout)) < TOL, i
        ag = autograd.grad(lambda a, i=i: anp.sum(ag_layernorm(*(a if j == i else args[j] for j in range(3))) * dout))
        assert bl.rel_error(g, ag(args[i])) < 1e-12, i


def test_layernorm_normalises_each_position_not_each_feature(rng):
    """The wrong axis (batch norm's) gives a different answer on a non-square batch."""
    x = rng.standard_normal((4, 6)) * np.arange(1, 7)
    out = bl.LayerNorm(6).forward(x)
    np.testing.assert_allclose(out.std(axis=1), 1, rtol=1e-4)
    assert not np.allclose(out.std(axis=0), 1, rtol=1e-2)


# -- self-attention -------------------------------------------------------------------------------
ATTENTION_CASES = [(2, 5, 4, 1, False), (2, 5, 4, 2, True), (3, 3, 6, 3, True), (1, 4, 6, 2, False)]


@pytest.mark.parametrize("N,T,D,heads,causal", ATTENTION_CASES)
def test_attention_gradients(rng, N, T, D, heads, causal):
    x = rng.standard_normal((N, T, D))
    params = perturbed(tf.attention_params(D, rng=1), rng)
    out, cache = bl.attention_forward(x, params, heads, causal)
    np.testing.assert_allclose(out, ag_attention(x, params, heads, causal), rtol=1e-10, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx, grads = bl.attention_backward(dout, cache)
    assert bl.rel_error(dx, numeric(lambda x_: bl.attention_forward(x_, params, heads, causal)[0], x, dout)) < TOL
    assert bl.rel_error(dx, autograd.grad(lambda x_: anp.sum(ag_attention(x_, params, heads, causal) * dout))(x)) < 1e-10
    for key in tf.ATTENTION_KEYS:
        def f(a, key=key):
            return bl.attention_forward(x, {**params, key: a}, heads, causal)[0]

        if key == "bk":  # adds q . bk to every score of a row, which the softmax ignores: exactly 0
            assert np.abs(grads[key]).max() < 1e-12 and np.abs(numeric(f, params[key], dout)).max() < 1e-8
            continue
        assert bl.rel_error(grads[key], numeric(f, params[key], dout)) < TOL, key
        ag = autograd.grad(lambda a, key=key: anp.sum(ag_attention(x, {**params, key: a}, heads, causal) * dout))
        assert bl.rel_error(grads[key], ag(params[key])) < 1e-10, key


def test_causal_mask_no_gradient_from_a_later_position_to_an_earlier_one(rng):
    att = bl.SelfAttention(4, heads=2, causal=True, rng=0)
    x = rng.standard_normal((2, 6, 4))
    out = att.forward(x)
    assert np.allclose(np.triu(att.weights, 1), 0) and att.weights.shape == (2, 2, 6, 6)
    for t in range(6):
        dout = np.zeros_like(out)
        dout[:, t] = rng.standard_normal((2, 4))  # a loss that reads position t only
        dx = att.backward(dout)
        assert np.all(dx[:, t + 1:] == 0), t  # positions after t cannot have influenced it
        assert np.abs(dx[:, : t + 1]).min(axis=-1).max() > 0
    # and the forward agrees: changing a later position leaves earlier outputs unchanged
    x2 = x.copy()
    x2[:, 4:] += 10
    np.testing.assert_allclose(att.forward(x2)[:, :4], out[:, :4], rtol=0, atol=1e-12)


def test_without_the_mask_later_positions_do_send_gradient(rng):
    att = bl.SelfAttention(4, heads=2, causal=False, rng=0)
    x = rng.standard_normal((1, 5, 4))
    out = att.forward(x)
    dout = np.zeros_like(out)
    dout[:, 0] = 1.0
    assert np.abs(att.backward(dout)[:, 1:]).max() > 1e-3


def test_scale_is_one_over_sqrt_of_the_head_size(rng):
    att = bl.SelfAttention(8, heads=2, rng=0)
    x = rng.standard_normal((1, 3, 8))
    att.forward(x)
    _, q, k, *_ = att.cache
    scores = q @ k.transpose(0, 1, 3, 2) / 2.0  # d = 8 / 2 = 4, sqrt(d) = 2
    e = np.exp(scores - scores.max(-1, keepdims=True))
    np.testing.assert_allclose(att.weights, e / e.sum(-1, keepdims=True), rtol=1e-12)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: bl.SelfAttention(6, heads=4), ValueError, r"SelfAttention: expected heads to divide dim = 6, got heads = 4"),
        (lambda: bl.SelfAttention(6, causal="yes"), TypeError, r"expected causal as True or False"),
        (lambda: bl.SelfAttention(4, rng=0).forward(np.zeros((2, 4))), ValueError, r"expected x of shape \(N, T, 4\)"),
        (lambda: bl.SelfAttention(4, rng=0).forward(np.zeros((2, 3, 5))), ValueError, r"got shape \(2, 3, 5\)"),
        (lambda: bl.attention_forward(np.zeros((1, 2, 4)), {"Wq": np.eye(4)}), ValueError, r"expected params with keys"),
    ],
)
def test_attention_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


# -- the transformer block ------------------------------------------------------------------------
@pytest.mark.parametrize("N,T,D,heads,causal", [(2, 5, 4, 2, True), (1, 3, 6, 3, False), (3, 4, 4, 1, True)])
def test_transformer_block_whole_backward(rng, N, T, D, heads, causal):
    block = bl.TransformerBlock(D, heads=heads, causal=causal, hidden=7, rng=0)
    for k, v in perturbed(block.params, rng).items():
        block.params[k][...] = v
    x = rng.standard_normal((N, T, D))
    out = block.forward(x)
    np.testing.assert_allclose(out, ag_block(x, block.params, heads, causal), rtol=1e-10, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx = block.backward(dout)
    assert bl.rel_error(dx, numeric(block.forward, x.copy(), dout)) < TOL
    assert bl.rel_error(dx, autograd.grad(lambda x_: anp.sum(ag_block(x_, block.params, heads, causal) * dout))(x)) < 1e-10
    grads = dict(block.grads)
    for key, p in block.params.items():
        if key == "attn.bk":  # the softmax ignores it (see test_attention_gradients)
            assert np.abs(grads[key]).max() < 1e-12
            continue
        assert bl.rel_error(grads[key], numeric(lambda _p: block.forward(x), p, dout)) < TOL, key
        ag = autograd.grad(lambda a, key=key: anp.sum(ag_block(x, {**block.params, key: a}, heads, causal) * dout))
        assert bl.rel_error(grads[key], ag(p)) < 1e-10, key


def test_block_reads_the_current_arrays_in_params(rng):
    block = bl.TransformerBlock(4, heads=2, rng=0)
    x = rng.standard_normal((1, 3, 4))
    before = block.forward(x)
    block.params["mlp.b2"] = block.params["mlp.b2"] + 1.0  # a new array under the same key
    np.testing.assert_allclose(block.forward(x), before + 1.0, rtol=1e-12)


def test_sequence_cross_entropy_is_the_fused_loss_over_every_position(rng):
    logits = rng.standard_normal((2, 3, 5))
    y = rng.integers(0, 5, (2, 3))
    loss, dlogits, probs = bl.sequence_cross_entropy(logits, y)
    flat, dflat, _ = bl.softmax_cross_entropy(logits.reshape(6, 5), y.reshape(6))
    assert loss == pytest.approx(flat, rel=1e-15)
    np.testing.assert_array_equal(dlogits, dflat.reshape(2, 3, 5))
    assert bl.rel_error(dlogits, bl.numerical_gradient(lambda z: bl.sequence_cross_entropy(z, y)[0], logits)) < TOL
    with pytest.raises(ValueError, match=r"expected labels y of shape \(N, T\) = \(2, 3\), got \(6,\)"):
        bl.sequence_cross_entropy(logits, y.reshape(6))


def copy_task(rng, N, V=6, T=8):
    """Token sequences and, at every position, the token two steps earlier (the first two copy themselves)."""
    ids = rng.integers(0, V, (N, T))
    y = np.roll(ids, 2, axis=1)
    y[:, :2] = ids[:, :2]
    return ids, y


def test_a_tiny_transformer_learns_to_copy_an_earlier_token():
    """A job for causal attention: each position must read the one two steps back."""
    rng = np.random.default_rng(0)
    V, D, T = 6, 16, 8
    model = bl.Sequential(
        [bl.Embedding(V, D, rng=1), bl.PositionalEmbedding(T, D, rng=2),
         bl.TransformerBlock(D, heads=2, causal=True, rng=3), bl.LayerNorm(D),
         bl.PerPosition(bl.Dense(D, V, init="lecun", rng=4))],
        loss=bl.SequenceCrossEntropy(),
    )
    opt = bl.Adam(lr=0.01)
    held_out = copy_task(np.random.default_rng(9), 256)
    first = model.loss(*held_out)
    for _ in range(100):
        model.loss(*copy_task(rng, 32))  # a fresh batch every step
        model.backward()
        opt.step(model.params(), model.grads())
    assert first > 1.5 and model.loss(*held_out) < 0.05
    assert (model.forward(held_out[0]).argmax(axis=-1) == held_out[1]).mean() > 0.99
