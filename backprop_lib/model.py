"""A model that chains layers, and the training loop."""

import numpy as np

from ._random import as_rng
from ._validate import as_float_array, check_batch, check_finite, check_labels, positive_int, real_number, trusted
from .activations import Activation, get_activation
from .layers import Dense
from .losses import SoftmaxCrossEntropy, l2_penalty


class TrainingDivergedError(RuntimeError):
    """Raised by `fit` when the loss stops being a finite number, explodes or sticks far above its best."""


class History(dict):
    """What `fit` recorded, one entry per epoch: 'loss', and 'accuracy' for classifiers."""

    def __repr__(self):
        parts = [f"{k}: {v[-1]:.4f}" for k, v in self.items() if v and k != "epoch"]
        return f"History({len(self.get('loss', []))} epochs; last {', '.join(parts)})"


class Sequential:
    """Layers applied in order, ending in a loss.

    A layer is anything with `forward(x)`, `backward(dout)`, `params` and `grads` (the layers
    of this library, or your own). `forward(X)` gives the last layer's output; `loss(X, y)`
    adds the loss (and the L2 penalty 0.5 * reg * sum(W**2) over every weight named "W");
    `backward()` fills every layer's gradients. `params()` and `grads()` name them like
    "dense1.W". `train()` and `eval()` switch layers that behave differently in training
    (dropout, batch norm) between the two modes.

    X is checked once, where it comes in (`forward`, `loss`, `fit`); the arrays the layers
    hand each other on the way are not tested for NaN again. y is checked by the loss.
    """

    def __init__(self, layers, loss=None, reg=0.0):
        if not isinstance(layers, (list, tuple)):
            raise TypeError(f"Sequential: expected a list of layers such as [bl.Dense(2, 3), bl.ReLU()], "
                            f"got {type(layers).__name__}: {layers!r:.80}")
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("Sequential: expected at least one layer, got none")
        for layer in self.layers:
            missing = [a for a in ("forward", "backward", "params", "grads") if not hasattr(layer, a)]
            if missing:
                raise TypeError(f"Sequential: expected layers with forward, backward, params and grads; "
                                f"{layer!r} has no {', '.join(missing)}")
        self.loss_fn = SoftmaxCrossEntropy() if loss is None else loss
        if not (hasattr(self.loss_fn, "forward") and hasattr(self.loss_fn, "backward")):
            raise TypeError(f"Sequential: expected a loss with forward and backward, got {self.loss_fn!r}")
        self.reg = real_number(reg, "reg", "Sequential", low=0)
        self.names, counts = [], {}
        for layer in self.layers:
            kind = type(layer).__name__.lower()
            counts[kind] = counts.get(kind, 0) + 1
            self.names.append(f"{kind}{counts[kind]}")
        _check_dense_chain(self.layers)
        # The first layer with parameters need not compute dL/dX of the data (nor anything below it).
        with_params = [i for i, layer in enumerate(self.layers) if layer.params] or [len(self.layers)]
        self._first = with_params[0]
        self._skip_dx = self._first < len(self.layers) and _takes_input_grad(self.layers[self._first])
        self.training = True

    def __repr__(self):
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}], loss={self.loss_fn!r}, reg={self.reg:g})"

    def train(self):
        """Training mode for every layer (dropout drops, batch norm uses batch statistics); returns the model."""
        return self._mode(True)

    def eval(self):
        """Evaluation mode for every layer (dropout off, batch norm uses its running statistics); returns the model."""
        return self._mode(False)

    def _mode(self, training):
        self.training = training
        for layer in self.layers:
            layer.training = training
        return self

    # -- forward and backward ----------------------------------------------------------------
    def forward(self, X):
        """X: (N, D) -> out: (N, C), the last layer's output (logits for a classifier)."""
        return self._forward(_check_X(X, "Sequential.forward"))

    def _forward(self, X):
        with trusted():  # X was checked at the door: the layers' outputs need no NaN test
            for layer in self.layers:
                X = layer.forward(X)
        return X

    def weights(self):
        """Every weight matrix the L2 penalty covers (parameters named "W")."""
        return [layer.params["W"] for layer in self.layers if "W" in layer.params]

    def loss(self, X, y):
        """Forward pass and loss (data loss + L2 penalty) as a float; call `backward()` next."""
        return self._loss(_check_X(X, "Sequential.loss"), y)

    def _loss(self, X, y):
        self.out = self._forward(X)
        loss = self.loss_fn.forward(self.out, y)  # checks y, and the outputs: an overflow shows here
        if self.reg:
            with trusted():
                loss += l2_penalty(self.weights(), self.reg)
        return loss

    def backward(self):
        """Fill every layer's `grads` from the last `loss` call."""
        with trusted():
            dout = self.loss_fn.backward()
            for layer in self.layers[:self._first:-1]:
                dout = layer.backward(dout)
            if self._skip_dx:
                self.layers[self._first].backward(dout, input_grad=False)  # nobody needs dL/dX of the data
            elif self._first < len(self.layers):
                self.layers[self._first].backward(dout)
        if self.reg:
            for layer in self.layers:
                if "W" in layer.params:
                    layer.grads["W"] += self.reg * layer.params["W"]  # d/dW of 0.5 reg sum(W**2)

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
        if not getattr(self.loss_fn, "classification", True):
            return out
        if out.shape[1] == 1:  # one sigmoid output
            return (out[:, 0] > 0.5).astype(np.int64)
        return out.argmax(axis=1)

    def accuracy(self, X, y):
        """Fraction of samples classified right; y: (N,) labels or (N, C) one-hot."""
        return _accuracy(self.forward(X), y, "Sequential.accuracy")

    def train_step(self, X, y, optimizer):
        """One forward, backward and update on (X, y); returns the loss before the update."""
        _check_optimizer(optimizer, "Sequential.train_step")
        return self._step(_check_X(X, "Sequential.train_step"), y, optimizer)

    def _step(self, X, y, optimizer, watch=None):
        loss = self._loss(X, y)
        if watch is not None:
            watch(loss)  # fit's divergence rule, before a diverged loss updates anything
        self.backward()
        optimizer.step(self.params(), self.grads())
        return loss

    def fit(self, X, y, optimizer, epochs=1, batch_size=None, rng=None, progress=True, desc="training",
            callback=None):
        """Train for `epochs` passes over (X, y) and return a `History` with one entry per epoch.

        batch_size None means full batch (one step an epoch); otherwise every epoch visits the
        samples in an order drawn from `rng`. The loss and accuracy recorded for an epoch are
        means over its batches, measured before each update.

        Divergence: raises `TrainingDivergedError`, naming the step or epoch, when
          - a step's loss is not finite (NaN or inf), or
          - a step's loss exceeds DIVERGENCE_FACTOR (10) times the first step's loss, plus 1, or
          - the epoch loss has stayed above PLATEAU_FACTOR (3) times the best epoch loss so far,
            plus 1, for PLATEAU_EPOCHS (20) epochs in a row: a bounded loss (sigmoid and binary
            cross-entropy at too large a learning rate) jumps up and sticks there, never growing
            tenfold.

        progress shows a tqdm bar where tqdm is installed (nothing otherwise).
        callback(epoch, model, history), if given, runs after every epoch: use it to keep
        snapshots (`model.params()` copied) or to redraw a plot while training runs.
        """
        where = "Sequential.fit"
        _check_optimizer(optimizer, where)
        X = _check_X(X, where)
        y = np.asarray(y)
        if y.ndim == 0 or len(y) != len(X):
            raise ValueError(f"{where}: expected one label or target per sample ({len(X)}), got shape {y.shape}")
        epochs = positive_int(epochs, "epochs", where)
        if batch_size is not None:
            batch_size = positive_int(batch_size, "batch_size", where)
        if callback is not None and not callable(callback):
            raise TypeError(f"{where}: expected callback as a function (epoch, model, history), got {callback!r}")
        N = X.shape[0]
        rng = as_rng(0 if rng is None else rng, where)
        history = History(epoch=[], loss=[])
        classify = getattr(self.loss_fn, "classification", True)
        if classify:
            history["accuracy"] = []
        watch = _DivergenceWatch(optimizer)
        bar = _progress(epochs, desc) if progress else None
        try:
            for epoch in range(1, epochs + 1):
                if batch_size is None or batch_size >= N:
                    batches = [slice(None)]
                else:
                    batches = np.array_split(rng.permutation(N), range(batch_size, N, batch_size))
                losses, accs = [], []
                watch.now = epoch
                for rows in batches:
                    with trusted():  # X was checked above; a NaN born inside shows as a NaN loss
                        loss = self._step(X[rows], y[rows], optimizer, watch.step)
                    losses.append(loss)
                    if classify:
                        accs.append(_accuracy(self.out, y[rows], where, checked=True))
                history["epoch"].append(epoch)
                history["loss"].append(float(np.mean(losses)))
                if classify:
                    history["accuracy"].append(float(np.mean(accs)))
                watch.end_epoch(history["loss"][-1])
                if callback is not None:
                    callback(epoch, self, history)
                if bar is not None:
                    _show(bar, history, epoch, epochs)
        finally:
            if bar is not None:
                bar.close()
        return history


