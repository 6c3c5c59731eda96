"""Layers for sequences: token embeddings, a tanh RNN with backprop through time, a layer applied
at every position, and the softmax cross-entropy of every position.

Shapes: N sequences of T steps, D features per step, H hidden units, V tokens, C classes.

    Embedding   out[n, t] = W[ids[n, t]]                          ids: (N, T) -> out: (N, T, D)
                dW[v] = sum of dout[n, t] over every (n, t) with ids[n, t] = v  (a scatter-add)
    RNN         h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b), t = 1 ... T  x: (N, T, D) -> hs: (N, T, H)
                backward through time, from t = T down to 1:
                    dh_t = dout_t + dz_{t+1} @ Wh.T      (from the output, and from the next step)
                    dz_t = dh_t * (1 - h_t**2)
                and each shared weight's gradient is the sum of its terms over the steps:
                    dWx = sum_t x_t.T @ dz_t, dWh = sum_t h_{t-1}.T @ dz_t, db = sum_t sum_n dz_t
"""

import numpy as np

from ._random import as_rng
from ._validate import as_float_array, check_finite, gradient_like, positive_int
from .layers import init_weights
from .losses import softmax_cross_entropy


# -- embedding ----------------------------------------------------------------------------------
def check_ids(ids, n_tokens, where):
    """Token ids: an integer array of at least one dimension, every entry in 0 .. n_tokens - 1."""
    try:
        ids = np.asarray(ids)
    except Exception as exc:
        raise TypeError(f"{where}: expected ids as an integer array, got {type(ids).__name__} ({exc})") from None
    if ids.dtype.kind not in "iu":
        raise TypeError(
            f"{where}: expected integer token ids 0..{n_tokens - 1}, got dtype {ids.dtype}"
            + ("; if they are whole numbers use ids.astype(int)" if ids.dtype.kind == "f" else "")
        )
    if ids.ndim == 0 or ids.size == 0:
        raise ValueError(f"{where}: expected ids of shape (N, T) with at least one token, got shape {ids.shape}")
    low, high = int(ids.min()), int(ids.max())
    if low < 0 or high >= n_tokens:
        raise ValueError(f"{where}: expected ids in 0..{n_tokens - 1} for {n_tokens} tokens, got values "
                         f"from {low} to {high}")
    return ids.copy()  # the cache keeps its own: a caller who edits ids later cannot change dW


def embedding_forward(ids, W):
    """ids: (N, T) integers in 0..V-1, W: (V, D) -> out: (N, T, D), cache = (ids, V)."""
    where = "embedding_forward"
    W = as_float_array(W, "W", where)
    if W.ndim != 2:
        raise ValueError(f"{where}: expected W of shape (V, D) (2-D), got shape {W.shape}")
    ids = check_ids(ids, W.shape[0], where)
    return W[ids], (ids, W.shape[0])  # fancy indexing makes a new array: row ids[n, t] of W


def embedding_backward(dout, cache):
    """dout: (N, T, D), cache = (ids, V) -> dW: (V, D), every token's rows of dout added up."""
    ids, V = cache
    dout = as_float_array(dout, "dout", "embedding_backward")
    if dout.shape[:-1] != ids.shape:
        raise ValueError(f"embedding_backward: expected dout of shape {ids.shape} + (D,), got {dout.shape}")
    check_finite(dout, "dout", "embedding_backward")
    dW = np.zeros((V, dout.shape[-1]), dtype=dout.dtype)  # (V, D)
    np.add.at(dW, ids, dout)  # a repeated id adds each of its positions' gradients (dW[ids] += dout would not)
    return dW


class Embedding:
    """A table of V learned vectors of size D: integer ids (N, T) -> their vectors (N, T, D)."""

    training = True

    def __init__(self, n_tokens, dim, rng=None, dtype=np.float64):
        self.n_tokens = positive_int(n_tokens, "n_tokens", "Embedding")
        self.dim = positive_int(dim, "dim", "Embedding")
        W = as_rng(rng).standard_normal((self.n_tokens, self.dim)).astype(dtype)  # std 1, as in PyTorch
        self.params = {"W": W}
        self.grads = {"W": np.zeros_like(W)}
        self.cache = None

    def __repr__(self):
        return f"Embedding({self.n_tokens}, {self.dim})"

    def forward(self, ids):
        """ids: (N, T) integers in 0..V-1 -> out: (N, T, D)."""
        out, self.cache = embedding_forward(ids, self.params["W"])
        return out

    def backward(self, dout, input_grad=True):
        """dout: (N, T, D) -> None (ids are not differentiable); stores dW in `self.grads`."""
        if self.cache is None:
            raise RuntimeError(f"{self}.backward: call forward before backward")
        self.grads["W"] = embedding_backward(dout, self.cache)
        return None


