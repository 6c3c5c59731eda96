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


