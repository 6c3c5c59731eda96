"""One door per public entry point, no result that aliases a cache, and every bad input named.

Each test here failed on the library before these rules: the comment above it says how.
"""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib import activations as act
from backprop_lib import conv, datasets, gradcheck, init, losses, neuron, normalization, optim
from backprop_lib.engine import Value


def _layers():
    """Every layer and activation of the library, with an input it accepts."""
    rng = np.random.default_rng(0)
    x2, x4 = rng.standard_normal((5, 4)), rng.standard_normal((2, 3, 6, 6))
    return [
        (bl.Dense(4, 3, rng=0), x2), (bl.ReLU(), x2), (bl.Sigmoid(), x2), (bl.Tanh(), x2),
        (bl.Softmax(), x2), (bl.LeakyReLU(0.1), x2), (bl.BatchNorm(4), x2),
        (bl.Dropout(0.5, rng=0), x2), (bl.Conv2D(3, 2, 3, rng=0), x4), (bl.MaxPool2D(2, 2), x4),
        (bl.Flatten(), x4),
    ]


LAYERS = _layers()


# -- no aliasing -------------------------------------------------------------------------------
# Before: ReLU, Sigmoid, Tanh and Softmax returned their cache, Flatten a view of its input.
@pytest.mark.parametrize("layer, x", LAYERS, ids=[repr(layer) for layer, _ in LAYERS])
def test_editing_a_layers_output_changes_neither_its_backward_nor_its_input(layer, x):
    x0 = x.copy()
    out = layer.forward(x)
    assert not np.shares_memory(out, x)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    dout0 = dout.copy()
    want = layer.backward(dout).copy()
    grads = {k: v.copy() for k, v in layer.grads.items()}
    out[...] = 123.0  # the learner's in-place edit
    got = layer.backward(dout)
    np.testing.assert_array_equal(got, want)
    for k, v in layer.grads.items():
        np.testing.assert_array_equal(v, grads[k], err_msg=k)
    got[...] = -7.0  # editing dx must not change the caller's dout either
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dout, dout0)


@pytest.mark.parametrize("forward, backward", [
    (act.relu_forward, act.relu_backward), (act.sigmoid_forward, act.sigmoid_backward),
    (act.tanh_forward, act.tanh_backward), (act.softmax_forward, act.softmax_backward),
    (lambda x: act.leaky_relu_forward(x, 0.1), act.leaky_relu_backward),
    (conv.flatten_forward, conv.flatten_backward),
])
def test_editing_a_pure_forwards_output_leaves_its_cache(forward, backward):
    x = np.random.default_rng(2).standard_normal((4, 5))
    out, cache = forward(x)
    dout = np.ones_like(out)
    want = backward(dout, cache)
    out *= 0
    np.testing.assert_array_equal(backward(dout, cache), want)


LOSSES = [
    (bl.SoftmaxCrossEntropy(), lambda p: p, np.array([0, 2, 1, 2, 0])),
    (bl.CrossEntropy(), act.softmax, np.array([0, 2, 1, 2, 0])),
    (bl.MSE(), lambda p: p, np.arange(15.0).reshape(5, 3)),
    (bl.BinaryCrossEntropy(), act.sigmoid, (np.arange(15).reshape(5, 3) % 2).astype(float)),
]


@pytest.mark.parametrize("loss, prep, y", LOSSES, ids=[repr(loss) for loss, _, _ in LOSSES])
def test_editing_a_losss_gradient_or_prediction_changes_no_later_backward(loss, prep, y):
    # Before: SoftmaxCrossEntropy.backward returned its cache, and every loss kept the caller's pred.
    pred = prep(np.random.default_rng(3).standard_normal((5, 3)))
    pred0, y0 = pred.copy(), y.copy()
    loss.forward(pred, y)
    want = loss.backward().copy()
    loss.backward()[...] = 99.0
    pred[...] = 0.5
    np.testing.assert_array_equal(loss.backward(), want)
    pred[...] = pred0
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize("activation", [bl.ReLU, bl.Sigmoid, bl.Tanh, bl.Softmax])
def test_editing_what_a_model_returned_changes_no_later_backward(activation):
    X = np.random.default_rng(4).standard_normal((6, 3))
    target = np.random.default_rng(5).standard_normal((6, 2))
    model = bl.Sequential([bl.Dense(3, 4, rng=0), activation(), bl.Dense(4, 2, rng=1), activation()],
                          loss=bl.MSE())
    model.loss(X, target)
    model.backward()
    want = {k: v.copy() for k, v in model.grads().items()}
    out = model.forward(X)
    model.loss_fn.forward(out, target)
    out[...] = 0.0  # the model's output, edited before backward
    model.backward()
    for k, v in model.grads().items():
        np.testing.assert_array_equal(v, want[k], err_msg=k)


