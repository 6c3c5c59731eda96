"""The public reference numbers in COURSE.md, reproduced through the library's own API."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import backprop_lib as bl

# nnfs book, chapter 9: nnfs.init() seeds NumPy's global stream with 0 and works in float32.
NNFS_LOSS = 1.0986104
NNFS_ACC = 0.34
NNFS_DW1_ROW0 = [1.5766357e-04, 7.8368583e-05, 4.7324400e-05]


def nnfs_chapter9(compute_dtype):
    rs = np.random.RandomState(0)  # the stream np.random.seed(0) starts, without touching global state
    X, y = bl.datasets.spiral(100, 3, kind="nnfs", rng=rs, dtype=np.float32)
    W1 = bl.layers.init_weights(2, 3, "nnfs", rs, np.float32)
    W2 = bl.layers.init_weights(3, 3, "nnfs", rs, np.float32)
    model = bl.Sequential([bl.Dense(2, 3, W=W1, dtype=compute_dtype), bl.ReLU(),
                           bl.Dense(3, 3, W=W2, dtype=compute_dtype)])
    loss = model.loss(X, y)
    model.backward()
    return loss, model.accuracy(X, y), model.grads()["dense1.W"]


@pytest.mark.parametrize("compute_dtype", [np.float32, np.float64])
def test_nnfs_chapter9(compute_dtype):
    loss, acc, dW1 = nnfs_chapter9(compute_dtype)
    assert loss == pytest.approx(NNFS_LOSS, abs=1e-7)  # the book prints float32: 7 significant digits
    if compute_dtype == np.float32:
        assert np.float32(loss) == np.float32(NNFS_LOSS)  # to the last bit of the book's float32
    assert acc == NNFS_ACC
    np.testing.assert_allclose(dW1[0], NNFS_DW1_ROW0, rtol=1e-6)
    assert dW1.dtype == compute_dtype


def test_nnfs_chapter9_data_is_the_books_data():
    nnfs_spiral = pytest.importorskip("nnfs.datasets").spiral_data
    state = np.random.get_state()
    try:
        np.random.seed(0)
        X_book, y_book = nnfs_spiral(samples=100, classes=3)
    finally:
        np.random.set_state(state)
    X, y = bl.datasets.spiral(100, 3, kind="nnfs", rng=np.random.RandomState(0))
    np.testing.assert_array_equal(X, X_book)
    np.testing.assert_array_equal(y, y_book)


def test_the_library_gives_the_same_answers_after_nnfs_init():
    """nnfs.init() patches np.dot, np.zeros, np.eye and np.random.randn; the library uses none of them."""
    code = textwrap.dedent("""
        import json, sys
        import numpy as np
        if sys.argv[1] == "init":
            import nnfs
            nnfs.init()
        import backprop_lib as bl
        X, y = bl.datasets.spiral(20, 3, rng=5)
        model = bl.mlp([2, 6, 3], rng=1, reg=1e-3)
        loss = model.loss(X, y)
        model.backward()
        report = bl.check_layer(bl.Dense(3, 2, rng=2), np.random.default_rng(3).standard_normal((4, 3)))
        print(json.dumps([repr(loss), model.grads()["dense1.W"].tolist(), str(model.grads()["dense1.W"].dtype),
                          report.passed, bl.losses.one_hot(y, 3).dtype.name]))
    """)
    outs = [subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True, check=True).stdout
            for arg in ("plain", "init")]
    assert outs[0] == outs[1]
    assert '"float64", true, "float64"' in outs[0]


# CS231n "Minimal neural network case study": spiral with sin(t), np.random.seed(0).
def cs231n_data():
    rs = np.random.RandomState(0)
    return rs, *bl.datasets.spiral(100, 3, kind="cs231n", rng=rs)


def test_cs231n_linear_softmax_classifier():
    rs, X, y = cs231n_data()
    model = bl.Sequential([bl.Dense(2, 3, rng=rs)], reg=1e-3)
    model.fit(X, y, bl.SGD(1.0), epochs=200, progress=False)
    assert model.loss(X, y) == pytest.approx(0.786, abs=0.001)
    assert model.accuracy(X, y) == pytest.approx(0.49, abs=0.01)


def test_cs231n_two_layer_network():
    rs, X, y = cs231n_data()
    model = bl.Sequential([bl.Dense(2, 100, rng=rs), bl.ReLU(), bl.Dense(100, 3, rng=rs)], reg=1e-3)
    history = model.fit(X, y, bl.SGD(1.0), epochs=10_000, progress=False)
    assert history["loss"][9000] == pytest.approx(0.245, abs=0.001)  # the case study prints it at iteration 9000
    assert model.loss(X, y) == pytest.approx(0.245, abs=0.001)
    assert model.accuracy(X, y) == 0.98


def test_micrograd_style_tanh_neuron_forward():
    # The engine for notebook 07 arrives with it; the neuron's numbers already follow from tanh' = 1 - tanh^2.
    x1, x2, w1, w2, b = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432
    n = x1 * w1 + x2 * w2 + b
    o, cache = bl.activations.tanh_forward(np.array([[n]]))
    dn = bl.activations.tanh_backward(np.ones((1, 1)), cache)[0, 0]
    assert o[0, 0] == pytest.approx(0.7071, abs=1e-4)
    assert (dn * w1, dn * x1, dn * w2, dn * x2) == pytest.approx((-1.5, 1.0, 0.5, 0.0), abs=1e-4)