class PositionalEmbedding:
    """A learned vector per position, added to the input: x (N, T, D) -> x + P[:T], with P: (T_max, D).

    Attention treats its input as a set; this is what tells it which position is which.
    """

    training = True

    def __init__(self, max_len, dim, rng=None, dtype=np.float64):
        self.max_len = positive_int(max_len, "max_len", "PositionalEmbedding")
        self.dim = positive_int(dim, "dim", "PositionalEmbedding")
        P = 0.1 * as_rng(rng).standard_normal((self.max_len, self.dim)).astype(dtype)
        self.params = {"P": P}
        self.grads = {"P": np.zeros_like(P)}
        self.T = None

    def __repr__(self):
        return f"PositionalEmbedding({self.max_len}, {self.dim})"

    def forward(self, x):
        """x: (N, T, D) with T <= max_len -> x + P[:T]: (N, T, D)."""
        x = _check_sequence(x, self.dim, f"{self}.forward")
        if x.shape[1] > self.max_len:
            raise ValueError(f"{self}.forward: expected at most {self.max_len} positions, got T = {x.shape[1]}")
        self.T = x.shape[1]
        return x + self.params["P"][: self.T]

    def backward(self, dout):
        """dout: (N, T, D) -> dx = dout (a copy); dP[:T] is dout summed over the batch."""
        if self.T is None:
            raise RuntimeError(f"{self}.backward: call forward before backward")
        dout = as_float_array(dout, "dout", f"{self}.backward")
        if dout.ndim != 3 or dout.shape[1:] != (self.T, self.dim):
            raise ValueError(f"{self}.backward: expected dout of shape (N, {self.T}, {self.dim}), got {dout.shape}")
        dP = np.zeros_like(self.params["P"])
        dP[: self.T] = dout.sum(axis=0)  # every sequence of the batch uses the same P
        self.grads["P"] = dP
        return dout.copy()


# -- recurrent network --------------------------------------------------------------------------
def _check_sequence(x, D, where, name="x"):
    x = as_float_array(x, name, where)
    if x.ndim != 3 or x.shape[0] == 0 or x.shape[1] == 0 or (D is not None and x.shape[2] != D):
        want = f"(N, T, {D})" if D is not None else "(N, T, D)"
        raise ValueError(f"{where}: expected {name} of shape {want} with N, T >= 1, got shape {x.shape}")
    check_finite(x, name, where)
    return x


def _check_truncate(truncate, where):
    if truncate is None:
        return None
    return positive_int(truncate, "truncate", where)


def rnn_forward(x, h0, Wx, Wh, b):
    """x: (N, T, D), h0: (N, H), Wx: (D, H), Wh: (H, H), b: (H,) -> hs: (N, T, H), cache."""
    where = "rnn_forward"
    Wx, Wh, b = (as_float_array(a, name, where) for a, name in ((Wx, "Wx"), (Wh, "Wh"), (b, "b")))
    if Wx.ndim != 2 or Wh.shape != (Wx.shape[1], Wx.shape[1]) or b.shape != (Wx.shape[1],):
        raise ValueError(f"{where}: expected Wx (D, H), Wh (H, H) and b (H,), got {Wx.shape}, {Wh.shape}, {b.shape}")
    x = _check_sequence(x, Wx.shape[0], where)
    h0 = as_float_array(h0, "h0", where)
    if h0.shape != (x.shape[0], Wx.shape[1]):
        raise ValueError(f"{where}: expected h0 of shape (N, H) = {(x.shape[0], Wx.shape[1])}, got {h0.shape}")
    check_finite(h0, "h0", where)
    return _rnn_forward(x, h0, Wx, Wh, b)


