"""Bad input gets an error that names what was expected and what came."""

import numpy as np
import pytest

import backprop_lib as bl


@pytest.fixture
def data():
    X, y = bl.datasets.spiral(10, 3, rng=0)
    return X, y, bl.mlp([2, 4, 3], rng=0)


def test_wrong_number_of_columns():
    with pytest.raises(ValueError, match=r"dense_forward: expected X with 2 columns \(N, 2\), got \(5, 4\)"):
        bl.Dense(2, 3, rng=0).forward(np.ones((5, 4)))


def test_one_dimensional_input_explains_how_to_fix_it():
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 2\) \(2-D\), got shape \(2,\); for one sample use X\[None, :\]"):
        bl.Dense(2, 3, rng=0).forward(np.ones(2))


def test_model_checks_columns(data):
    X, y, model = data
    with pytest.raises(ValueError, match=r"expected X with 2 columns \(N, 2\), got \(30, 3\)"):
        model.fit(np.ones((30, 3)), y, bl.SGD(0.1), progress=False)


def test_labels_out_of_range(data):
    X, y, model = data
    with pytest.raises(ValueError, match=r"expected labels in 0\.\.2 for 3 classes, got values from 0 to 3"):
        model.fit(X, np.where(y == 2, 3, y), bl.SGD(0.1), progress=False)
    with pytest.raises(ValueError, match="got values from -1"):
        model.loss(X, y - 1)


def test_float_labels(data):
    X, y, model = data
    with pytest.raises(TypeError, match=r"expected integer class labels 0\.\.2, got dtype float64; .*y\.astype\(int\)"):
        model.fit(X, y.astype(float), bl.SGD(0.1), progress=False)


def test_column_labels(data):
    X, y, model = data
    with pytest.raises(ValueError, match=r"expected labels y of shape \(N,\) = \(30,\), got \(30, 1\); use y\.ravel\(\)"):
        model.fit(X, y[:, None], bl.SGD(0.1), progress=False)


def test_label_count_mismatch(data):
    X, y, model = data
    with pytest.raises(ValueError, match="expected 30 labels to match 30 samples, got 29"):
        model.loss(X, y[:-1])


@pytest.mark.parametrize("bad,word", [(np.nan, "NaN"), (np.inf, "an infinite value")])
def test_nan_and_inf_inputs(data, bad, word):
    X, y, model = data
    X = X.copy()
    X[4, 1] = bad
    with pytest.raises(ValueError, match=rf"X contains {word} at index \(4, 1\)"):
        model.fit(X, y, bl.SGD(0.1), progress=False)
    with pytest.raises(ValueError, match=rf"contains {word}"):
        bl.ReLU().forward(X)


def test_non_numeric_input():
    with pytest.raises(TypeError, match="expected X as a numeric array, got dtype <U1"):
        bl.Dense(2, 2, rng=0).forward(np.array([["a", "b"]]))


def test_diverging_learning_rate_stops_with_the_step(data):
    X, y, _ = data
    model = bl.mlp([2, 30, 3], init="he", rng=0)
    with pytest.raises(bl.TrainingDivergedError, match=r"training diverged at step \d+ \(epoch \d+\).*too large"):
        model.fit(X, y, bl.SGD(1e6), epochs=20, progress=False)


def test_regression_targets_shape():
    X, y = bl.datasets.sine_regression(10)
    model = bl.Sequential([bl.Dense(1, 3, rng=0), bl.Tanh(), bl.Dense(3, 1, rng=0)], loss=bl.MSE())
    with pytest.raises(ValueError, match=r"expected targets of shape \(N, 1\) = \(10, 1\) like the predictions, got \(10,\); use y\[:, None\]"):
        model.loss(X, y.ravel())


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="call forward before backward"):
        bl.Dense(2, 2, rng=0).backward(np.ones((1, 2)))
    with pytest.raises(RuntimeError, match="call forward before backward"):
        bl.SoftmaxCrossEntropy().backward()


def test_wrong_dout_shape():
    layer = bl.Dense(2, 3, rng=0)
    layer.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"dense_backward: expected dout of the output's shape \(4, 3\), got \(3, 4\)"):
        layer.backward(np.ones((3, 4)))


def test_constructor_arguments():
    with pytest.raises(ValueError, match="expected n_inputs as a positive integer, got 0"):
        bl.Dense(0, 3)
    with pytest.raises(ValueError, match=r"Dense\(2, 3\): expected init as one of \('nnfs', 'lecun', 'glorot', 'he'\), "
                       r"got 'xavier' \('xavier' is ambiguous: .* mean 'glorot', .* use 'lecun'\)"):
        bl.Dense(2, 3, init="xavier")
    with pytest.raises(ValueError, match=r"Dense\(2, 3\): expected init as one of .*, got 'uniform'$"):
        bl.Dense(2, 3, init="uniform")
    with pytest.raises(TypeError, match="rng: expected a seed"):
        bl.Dense(2, 3, rng="seed")
    with pytest.raises(ValueError, match=r"Dense\(3, 4\) gives 4 features but the next Dense\(5, 2\) expects 5"):
        bl.Sequential([bl.Dense(3, 4, rng=0), bl.ReLU(), bl.Dense(5, 2, rng=0)])
    with pytest.raises(ValueError, match=r"expected kind in \['cs231n', 'nnfs'\], got 'karpathy'"):
        bl.datasets.spiral(kind="karpathy")


def test_one_hot_labels_of_the_wrong_width(data):
    X, y, model = data
    with pytest.raises(ValueError, match=r"expected one-hot labels of shape \(N, C\) = \(30, 3\), got \(30, 4\)"):
        model.loss(X, np.eye(4)[y])


@pytest.mark.filterwarnings("error")  # a large finite batch must not warn of an overflow either
@pytest.mark.parametrize("dtype, big", [(np.float64, 1e200), (np.float32, 1e30)])
@pytest.mark.parametrize("rows", [50, 3000])
def test_large_finite_values_are_finite_and_any_nan_or_inf_is_found(dtype, big, rows):
    from backprop_lib._validate import all_finite

    x = np.full((rows, 4), big, dtype=dtype)  # x . x would overflow; the entries are all finite
    assert all_finite(x) and all_finite(-x)
    for bad in (np.nan, np.inf, -np.inf):
        for where in ((0, 0), (rows - 1, 3), (17, 2)):
            y = x.copy()
            y[where] = bad
            assert not all_finite(y), (bad, where)
            z = np.zeros((rows, 4), dtype=dtype)
            z[where] = bad
            assert not all_finite(z), (bad, where)
    assert all_finite(np.zeros((0, 3))) and all_finite(np.arange(5)) and all_finite(x[:, ::2])
