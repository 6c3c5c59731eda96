import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import backprop_lib as bl
from backprop_lib.gradcheck import numerical_gradient, rel_error


def model_and_data(rng, activation="relu", reg=1e-2):
    X = rng.standard_normal((8, 3))
    y = rng.integers(0, 4, 8)
    model = bl.mlp([3, 5, 4], activation=activation, reg=reg, init="he", rng=1)
    return model, X, y


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "leaky_relu"])
def test_whole_model_gradients_match_numerical_and_autograd(activation, rng):
    model, X, y = model_and_data(rng, activation)
    model.loss(X, y)
    model.backward()
    grads = {k: v.copy() for k, v in model.grads().items()}
    params = model.params()
    assert list(params) == ["dense1.W", "dense1.b", "dense2.W", "dense2.b"]
    for key, p in params.items():
        num = numerical_gradient(lambda _: model.loss(X, y), p)
        assert rel_error(grads[key], num) < 1e-7, key

    act = {"relu": lambda z: anp.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + anp.exp(-z)), "tanh": anp.tanh,
           "leaky_relu": lambda z: anp.where(z > 0, z, 0.01 * z)}[activation]

    def loss(W1, b1, W2, b2):
        z = anp.dot(act(anp.dot(X, W1) + b1), W2) + b2
        z = z - anp.max(z, axis=1, keepdims=True)
        logp = z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
        return -anp.mean(logp[np.arange(len(y)), y]) + 0.5 * model.reg * (anp.sum(W1**2) + anp.sum(W2**2))

    args = [params[k] for k in ["dense1.W", "dense1.b", "dense2.W", "dense2.b"]]
    assert model.loss(X, y) == pytest.approx(float(loss(*args)), rel=1e-13)
    for i, key in enumerate(["dense1.W", "dense1.b", "dense2.W", "dense2.b"]):
        np.testing.assert_allclose(grads[key], grad(loss, i)(*args), rtol=1e-9, atol=1e-14, err_msg=key)


def test_regression_model_with_mse(rng):
    X, y = bl.datasets.sine_regression(40)
    model = bl.Sequential([bl.Dense(1, 8, init="lecun", rng=0), bl.Sigmoid(), bl.Dense(8, 1, init="lecun", rng=1)],
                          loss=bl.MSE())
    model.loss(X, y)
    model.backward()
    for key, p in model.params().items():
        assert rel_error(model.grads()[key], numerical_gradient(lambda _: model.loss(X, y), p)) < 1e-7, key
    assert model.predict(X).shape == (40, 1)
    assert "accuracy" not in model.fit(X, y, bl.Adam(0.01), epochs=5, progress=False)


def test_params_are_the_layers_own_arrays():
    model = bl.mlp([2, 3, 2], rng=0)
    model.params()["dense1.W"][0, 0] = 42.0
    assert model.layers[0].W[0, 0] == 42.0


def test_fit_learns_and_records_history():
    X, y = bl.datasets.vertical(50, 3, rng=0)
    model = bl.mlp([2, 16, 3], rng=0)
    history = model.fit(X, y, bl.Adam(0.05), epochs=40, batch_size=32, rng=0, progress=False)
    assert history["epoch"] == list(range(1, 41))
    assert len(history["loss"]) == len(history["accuracy"]) == 40
    assert history["loss"][-1] < 0.3 * history["loss"][0]
    assert model.accuracy(X, y) > 0.9
    assert "History(40 epochs" in repr(history)


def test_fit_is_deterministic_for_a_seed():
    X, y = bl.datasets.spiral(30, 3, rng=0)
    runs = [bl.mlp([2, 10, 3], rng=3).fit(X, y, bl.SGD(0.5), epochs=5, batch_size=16, rng=9, progress=False)
            for _ in range(2)]
    assert runs[0]["loss"] == runs[1]["loss"]


def test_fit_with_progress_bar_runs(capsys):
    X, y = bl.datasets.spiral(10, 3, rng=0)
    history = bl.mlp([2, 4, 3], rng=0).fit(X, y, bl.SGD(0.1), epochs=3)
    assert len(history["loss"]) == 3


def test_divergence_is_reported_with_the_step():
    X, y = bl.datasets.spiral(50, 3, rng=0)
    model = bl.mlp([2, 50, 3], init="he", rng=0)
    with pytest.raises(bl.TrainingDivergedError, match=r"diverged at step \d+ .*learning rate 1e\+?0?6"):
        model.fit(X, y, bl.SGD(1e6), epochs=50, progress=False)


