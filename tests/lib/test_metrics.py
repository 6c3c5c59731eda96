import subprocess
import sys

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib import metrics


def confusion_by_loop(y_true, y_pred, C):
    cm = np.zeros((C, C), dtype=int)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


def test_rows_are_true_classes_and_columns_predictions():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    cm = metrics.confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert cm.dtype.kind == "i"
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(y_true))  # a row per true class
    np.testing.assert_array_equal(cm.sum(axis=0), np.bincount(y_pred))  # a column per prediction


@pytest.mark.parametrize("C", [1, 2, 3, 7])
def test_confusion_matrix_matches_a_loop(rng, C):
    y_true, y_pred = rng.integers(0, C, size=50), rng.integers(0, C, size=50)
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, n_classes=C),
                                  confusion_by_loop(y_true, y_pred, C))


def test_n_classes_and_inferred_size():
    assert metrics.confusion_matrix([0, 1], [1, 1]).shape == (2, 2)
    assert metrics.confusion_matrix([0, 1], [1, 1], n_classes=4).shape == (4, 4)
    assert metrics.confusion_matrix([], [], n_classes=3).sum() == 0
    assert metrics.confusion_matrix(np.array([2], dtype=np.int8), np.array([0], dtype=np.uint16))[2, 0] == 1
    small = np.array([99], dtype=np.int8)  # 99 * 100 does not fit in int8
    assert metrics.confusion_matrix(small, np.array([98], dtype=np.uint64))[99, 98] == 1


def test_accuracy_is_the_trace_over_the_total(rng):
    y_true, y_pred = rng.integers(0, 3, size=40), rng.integers(0, 3, size=40)
    cm = metrics.confusion_matrix(y_true, y_pred)
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(np.trace(cm) / cm.sum())
    assert isinstance(metrics.accuracy(y_true, y_pred), float)
    assert metrics.accuracy([1, 2], [1, 2]) == 1.0


def test_precision_and_recall():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    precision, recall = metrics.precision_recall(y_true, y_pred)
    np.testing.assert_allclose(precision, [1 / 2, 1 / 2, 1])
    np.testing.assert_allclose(recall, [1 / 2, 1, 2 / 3])
    # a class never predicted and never present gets 0, not NaN
    precision, recall = metrics.precision_recall([0, 0], [0, 1], n_classes=3)
    np.testing.assert_array_equal(precision, [1, 0, 0])
    np.testing.assert_array_equal(recall, [0.5, 0, 0])


def test_agrees_with_the_model_on_iris():
    X, y, _, _ = bl.datasets.iris()
    Xs = bl.datasets.Standardizer().fit_transform(X)
    model = bl.mlp([4, 5, 3], init="he", rng=0)
    model.fit(Xs, y, bl.SGD(0.1), epochs=3, batch_size=32, progress=False)
    assert metrics.accuracy(y, model.predict(Xs)) == pytest.approx(model.accuracy(Xs, y))


@pytest.mark.parametrize("args, kwargs, error, words", [
    (([0, 1], [0, 1, 1]), {}, ValueError, "as many predictions as labels (2), got 3"),
    (([0.0, 1.0], [0, 1]), {}, TypeError, "y_true.astype(int)"),
    (([0, 1], [0.5, 1.0]), {}, TypeError, "integer class labels in y_pred"),
    (([0, 3], [0, 1]), {"n_classes": 3}, ValueError, "0..2 for 3 classes"),
    (([0, -1], [0, 1]), {}, ValueError, "negative label -1"),
    ((np.zeros((2, 3)), [0, 1]), {}, ValueError, "argmax(axis=1)"),
    (([[0], [1]], [0, 1]), {}, ValueError, "use y_true.ravel()"),
    (([], []), {}, ValueError, "pass n_classes"),
    (([0, 1], [0, 1]), {"n_classes": 0}, ValueError, "positive integer"),
    (([0, 1], [0, 1]), {"n_classes": 2.0}, ValueError, "positive integer"),
])
def test_bad_inputs_say_what_was_expected(args, kwargs, error, words):
    with pytest.raises(error) as info:
        metrics.confusion_matrix(*args, **kwargs)
    assert words in str(info.value)
    assert str(info.value).startswith("confusion_matrix")


def test_accuracy_bad_inputs():
    with pytest.raises(ValueError, match="argmax"):
        metrics.accuracy([0, 1], np.eye(2))
    with pytest.raises(ValueError, match="empty"):
        metrics.accuracy([], [])


def test_metrics_imports_nothing_heavy():
    code = "import sys, backprop_lib as bl; bl.metrics; print(' '.join(sorted(sys.modules)))"
    mods = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert "backprop_lib.metrics" in mods
    assert "matplotlib" not in mods


def test_plot_confusion_matrix_writes_every_count():
    import matplotlib.pyplot as plt

    cm = np.array([[5, 0, 0], [0, 13, 0], [0, 3, 9]])
    fig, ax = plt.subplots()
    out = bl.plotting.plot_confusion_matrix(cm, labels=("a", "b", "c"), ax=ax)
    assert out is ax
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(v) for v in cm.ravel())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    plt.close(fig)
    ax = bl.plotting.plot_confusion_matrix(cm / cm.sum(axis=1, keepdims=True))  # fractions are shown too
    assert "0.75" in [t.get_text() for t in ax.texts]
    plt.close(ax.figure)


def test_plot_confusion_matrix_bad_inputs():
    with pytest.raises(ValueError, match="square"):
        bl.plotting.plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="expected 2 labels"):
        bl.plotting.plot_confusion_matrix(np.eye(2, dtype=int), labels=["only one"])
