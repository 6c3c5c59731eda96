"""Layer norm, scaled dot-product self-attention and a pre-norm transformer block, by hand.

Shapes: N sequences of T positions with D features; `heads` heads of size d = D / heads.

    LayerNorm   xhat = (x - mean) / sqrt(var + eps) over the last axis, out = gamma * xhat + beta
                dx = (D * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)) / (D * std), sums over D
                (batch norm's closed form, with the sums over the features of one position
                instead of over the batch)
    Attention   q, k, v = x @ Wq + bq, x @ Wk + bk, x @ Wv + bv, split into heads  (N, heads, T, d)
                scores = q @ k.T / sqrt(d); a causal mask sets scores[i, j] = -inf for j > i
                weights = softmax(scores) over the last axis (which positions j position i reads)
                out = (weights @ v, heads merged) @ Wo + bo
                backward: dweights = da @ v.T, dv = weights.T @ da,
                dscores = notebook 04's softmax vector-Jacobian product of dweights, / sqrt(d),
                dq = dscores @ k, dk = dscores.T @ q
    Block       h = x + attention(ln1(x)), out = h + mlp(ln2(h)), mlp(m) = relu(m @ W1 + b1) @ W2 + b2
"""

import numpy as np

from ._random import as_rng
from ._validate import as_float_array, check_finite, gradient_like, positive_int, real_number
from .activations import relu_backward, relu_forward, softmax_backward
from .layers import dense_backward, dense_forward, init_weights

ATTENTION_KEYS = ("Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo")


def _check_x(x, D, where):
    """x: (N, T, D) floats, N and T at least 1, finite."""
    x = as_float_array(x, "x", where)
    if x.ndim != 3 or x.shape[0] == 0 or x.shape[1] == 0 or x.shape[2] != D:
        raise ValueError(f"{where}: expected x of shape (N, T, {D}) with N, T >= 1, got shape {x.shape}")
    check_finite(x, "x", where)
    return x


def _check_eps(eps, where):
    return real_number(eps, "eps", where, low=0, low_open=True)


# -- layer norm ---------------------------------------------------------------------------------
def layernorm_forward(x, gamma, beta, eps=1e-5):
    """x: (..., D), gamma: (D,), beta: (D,) -> out: (..., D), cache. Each position normalised on its own."""
    where = "layernorm_forward"
    x = as_float_array(x, "x", where)
    if x.ndim == 0 or x.size == 0:
        raise ValueError(f"{where}: expected x of shape (..., D) with at least one entry, got shape {x.shape}")
    check_finite(x, "x", where)
    D = x.shape[-1]
    gamma, beta = as_float_array(gamma, "gamma", where), as_float_array(beta, "beta", where)
    if gamma.shape != (D,) or beta.shape != (D,):
        raise ValueError(f"{where}: expected gamma and beta of shape (D,) = ({D},), got {gamma.shape}, {beta.shape}")
    return _layernorm_forward(x, gamma, beta, _check_eps(eps, where))


def _layernorm_forward(x, gamma, beta, eps):
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1): one mean per position, over its D features
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # (..., 1), divided by D
    std = np.sqrt(var + eps)
    xhat = (x - mu) / std  # (..., D)
    return gamma * xhat + beta, (xhat, std, gamma)


def layernorm_backward(dout, cache):
    """dout: (..., D) -> dx: (..., D), dgamma: (D,), dbeta: (D,)."""
    dout = gradient_like(dout, cache[0].shape, "layernorm_backward")
    return _layernorm_backward(dout, cache)


def _layernorm_backward(dout, cache):
    xhat, std, gamma = cache
    D = xhat.shape[-1]
    dbeta = dout.reshape(-1, D).sum(axis=0)  # (D,): gamma and beta are shared by every position
    dgamma = (dout * xhat).reshape(-1, D).sum(axis=0)  # (D,)
    dxhat = dout * gamma  # (..., D)
    dx = (D * dxhat - dxhat.sum(axis=-1, keepdims=True)
          - xhat * (dxhat * xhat).sum(axis=-1, keepdims=True)) / (D * std)  # (..., D)
    return dx, dgamma, dbeta


