"""Notebook 10's exercise checks pass the right answers and name the usual wrong ones."""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.exercises import nb10 as ex


def todo(*args):
    raise NotImplementedError


def repaired_model():
    return ex.handed_over_model(GoodLinear, GoodTanh, GoodReLU)


# -- the handed-over model ------------------------------------------------------------------------
def test_the_handed_over_model_fails_and_the_repaired_one_passes():
    X, y = ex.debugging_data()
    broken = bl.gradcheck.check_model(ex.handed_over_model(), X, y)
    assert not broken
    assert broken["linear3.W"] < 1e-7  # the only array no bug reaches
    assert all(err > 1e-2 for name, err in broken.items() if name != "linear3.W")
    assert bl.gradcheck.check_model(repaired_model(), X, y)


def test_each_handed_over_layer_fails_its_own_check_where_its_bug_is():
    X, _ = ex.debugging_data()
    reports = ex.layer_reports_reference(ex.handed_over_model(), X)
    failing = [sorted(k for k, e in r.items() if e >= 1e-7) for r in reports]
    assert failing == [["b"], ["X"], ["b"], ["X"], ["b"]]
    assert all(ex.layer_reports_reference(repaired_model(), X)[i] for i in range(5))


def test_no_relu_input_sits_near_its_corner():
    X, _ = ex.debugging_data()
    model = repaired_model()
    a = X
    for layer in model.layers[:3]:
        a = layer.forward(a)
    assert np.abs(a).min() > 1e-3  # far beyond the check's step h = 1e-5


def layer_reports_right(model, X):
    reports = []
    for layer in model.layers:
        reports.append(bl.check_layer(layer, X))
        X = layer.forward(X)
    return reports


def layer_reports_same_X(model, X):
    return [bl.check_layer(layer, X) for layer in model.layers]


def layer_reports_no_return(model, X):
    layer_reports_right(model, X)


def layer_reports_last_only(model, X):
    return layer_reports_right(model, X)[-1:]


def layer_reports_moved_first(model, X):  # X moves on before the layer is checked
    reports = []
    for layer in model.layers:
        X = layer.forward(X)
        reports.append(bl.check_layer(layer, X))
    return reports


def layer_reports_verdicts(model, X):  # printed summaries instead of the reports
    return [ex.verdicts(r) for r in layer_reports_right(model, X)]


def layer_reports_reversed(model, X):
    return layer_reports_right(model, X)[::-1]


@pytest.mark.parametrize(
    "fn, words",
    [
        (layer_reports_same_X, "the output of the layer before it"),
        (layer_reports_no_return, "forget to `return`"),
        (layer_reports_last_only, "one `check_layer` report per layer"),
        (layer_reports_moved_first, "taken before X moves on"),
        (layer_reports_verdicts, "should be what bl.check_layer returns"),
        (layer_reports_reversed, "in the order of model.layers"),
    ],
)
def test_layer_reports_names_the_mistakes(fn, words):
    result = ex.check_layer_reports(fn)
    assert not result and words in result.message


def test_layer_reports_passes_the_right_answer_and_waits_for_a_stub():
    assert ex.check_layer_reports(layer_reports_right)
    assert ex.check_layer_reports(todo).status == "todo"


# -- fixing the three layers ------------------------------------------------------------------------
class GoodLinear(ex.Linear):
    def backward(self, dout):
        x = self.cache
        self.grads["W"] = x.T @ dout
        self.grads["b"] = dout.sum(axis=0)
        return dout @ self.params["W"].T


class GoodTanh(ex.Tanh):
    def backward(self, dout):
        return dout * (1 - self.cache[1] ** 2)


class GoodReLU(ex.ReLU):
    def backward(self, dout):
        return dout * (self.cache > 0)


class TanhNoDout(ex.Tanh):
    def backward(self, dout):
        return 1 - self.cache[1] ** 2


class TanhNoSquare(ex.Tanh):
    def backward(self, dout):
        return dout * (1 - self.cache[1])


class ReLUTimesOut(ex.ReLU):
    def backward(self, dout):
        return dout * self.cache


class ReLUMaskOnly(ex.ReLU):
    def backward(self, dout):
        return (self.cache > 0).astype(float)


class ReLUInPlace(ex.ReLU):
    def backward(self, dout):
        dout[self.cache <= 0] = 0
        return dout


class LinearTransposed(GoodLinear):
    def backward(self, dout):
        dX = super().backward(dout)
        self.grads["W"] = dout.T @ self.cache
        return dX


class TodoLinear(ex.Linear):
    def backward(self, dout):
        raise NotImplementedError


def test_the_right_layers_pass(capsys):
    assert ex.check_fixed_layers(GoodLinear, GoodTanh, GoodReLU)
    out = capsys.readouterr().out
    assert "whole model passes" in out and "WRONG" not in out