DIVERGENCE_FACTOR = 10
PLATEAU_FACTOR = 3
PLATEAU_EPOCHS = 20


def diverged(loss, first):
    """The step rule `fit` uses: a loss that is not finite, or above DIVERGENCE_FACTOR * first + 1."""
    return not np.isfinite(loss) or loss > DIVERGENCE_FACTOR * abs(first) + 1


class _DivergenceWatch:
    """`fit`'s divergence rule (see its docstring), fed one step loss and one epoch loss at a time."""

    def __init__(self, optimizer):
        self.lr = getattr(optimizer, "lr", float("nan"))
        self.steps, self.first, self.best, self.above = 0, None, None, 0
        self.now = 1  # the epoch under way

    def _fail(self, what):
        raise TrainingDivergedError(f"training diverged {what}; the learning rate {self.lr:g} is probably "
                                    "too large, try one ten times smaller")

    def step(self, loss):
        self.steps += 1
        if self.first is None:
            self.first = loss
        if diverged(loss, self.first):
            self._fail(f"at step {self.steps} (epoch {self.now}): the loss became {loss:.4g}, "
                       f"up from {self.first:.4g} at the first step")

    def end_epoch(self, loss):
        self.best = loss if self.best is None else min(self.best, loss)
        self.above = self.above + 1 if loss > PLATEAU_FACTOR * self.best + 1 else 0
        if self.above >= PLATEAU_EPOCHS:
            self._fail(f"at epoch {self.now}: the loss has stayed above {PLATEAU_FACTOR} x its best "
                       f"{self.best:.4g} + 1 for {PLATEAU_EPOCHS} epochs (now {loss:.4g})")