@pytest.mark.parametrize("opt", [bl.SGD(0.1), bl.Momentum(0.05, 0.9), bl.Adam(0.1)])
def test_optimisers_minimise_a_quadratic(opt):
    target = np.array([1.0, -2.0, 3.0])
    params = {"w": np.zeros(3)}
    for _ in range(300):
        opt.step(params, {"w": params["w"] - target})  # gradient of 0.5 |w - target|^2
    np.testing.assert_allclose(params["w"], target, atol=1e-3)


def test_optimiser_updates_match_their_formulas():
    g = np.array([0.5, -1.0])
    p = {"w": np.array([1.0, 1.0])}
    bl.SGD(0.1).step(p, {"w": g})
    np.testing.assert_allclose(p["w"], [0.95, 1.1])
    p = {"w": np.array([1.0, 1.0])}
    mom = bl.Momentum(0.1, 0.5)
    mom.step(p, {"w": g})
    mom.step(p, {"w": g})
    np.testing.assert_allclose(p["w"], [1 - 0.05 - 0.075, 1 + 0.1 + 0.15])
    p = {"w": np.array([1.0, 1.0])}
    bl.Adam(0.01).step(p, {"w": g})  # the first Adam step moves every weight by lr against the gradient's sign
    np.testing.assert_allclose(p["w"], [0.99, 1.01], rtol=1e-6)


def test_optimiser_errors():
    with pytest.raises(ValueError, match="positive learning rate"):
        bl.SGD(-1)
    with pytest.raises(KeyError, match="no gradient for"):
        bl.SGD(0.1).step({"w": np.zeros(2)}, {})


@pytest.mark.parametrize("opt", [bl.SGD(0.1), bl.Momentum(0.1), bl.Adam(0.01)])
def test_a_float32_model_stays_float32(opt):
    X, y = bl.datasets.spiral(20, 3, rng=0, dtype=np.float32)
    model = bl.mlp([2, 8, 3], rng=0, reg=1e-3, dtype=np.float32)
    model.fit(X, y, opt, epochs=3, progress=False)
    assert model.out.dtype == np.float32
    for key, value in {**model.params(), **{f"d{k}": v for k, v in model.grads().items()}}.items():
        assert value.dtype == np.float32, key


def test_a_relu_in_a_model_never_changes_what_it_is_given():
    model = bl.mlp([3, 4, 2], rng=0)
    relu = model.layers[1]
    z = np.array([[-1.0, 2.0, 0.5, -3.0], [3.0, -4.0, 1.0, 2.0]])
    before = z.copy()
    out = relu.forward(z)
    assert out is not z
    dout = z.copy()
    relu.backward(dout)
    np.testing.assert_array_equal(z, before)
    np.testing.assert_array_equal(dout, before)


def test_labels_changed_after_a_step_are_checked_again():
    model = bl.mlp([2, 5, 3], rng=0)
    X = np.random.default_rng(0).standard_normal((6, 2))
    y = np.array([0, 1, 2, 0, 1, 2])
    model.train_step(X, y, bl.SGD(0.1))
    y[0] = 7  # the same array object, now wrong
    with pytest.raises(ValueError, match=r"expected labels in 0\.\.2 for 3 classes, got values from 0 to 7"):
        model.train_step(X, y, bl.SGD(0.1))
    X[1, 0] = np.nan
    y[0] = 0
    with pytest.raises(ValueError, match=r"X contains NaN at index \(1, 0\)"):
        model.train_step(X, y, bl.SGD(0.1))


# -- train_step's own in-place loop for Dense-ReLU-...-Dense + softmax cross-entropy ----------
def _state(model):
    """Everything a step leaves behind: loss caches, outputs, gradients and layer caches."""
    state = {"out": model.out, "probs": model.loss_fn.probs, "dlogits": model.loss_fn.cache}
    state.update({f"grad {k}": v for k, v in model.grads().items()})
    for name, layer in zip(model.names, model.layers):
        cache = layer.cache if isinstance(layer.cache, tuple) else (layer.cache,)
        state.update({f"{name} cache {i}": c for i, c in enumerate(cache)})
    return state


