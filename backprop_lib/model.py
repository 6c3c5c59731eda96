"""A model that chains layers, and the training loop."""

import numpy as np

from ._random import as_rng
from ._validate import as_float_array, check_2d, check_finite
from .activations import ReLU, get_activation
from .layers import Dense
from .losses import SoftmaxCrossEntropy, l2_penalty


class TrainingDivergedError(RuntimeError):
    """Raised by `fit` when the loss stops being a finite number or explodes."""


class History(dict):
    """What `fit` recorded, one entry per epoch: 'loss', and 'accuracy' for classifiers."""

    def __repr__(self):
        parts = [f"{k}: {v[-1]:.4f}" for k, v in self.items() if v and k != "epoch"]
        return f"History({len(self.get('loss', []))} epochs; last {', '.join(parts)})"


class Sequential:
    """Layers applied in order, ending in a loss.

    `forward(X)` gives the last layer's output; `loss(X, y)` adds the loss (and the L2
    penalty 0.5 * reg * sum(W**2) over every Dense weight); `backward()` fills every
    layer's gradients. `params()` and `grads()` name them like "dense1.W".
    """

    def __init__(self, layers, loss=None, reg=0.0):
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("Sequential: expected at least one layer, got none")
        for layer in self.layers:
            if not (hasattr(layer, "_forward") and hasattr(layer, "_backward")):
                raise TypeError(f"Sequential: expected layers from backprop_lib, got {layer!r}")
        self.loss_fn = SoftmaxCrossEntropy() if loss is None else loss
        if reg < 0:
            raise ValueError(f"Sequential: expected reg >= 0, got {reg!r}")
        self.reg = float(reg)
        self.names = []
        counts = {}
        for layer in self.layers:
            kind = type(layer).__name__.lower()
            counts[kind] = counts.get(kind, 0) + 1
            self.names.append(f"{kind}{counts[kind]}")
        dense = [layer for layer in self.layers if isinstance(layer, Dense)]
        if not dense:
            raise ValueError("Sequential: expected at least one Dense layer")
        for a, b in zip(dense, dense[1:]):
            if a.n_outputs != b.n_inputs:
                raise ValueError(f"Sequential: {a} gives {a.n_outputs} features but the next {b} expects {b.n_inputs}")
        self.n_inputs, self.n_outputs = dense[0].n_inputs, dense[-1].n_outputs
        # Everything up to the first weight layer needs no input gradient: X is data, not a parameter.
        first = self.layers.index(dense[0])
        self._backward_layers = self.layers[first:][::-1]
        dense[0].input_grad = False
        self._dense = dense
        # A ReLU between two Dense layers gets fresh arrays both ways (a Dense output going up,
        # a Dense input gradient coming down), so it may work in place.
        for before, layer, after in zip(self.layers, self.layers[1:], self.layers[2:]):
            if isinstance(layer, ReLU) and isinstance(before, Dense) and isinstance(after, Dense):
                layer.overwrite = True
        self._checked = (None, None, None, None)  # the last (X, y) validated, and the results

    def __repr__(self):
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}], loss={self.loss_fn!r}, reg={self.reg:g})"

    # -- checking inputs once, so the loops below can skip it -------------------------------
    def check_X(self, X, where):
        X = check_2d(as_float_array(X, "X", where), "X", where, cols=self.n_inputs)
        check_finite(X, "X", where)
        return X

    def check_data(self, X, y, where):
        # A training loop passes the same arrays step after step: validating them once is enough
        # (a NaN written into X later still shows up, as a non-finite loss).
        X_in, y_in, X_ok, y_ok = self._checked
        if X is X_in and y is y_in:
            return X_ok, y_ok
        X_ok = self.check_X(X, where)
        probe = np.empty((X_ok.shape[0], self.n_outputs), dtype=X_ok.dtype)
        y_ok = self.loss_fn.check_targets(probe, y, where)
        if X_ok is X and y_ok is y:  # a converted copy could go stale if the original changed
            self._checked = (X, y, X_ok, y_ok)
        return X_ok, y_ok

    # -- forward and backward ----------------------------------------------------------------
    def forward(self, X):
        """X: (N, D) -> out: (N, C), the last layer's output (logits for a classifier)."""
        return self._forward(self.check_X(X, f"{type(self).__name__}.forward"))

    def _forward(self, X):
        for layer in self.layers:
            X = layer._forward(X)
        return X

    def loss(self, X, y):
        """Forward pass and loss (data loss + L2 penalty) as a float; call `backward()` next."""
        X, y = self.check_data(X, y, "Sequential.loss")
        return self._loss(X, y)

    def _loss(self, X, y):
        self.out = self._forward(X)
        loss = self.loss_fn._forward(self.out, y)
        if self.reg:
            loss += l2_penalty([d.params["W"] for d in self._dense], self.reg)
        return loss

    def backward(self):
        """Fill every layer's `grads` from the last `loss` call."""
        dout = self.loss_fn.backward()
        for layer in self._backward_layers:
            dout = layer._backward(dout)
        if self.reg:
            for d in self._dense:
                d.grads["W"] += self.reg * d.params["W"]

    def params(self):
        """{'dense1.W': W, 'dense1.b': b, ...}: the arrays themselves, so updating them trains the model."""
        return {f"{n}.{k}": v for n, layer in zip(self.names, self.layers) for k, v in layer.params.items()}

    def grads(self):
        """{'dense1.W': dW, ...}, from the last `backward()`."""
        return {f"{n}.{k}": v for n, layer in zip(self.names, self.layers) for k, v in layer.grads.items()}

    # -- using it ----------------------------------------------------------------------------
    def predict(self, X):
        """X: (N, D) -> class indices (N,) for a classifier, outputs (N, C) for a regression."""
        out = self.forward(X)
        if not self.loss_fn.classification:
            return out
        if out.shape[1] == 1:  # one sigmoid output
            return (out[:, 0] > 0.5).astype(np.int64)
        return out.argmax(axis=1)

    def accuracy(self, X, y):
        """Fraction of samples classified right; y: (N,) labels or (N, C) one-hot."""
        X, y = self.check_data(X, y, "Sequential.accuracy")
        return self._accuracy(self._forward(X), y)

    def _accuracy(self, out, y):
        if out.shape[1] == 1:
            return float(((out[:, 0] > 0.5) == (y[:, 0] > 0.5)).mean())
        labels = y if y.ndim == 1 else y.argmax(axis=1)
        return float((out.argmax(axis=1) == labels).mean())

    def train_step(self, X, y, optimizer):
        """One forward, backward and update on (X, y); returns the loss before the update."""
        X, y = self.check_data(X, y, "Sequential.train_step")
        return self._train_step(X, y, optimizer)

    def _train_step(self, X, y, optimizer):
        loss = self._loss(X, y)
        self.backward()
        optimizer.step(self.params(), self.grads())
        return loss

    def fit(self, X, y, optimizer, epochs=1, batch_size=None, rng=None, progress=True, desc="training",
            callback=None):
        """Train for `epochs` passes over (X, y) and return a `History` with one entry per epoch.

        batch_size None means full batch (one step an epoch); otherwise every epoch visits the
        samples in an order drawn from `rng`. The loss and accuracy recorded for an epoch are
        means over its batches, measured before each update. Raises `TrainingDivergedError`
        naming the step where the loss stopped being finite or grew a thousandfold.

        callback(epoch, model, history), if given, runs after every epoch: use it to keep
        snapshots (`model.params()` copied) or to redraw a plot while training runs.
        """
        X, y = self.check_data(X, y, "Sequential.fit")
        if not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"Sequential.fit: expected epochs as a positive integer, got {epochs!r}")
        N = X.shape[0]
        if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
            raise ValueError(f"Sequential.fit: expected batch_size as a positive integer or None, got {batch_size!r}")
        full_batch = batch_size is None or batch_size >= N
        if not full_batch:
            rng = as_rng(rng if rng is not None else 0)
            starts = range(0, N, batch_size)
        history = History(epoch=[], loss=[])
        classify = self.loss_fn.classification
        if classify:
            history["accuracy"] = []
        bar = _progress(epochs, desc) if progress else None
        step, first = 0, None
        for epoch in range(1, epochs + 1):
            if full_batch:
                parts = [(X, y)]
            else:
                order = rng.permutation(N)
                parts = [(X[order[s : s + batch_size]], y[order[s : s + batch_size]]) for s in starts]
            losses, accs = [], []
            for Xb, yb in parts:
                step += 1
                loss = self._train_step(Xb, yb, optimizer)
                if first is None:
                    first = max(abs(loss), 1e-12)
                if not np.isfinite(loss) or loss > 1000 * first:
                    if bar is not None:
                        bar.close()
                    raise TrainingDivergedError(
                        f"training diverged at step {step} (epoch {epoch}): the loss became {loss:.4g}, "
                        f"up from {first:.4g} at the start; the learning rate {optimizer.lr:g} "
                        "is probably too large, try one ten times smaller"
                    )
                losses.append(loss)
                if classify:
                    accs.append(self._accuracy(self.out, yb))
            history["epoch"].append(epoch)
            history["loss"].append(float(np.mean(losses)))
            if classify:
                history["accuracy"].append(float(np.mean(accs)))
            if callback is not None:
                callback(epoch, self, history)
            if bar is not None:
                bar.update(1)
                if epoch % max(1, epochs // 50) == 0 or epoch == epochs:
                    post = {"loss": f"{history['loss'][-1]:.4f}"}
                    if classify:
                        post["acc"] = f"{history['accuracy'][-1]:.3f}"
                    bar.set_postfix(post, refresh=False)
        if bar is not None:
            bar.close()
        return history


def _progress(total, desc):
    from tqdm.auto import tqdm  # imported here: `import backprop_lib` stays as light as NumPy

    return tqdm(total=total, desc=desc, unit="epoch", leave=True)


def mlp(sizes, activation="relu", loss=None, reg=0.0, init="nnfs", rng=None, dtype=np.float64):
    """A multi-layer perceptron: sizes [D, H1, ..., C] -> Dense, activation, ..., Dense.

    The last Dense has no activation: the loss (softmax + cross-entropy by default) follows it.
    """
    if len(sizes) < 2:
        raise ValueError(f"mlp: expected sizes [D, ..., C] with at least two entries, got {sizes!r}")
    rng = as_rng(rng)
    layers = []
    for i, (d, h) in enumerate(zip(sizes, sizes[1:])):
        layers.append(Dense(d, h, init=init, rng=rng, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(get_activation(activation) if isinstance(activation, str) else activation())
    return Sequential(layers, loss=loss, reg=reg)