class LayerNorm:
    """Layer normalisation of the last axis of (..., D), with a learned gain `gamma` and bias `beta`.

    Unlike batch norm, nothing is shared across the batch: training and evaluation agree, and
    there are no running statistics.
    """

    training = True

    def __init__(self, dim, eps=1e-5):
        self.dim = positive_int(dim, "dim", "LayerNorm")
        self.eps = _check_eps(eps, "LayerNorm")
        self.params = {"gamma": np.ones(self.dim), "beta": np.zeros(self.dim)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None

    def __repr__(self):
        return f"LayerNorm({self.dim})"

    def forward(self, x):
        """x: (..., D) -> out: (..., D)."""
        where = f"{self}.forward"
        x = as_float_array(x, "x", where)
        if x.ndim == 0 or x.shape[-1] != self.dim or x.size == 0:
            raise ValueError(f"{where}: expected x of shape (..., {self.dim}), got shape {x.shape}")
        check_finite(x, "x", where)
        out, self.cache = _layernorm_forward(x, self.params["gamma"], self.params["beta"], self.eps)
        return out

    def backward(self, dout):
        """dout: (..., D) -> dx: (..., D); stores dgamma, dbeta in `self.grads`."""
        if self.cache is None:
            raise RuntimeError(f"{self}.backward: call forward before backward")
        dout = gradient_like(dout, self.cache[0].shape, f"{self}.backward")
        dx, self.grads["gamma"], self.grads["beta"] = _layernorm_backward(dout, self.cache)
        return dx


# -- self-attention -----------------------------------------------------------------------------
def _check_heads(heads, D, where):
    heads = positive_int(heads, "heads", where)
    if D % heads:
        raise ValueError(f"{where}: expected heads to divide dim = {D}, got heads = {heads}")
    return heads


def attention_params(dim, rng=None, dtype=np.float64):
    """The projections of self-attention: Wq, Wk, Wv, Wo (D, D), drawn with Var(w) = 1 / D; biases 0."""
    rng = as_rng(rng)
    params = {}
    for name in ("q", "k", "v", "o"):
        params[f"W{name}"] = init_weights(dim, dim, "lecun", rng, dtype)
        params[f"b{name}"] = np.zeros(dim, dtype=dtype)
    return {k: params[k] for k in ATTENTION_KEYS}


def _check_params(params, shapes, where):
    """Every expected key, each a float array of its shape."""
    if not isinstance(params, dict) or params.keys() != shapes.keys():
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"{where}: expected params with keys {sorted(shapes)}, got {got}")
    out = {}
    for key, shape in shapes.items():
        p = as_float_array(params[key], key, where)
        if p.shape != shape:
            raise ValueError(f"{where}: expected {key} of shape {shape}, got {p.shape}")
        check_finite(p, key, where)
        out[key] = p
    return out


def _attention_shapes(D):
    return {k: ((D, D) if k.startswith("W") else (D,)) for k in ATTENTION_KEYS}


def attention_forward(x, params, heads=1, causal=False):
    """x: (N, T, D), params: Wq, bq, Wk, bk, Wv, bv, Wo, bo -> out: (N, T, D), cache."""
    where = "attention_forward"
    x = as_float_array(x, "x", where)
    if x.ndim != 3:
        raise ValueError(f"{where}: expected x of shape (N, T, D) (3-D), got shape {x.shape}")
    D = x.shape[2]
    x = _check_x(x, D, where)
    params = _check_params(params, _attention_shapes(D), where)
    return _attention_forward(x, params, _check_heads(heads, D, where), bool(causal))


def _split(a, heads):
    """(N, T, D) -> (N, heads, T, d): each head gets its own d = D / heads columns."""
    N, T, D = a.shape
    return a.reshape(N, T, heads, D // heads).transpose(0, 2, 1, 3)


def _merge(a):
    """(N, heads, T, d) -> (N, T, D): the heads side by side again."""
    N, heads, T, d = a.shape
    return a.transpose(0, 2, 1, 3).reshape(N, T, heads * d)


def _attention_forward(x, params, heads, causal):
    N, T, D = x.shape
    d = D // heads
    q = _split(x @ params["Wq"] + params["bq"], heads)  # (N, heads, T, d)
    k = _split(x @ params["Wk"] + params["bk"], heads)
    v = _split(x @ params["Wv"] + params["bv"], heads)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d)  # (N, heads, T, T): query i against key j
    if causal:
        later = np.triu(np.ones((T, T), dtype=bool), k=1)  # j > i: a position may not read ahead
        scores = np.where(later, -np.inf, scores)
    scores = scores - scores.max(axis=-1, keepdims=True)  # the diagonal is never masked: every row has a finite max
    weights = np.exp(scores)
    weights /= weights.sum(axis=-1, keepdims=True)  # (N, heads, T, T), rows sum to 1
    a = _merge(weights @ v)  # (N, T, D)
    out = a @ params["Wo"] + params["bo"]  # (N, T, D)
    return out, (x, q, k, v, weights, a, params["Wq"], params["Wk"], params["Wv"], params["Wo"])


