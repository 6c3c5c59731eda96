"""What a learner must be able to trust: no hidden mutation, no silent wrong answer.

Each test here is a case in which the library once behaved in a way the course teaches
against: an array changed behind the caller's back, a wrong label shape answered with a
number, a gradient of a function other than the one computed, a runaway loss not reported.
"""

import sys

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import backprop_lib as bl


def fresh_layers():
    return {
        "Dense": lambda: bl.Dense(4, 3, init="he", rng=0),
        "ReLU": bl.ReLU,
        "LeakyReLU": lambda: bl.LeakyReLU(0.1),
        "Sigmoid": bl.Sigmoid,
        "Tanh": bl.Tanh,
        "Softmax": bl.Softmax,
        "BatchNorm": lambda: bl.BatchNorm(4),
    }


def model_with(name):
    """A model holding the layer under test, with a Dense before and after it where sizes allow."""
    layer = fresh_layers()[name]()
    if name == "Dense":
        return bl.Sequential([bl.Dense(4, 4, rng=1), layer, bl.Tanh(), bl.Dense(3, 3, rng=2)]), layer, 4
    return bl.Sequential([bl.Dense(4, 4, rng=1), layer, bl.Dense(4, 3, rng=2)]), layer, 4


@pytest.mark.parametrize("inside_a_model", [False, True], ids=["alone", "after being in a model"])
@pytest.mark.parametrize("name", list(fresh_layers()))
def test_no_layer_changes_its_arguments_and_each_returns_new_arrays(name, inside_a_model, rng):
    if inside_a_model:
        model, layer, _ = model_with(name)
        model.train_step(rng.standard_normal((5, 4)), rng.integers(0, 3, 5), bl.SGD(0.1))
    else:
        layer = fresh_layers()[name]()
    x = rng.standard_normal((5, 4))
    x_before = x.copy()
    out = layer.forward(x)
    assert out is not x
    np.testing.assert_array_equal(x, x_before)
    dout = rng.standard_normal(out.shape)
    dout_before = dout.copy()
    dx = layer.backward(dout)
    assert dx is not None and dx is not dout
    np.testing.assert_array_equal(dout, dout_before)
    np.testing.assert_array_equal(x, x_before)


@pytest.mark.parametrize("name", list(fresh_layers()))
def test_a_layer_gives_the_same_answer_inside_and_outside_a_model(name, rng):
    model, layer, _ = model_with(name)
    x = rng.standard_normal((5, 4))
    dout = rng.standard_normal((5, 3 if name in ("Dense",) else 4))
    alone = fresh_layers()[name]()
    if name == "Dense":
        alone.params = {k: v.copy() for k, v in layer.params.items()}
    model.loss(rng.standard_normal((5, 4)), rng.integers(0, 3, 5))
    model.backward()
    np.testing.assert_array_equal(layer.forward(x), alone.forward(x))
    np.testing.assert_array_equal(layer.backward(dout), alone.backward(dout))


def test_dropout_changes_neither_its_input_nor_its_upstream_gradient(rng):
    layer = bl.Dropout(0.5, rng=0)
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    x0, d0 = x.copy(), dout.copy()
    out = layer.forward(x)
    dx = layer.backward(dout)
    assert out is not x and dx is not dout
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dout, d0)


