"""Checks for notebook 16, attention and a transformer block: the embedding's scatter-add, the causal
softmax, one attention head's backward pass, and the whole backward pass of a pre-norm block."""

import numpy as np

from ..activations import relu_backward, softmax_backward
from ..checks import FAIL, CheckResult, check_function
from ..layers import dense_backward
from ..transformer import TransformerBlock, _attention_backward, _layernorm_backward
from .nb15 import calls_library

# -- the embedding's backward: a scatter-add -------------------------------------------------------


def _embedding_reference(dout, ids, n_tokens):
    dW = np.zeros((n_tokens, dout.shape[-1]))
    np.add.at(dW, ids, dout)
    return dW


def _fancy_add(dout, ids, n_tokens):
    dW = np.zeros((n_tokens, dout.shape[-1]))
    dW[ids] += dout  # buffered: a repeated id keeps one of its rows
    return dW


EMBEDDING_MISTAKES = {
    "A repeated id counts once: `dW[ids] += dout` (or `=` in a loop) writes each row of dW once, however "
    "often its id appears (NumPy buffers the indexed update); use np.add.at(dW, ids, dout), or `+=` in a loop "
    "over positions.":
        _fancy_add,
    "Each position's gradient is averaged over the batch: the table's rows add up every position's "
    "gradient, and any 1/N belongs to the loss.":
        lambda dout, ids, n: _embedding_reference(dout, ids, n) / ids.shape[0],
    "The gradient is averaged over the positions that used a token: dW[v] is a sum, not a mean.":
        lambda dout, ids, n: _embedding_reference(dout, ids, n) / np.maximum(np.bincount(ids.ravel(), minlength=n), 1)[:, None],
    "It is the gradient of the last position only: every position (n, t) adds dout[n, t] to row ids[n, t].":
        lambda dout, ids, n: _embedding_reference(dout[:, -1:], ids[:, -1:], n),
}


def check_embedding_backward(fn):
    """fn(dout (N, T, D), ids (N, T), n_tokens) -> dW (n_tokens, D), on ids with repeats and unused tokens."""
    rng = np.random.default_rng(160)
    cases = [
        (rng.standard_normal((2, 5, 3)), np.array([[1, 4, 1, 1, 0], [6, 4, 0, 1, 1]]), 7),  # id 1 five times; 2, 3, 5 never
        (rng.standard_normal((3, 4, 2)), rng.integers(0, 5, (3, 4)), 5),
        (rng.standard_normal((2, 3, 4)), rng.integers(0, 7, (2, 3)), 9),  # tokens 7 and 8 never appear
    ]
    name = getattr(fn, "__name__", "embedding_backward")
    result = calls_library(fn, ("embedding_backward", "Embedding"), name, "the scatter-add")
    if result is not None:
        print(result.message)
        return result
    for dout, ids, n in cases:
        result = check_function(fn, _embedding_reference, dout, ids, n, name=getattr(fn, "__name__", None),
                                mistakes=EMBEDDING_MISTAKES, quiet=True,
                                hint="row v of dW adds up dout[n, t] over every (n, t) where ids[n, t] == v.")
        if not result:
            break
    print(result.message)
    return result