def _check_X(X, where):
    """X with at least one sample and no NaN or inf. Integer arrays stay integers (token ids for an
    `Embedding`); a first layer that wants floats converts them itself."""
    if isinstance(X, np.ndarray) and X.dtype.kind in "iu":
        check_batch(X, "X", where)
        return X
    X = as_float_array(X, "X", where)
    check_batch(X, "X", where)
    check_finite(X, "X", where)
    return X


def _check_optimizer(optimizer, where):
    if not hasattr(optimizer, "step"):
        raise TypeError(f"{where}: expected an optimizer such as bl.SGD(0.1), got {optimizer!r}")


def _show(bar, history, epoch, epochs):
    bar.update(1)
    if epoch % max(1, epochs // 50) == 0 or epoch == epochs:
        post = {"loss": f"{history['loss'][-1]:.4f}"}
        if "accuracy" in history:
            post["acc"] = f"{history['accuracy'][-1]:.3f}"
        bar.set_postfix(post, refresh=False)


def _takes_input_grad(layer):
    import inspect  # here, not at the top: `import backprop_lib` stays light

    try:
        return "input_grad" in inspect.signature(layer.backward).parameters
    except (TypeError, ValueError):
        return False


def _check_dense_chain(layers):
    """Dense layers separated only by activations must agree on their sizes."""
    last = None
    for layer in layers:
        if isinstance(layer, Dense):
            if last is not None and last.n_outputs != layer.n_inputs:
                raise ValueError(f"Sequential: {last} gives {last.n_outputs} features but the next {layer} "
                                 f"expects {layer.n_inputs}")
            last = layer
        elif not isinstance(layer, Activation):
            last = None  # a layer that may change the width: nothing to compare across it


def _accuracy(out, y, where, checked=False):
    """out: (N, C) model outputs, y: (N,) labels, (N, C) one-hot or (N, 1) 0/1 targets -> fraction right.

    checked: y has passed the loss's checks already (inside `fit`).
    """
    if out.shape[1] == 1:
        return float(((out[:, 0] > 0.5) == (np.asarray(y).reshape(-1) > 0.5)).mean())
    if not checked:
        y = check_labels(y, out.shape[0], out.shape[1], where)
    labels = y if y.ndim == 1 else y.argmax(axis=1)
    return float((out.argmax(axis=1) == labels).mean())


def _progress(total, desc):
    """A tqdm progress bar, or None where tqdm is not installed (it is optional)."""
    try:
        from tqdm.auto import tqdm  # imported here: `import backprop_lib` stays as light as NumPy
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="epoch", leave=True)


def mlp(sizes, activation="relu", loss=None, reg=0.0, init="nnfs", rng=None, dtype=np.float64):
    """A multi-layer perceptron: sizes [D, H1, ..., C] -> Dense, activation, ..., Dense.

    The last Dense has no activation: the loss (softmax + cross-entropy by default) follows it.
    """
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"mlp: expected sizes [D, ..., C] with at least two entries, got {sizes!r}")
    rng = as_rng(rng, "mlp")
    layers = []
    for i, (d, h) in enumerate(zip(sizes, sizes[1:])):
        layers.append(Dense(d, h, init=init, rng=rng, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(get_activation(activation, "mlp") if isinstance(activation, str) else activation())
    return Sequential(layers, loss=loss, reg=reg)
