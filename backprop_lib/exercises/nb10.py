"""Exercise checks of notebook 10 (debugging backprop), and the model handed over for debugging.

`handed_over_model()` builds a small network from the three layer classes below. Read them
as code someone gave you: the notebook's exercise is to find out, with `check_model` and
`check_layer`, which of their backward passes are right.
"""

from itertools import pairwise

import numpy as np

from .. import activations, layers, losses
from ..checks import FAIL, PASS, TODO, CheckResult, check_function
from ..gradcheck import TOLERANCE, check_layer, check_model


def describe(err, floor=1e-8):
    """A relative error as words that read the same on every machine: rounding noise below
    `floor` is "below 1e-08", a larger error keeps two significant digits."""
    return f"below {floor:.0e}" if err < floor else f"{err:.2g}"


def verdicts(report, floor=1e-8):
    """The lines of a gradient-check report, each error through `describe` -> str."""
    rows = [f"{report.what}: {'PASSED' if report else 'FAILED'} (tolerance {report.tol:g})"]
    for name, err in report.items():
        rows.append(f"  {name:<10} relative error {describe(err, floor):<12} {'ok' if err < report.tol else 'WRONG'}")
    return "\n".join(rows)


# -- the model handed over -------------------------------------------------------------------
class Linear:
    """out = x @ W + b, with x: (N, D), W: (D, H), b: (H,)."""

    kind = "linear"  # the name in the model's params(), e.g. "linear1.W"

    def __init__(self, n_inputs, n_outputs, rng):
        self.params = {
            "W": rng.standard_normal((n_inputs, n_outputs)) / np.sqrt(n_inputs),
            "b": 0.1 * rng.standard_normal(n_outputs),
        }
        self.grads = {"W": np.zeros((n_inputs, n_outputs)), "b": np.zeros(n_outputs)}
        self.cache = None

    def __repr__(self):
        D, H = self.params["W"].shape
        return f"Linear({D}, {H})"

    def forward(self, x):
        """x: (N, D) -> out: (N, H); keeps x for the backward pass."""
        self.cache = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        """dout: (N, H) -> dX: (N, D); stores dW: (D, H) and db: (H,) in self.grads."""
        x = self.cache
        self.grads["W"] = x.T @ dout
        self.grads["b"] = dout.mean(axis=0)
        return dout @ self.params["W"].T


class Tanh:
    """out = tanh(x), elementwise."""

    kind = "tanh"

    params, grads = {}, {}

    def __init__(self):
        self.cache = None

    def __repr__(self):
        return "Tanh()"

    def forward(self, x):
        """x: (N, H) -> out: (N, H); keeps (x, out) for the backward pass."""
        out = np.tanh(x)
        self.cache = (x, out)
        return out

    def backward(self, dout):
        """dout: (N, H) -> dX: (N, H)."""
        x = self.cache[0]
        return dout * (1 - x**2)


class ReLU:
    """out = max(x, 0), elementwise."""

    kind = "relu"

    params, grads = {}, {}

    def __init__(self):
        self.cache = None

    def __repr__(self):
        return "ReLU()"

    def forward(self, x):
        """x: (N, H) -> out: (N, H); keeps out for the backward pass."""
        out = np.maximum(x, 0)
        self.cache = out
        return out

    def backward(self, dout):
        """dout: (N, H) -> dX: (N, H)."""
        out = self.cache
        return dout * (out >= 0)


class Model:
    """Layers in order, then softmax cross-entropy; the same calls as `bl.Sequential`."""

    def __init__(self, layers):
        self.layers = list(layers)
        self.loss_fn = losses.SoftmaxCrossEntropy()
        counts, self.names = {}, []
        for layer in self.layers:
            kind = getattr(layer, "kind", type(layer).__name__.lower())
            counts[kind] = counts.get(kind, 0) + 1
            self.names.append(f"{kind}{counts[kind]}")

    def __repr__(self):
        return f"Model([{', '.join(repr(layer) for layer in self.layers)}])"

    def forward(self, X):
        """X: (N, D) -> logits: (N, C)."""
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def loss(self, X, y):
        """X: (N, D), y: (N,) -> the mean cross-entropy, a float; call backward() next."""
        return self.loss_fn.forward(self.forward(X), y)

    def backward(self):
        """Fill every layer's grads from the last loss() call."""
        dout = self.loss_fn.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)

    def params(self):
        """{'linear1.W': W, ...}: the arrays themselves."""
        return {f"{n}.{k}": v for n, layer in zip(self.names, self.layers) for k, v in layer.params.items()}

    def grads(self):
        """{'linear1.W': dW, ...}, from the last backward()."""
        return {f"{n}.{k}": v for n, layer in zip(self.names, self.layers) for k, v in layer.grads.items()}