def _rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    xw = x @ Wx + b  # (N, T, H): the input's part of every step at once
    hs = np.empty(xw.shape, dtype=np.result_type(xw, h0, Wh))  # (N, T, H)
    h = h0
    for t in range(T):  # each step needs the one before: the loop over time cannot be vectorised
        h = np.tanh(xw[:, t] + h @ Wh)  # (N, H)
        hs[:, t] = h
    return hs, (x, h0.copy(), Wx, Wh, hs)


def rnn_backward(dhs, cache, truncate=None):
    """dhs: (N, T, H) the gradient at every hidden state -> dx: (N, T, D), dh0: (N, H), dWx, dWh, db.

    Backprop through time over the whole sequence; with `truncate=k` the gradient is cut every k
    steps (at t = k, 2k, ...), as if the sequence ran in chunks of k steps whose first state is a
    constant: each loss term reaches back at most to the start of its chunk.
    """
    x, h0, Wx, Wh, hs = cache
    dhs = gradient_like(dhs, hs.shape, "rnn_backward", "dhs")
    return _rnn_backward(dhs, cache, _check_truncate(truncate, "rnn_backward"))


def _rnn_backward(dhs, cache, truncate):
    x, h0, Wx, Wh, hs = cache
    N, T, H = hs.shape
    dz = np.empty_like(hs)  # (N, T, H): the gradient at each step's pre-activation
    dh_next = np.zeros_like(h0)  # (N, H): what step t + 1 sends back to h_t
    for t in range(T - 1, -1, -1):
        dh = dhs[:, t] + dh_next  # h_t feeds the output at t and the step t + 1
        dz[:, t] = dh * (1 - hs[:, t] ** 2)  # tanh' = 1 - tanh^2
        dh_next = dz[:, t] @ Wh.T  # to h_{t-1}
        if truncate and t % truncate == 0 and t > 0:
            dh_next = np.zeros_like(dh_next)  # h_{t-1} starts a chunk: no gradient flows past it
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)  # (N, T, H): the state entering each step
    dWx = x.reshape(N * T, -1).T @ dz.reshape(N * T, H)  # (D, H): the sum over steps and samples
    dWh = h_prev.reshape(N * T, H).T @ dz.reshape(N * T, H)  # (H, H)
    db = dz.sum(axis=(0, 1))  # (H,)
    dx = dz @ Wx.T  # (N, T, D)
    return dx, dh_next, dWx, dWh, db