# -- silent wrong answers ------------------------------------------------------------------------
def test_an_integer_dense_layer_is_refused():
    # Before: accepted, and every output was 0.
    with pytest.raises(TypeError, match=r"Dense\(2, 3\): expected dtype np.float32 or np.float64, got <class 'numpy.int64'>"):
        bl.Dense(2, 3, dtype=np.int64)
    with pytest.raises(TypeError, match=r"Dense\(2, 3\): expected dtype .* got <class 'bool'>"):
        bl.Dense(2, 3, dtype=bool)
    assert bl.Dense(2, 3, dtype="float32", rng=0).W.dtype == np.float32


def test_cross_entropy_refuses_rows_that_are_not_probabilities():
    # Before: any entries in [0, 1] were accepted (sigmoid outputs per class, say).
    probs = np.array([[0.9, 0.8, 0.1], [0.2, 0.3, 0.5]])
    for fn in (bl.cross_entropy, losses.cross_entropy_backward, losses.softmax_cross_entropy_backward):
        with pytest.raises(ValueError, match=r"expected each row of probs to sum to 1 .* row 0 summing to 1\.8"):
            fn(probs, np.array([0, 2]))


@pytest.mark.parametrize("bad, what", [([[1.0, 1.0, 0.0]], "summing to 2"), ([[0.0, 0.0, 0.0]], "summing to 0"),
                                       ([[1.5, -0.5, 0.0]], r"entries in \[0, 1\]")])
def test_softmax_cross_entropy_refuses_multi_hot_and_empty_rows(bad, what):
    # Before: accepted, with a gradient that was not the reported loss's.
    y = np.array([[0.0, 1.0, 0.0]] + bad)
    with pytest.raises(ValueError, match=rf"softmax_cross_entropy: expected .*one-hot labels.*{what}"):
        bl.softmax_cross_entropy(np.zeros((2, 3)), y)


def test_soft_labels_get_the_gradient_of_their_own_loss():
    # Before: cross_entropy took -log(sum y p), its backward the gradient of -sum y log p.
    rng = np.random.default_rng(6)
    probs = act.softmax(rng.standard_normal((4, 3)))
    y = act.softmax(rng.standard_normal((4, 3)))  # soft labels: every row a distribution
    num = gradcheck.numerical_gradient(lambda p: bl.cross_entropy(p, y), probs.copy())
    assert gradcheck.rel_error(losses.cross_entropy_backward(probs, y), num) < 1e-5  # the old pair: about 0.5
    logits = rng.standard_normal((4, 3))
    loss, dlogits, _ = bl.softmax_cross_entropy(logits, y)
    num = gradcheck.numerical_gradient(lambda z: bl.softmax_cross_entropy(z, y)[0], logits.copy())
    assert gradcheck.rel_error(dlogits, num) < 1e-7


# -- NaN and inf, named with the function and the index -------------------------------------------
def _nan(shape, at):
    x = np.random.default_rng(7).random(shape) * 0.5 + 0.1
    x[at] = np.nan
    return x


