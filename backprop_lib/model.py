"""A model that chains layers, and the training loop."""

import numpy as np

from ._random import as_rng
from ._validate import all_finite, as_float_array, check_batch, check_labels, float_input, positive_int, real_number
from .activations import Activation, ReLU, get_activation
from .layers import Dense
from .losses import SoftmaxCrossEntropy, l2_penalty, softmax_cross_entropy


class TrainingDivergedError(RuntimeError):
    """Raised by `fit` when the loss stops being a finite number or explodes."""


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
    """

    def __init__(self, layers, loss=None, reg=0.0):
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
        self.names = []
        counts = {}
        for layer in self.layers:
            kind = type(layer).__name__.lower()
            counts[kind] = counts.get(kind, 0) + 1
            self.names.append(f"{kind}{counts[kind]}")
        _check_dense_chain(self.layers)
        with_params = [i for i, layer in enumerate(self.layers) if layer.params]
        # Layers before the first one with parameters need no backward pass (X is data), and
        # that layer need not compute dL/dX either, where its backward lets us say so.
        self._first = with_params[0] if with_params else len(self.layers)
        self._skip_dx = with_params and _takes_input_grad(self.layers[self._first])
        kinds = [type(layer) for layer in self.layers]
        self._relu_mlp = (type(self.loss_fn) is SoftmaxCrossEntropy and len(kinds) % 2 == 1
                          and kinds[0::2] == [Dense] * len(kinds[0::2]) and kinds[1::2] == [ReLU] * len(kinds[1::2]))
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
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def weights(self):
        """Every weight matrix the L2 penalty covers (parameters named "W")."""
        return [layer.params["W"] for layer in self.layers if "W" in layer.params]

    def loss(self, X, y):
        """Forward pass and loss (data loss + L2 penalty) as a float; call `backward()` next."""
        self.out = self.forward(X)
        loss = self.loss_fn.forward(self.out, y)
        if self.reg:
            loss += l2_penalty(self.weights(), self.reg)
        return loss

    def backward(self):
        """Fill every layer's `grads` from the last `loss` call."""
        dout = self.loss_fn.backward()
        for i in range(len(self.layers) - 1, self._first - 1, -1):
            layer = self.layers[i]
            if i == self._first and self._skip_dx:
                layer.backward(dout, input_grad=False)  # nobody needs dL/dX of the data
            else:
                dout = layer.backward(dout)
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
        """One forward, backward and update on (X, y); returns the loss before the update.

        For Dense, ReLU, ..., Dense with softmax cross-entropy (what `mlp` builds by default)
        the forward and backward run in the model's own in-place loop, `_relu_mlp_step`,
        with the same numbers (equal entry by entry); every other model goes layer by layer.
        """
        if not hasattr(optimizer, "step"):
            raise TypeError(f"Sequential.train_step: expected an optimizer such as bl.SGD(0.1), got {optimizer!r}")
        loss = self._relu_mlp_step(X, y) if self._relu_mlp else None
        if loss is None:  # any other model, or a batch the fast loop leaves to the layers
            loss = self.loss(X, y)
            self.backward()
        optimizer.step(self.params(), self.grads())
        return loss

    def _relu_mlp_step(self, X, y):
        """`loss(X, y)` then `backward()` for Dense, ReLU, ..., Dense + SoftmaxCrossEntropy, in place.

        The model's own loop, and its only shortcut: the layers' formulas in the layers' order
        (so the same numbers), but working in place on the arrays this step creates, and
        checking X once at the door (the loss checks the labels and the logits) instead of
        every array between layers again. ReLU is written x * (x > 0), its mask kept for the
        backward pass: the same values as max(x, 0) (a negative x gives -0.0, equal to 0),
        and an overflow in a hidden layer stays visible in the logits (-inf * 0 is NaN), so
        one check of the logits covers every layer. It leaves every cache and gradient as
        the layers would. It returns None, and the layers do the step (their checks then say
        where it went wrong), for one-hot labels, X of another dtype, or logits that are not
        finite (the loss's check finds them).
        """
        first, last = self.layers[0], self.layers[-1]
        if getattr(X, "dtype", None) != first.dtype or getattr(y, "ndim", 1) != 1:
            return None
        x = float_input(X, "X", "dense_forward", cols=first.n_inputs)
        masks = []  # one per ReLU: where its input is > 0
        with np.errstate(invalid="ignore"):  # an overflow turns quietly into NaN here: the loss finds it
            for layer in self.layers[:-1]:
                if type(layer) is ReLU:
                    masks.append(x > 0)
                    x *= masks[-1]  # x was made by the Dense before it: nobody else holds it
                    layer.cache = x
                else:
                    layer.cache = (x, layer.params["W"])
                    x = x @ layer.params["W"]  # (N, H)
                    x += layer.params["b"]
            last.cache = (x, last.params["W"])
            self.out = logits = x @ last.params["W"]  # (N, C)
            logits += last.params["b"]
        try:
            loss, dout, self.loss_fn.probs = softmax_cross_entropy(logits, y)  # what SoftmaxCrossEntropy calls
        except ValueError:
            if all_finite(logits):
                raise  # the labels: the layers would give the same error
            return None  # an overflow on the way: the layers' checks name where
        self.loss_fn.cache = dout
        if self.reg:
            loss += l2_penalty(self.weights(), self.reg)
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            if type(layer) is ReLU:
                dout *= masks.pop()  # dout was made by the Dense after it
            else:
                x, W = layer.cache
                dW = x.T @ dout  # (D, H)
                if self.reg:
                    dW += self.reg * W
                layer.grads["W"], layer.grads["b"] = dW, dout.sum(axis=0)
                if i:
                    dout = dout @ W.T  # (N, D)
        return loss

    def fit(self, X, y, optimizer, epochs=1, batch_size=None, rng=None, progress=True, desc="training",
            callback=None):
        """Train for `epochs` passes over (X, y) and return a `History` with one entry per epoch.

        batch_size None means full batch (one step an epoch); otherwise every epoch visits the
        samples in an order drawn from `rng`. The loss and accuracy recorded for an epoch are
        means over its batches, measured before each update.

        Divergence: raises `TrainingDivergedError`, naming the step, when a step's loss is not
        finite or exceeds DIVERGENCE_FACTOR (10) times the first step's loss plus 1.

        progress shows a tqdm bar where tqdm is installed (nothing otherwise).
        callback(epoch, model, history), if given, runs after every epoch: use it to keep
        snapshots (`model.params()` copied) or to redraw a plot while training runs.
        """
        where = "Sequential.fit"
        if not hasattr(optimizer, "step"):
            raise TypeError(f"{where}: expected an optimizer such as bl.SGD(0.1), got {optimizer!r}")
        X = as_float_array(X, "X", where)
        check_batch(X, "X", where)
        y = np.asarray(y)
        if y.ndim == 0 or len(y) != len(X):
            raise ValueError(f"{where}: expected one label or target per sample ({len(X)}), got shape {y.shape}")
        epochs = positive_int(epochs, "epochs", where)
        if batch_size is not None:
            batch_size = positive_int(batch_size, "batch_size", where)
        if callback is not None and not callable(callback):
            raise TypeError(f"{where}: expected callback as a function (epoch, model, history), got {callback!r}")
        N = X.shape[0]
        full_batch = batch_size is None or batch_size >= N
        if not full_batch:
            rng = as_rng(rng if rng is not None else 0)
        history = History(epoch=[], loss=[])
        classify = getattr(self.loss_fn, "classification", True)
        if classify:
            history["accuracy"] = []
        bar = _progress(epochs, desc) if progress else None
        step, first = 0, None
        try:
            for epoch in range(1, epochs + 1):
                if full_batch:
                    batches = [None]
                else:
                    batches = np.array_split(rng.permutation(N), range(batch_size, N, batch_size))
                losses, accs = [], []
                for rows in batches:
                    Xb, yb = (X, y) if rows is None else (X[rows], y[rows])
                    step += 1
                    loss = self.train_step(Xb, yb, optimizer)
                    if first is None:
                        first = loss
                    if diverged(loss, first):
                        raise TrainingDivergedError(
                            f"training diverged at step {step} (epoch {epoch}): the loss became {loss:.4g}, "
                            f"up from {first:.4g} at the first step; the learning rate "
                            f"{getattr(optimizer, 'lr', float('nan')):g} is probably too large, "
                            "try one ten times smaller"
                        )
                    losses.append(loss)
                    if classify:
                        accs.append(_accuracy(self.out, yb, where))
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
        finally:
            if bar is not None:
                bar.close()
        return history


DIVERGENCE_FACTOR = 10


def diverged(loss, first):
    """The rule `fit` uses: a loss that is not finite, or above DIVERGENCE_FACTOR * first + 1."""
    return not np.isfinite(loss) or loss > DIVERGENCE_FACTOR * abs(first) + 1


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


def _accuracy(out, y, where):
    """out: (N, C) model outputs, y: (N,) labels, (N, C) one-hot or (N, 1) 0/1 targets -> fraction right."""
    if out.shape[1] == 1:
        return float(((out[:, 0] > 0.5) == (np.asarray(y).reshape(-1) > 0.5)).mean())
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
    rng = as_rng(rng)
    layers = []
    for i, (d, h) in enumerate(zip(sizes, sizes[1:])):
        layers.append(Dense(d, h, init=init, rng=rng, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(get_activation(activation) if isinstance(activation, str) else activation())
    return Sequential(layers, loss=loss, reg=reg)