class RNN:
    """A tanh RNN: x (N, T, D) -> every hidden state (N, T, H), from h0 (zeros unless given).

    `truncate=k` cuts backprop through time every k steps (see `rnn_backward`). After
    `backward`, `dh0` holds the gradient at the initial state.
    """

    training = True

    def __init__(self, n_inputs, n_hidden, rng=None, truncate=None, dtype=np.float64):
        self.n_inputs = positive_int(n_inputs, "n_inputs", "RNN")
        self.n_hidden = positive_int(n_hidden, "n_hidden", "RNN")
        self.truncate = _check_truncate(truncate, "RNN")
        rng = as_rng(rng)
        self.params = {
            "Wx": init_weights(self.n_inputs, self.n_hidden, "lecun", rng, dtype),  # (D, H)
            "Wh": init_weights(self.n_hidden, self.n_hidden, "lecun", rng, dtype),  # (H, H)
            "b": np.zeros(self.n_hidden, dtype=dtype),  # (H,)
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None
        self.dh0 = None

    def __repr__(self):
        return f"RNN({self.n_inputs}, {self.n_hidden})"

    def forward(self, x, h0=None):
        """x: (N, T, D), h0: (N, H) or None for zeros -> hs: (N, T, H)."""
        where = f"{self}.forward"
        x = _check_sequence(x, self.n_inputs, where)
        if h0 is None:
            h0 = np.zeros((x.shape[0], self.n_hidden), dtype=x.dtype)
        else:
            h0 = as_float_array(h0, "h0", where)
            if h0.shape != (x.shape[0], self.n_hidden):
                raise ValueError(f"{where}: expected h0 of shape (N, H) = {(x.shape[0], self.n_hidden)}, "
                                 f"got {h0.shape}")
            check_finite(h0, "h0", where)
        hs, self.cache = _rnn_forward(x, h0, self.params["Wx"], self.params["Wh"], self.params["b"])
        return hs.copy()  # the cache keeps its own hs: editing the result cannot change the backward pass

    def backward(self, dout, input_grad=True):
        """dout: (N, T, H) -> dx: (N, T, D) (None if not input_grad); stores dWx, dWh, db and `dh0`."""
        if self.cache is None:
            raise RuntimeError(f"{self}.backward: call forward before backward")
        dout = gradient_like(dout, self.cache[-1].shape, f"{self}.backward")
        dx, self.dh0, *grads = _rnn_backward(dout, self.cache, self.truncate)
        self.grads = dict(zip(("Wx", "Wh", "b"), grads))
        return dx if input_grad else None


# -- a layer at every position, and the loss of every position ----------------------------------
class PerPosition:
    """Applies a layer made for (N, D) rows to every position of (N, T, D): (N, T, D) -> (N, T, H).

    The T positions become N * T rows, so the layer's weights are shared by every position and
    their gradients add up over positions. `params` and `grads` are the layer's own.
    """

    def __init__(self, layer):
        if not all(hasattr(layer, a) for a in ("forward", "backward", "params", "grads")):
            raise TypeError(f"PerPosition: expected a layer with forward, backward, params and grads, got {layer!r}")
        self.layer = layer
        self.shape = None

    def __repr__(self):
        return f"PerPosition({self.layer!r})"

    @property
    def params(self):
        return self.layer.params

    @property
    def grads(self):
        return self.layer.grads

    @property
    def training(self):
        return self.layer.training

    @training.setter
    def training(self, value):
        self.layer.training = value

    def forward(self, x):
        """x: (N, T, D) -> out: (N, T, H)."""
        x = _check_sequence(x, None, f"{self}.forward")
        N, T, D = x.shape
        self.shape = (N, T, D)
        out = self.layer.forward(x.reshape(N * T, D))  # (N * T, H)
        return out.reshape(N, T, -1)

    def backward(self, dout):
        """dout: (N, T, H) -> dx: (N, T, D)."""
        if self.shape is None:
            raise RuntimeError(f"{self}.backward: call forward before backward")
        N, T, D = self.shape
        dout = as_float_array(dout, "dout", f"{self}.backward")
        if dout.ndim != 3 or dout.shape[:2] != (N, T):
            raise ValueError(f"{self}.backward: expected dout of shape ({N}, {T}, H), got {dout.shape}")
        dx = self.layer.backward(dout.reshape(N * T, -1))  # (N * T, D)
        return None if dx is None else dx.reshape(N, T, D)


def sequence_cross_entropy(logits, y):
    """logits: (N, T, C), y: (N, T) integers in 0..C-1 -> loss, dlogits: (N, T, C), probs: (N, T, C).

    The softmax cross-entropy of every position, averaged over all N * T positions: the fused
    loss of notebook 05 on N * T rows, so its gradient is (probs - onehot) / (N * T).
    """
    where = "sequence_cross_entropy"
    logits = as_float_array(logits, "logits", where)
    if logits.ndim != 3:
        raise ValueError(f"{where}: expected logits of shape (N, T, C) (3-D), got shape {logits.shape}")
    y = np.asarray(y)
    if y.shape != logits.shape[:2]:
        raise ValueError(f"{where}: expected labels y of shape (N, T) = {logits.shape[:2]}, got {y.shape}")
    N, T, C = logits.shape
    loss, dlogits, probs = softmax_cross_entropy(logits.reshape(N * T, C), y.reshape(N * T))
    return loss, dlogits.reshape(N, T, C), probs.reshape(N, T, C)


class SequenceCrossEntropy:
    """Softmax cross-entropy at every position: logits (N, T, C), labels (N, T) -> the mean over N * T."""

    classification = True

    def __init__(self):
        self.cache = None

    def __repr__(self):
        return "SequenceCrossEntropy()"

    def forward(self, logits, y):
        loss, self.cache, self.probs = sequence_cross_entropy(logits, y)
        return loss

    def backward(self):
        if self.cache is None:
            raise RuntimeError(f"{self}.backward: call forward before backward")
        return self.cache.copy()


__all__ = [
    "Embedding", "PositionalEmbedding", "RNN", "PerPosition", "SequenceCrossEntropy", "embedding_forward",
    "embedding_backward", "rnn_forward", "rnn_backward", "sequence_cross_entropy", "check_ids",
]