def attention_backward(dout, cache):
    """dout: (N, T, D) -> dx: (N, T, D), grads: a dict with dWq, dbq, ... under the params' keys."""
    dout = gradient_like(dout, cache[0].shape, "attention_backward")
    return _attention_backward(dout, cache)


def _attention_backward(dout, cache):
    x, q, k, v, weights, a, Wq, Wk, Wv, Wo = cache
    N, heads, T, d = q.shape
    D = x.shape[-1]
    rows = dout.reshape(N * T, D)
    grads = {"Wo": a.reshape(N * T, D).T @ rows, "bo": rows.sum(axis=0)}  # summed over every position
    da = _split(dout @ Wo.T, heads)  # (N, heads, T, d)
    dweights = da @ v.transpose(0, 1, 3, 2)  # (N, heads, T, T)
    dv = weights.transpose(0, 1, 3, 2) @ da  # (N, heads, T, d): value j collects from every query that read it
    # Each row of weights is a softmax of a row of scores: notebook 04's vector-Jacobian product.
    # A masked entry has weight 0, so its score gets no gradient.
    dscores = softmax_backward(dweights.reshape(-1, T), weights.reshape(-1, T)).reshape(weights.shape) / np.sqrt(d)
    dq = dscores @ k  # (N, heads, T, d)
    dk = dscores.transpose(0, 1, 3, 2) @ q  # (N, heads, T, d)
    dx = np.zeros_like(x)
    for name, dproj, W in (("q", dq, Wq), ("k", dk, Wk), ("v", dv, Wv)):
        dproj = _merge(dproj)  # (N, T, D)
        grads[f"W{name}"] = x.reshape(N * T, D).T @ dproj.reshape(N * T, D)  # (D, D)
        grads[f"b{name}"] = dproj.reshape(N * T, D).sum(axis=0)  # (D,)
        dx += dproj @ W.T  # x reaches the output through q, k and v: the three paths add up
    return dx, {key: grads[key] for key in ATTENTION_KEYS}