def handed_over_model(linear=Linear, tanh=Tanh, relu=ReLU, rng=0):
    """A 4-6-5-3 classifier: linear, tanh, linear, ReLU, linear, softmax cross-entropy."""
    rng = np.random.default_rng(rng)
    return Model([linear(4, 6, rng), tanh(), linear(6, 5, rng), relu(), linear(5, 3, rng)])


def debugging_data(rng=0):
    """A small batch for checking the handed-over model: X: (7, 4), y: (7,)."""
    rng = np.random.default_rng(rng)
    return rng.standard_normal((7, 4)), rng.integers(0, 3, size=7)


# -- the references the checks compare with: the library's own backward passes -----------------
def _linear_reference(x, dout):
    W = Linear(4, 3, np.random.default_rng(0)).params["W"]  # the weights the checked layer gets
    return layers.dense_backward(dout, (x, W))


def _tanh_reference(x, dout):
    return activations.tanh_backward(dout, np.tanh(x))


def _relu_reference(x, dout):
    return activations.relu_backward(dout, np.maximum(x, 0))


def _reports(model, X):
    reports = []
    for layer in model.layers:
        reports.append(check_layer(layer, X))
        X = layer.forward(X)
    return reports


def layer_reports_reference(model, X):
    """model: its .layers in order, X: (N, D) -> one `check_layer` report per layer."""
    return _reports(model, X)


# -- exercise: locate ---------------------------------------------------------------------------
def check_layer_reports(fn):
    """Exercise: run `check_layer` on every layer of the model, each with the input it sees there."""
    name = getattr(fn, "__name__", "your function")
    model, (X, _) = handed_over_model(), debugging_data()
    want = _reports(model, X)
    try:
        got = fn(handed_over_model(), X.copy())
    except NotImplementedError:
        return _say(
            CheckResult(
                False,
                f"{TODO} {name}: not implemented yet. Write your solution above, then run this cell again.",
                "todo",
            )
        )
    except ValueError as exc:
        if "mismatch" in str(exc) or "shape" in str(exc) or "aligned" in str(exc):
            return _say(
                CheckResult(
                    False,
                    (
                        f"{FAIL} {name} raised ValueError: {exc}\nA shape clash: a layer was checked on an input "
                        "that does not fit it (the model's input X, or its own output). Each layer must be "
                        "checked with the input it sees inside the model: the output of the layer before it, "
                        "taken before X moves on."
                    ),
                )
            )
        return _say(CheckResult(False, f"{FAIL} {name} raised ValueError: {exc}"))
    except Exception as exc:  # noqa: BLE001 - the learner's code failed: say how, without a traceback
        return _say(CheckResult(False, f"{FAIL} {name} raised {type(exc).__name__}: {exc}"))
    if got is None:
        return _say(CheckResult(False, f"{FAIL} {name} returned None: did it forget to `return` the reports?"))
    got = list(got)
    if len(got) != len(want):
        return _say(
            CheckResult(
                False,
                (
                    f"{FAIL} {name} returned {len(got)} reports for a model of {len(want)} layers: "
                    "one `check_layer` report per layer, in order."
                ),
            )
        )
    for i, (g, w) in enumerate(zip(got, want)):
        if not hasattr(g, "items") or set(g) != set(w):
            return _say(
                CheckResult(
                    False,
                    (
                        f"{FAIL} report {i} should be what bl.check_layer returns for layer {i} "
                        f"({model.layers[i]!r}), with entries {sorted(w)}; got {g!r:.80}"
                    ),
                )
            )
        if any(bool(g[k] < TOLERANCE) != bool(w[k] < TOLERANCE) for k in w):
            return _say(
                CheckResult(
                    False,
                    (
                        f"{FAIL} report {i} ({model.layers[i]!r}) passes or fails other arrays than it should. "
                        "Was the layer given the input it sees inside the model (the output of the layer before)?"
                    ),
                )
            )
        if any(w[k] >= TOLERANCE and not np.isclose(g[k], w[k], rtol=1e-3) for k in w):
            return _say(
                CheckResult(
                    False,
                    (
                        f"{FAIL} report {i} does not belong to layer {i} ({model.layers[i]!r}): its relative "
                        "errors differ from that layer's. Are the reports in the order of model.layers?"
                    ),
                )
            )
    return _say(CheckResult(True, f"{PASS} {name} is correct: one report per layer, each fed the input it sees."))