NAN_CASES = [
    ("sigmoid", lambda: act.sigmoid(_nan((3, 2), (1, 1))), r"\(1, 1\)"),
    ("softmax_jacobian", lambda: act.softmax_jacobian(_nan(3, 2)), r"\(2,\)"),
    ("l2_penalty", lambda: losses.l2_penalty([np.ones((2, 2)), _nan((2, 2), (0, 1))], 0.1), r"weights\[1\].*\(0, 1\)"),
    ("l2_grad", lambda: losses.l2_grad(_nan((2, 2), (1, 0)), 0.1), r"\(1, 0\)"),
    ("numerical_gradient", lambda: bl.numerical_gradient(lambda x: x.sum(), _nan(3, 0)), r"\(0,\)"),
    ("numerical_gradient", lambda: bl.numerical_gradient(lambda x: np.sqrt(x - 0.5).sum() if x[0] > 0.5 else np.nan, np.full(2, 0.5)),
     r"f returned a NaN"),
    ("rel_error", lambda: bl.rel_error(np.ones(3), _nan(3, 1)), r"b contains NaN at index \(1,\)"),
    ("neuron_forward", lambda: neuron.neuron_forward(_nan(3, 2), np.ones(3), 0.0), r"x contains NaN"),
    ("neuron_forward", lambda: neuron.neuron_forward(np.ones(3), np.ones(3), float("inf")), r"b is inf"),
    ("Standardizer.fit", lambda: datasets.Standardizer().fit(_nan((4, 2), (3, 1))), r"\(3, 1\)"),
    ("Standardizer.transform", lambda: datasets.Standardizer().fit(np.ones((3, 2))).transform(_nan((2, 2), (0, 0))),
     r"\(0, 0\)"),
    ("deep_stack", lambda: init.deep_stack(np.ones((2, 3)), [np.ones((3, 3)), _nan((3, 3), (2, 2))], "tanh",
                                           np.ones((2, 3))), r"weights\[1\].*\(2, 2\)"),
    ("deep_stack", lambda: init.deep_stack(np.ones((2, 3)), [np.ones((3, 3))], "tanh", _nan((2, 3), (1, 2))),
     r"dout.*\(1, 2\)"),
    (r"Dense\(2, 2\)", lambda: bl.Dense(2, 2, W=_nan((2, 2), (0, 0))), r"W contains NaN"),
    ("flatten_forward", lambda: conv.flatten_forward(_nan((2, 1, 2, 2), (1, 0, 1, 1))), r"\(1, 0, 1, 1\)"),
    ("Value", lambda: Value(float("nan")), "finite"),
    ("relu_backward", lambda: act.relu_backward(np.ones((2, 2)), _nan((2, 2), (1, 1))), r"cache .*\(1, 1\)"),
    ("softmax_backward", lambda: act.softmax_backward(np.ones((2, 2)), _nan((2, 2), (0, 1))), r"cache .*\(0, 1\)"),
    ("leaky_relu_backward", lambda: act.leaky_relu_backward(np.ones((2, 2)), (_nan((2, 2), (1, 0)), 0.1)),
     r"\(1, 0\)"),
    ("dense_forward", lambda: bl.dense_forward(np.ones((2, 2)), _nan((2, 3), (1, 2)), np.zeros(3)), r"W .*\(1, 2\)"),
    ("col2im", lambda: conv.col2im(_nan((8, 4), (3, 3)), (2, 1, 3, 3), 2, 2), r"dcols .*\(3, 3\)"),
    ("layer_stds", lambda: init.layer_stds([np.ones(3), _nan(3, 1)]), r"arrays\[1\]"),
    ("spiral", lambda: datasets.spiral(5, noise=float("nan")), "noise"),
    ("sine_regression", lambda: datasets.sine_regression(5, noise=float("inf")), "noise"),
    ("Sequential.fit", lambda: bl.mlp([2, 3], rng=0).fit(_nan((4, 2), (2, 1)), np.zeros(4, int), bl.SGD(0.1),
                                                          progress=False), r"\(2, 1\)"),
]


@pytest.mark.parametrize("where, call, detail", NAN_CASES, ids=[f"{w}-{i}" for i, (w, _, _) in enumerate(NAN_CASES)])
def test_nan_and_inf_are_refused_with_the_function_and_the_index(where, call, detail):
    with pytest.raises(ValueError, match=rf"{where}.*{detail}"):
        call()


# -- wrong-typed hyperparameters and other bare Python errors -------------------------------------
class _Opt(bl.SGD):
    pass


def _set_schedule():
    bl.SGD(0.1).schedule = 0.1


def _bool_gradient():
    bl.SGD(0.1).step({"w": np.zeros(2)}, {"w": np.zeros(2, dtype=bool)})