class SelfAttention:
    """Scaled dot-product self-attention of (N, T, D) with `heads` heads and an optional causal mask.

    After `forward`, `weights` (N, heads, T, T) holds the attention weights: row i of a head says
    how much position i read from each position j.
    """

    training = True

    def __init__(self, dim, heads=1, causal=False, rng=None, dtype=np.float64):
        self.dim = positive_int(dim, "dim", "SelfAttention")
        self.heads = _check_heads(heads, self.dim, "SelfAttention")
        if not isinstance(causal, (bool, np.bool_)):
            raise TypeError(f"SelfAttention: expected causal as True or False, got {causal!r}")
        self.causal = bool(causal)
        self.params = attention_params(self.dim, rng, dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None

    def __repr__(self):
        return f"SelfAttention({self.dim}, heads={self.heads}, causal={self.causal})"

    @property
    def weights(self):
        return None if self.cache is None else self.cache[4].copy()

    def forward(self, x):
        """x: (N, T, D) -> out: (N, T, D)."""
        x = _check_x(x, self.dim, f"{self}.forward")
        out, self.cache = _attention_forward(x, self.params, self.heads, self.causal)
        return out

    def backward(self, dout):
        """dout: (N, T, D) -> dx: (N, T, D); stores the eight gradients in `self.grads`."""
        if self.cache is None:
            raise RuntimeError(f"{self}.backward: call forward before backward")
        dout = gradient_like(dout, self.cache[0].shape, f"{self}.backward")
        dx, self.grads = _attention_backward(dout, self.cache)
        return dx


# -- the pre-norm transformer block -------------------------------------------------------------
class TransformerBlock:
    """A pre-norm residual block: h = x + attention(ln1(x)), out = h + mlp(ln2(h)).

    mlp(m) = relu(m @ W1 + b1) @ W2 + b2 with `hidden` units (4 * dim unless given). `params`
    names every array: "ln1.gamma", "attn.Wq", ..., "mlp.W1", ...; `forward` reads the current
    arrays there, and `backward` writes the whole block's gradients, step by step, into `grads`.
    """

    training = True

    def __init__(self, dim, heads=1, causal=False, hidden=None, rng=None, dtype=np.float64):
        where = "TransformerBlock"
        self.dim = positive_int(dim, "dim", where)
        self.heads = _check_heads(heads, self.dim, where)
        if not isinstance(causal, (bool, np.bool_)):
            raise TypeError(f"{where}: expected causal as True or False, got {causal!r}")
        self.causal = bool(causal)
        self.hidden = 4 * self.dim if hidden is None else positive_int(hidden, "hidden", where)
        self.eps = 1e-5
        rng = as_rng(rng)
        D, F = self.dim, self.hidden
        self.params = {"ln1.gamma": np.ones(D, dtype=dtype), "ln1.beta": np.zeros(D, dtype=dtype)}
        self.params.update({f"attn.{k}": v for k, v in attention_params(D, rng, dtype).items()})
        self.params.update({
            "ln2.gamma": np.ones(D, dtype=dtype), "ln2.beta": np.zeros(D, dtype=dtype),
            "mlp.W1": init_weights(D, F, "he", rng, dtype), "mlp.b1": np.zeros(F, dtype=dtype),  # before a ReLU
            "mlp.W2": init_weights(F, D, "lecun", rng, dtype), "mlp.b2": np.zeros(D, dtype=dtype),
        })
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None

    def __repr__(self):
        return f"TransformerBlock({self.dim}, heads={self.heads}, causal={self.causal}, hidden={self.hidden})"

    @property
    def weights(self):
        """The attention weights of the last forward pass, (N, heads, T, T) (a copy), or None."""
        return None if self.cache is None else self.cache[2][4].copy()

    def forward(self, x):
        """x: (N, T, D) -> out: (N, T, D)."""
        x = _check_x(x, self.dim, f"{self}.forward")
        p = self.params
        N, T, D = x.shape
        m1, ln1 = _layernorm_forward(x, p["ln1.gamma"], p["ln1.beta"], self.eps)  # (N, T, D)
        att, attn = _attention_forward(m1, {k: p[f"attn.{k}"] for k in ATTENTION_KEYS}, self.heads, self.causal)
        h = x + att  # (N, T, D): the first residual
        m2, ln2 = _layernorm_forward(h, p["ln2.gamma"], p["ln2.beta"], self.eps)
        z, fc1 = dense_forward(m2.reshape(N * T, D), p["mlp.W1"], p["mlp.b1"])  # (N * T, F): one row per position
        r, relu = relu_forward(z)
        f, fc2 = dense_forward(r, p["mlp.W2"], p["mlp.b2"])  # (N * T, D)
        self.cache = (x.shape, ln1, attn, ln2, fc1, relu, fc2)
        return h + f.reshape(N, T, D)  # the second residual

    def backward(self, dout):
        """dout: (N, T, D) -> dx: (N, T, D); stores every parameter's gradient in `self.grads`."""
        if self.cache is None:
            raise RuntimeError(f"{self}.backward: call forward before backward")
        shape, ln1, attn, ln2, fc1, relu, fc2 = self.cache
        dout = gradient_like(dout, shape, f"{self}.backward")
        N, T, D = shape
        g = {}
        # out = h + f: the gradient reaches h directly and through the MLP branch
        dr, g["mlp.W2"], g["mlp.b2"] = dense_backward(dout.reshape(N * T, D), fc2)
        dz = relu_backward(dr, relu)
        dm2, g["mlp.W1"], g["mlp.b1"] = dense_backward(dz, fc1)
        dm2, g["ln2.gamma"], g["ln2.beta"] = _layernorm_backward(dm2.reshape(N, T, D), ln2)
        dh = dout + dm2  # (N, T, D): the residual path adds the branch's gradient to the direct one
        # h = x + att: the same again for the attention branch
        dm1, dattn = _attention_backward(dh, attn)
        g.update({f"attn.{k}": v for k, v in dattn.items()})
        dx, g["ln1.gamma"], g["ln1.beta"] = _layernorm_backward(dm1, ln1)
        self.grads = {k: g[k] for k in self.params}
        return dh + dx