@pytest.mark.parametrize(
    "layers, words",
    [
        ((ex.Linear, GoodTanh, GoodReLU), "db is the mean of dout"),
        ((GoodLinear, ex.Tanh, GoodReLU), "uses the input where it needs the output"),
        ((GoodLinear, TanhNoDout, GoodReLU), "multiply it by the upstream gradient dout"),
        ((GoodLinear, TanhNoSquare, GoodReLU), "the square is missing"),
        ((GoodLinear, GoodTanh, ex.ReLU), "`out >= 0` is always true"),
        ((GoodLinear, GoodTanh, ReLUTimesOut), "not out itself"),
        ((GoodLinear, GoodTanh, ReLUMaskOnly), "the 0/1 gate alone"),
        ((GoodLinear, GoodTanh, ReLUInPlace), "changed its input `dout` in place"),
        ((LinearTransposed, GoodTanh, GoodReLU), "right answer transposed"),
    ],
)
def test_the_fix_check_names_each_mistake(layers, words):
    result = ex.check_fixed_layers(*layers)
    assert not result and words in result.message


def test_the_fix_check_waits_for_stubs():
    assert ex.check_fixed_layers(TodoLinear, GoodTanh, GoodReLU).status == "todo"


# -- the gallery's exercises -------------------------------------------------------------------------
def test_cross_entropy_check():
    assert ex.check_fixed_cross_entropy(lambda p, y: float(-np.log(p[np.arange(len(y)), y]).mean()))
    assert ex.check_fixed_cross_entropy(todo).status == "todo"
    for wrong, words in [
        (lambda p, y: float(-np.mean(np.log(p))), "averages -log of every probability"),
        (lambda p, y: float(-np.log(p[np.arange(len(y)), y]).sum()), "divide by N"),
        (lambda p, y: float(np.log(p[np.arange(len(y)), y]).mean()), "wrong sign"),
        (lambda p, y: float(-np.log(p[:, y]).mean()), "probs[:, y] picks whole columns"),
        (lambda p, y: float(-np.log(p.max(axis=1)).mean()), "LARGEST probability"),
        (lambda p, y: -np.log(p[np.arange(len(y)), y]), "wrong shape: expected (), got (5,)"),
    ]:
        result = ex.check_fixed_cross_entropy(wrong)
        assert not result and words in result.message


def test_relu_backward_check():
    assert ex.check_fixed_relu_backward(lambda d, h: d * (h > 0))
    assert ex.check_fixed_relu_backward(todo).status == "todo"

    def in_place(d, h):
        h[h > 0] = 1
        return d * h

    for wrong, words in [
        (lambda d, h: d * (h >= 0), "h >= 0 holds for every entry"),
        (lambda d, h: d * h, "multiplies dout by h itself"),
        (lambda d, h: (h > 0) * 1.0, "returns the gate alone"),
        (in_place, "changed its input `h` in place"),
        (lambda d, h: d * (h <= 0), "The gate is reversed"),
        (lambda d, h: (d.__setitem__(h <= 0, 0), d)[1], "changed its input `d` in place"),
    ]:
        result = ex.check_fixed_relu_backward(wrong)
        assert not result and words in result.message


def test_ce_backward_check():
    def right(z, y):
        d = bl.softmax(z)
        d[np.arange(len(y)), y] -= 1
        return d / len(y)

    assert ex.check_fixed_ce_backward(right)
    assert ex.check_fixed_ce_backward(todo).status == "todo"
    for wrong, words in [
        (lambda z, y: right(z, y) * len(y), "the 1/N of the mean (N = 6) is missing"),
        (lambda z, y: -right(z, y), "wrong sign"),
        (lambda z, y: right(z, y) / z.shape[1], "divides by N * C"),
        (lambda z, y: (bl.softmax(z) - 1) / len(y), "minus 1 in every class"),
        (lambda z, y: (z - np.eye(z.shape[1])[y]) / len(y), "starts from the logits"),
        (lambda z, y: right(z, y).T, "wrong shape: expected (6, 4), got (4, 6)"),
    ]:
        result = ex.check_fixed_ce_backward(wrong)
        assert not result and words in result.message


def test_forward_check():
    assert ex.check_fixed_forward(ex.forward_reference)
    assert ex.check_fixed_forward(todo).status == "todo"

    def reads_X(X, layers):
        a = X
        for W, b in layers[:-1]:
            a = bl.activations.sigmoid(X @ W + b)
        return a @ layers[-1][0] + layers[-1][1]

    def sigmoid_last(X, layers):
        a = X
        for W, b in layers:
            a = bl.activations.sigmoid(a @ W + b)
        return a

    def last_reads_X(X, layers):
        a = X
        for W, b in layers[:-1]:
            a = bl.activations.sigmoid(a @ W + b)
        return X @ layers[-1][0] + layers[-1][1]

    def no_hidden_bias(X, layers):
        a = X
        for W, _ in layers[:-1]:
            a = bl.activations.sigmoid(a @ W)
        return a @ layers[-1][0] + layers[-1][1]

    def first_two_only(X, layers):
        a = bl.activations.sigmoid(X @ layers[0][0] + layers[0][1])
        return a @ layers[1][0] + layers[1][1]

    for wrong, words in [
        (reads_X, "reads the network's input X"),
        (sigmoid_last, "The last layer has a sigmoid too"),
        (first_two_only, "widths [3, 3, 3, 1]"),
        (last_reads_X, "The output layer reads the network's input X"),
        (no_hidden_bias, "leave out their bias"),
    ]:
        result = ex.check_fixed_forward(wrong)
        assert not result and words in result.message


def test_describe_hides_rounding_noise():
    assert ex.describe(3.2e-11) == "below 1e-08"
    assert ex.describe(0.4567) == "0.46"