BAD_ARGUMENTS = [
    (lambda: bl.mlp([2, 4, 3], activation="softplus"), r"mlp: activation: expected one of .* got 'softplus'"),
    (lambda: bl.mlp([2, 3], reg=float("inf")), r"Sequential: expected reg as a finite number, got inf"),
    (lambda: bl.BatchNorm(4, momentum="0.9"), r"BatchNorm: expected momentum as a finite number, got '0\.9'"),
    (lambda: bl.BatchNorm(4, eps="1e-5"), r"BatchNorm: expected eps as a small positive number, got '1e-5'"),
    (lambda: bl.Adam(beta1=None), r"Adam: expected beta1 as a finite number, got None"),
    (lambda: bl.Adam(eps="small"), r"Adam: expected eps as a finite number, got 'small'"),
    (lambda: bl.Momentum(0.1, momentum="high"), r"Momentum: expected momentum as a finite number, got 'high'"),
    (lambda: optim.step_decay(0.1, drop="0.5"), r"step_decay: expected drop as a finite number, got '0\.5'"),
    (lambda: optim.cosine(0.1, 10, lr_min=None), r"cosine: expected lr_min as a finite number, got None"),
    (_set_schedule, r"SGD\(lr=0\.1\)\.schedule: expected a function of the step t .* got float: 0\.1"),
    (_bool_gradient, r"SGD\(lr=0\.1\)\.step: expected gradient 'w' as a numeric ndarray, got ndarray of dtype bool"),
    (lambda: bl.Dropout("0.5"), r"Dropout: expected the drop probability p in \[0, 1\)"),
    (lambda: bl.Sequential(bl.Dense(2, 3)), r"Sequential: expected a list of layers .* got Dense"),
    (lambda: bl.Flatten().forward(np.zeros((0, 2, 3, 3))), r"Flatten\(\)\.forward: expected x with at least one sample"),
    (lambda: bl.Dense(2, 3, rng="seed"), r"Dense\(2, 3\): rng: expected a seed"),
    (lambda: bl.mlp([2, 3], rng=1.5), r"mlp: rng: expected a seed"),
    (lambda: bl.Dropout(0.5, rng="x"), r"Dropout: rng: expected a seed"),
    (lambda: datasets.spiral(5, rng="x"), r"spiral: rng: expected a seed"),
    (lambda: init.init_weights(2, 3, "he", rng=0.5), r"init_weights: rng: expected a seed"),
    (lambda: bl.mlp([2, 3], rng=0).fit(np.ones((4, 2)), np.zeros(4, int), bl.SGD(0.1), batch_size=2, rng="x",
                                       progress=False), r"Sequential.fit: rng: expected a seed"),
    (lambda: datasets.train_test_split(np.ones((4, 2)), np.zeros(4), rng=[1]), r"train_test_split: rng: expected"),
    (lambda: datasets.train_test_split(np.ones((4, 2)), np.zeros(4), test_fraction="half"),
     r"train_test_split: expected test_fraction as a finite number"),
    (lambda: Value(1e4).exp(), r"Value\.exp: exp\(10000\) overflows a float"),
    (lambda: Value(1e200) * Value(1e200), r"Value \*: the result is inf"),
    (lambda: Value(1e200) ** 2, r"Value \*\* 2: .* overflows a float"),
    (lambda: losses.l2_penalty(np.ones((2, 2)), 0.1), r"l2_penalty: expected weights as a list of arrays"),
]


@pytest.mark.parametrize("call, message", BAD_ARGUMENTS, ids=[m[:30] for _, m in BAD_ARGUMENTS])
def test_a_wrong_argument_gets_an_error_naming_the_function_and_what_came(call, message):
    with pytest.raises((TypeError, ValueError, OverflowError), match=message):
        call()


def test_train_test_split_accepts_lists_and_returns_arrays():
    # Before: lists raised "only integer scalar arrays can be converted to a scalar index".
    X, y = [[float(i), 0.0] for i in range(10)], list(range(10))
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, 0.3, rng=0)
    assert X_train.shape == (7, 2) and X_test.shape == (3, 2) and y_train.shape == (7,)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == y


def test_a_schedule_can_still_be_set_and_cleared():
    opt = bl.SGD(0.1)
    opt.schedule = optim.constant(0.05)
    opt.step({"w": np.ones(1)}, {"w": np.ones(1)})
    assert opt.lr == 0.05
    opt.schedule = None
    assert opt.schedule is None


# -- divergence --------------------------------------------------------------------------------
def _ring():
    X = np.random.default_rng(0).standard_normal((100, 2))
    return X, (np.hypot(X[:, :1], X[:, 1:]) > 1.5).astype(float)  # (100, 1): no line separates them