@pytest.mark.parametrize("sizes, reg, dtype", [
    ([2, 100, 3], 1e-3, np.float64),
    ([5, 7, 6, 4], 0.0, np.float64),
    ([3, 8, 8, 8, 2], 1e-2, np.float32),
    ([4, 3], 1e-3, np.float64),  # a single Dense layer: softmax regression
])
def test_the_fast_loop_leaves_exactly_what_the_layers_would(sizes, reg, dtype, rng):
    X = rng.standard_normal((13, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], 13)
    fast, slow = bl.mlp(sizes, reg=reg, rng=3, dtype=dtype), bl.mlp(sizes, reg=reg, rng=3, dtype=dtype)
    assert fast._relu_mlp
    slow._relu_mlp = False  # the layer-by-layer path
    X0, y0 = X.copy(), y.copy()
    for _ in range(3):  # several steps, so that the updates feed back into the comparison
        opt_fast, opt_slow = bl.SGD(0.5), bl.SGD(0.5)
        assert fast.train_step(X, y, opt_fast) == slow.train_step(X, y, opt_slow)
        a, b = _state(fast), _state(slow)
        assert a.keys() == b.keys()
        for key in a:
            assert a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key]), key  # exactly equal
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    for key, p in fast.params().items():
        assert np.array_equal(p, slow.params()[key]), key


def test_the_fast_loop_is_used_only_where_it_computes_the_same_thing():
    assert bl.mlp([2, 4, 3], rng=0)._relu_mlp
    assert not bl.mlp([2, 4, 3], activation="tanh", rng=0)._relu_mlp
    assert not bl.mlp([2, 4, 3], loss=bl.CrossEntropy(), rng=0)._relu_mlp
    assert not bl.Sequential([bl.Dense(2, 4, rng=0), bl.ReLU(), bl.Dropout(0.5, rng=0), bl.Dense(4, 3, rng=0)])._relu_mlp

    class MyReLU(bl.ReLU):  # a learner's own subclass may change forward: the layers decide
        pass

    assert not bl.Sequential([bl.Dense(2, 4, rng=0), MyReLU(), bl.Dense(4, 3, rng=0)])._relu_mlp


def test_the_fast_loop_hands_bad_batches_and_one_hot_labels_to_the_layers(rng):
    model = bl.mlp([2, 4, 3], rng=0)
    X, y = rng.standard_normal((6, 2)), rng.integers(0, 3, 6)
    assert model._relu_mlp_step(X.astype(np.float32), y) is None  # another dtype: Dense converts it
    assert model._relu_mlp_step(X, np.eye(3)[y]) is None  # one-hot labels
    one_hot = bl.mlp([2, 4, 3], rng=0)
    assert model.train_step(X, np.eye(3)[y], bl.SGD(0.1)) == one_hot.train_step(X, y, bl.SGD(0.1))
    with pytest.raises(ValueError, match=r"dense_forward: expected X with 2 columns \(N, 2\), got \(6, 5\)"):
        model.train_step(rng.standard_normal((6, 5)), y, bl.SGD(0.1))
    with pytest.raises(ValueError, match="softmax_cross_entropy: expected labels in 0..2"):
        model.train_step(X, y + 1, bl.SGD(0.1))
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN at index \(2, 1\)"):
        model.train_step(bad, y, bl.SGD(0.1))


@pytest.mark.filterwarnings("ignore:overflow encountered")
@pytest.mark.filterwarnings("error:invalid value encountered")  # the layers would not warn of it either
@pytest.mark.parametrize("weight, X_sign", [
    (1e308, 0),  # the hidden layer overflows to +inf and -inf
    (-1e308, 1),  # only to -inf, which max(x, 0) would hide as 0
    (1e308, 1),  # only to +inf
])
def test_an_overflowing_step_is_left_to_the_layers_and_their_checks(weight, X_sign, rng):
    X, y = rng.standard_normal((6, 2)), rng.integers(0, 3, 6)
    if X_sign:
        X = np.abs(X) + 1
    model = bl.mlp([2, 4, 3], rng=0)
    model.layers[0].params["W"][...] = weight
    assert model._relu_mlp_step(X, y) is None
    slow = bl.mlp([2, 4, 3], rng=0)
    slow.layers[0].params["W"][...] = weight
    slow._relu_mlp = False
    with pytest.raises(Exception) as fast_error:
        model.train_step(X, y, bl.SGD(0.1))
    with pytest.raises(Exception) as slow_error:
        slow.train_step(X, y, bl.SGD(0.1))
    assert type(fast_error.value) is type(slow_error.value) and str(fast_error.value) == str(slow_error.value)