# -- exercise: fix -----------------------------------------------------------------------------
def _backward_of(cls, shape, seed):
    """A function (x, dout) -> the gradients `cls`'s backward gives, on a seeded layer."""

    def run(x, dout):
        layer = cls(*shape, np.random.default_rng(seed)) if shape else cls()
        layer.forward(x)
        dX = layer.backward(dout)
        if not layer.params:
            return dX
        return dX, layer.grads["W"], layer.grads["b"]

    run.__name__ = f"{cls.__name__}.backward"
    return run


def _linear_mistakes():
    return {
        "db is the mean of dout over the batch, 1/N of the right answer: the loss already carries "
        "the 1/N, so a bias collects the plain sum, dout.sum(axis=0).": _backward_of(Linear, (4, 3), 0),
    }


def _tanh_mistakes():
    def forgot_dout(x, dout):
        return 1 - np.tanh(x) ** 2 + 0 * dout

    def one_minus_out(x, dout):
        return dout * (1 - np.tanh(x))

    return {
        "dX uses the input where it needs the output: tanh'(x) = 1 - tanh(x)**2, so use `out`, not `x`.": _backward_of(
            Tanh, (), 0
        ),
        "dX is the local derivative alone: multiply it by the upstream gradient dout (the chain rule).": forgot_dout,
        "dX is dout * (1 - out): the square is missing, tanh'(x) = 1 - tanh(x)**2.": one_minus_out,
    }


def _relu_mistakes():
    def times_out(x, dout):
        return dout * np.maximum(x, 0)

    def mask_only(x, dout):
        return (np.maximum(x, 0) > 0).astype(float) + 0 * dout

    return {
        "dX lets dout through everywhere: the output of a ReLU is never negative, so `out >= 0` "
        "is always true. The gate is open only where out > 0.": _backward_of(ReLU, (), 0),
        "dX is dout times the output: the ReLU's derivative is the 0/1 gate 1[out > 0], not out itself.": times_out,
        "dX is the 0/1 gate alone: multiply it by the upstream gradient dout (the chain rule).": mask_only,
    }


def _say(result):
    print(result.message)
    return result


def check_fixed_layers(linear, tanh, relu):
    """Exercise: repaired layer classes. Checks each backward against the reference, names the
    usual mistakes, and then gradient-checks the whole model built from the three classes."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 4))  # (N, D)
    d_lin, d_act = rng.standard_normal((6, 3)), rng.standard_normal((6, 4))
    results = [
        check_function(
            _backward_of(linear, (4, 3), 0),
            _linear_reference,
            x,
            d_lin,
            name=f"{linear.__name__}.backward",
            outputs=("dX", "dW", "db"),
            n_samples=6,
            mistakes=_linear_mistakes(),
        ),
        check_function(
            _backward_of(tanh, (), 0),
            _tanh_reference,
            x,
            d_act,
            name=f"{tanh.__name__}.backward",
            outputs=("dX",),
            n_samples=6,
            mistakes=_tanh_mistakes(),
        ),
        check_function(
            _backward_of(relu, (), 0),
            _relu_reference,
            x,
            d_act,
            name=f"{relu.__name__}.backward",
            outputs=("dX",),
            n_samples=6,
            mistakes=_relu_mistakes(),
        ),
    ]
    if any(r.status == "todo" for r in results):
        return CheckResult(False, "\n".join(r.message for r in results), "todo")
    if not all(results):
        return CheckResult(False, "\n".join(r.message for r in results))
    X, y = debugging_data()
    report = check_model(handed_over_model(linear, tanh, relu), X, y)
    print(verdicts(report))
    if not report:
        return _say(
            CheckResult(False, f"{FAIL} each layer passes alone, yet the model does not: see the report above.")
        )
    return _say(
        CheckResult(True, f"{PASS} all three backward passes are right, and the whole model passes its gradient check.")
    )


# -- the gallery's smaller exercises -----------------------------------------------------------
def _probs_and_labels(seed):
    rng = np.random.default_rng(seed)
    return activations.softmax(2 * rng.standard_normal((5, 3))), np.array([0, 2, 1, 2, 0])


def check_fixed_cross_entropy(fn):
    """Exercise (bug 1): the mean cross-entropy of probabilities (N, C) and labels (N,)."""
    mistakes = {
        "It averages -log of every probability: the loss must read only each sample's true-class "
        "probability, the one its label points at.": lambda p, y: float(-np.mean(np.log(p))),
        "It is a sum over the batch where the loss is a mean: divide by N.": lambda p, y: float(
            -np.log(p[np.arange(len(y)), y]).sum()
        ),
        "It has the wrong sign: a probability is below 1, so -log p is positive.": lambda p, y: float(
            np.log(p[np.arange(len(y)), y]).mean()
        ),
        "probs[:, y] picks whole columns, an (N, N) block: index rows and columns together, one "
        "(row, column) pair per sample.": lambda p, y: float(-np.log(p[:, y]).mean()),
        "It reads each sample's LARGEST probability, the predicted class: the loss reads the probability "
        "of the true class y[n].": lambda p, y: float(-np.log(p.max(axis=1)).mean()),
    }
    probs, y = _probs_and_labels(10)
    return check_function(fn, losses.cross_entropy, probs, y, mistakes=mistakes)


def check_fixed_relu_backward(fn):
    """Exercise (bug 3): dX = dout * 1[h > 0] as a new array, for h the ReLU's output."""
    rng = np.random.default_rng(11)
    h = np.maximum(rng.standard_normal((5, 4)), 0)  # (N, H): a ReLU output, exact zeros included
    dout = rng.standard_normal((5, 4))
    mistakes = {
        "It lets dout through everywhere: h >= 0 holds for every entry of a ReLU output; the gate "
        "is open only where h > 0.": lambda d, h: d * (h >= 0),
        "It multiplies dout by h itself: the derivative is the 0/1 gate, not the activation.": lambda d, h: d * h,
        "It returns the gate alone: multiply it by the upstream gradient dout.": lambda d, h: (h > 0).astype(float),
        "The gate is reversed: it is open (1) where h > 0, where the ReLU let its input through.": lambda d, h: (
            d * (h <= 0)
        ),
    }
    return check_function(fn, activations.relu_backward, dout, h, mistakes=mistakes)