def test_a_bounded_loss_that_sticks_far_above_its_best_is_divergence():
    # Before: sigmoid + binary cross-entropy at lr 1e3 jumped from 0.69 to about 4.5 and stayed, without a word.
    X, t = _ring()
    model = bl.Sequential([bl.Dense(2, 1, rng=0), bl.Sigmoid()], loss=bl.BinaryCrossEntropy())
    with pytest.raises(bl.TrainingDivergedError,
                       match=r"diverged at epoch 21: the loss has stayed above 3 x its best 0\.693\d* \+ 1 for 20 epochs"):
        model.fit(X, t, bl.SGD(1e3), epochs=40, progress=False)


def test_a_bounded_loss_that_learns_is_not_divergence():
    X, t = _ring()
    model = bl.Sequential([bl.Dense(2, 8, rng=0, init="he"), bl.Tanh(), bl.Dense(8, 1, rng=1), bl.Sigmoid()],
                          loss=bl.BinaryCrossEntropy())
    history = model.fit(X, t, bl.SGD(0.5), epochs=200, batch_size=16, rng=0, progress=False)
    assert history["loss"][-1] < 0.5 * history["loss"][0]


def test_a_loss_that_becomes_nan_inside_the_model_is_divergence():
    X, t = _ring()
    model = bl.Sequential([bl.Dense(2, 4, rng=0), bl.ReLU(), bl.Dense(4, 1, rng=1)], loss=bl.MSE())
    model.layers[0].params["W"][...] = 1e300  # the hidden layer overflows on the first step
    with np.errstate(all="ignore"), pytest.raises(bl.TrainingDivergedError, match=r"at step 1 .* became (nan|inf)"):
        model.fit(X, t, bl.SGD(0.1), epochs=3, progress=False)


def test_the_divergence_rule_is_in_fits_docstring():
    doc = bl.Sequential.fit.__doc__
    assert "not finite" in doc and "DIVERGENCE_FACTOR" in doc and "PLATEAU_EPOCHS" in doc


# -- one door, one implementation ----------------------------------------------------------------
def test_fit_checks_X_once_and_the_hidden_arrays_never(monkeypatch):
    # Before: X was tested three times per step (fit, the fast loop, the layers), hidden arrays by x . x.
    X, y = bl.datasets.spiral(20, 3, rng=0)  # X: (60, 2)
    model = bl.mlp([2, 7, 3], rng=0)
    seen = []
    real = np.isfinite

    def counting(a, *args, **kwargs):
        seen.append(np.shape(a))
        return real(a, *args, **kwargs)

    monkeypatch.setattr(np, "isfinite", counting)
    model.fit(X, y, bl.SGD(0.1), epochs=3, progress=False)
    assert seen.count((60, 2)) == 1  # X, at fit's door
    assert (60, 7) not in seen  # the hidden layer's arrays: made by the library
    assert (60, 3) not in seen  # logits and their gradient


def test_one_implementation_of_the_step():
    model = bl.mlp([2, 4, 3], rng=0)
    assert not hasattr(model, "_relu_mlp_step") and not hasattr(model, "_relu_mlp")
    from backprop_lib import _validate

    assert not hasattr(_validate, "_DOT_SIZE")
    x = np.full((10, 4), 1e200)  # x . x overflows; every entry is finite
    assert _validate.all_finite(x)


def test_a_model_step_equals_the_layers_steps_by_hand():
    X, y = bl.datasets.spiral(10, 3, rng=0)
    model = bl.mlp([2, 5, 3], rng=0, reg=1e-3)
    dense1, relu, dense2 = (bl.Dense(2, 5, rng=0), bl.ReLU(), bl.Dense(5, 3, rng=0))
    dense1.params["W"][...], dense2.params["W"][...] = model.layers[0].W, model.layers[2].W
    loss = model.train_step(X, y, bl.SGD(0.1))
    logits = dense2.forward(relu.forward(dense1.forward(X)))
    want, dlogits, _ = bl.softmax_cross_entropy(logits, y)
    assert loss == pytest.approx(want + losses.l2_penalty([dense1.W, dense2.W], 1e-3), rel=1e-12)
    dense1.backward(relu.backward(dense2.backward(dlogits)))
    dW1 = dense1.grads["W"] + 1e-3 * dense1.W
    np.testing.assert_allclose(model.layers[0].W, dense1.W - 0.1 * dW1, rtol=1e-12)


def test_normalization_functions_still_check_their_inputs():
    with pytest.raises(ValueError, match=r"batchnorm_forward: x contains NaN at index \(0, 1\)"):
        normalization.batchnorm_forward(_nan((3, 2), (0, 1)), np.ones(2), np.zeros(2))