LOSSES = {
    "SoftmaxCrossEntropy": (bl.SoftmaxCrossEntropy, lambda r: r.standard_normal((5, 3)), lambda r: r.integers(0, 3, 5)),
    "CrossEntropy": (bl.CrossEntropy, lambda r: bl.softmax(r.standard_normal((5, 3))), lambda r: r.integers(0, 3, 5)),
    "MSE": (bl.MSE, lambda r: r.standard_normal((5, 2)), lambda r: r.standard_normal((5, 2))),
    "BinaryCrossEntropy": (bl.BinaryCrossEntropy, lambda r: r.uniform(0.05, 0.95, (5, 2)),
                           lambda r: r.integers(0, 2, (5, 2)).astype(float)),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_no_loss_changes_its_arguments(name, rng):
    make, pred_of, y_of = LOSSES[name]
    loss = make()
    pred, y = pred_of(rng), y_of(rng)
    pred_before, y_before = pred.copy(), y.copy()
    loss.forward(pred, y)
    g = loss.backward()
    np.testing.assert_array_equal(pred, pred_before)
    np.testing.assert_array_equal(y, y_before)
    assert g is not pred


def test_model_training_leaves_the_data_alone(rng):
    X, y = rng.standard_normal((20, 2)), rng.integers(0, 3, 20)
    X_before, y_before = X.copy(), y.copy()
    bl.mlp([2, 8, 3], rng=0).fit(X, y, bl.SGD(0.5), epochs=3, batch_size=7, progress=False)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


# -- the pure functions check what they are given -------------------------------------------------
@pytest.mark.parametrize("fn", [bl.cross_entropy, lambda p, y: bl.softmax_cross_entropy(np.log(p), y)[0]],
                         ids=["cross_entropy", "softmax_cross_entropy"])
def test_pure_losses_refuse_labels_they_would_misread(fn):
    probs = np.full((4, 3), 1 / 3)
    y = np.array([0, 1, 2, 1])
    assert fn(probs, y) == pytest.approx(np.log(3))
    with pytest.raises(ValueError, match=r"expected labels y of shape \(N,\) = \(4,\), got \(4, 1\); use y\.ravel\(\)"):
        fn(probs, y[:, None])
    with pytest.raises(ValueError, match="expected labels in 0..2 for 3 classes, got values from -1 to 2"):
        fn(probs, np.array([0, -1, 2, 1]))
    with pytest.raises(ValueError, match="expected 4 labels to match 4 samples, got 3"):
        fn(probs, y[:3])
    with pytest.raises(TypeError, match="expected integer class labels"):
        fn(probs, y.astype(float))


@pytest.mark.parametrize("call", [
    lambda: bl.dense_forward(np.ones((2, 3)), np.ones((4, 2)), np.zeros(2)),
    lambda: bl.dense_forward(np.ones((2, 4)), np.ones((4, 2)), np.zeros(3)),
    lambda: bl.dense_backward(np.ones((2, 3)), (np.ones((2, 4)), np.ones((4, 2)))),
    lambda: bl.softmax(np.ones(3)),
    lambda: bl.softmax_backward(np.ones((2, 4)), np.full((2, 3), 1 / 3)),
    lambda: bl.activations.relu_backward(np.ones((2, 4)), np.ones((2, 3))),
    lambda: bl.activations.sigmoid_backward(np.ones((3, 2)), np.ones((2, 3))),
    lambda: bl.cross_entropy(np.full((2, 3), 2.0), np.array([0, 1])),
    lambda: bl.losses.mse(np.ones((3, 1)), np.ones(3)),
    lambda: bl.losses.binary_cross_entropy(np.full((2, 1), 0.5), np.array([[0.0], [0.5]])),
    lambda: bl.one_hot(np.array([0, 3]), 3),
    lambda: bl.softmax_jacobian(np.ones((2, 2))),
    lambda: bl.losses.l2_penalty([np.ones((2, 2))], -1.0),
    lambda: bl.rel_error(np.ones(2), np.ones(3)),
], ids=["dense_forward X", "dense_forward b", "dense_backward dout", "softmax 1-D", "softmax_backward",
        "relu_backward", "sigmoid_backward", "cross_entropy probs", "mse targets", "bce targets", "one_hot",
        "softmax_jacobian", "l2_penalty reg", "rel_error"])
def test_pure_functions_name_themselves_and_what_was_expected(call):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.split(":")[0].strip() and "expected" in message and "got" in message, message


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("call", [
    lambda x: bl.dense_forward(x, np.ones((3, 2)), np.zeros(2)),
    lambda x: bl.dense_backward(x[:, :2], (np.ones((4, 3)), np.ones((3, 2)))),
    lambda x: bl.activations.relu_forward(x),
    lambda x: bl.activations.tanh_backward(x, np.zeros((4, 3))),
    bl.softmax,
    lambda x: bl.softmax_cross_entropy(x, np.array([0, 1, 2, 0])),
    lambda x: bl.losses.mse(x, np.zeros((4, 3))),
    lambda x: bl.losses.log_softmax(x),
], ids=["dense_forward", "dense_backward", "relu_forward", "tanh_backward", "softmax", "softmax_cross_entropy",
        "mse", "log_softmax"])
def test_nan_and_inf_are_refused_with_their_index(call, bad):
    x = np.ones((4, 3))
    x[2, 1] = bad
    with pytest.raises(ValueError, match=r"contains (NaN|an infinite value) at index \(2, 1\)"):
        call(x)


@pytest.mark.parametrize("call,where", [
    (lambda e: bl.dense_forward(e, np.ones((2, 3)), np.zeros(3)), "dense_forward"),
    (lambda e: bl.Dense(2, 3, rng=0).forward(e), "dense_forward"),
    (lambda e: bl.ReLU().forward(e), "relu_forward"),
    (lambda e: bl.softmax_cross_entropy(e, np.array([], dtype=int)), "softmax_cross_entropy"),
    (lambda e: bl.cross_entropy(e, np.array([], dtype=int)), "cross_entropy"),
    (lambda e: bl.mlp([2, 3], rng=0).fit(e, np.array([], dtype=int), bl.SGD(0.1), progress=False), "Sequential.fit"),
    (lambda e: bl.mlp([2, 3], rng=0).loss(e, np.array([], dtype=int)), "Sequential.loss"),
])
def test_an_empty_batch_is_a_clear_error_not_a_warning(call, where):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy RuntimeWarning would fail the test
        with pytest.raises(ValueError, match=rf"{where}: expected .* at least one sample, got an empty batch"):
            call(np.zeros((0, 2)))


@pytest.mark.parametrize("call,match", [
    (lambda: bl.SGD(0), "expected a positive learning rate lr, got 0"),
    (lambda: bl.SGD("0.1"), "expected a positive learning rate lr, got '0.1'"),
    (lambda: bl.Sequential([bl.Dense(2, 3)], reg=-1), r"Sequential: expected reg in \[0, inf\], got -1"),
    (lambda: bl.mlp([2, 3], rng=0).fit(np.ones((4, 2)), np.zeros(4, int), bl.SGD(0.1), epochs=0),
     "expected epochs as a positive integer, got 0"),
    (lambda: bl.mlp([2, 3], rng=0).fit(np.ones((4, 2)), np.zeros(4, int), bl.SGD(0.1), batch_size=2.5),
     "expected batch_size as a positive integer, got 2.5"),
    (lambda: bl.mlp([2, 3], rng=0).fit(np.ones((4, 2)), np.zeros(3, int), bl.SGD(0.1)),
     r"expected one label or target per sample \(4\), got shape \(3,\)"),
    (lambda: bl.mlp([2, 3], rng=0).fit(np.ones((4, 2)), np.zeros(4, int), 0.1), "expected an optimizer"),
])
def test_parameters_are_checked(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# -- the clipped cross-entropy has the gradient of the function it computes ---------------------
@pytest.mark.parametrize("labels", ["sparse", "one-hot"])
def test_clipped_cross_entropy_gradient_matches_autograd_of_the_clipped_function(labels):
    probs = np.array([[1e-9, 0.5, 0.5 - 1e-9], [0.2, 0.3, 0.5], [1 - 1e-12, 5e-13, 5e-13], [0.3, 1e-8, 0.7 - 1e-8]])
    y = np.array([0, 1, 0, 1])
    target = y if labels == "sparse" else bl.one_hot(y, 3)
    eps = bl.losses.EPS

    def clipped(p):
        return -anp.mean(anp.log(anp.sum(anp.clip(p, eps, 1 - eps) * bl.one_hot(y, 3), axis=1)))

    assert bl.cross_entropy(probs, target) == pytest.approx(clipped(probs))
    expected = grad(clipped)(probs)
    got = bl.losses.cross_entropy_backward(probs, target)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    assert got[0, 0] == 0.0 and got[3, 1] == 0.0  # below the clip: the loss is flat there
    assert got[2, 0] == 0.0  # above 1 - eps too
    assert got[1, 1] == pytest.approx(-1 / (0.3 * 4))


def test_check_model_passes_a_model_whose_probabilities_fall_below_the_clip():
    layers = [bl.Dense(2, 3, W=[[40.0, -40.0, 0.0], [0.0, 30.0, -30.0]], b=[0.0, 0.0, 0.0]), bl.Softmax()]
    model = bl.Sequential(layers, loss=bl.CrossEntropy())
    X = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    y = np.array([1, 2, 0])  # the true classes get probabilities far below 1e-7
    assert bl.softmax(bl.dense_forward(X, layers[0].W, layers[0].b)[0])[np.arange(3), y].min() < 1e-7
    assert bl.check_model(model, X, y).passed


# -- divergence ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("sizes,activation", [([2, 3], "relu"), ([2, 20, 3], "sigmoid")], ids=["linear", "sigmoid"])
def test_a_loss_stuck_on_a_high_plateau_is_reported_as_divergence(sizes, activation):
    X, y = bl.datasets.spiral(50, 3, rng=0)
    model = bl.mlp(sizes, activation=activation, rng=0)
    with pytest.raises(bl.TrainingDivergedError, match=r"training diverged at step \d+ \(epoch \d+\): the loss became"):
        model.fit(X, y, bl.SGD(1e3), epochs=100, progress=False)


def test_the_divergence_rule():
    from backprop_lib.model import diverged

    assert diverged(float("nan"), 1.0) and diverged(float("inf"), 1.0)
    assert diverged(11.1, 1.0) and not diverged(10.9, 1.0)
    assert not diverged(0.9, 0.01)  # a loss that starts near 0 has room to move
    assert not diverged(1.2, 1.1)


def test_a_normal_run_is_not_called_divergent():
    X, y = bl.datasets.spiral(50, 3, rng=0)
    history = bl.mlp([2, 30, 3], init="he", rng=0).fit(X, y, bl.SGD(1.0), epochs=200, progress=False)
    assert history["loss"][-1] < history["loss"][0]


# -- packaging ----------------------------------------------------------------------------------------
def test_fit_works_without_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # `import tqdm` now raises ImportError
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    X, y = bl.datasets.spiral(10, 3, rng=0)
    history = bl.mlp([2, 4, 3], rng=0).fit(X, y, bl.SGD(0.1), epochs=2)  # progress=True by default
    assert len(history["loss"]) == 2


def test_every_name_in_all_exists():
    for name in bl.__all__:
        assert getattr(bl, name) is not None, name