def _ce_backward_reference(logits, y):
    return losses.softmax_cross_entropy(logits, y)[1]


def check_fixed_ce_backward(fn):
    """Exercise (bug 4): d(mean softmax cross-entropy)/d logits."""
    rng = np.random.default_rng(12)
    logits, y = 3 * rng.standard_normal((6, 4)), np.array([0, 3, 1, 1, 2, 0])
    mistakes = {
        "It divides by N * C: the loss is a mean over the N samples only (each sample's loss already "
        "sums over its classes).": lambda z, y: _ce_backward_reference(z, y) * len(y) / z.size,
        "It is the softmax minus 1 in every class: subtract 1 only at each sample's true class.": lambda z, y: (
            (activations.softmax(z) - 1) / len(y)
        ),
        "It starts from the logits: the gradient is softmax(logits) - onehot, divided by N.": lambda z, y: (
            (z - np.eye(z.shape[1])[y]) / len(y)
        ),
    }
    return check_function(fn, _ce_backward_reference, logits, y, n_samples=6, mistakes=mistakes)


def forward_reference(X, layers):
    """X: (N, D), layers: [(W1, b1), ..., (WL, bL)] -> out: (N, C); sigmoid hidden layers, linear output."""
    a = X
    for W, b in layers[:-1]:
        a = activations.sigmoid(a @ W + b)  # (N, H_l)
    W, b = layers[-1]
    return a @ W + b


def random_layers(sizes, seed):
    """[(W, b), ...] for layer widths `sizes` = [D, H1, ..., C], standard normal, seeded."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((d, h)), rng.standard_normal(h)) for d, h in pairwise(sizes)]


def check_fixed_forward(fn):
    """Exercise (bug 5): the forward pass of any depth, on several depths and widths."""

    def reads_X(X, layers):
        a = X
        for W, b in layers[:-1]:
            a = activations.sigmoid(X @ W + b)
        return a @ layers[-1][0] + layers[-1][1]

    def sigmoid_last(X, layers):
        a = X
        for W, b in layers:
            a = activations.sigmoid(a @ W + b)
        return a

    def last_reads_X(X, layers):
        a = X
        for W, b in layers[:-1]:
            a = activations.sigmoid(a @ W + b)
        return X @ layers[-1][0] + layers[-1][1]

    def no_hidden_bias(X, layers):
        a = X
        for W, _ in layers[:-1]:
            a = activations.sigmoid(a @ W)
        return a @ layers[-1][0] + layers[-1][1]

    mistakes = {
        "Every hidden layer reads the network's input X: each must read the activation of the "
        "layer before it.": reads_X,
        "The last layer has a sigmoid too: the output layer is linear.": sigmoid_last,
        "The output layer reads the network's input X: it must read the last hidden activation.": last_reads_X,
        "The hidden layers leave out their bias: each computes sigmoid(a @ W + b).": no_hidden_bias,
    }
    X = np.random.default_rng(13).standard_normal((6, 3))
    result = None
    for sizes in ([3, 3, 3, 1], [3, 4, 5, 2, 2], [3, 2]):
        result = check_function(
            fn,
            forward_reference,
            X,
            random_layers(sizes, 1),
            quiet=True,
            mistakes=mistakes,
            hint=f"the check failed on a network of widths {sizes}.",
        )
        if not result:
            break
    return _say(result)