# -- the causal softmax ---------------------------------------------------------------------------
def _causal_reference(scores):
    T = scores.shape[-1]
    masked = np.where(np.triu(np.ones((T, T), bool), 1), -np.inf, scores)
    e = np.exp(masked - masked.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _lower(T, k=0):
    return np.tril(np.ones((T, T)), k)


CAUSAL_MISTAKES = {
    "The mask is applied after the softmax: the masked weights are zeroed but the rest no longer sum to 1. "
    "Set the future scores to -inf before the softmax, so the remaining weights share all the mass.":
        lambda s: _softmax(s) * _lower(s.shape[-1]),
    "The mask hides the diagonal too (np.triu without k=1): position i may read itself, j <= i; only j > i "
    "is masked.": lambda s: _softmax(np.where(np.triu(np.ones(s.shape[-2:], bool)), -1e9, s)),
    "The mask is transposed: it hides the past and keeps the future. Position i (a row) may read "
    "positions j <= i (the columns up to the diagonal).":
        lambda s: _causal_reference(s.swapaxes(-1, -2)).swapaxes(-1, -2),
    "No mask: position i reads later positions too.": _softmax,
    "The softmax runs over the wrong axis: each row (one query) must sum to 1 over the keys (the last axis).":
        lambda s: _causal_reference(s.swapaxes(-1, -2)),
}


def _nan_rows(fn, scores, name):
    """Why fn's weights have NaN rows, if they do: a row with every key masked, or one maximum for all rows."""
    try:
        with np.errstate(all="ignore"):
            got = np.asarray(fn(scores.copy()), dtype=np.float64)
    except Exception:
        return None
    if got.shape != scores.shape or not np.isnan(got).any() or scores.max() > 100:
        return None  # no NaN, or an overflow (named by the check itself)
    rows = np.isnan(got).any(axis=-1)  # (..., T): which rows broke
    with np.errstate(all="ignore"):
        e = np.exp(scores - scores.max())
        global_shift = e / e.sum(axis=-1, keepdims=True)
    if np.array_equal(np.isnan(global_shift).any(axis=-1), rows) and np.isfinite(_causal_reference(scores)).all():
        return (f"{FAIL} {name} gives NaN rows where one row's scores lie far below another's: it subtracts one "
                "maximum for the whole array; subtract each row's own largest score (max over axis=-1, keepdims).")
    return (f"{FAIL} {name} gives a row whose keys are all masked (NaN: exp(-inf) everywhere, 0 / 0): row i must "
            "keep the keys j <= i, the diagonal included. Use np.triu(..., k=1), and check which side of the "
            "diagonal you masked.")


def check_causal_softmax(fn):
    """fn(scores (..., T, T)) -> weights: masked rows sum to 1; tried on (N, heads, T, T), on scores near 1000 and
    on rows thousands apart."""
    rng = np.random.default_rng(161)
    apart = rng.standard_normal((1, 2, 4, 4))
    apart[..., 1, :] -= 2000  # a row far below the others
    cases = [rng.standard_normal((2, 3, 5, 5)), 1000 + rng.standard_normal((1, 1, 4, 4)) * 50, apart]
    name = getattr(fn, "__name__", None)
    result = None
    for scores in cases:
        nan_rows = _nan_rows(fn, scores, name)
        if nan_rows:
            result = CheckResult(False, nan_rows)
            break
        result = check_function(fn, _causal_reference, scores, name=name, mistakes=CAUSAL_MISTAKES, quiet=True,
                                hint="mask first (scores of j > i to -inf), subtract each row's max, then softmax "
                                     "along the last axis.")
        if not result:
            if scores.max() > 100 and "NaN" in result.message:
                result = CheckResult(False, f"{FAIL} {name} overflows on scores near 1000 (NaN in the weights): "
                                            "subtract each row's largest unmasked score before exp, as in notebook 04.")
            break
    print(result.message)
    return result


# -- one attention head's backward -----------------------------------------------------------------
def _head_case(seed, N, T, d, causal):
    rng = np.random.default_rng(seed)
    q, k, v = (rng.standard_normal((N, T, d)) for _ in range(3))
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(d)
    weights = _causal_reference(scores) if causal else _softmax(scores)
    return rng.standard_normal((N, T, d)), q, k, v, weights


def _head_reference(da, q, k, v, weights, scale=True, transpose_k=False, vjp=True, dv_transpose=True):
    d, T = q.shape[-1], q.shape[-2]
    dweights = da @ v.swapaxes(-1, -2)  # (N, T, T)
    dv = (weights.swapaxes(-1, -2) if dv_transpose else weights) @ da
    if vjp:
        dscores = softmax_backward(dweights.reshape(-1, T), weights.reshape(-1, T)).reshape(weights.shape)
    else:
        dscores = dweights * weights * (1 - weights)  # the diagonal of the Jacobian only
    if scale:
        dscores = dscores / np.sqrt(d)
    dq = dscores @ k
    dk = (dscores if transpose_k else dscores.swapaxes(-1, -2)) @ q
    return dq, dk, dv


HEAD_MISTAKES = {
    "The 1/sqrt(d) scale is missing from dscores: scores = q @ k.T / sqrt(d), so the gradient at q @ k.T "
    "is dscores / sqrt(d).": lambda *a: _head_reference(*a, scale=False),
    "dk is transposed the wrong way: scores[i, j] = q_i . k_j, so dk_j collects dscores[i, j] * q_i over "
    "the queries i: dk = dscores.T @ q.": lambda *a: _head_reference(*a, transpose_k=True),
    "The softmax backward uses only the diagonal of its Jacobian, s (1 - s): every weight of a row depends "
    "on every score of that row; use notebook 04's vector-Jacobian product s * (g - sum(g * s)).":
        lambda *a: _head_reference(*a, vjp=False),
    "dv uses the weights without the transpose: a = weights @ v, so dv = weights.T @ da (value j collects "
    "from every query that read it).": lambda *a: _head_reference(*a, dv_transpose=False),
}


def check_attention_head_backward(fn):
    """fn(da, q, k, v, weights) -> (dq, dk, dv), one head, batched over N; with and without the causal mask."""
    result = calls_library(fn, ("attention_backward", "SelfAttention"), getattr(fn, "__name__", "attention_head_backward"),
                           "one head's backward pass")
    if result is not None:
        print(result.message)
        return result
    for seed, (N, T, d, causal) in ((162, (2, 5, 3, True)), (163, (3, 4, 6, False))):
        result = check_function(fn, _head_reference, *_head_case(seed, N, T, d, causal),
                                name=getattr(fn, "__name__", None), outputs=("dq", "dk", "dv"),
                                mistakes=HEAD_MISTAKES, quiet=True,
                                hint="dweights = da @ v.T and dv = weights.T @ da; dscores from dweights by the "
                                     "softmax VJP, over sqrt(d); then dq and dk as in a product of two matrices.")
        if not result:
            break
    print(result.message)
    return result


# -- the whole block --------------------------------------------------------------------------------
def _block_case(seed, N, T, D, heads, causal):
    rng = np.random.default_rng(seed)
    block = TransformerBlock(D, heads=heads, causal=causal, hidden=5, rng=seed)
    for p in block.params.values():
        p += 0.3 * rng.standard_normal(p.shape)  # gains and biases away from 1 and 0
    block.forward(rng.standard_normal((N, T, D)))
    return rng.standard_normal((N, T, D)), block.cache, block


def _block_reference(dout, cache):
    """The library block's own backward pass, run on this cache."""
    block = TransformerBlock(cache[0][-1])  # the parameters' names only: backward reads the cache
    block.cache = cache
    return block.backward(dout), block.grads


def _branch_grads(dout, cache):
    """The gradient at h through the MLP branch alone, and at x through the attention branch alone."""
    shape, ln1, attn, ln2, fc1, relu, fc2 = cache
    N, T, D = shape
    dr = dense_backward(dout.reshape(N * T, D), fc2)[0]
    dm2 = _layernorm_backward(dense_backward(relu_backward(dr, relu), fc1)[0].reshape(N, T, D), ln2)[0]
    return dm2


def _no_first_residual(dout, cache):
    dx, g = _block_reference(dout, cache)
    return dx - (dout + _branch_grads(dout, cache)), g  # dx without its direct path dh


def _no_second_residual(dout, cache):
    shape, ln1, attn, ln2, fc1, relu, fc2 = cache
    N, T, D = shape
    g = {}
    dr, g["mlp.W2"], g["mlp.b2"] = dense_backward(dout.reshape(N * T, D), fc2)
    dm2, g["mlp.W1"], g["mlp.b1"] = dense_backward(relu_backward(dr, relu), fc1)
    dh, g["ln2.gamma"], g["ln2.beta"] = _layernorm_backward(dm2.reshape(N, T, D), ln2)  # dout's direct path lost
    dm1, dattn = _attention_backward(dh, attn)
    g.update({f"attn.{k}": v for k, v in dattn.items()})
    dx, g["ln1.gamma"], g["ln1.beta"] = _layernorm_backward(dm1, ln1)
    return dh + dx, g


def _attention_from_dout(dout, cache):
    shape, ln1, attn, ln2, fc1, relu, fc2 = cache
    dx, g = _block_reference(dout, cache)
    dm1, dattn = _attention_backward(dout, attn)  # skips what the MLP branch adds to dh
    g.update({f"attn.{k}": v for k, v in dattn.items()})
    dxa, g["ln1.gamma"], g["ln1.beta"] = _layernorm_backward(dm1, ln1)
    return dout + _branch_grads(dout, cache) + dxa, g


BLOCK_MISTAKES = {
    "dx misses the first residual path: x reaches h directly (h = x + attention(ln1(x))), so dx = dh + "
    "(the gradient through ln1 and attention).": _no_first_residual,
    "dh misses the second residual path: out = h + mlp(ln2(h)), so dh = dout + (the gradient through the "
    "MLP and ln2), not the branch's gradient alone.": _no_second_residual,
    "The attention branch gets dout instead of dh: h feeds the MLP branch too, so the gradient at h is "
    "dout plus what comes back through ln2 and the MLP; that sum is what flows into attention.":
        _attention_from_dout,
}


def _as_tuple(fn, keys):
    """fn(dout, cache) -> (dx, grads dict) as one tuple dx, grads[k] for k in keys."""
    def call(dout, cache):
        out = fn(dout, cache)
        if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
            raise _Form(f"should return (dx, grads) with grads a dict, got {type(out).__name__}")
        dx, grads = out
        missing = [k for k in keys if k not in grads]
        if missing:
            raise _Form(f"returned grads without {', '.join(missing)}: every parameter of the block needs a gradient")
        return (dx, *(grads[k] for k in keys))

    call.__name__ = getattr(fn, "__name__", "block_backward")
    return call


class _Form(Exception):
    pass


def check_block_backward(fn):
    """fn(dout, cache) -> (dx, grads): the whole backward pass of bl.TransformerBlock, on two blocks."""
    name = getattr(fn, "__name__", "block_backward")
    result = calls_library(fn, ("TransformerBlock", "backward"), name, "the block's backward pass")
    if result is not None:
        print(result.message)
        return result
    for seed, shape in ((164, (2, 5, 4, 2, True)), (165, (3, 3, 6, 3, False))):
        dout, cache, block = _block_case(seed, *shape)
        keys = list(block.params)
        result = check_function(_as_tuple(fn, keys), _as_tuple(_block_reference, keys), dout, cache, name=name,
                                outputs=("dx", *keys), quiet=True,
                                mistakes={m: _as_tuple(w, keys) for m, w in BLOCK_MISTAKES.items()},
                                hint="go back through the forward lines in reverse; at each '+' the gradient "
                                     "is copied to both terms, and where a value was used twice (h, x) the two "
                                     "gradients add up.")
        if "raised _Form: " in result.message:
            result = CheckResult(False, result.message.replace("raised _Form: ", ""))
        if not result:
            break
    print(result.message)
    return result


def block_gradients(fn, block, dout):
    """(dx, grads) from the learner's block_backward on the block's last forward pass; the library's own while
    the exercise is not written yet (so that the comparison below it still runs), saying so."""
    try:
        return fn(dout, block.cache)
    except NotImplementedError:
        print("block_backward is not written yet (Exercise 4): this compares the library's block instead.")
        return block.backward(dout), dict(block.grads)
