"""Classification metrics on integer labels: accuracy, the confusion matrix, precision and recall.

Labels are class indices 0..C-1 of shape (N,). Scores or probabilities (N, C) are turned
into labels first with `.argmax(axis=1)`; the functions here say so if they get them.
"""

import numpy as np

from ._validate import check_labels


def _labels(y, name, where):
    """Return y as a 1-D array of labels, or explain what to do with it."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        raise ValueError(
            f"{where}: expected {name} as class labels of shape (N,), got {y.shape}; "
            f"if these are scores, probabilities or one-hot rows, use {name}.argmax(axis=1)"
        )
    if y.ndim != 1:
        fix = f"; use {name}.ravel()" if y.ndim == 2 else ""
        raise ValueError(f"{where}: expected {name} as class labels of shape (N,), got {y.shape}{fix}")
    return y.astype(np.int64) if y.size == 0 else y  # np.asarray([]) is float: an empty list is fine


def _pair(y_true, y_pred, n_classes, where):
    """Validate two label arrays of one length -> (y_true, y_pred, C)."""
    y_true, y_pred = _labels(y_true, "y_true", where), _labels(y_pred, "y_pred", where)
    if len(y_true) != len(y_pred):
        raise ValueError(f"{where}: expected as many predictions as labels ({len(y_true)}), got {len(y_pred)}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if not np.issubdtype(y.dtype, np.integer):
            raise TypeError(
                f"{where}: expected integer class labels in {name}, got dtype {y.dtype}; "
                f"if they are whole numbers use {name}.astype(int)"
            )
    if n_classes is None:
        if len(y_true) == 0:
            raise ValueError(f"{where}: got no labels; pass n_classes to count over an empty set")
        lowest = int(min(y_true.min(), y_pred.min()))
        if lowest < 0:
            raise ValueError(f"{where}: expected class labels 0, 1, 2, ..., got the negative label {lowest}")
        n_classes = int(max(y_true.max(), y_pred.max())) + 1
    elif not isinstance(n_classes, (int, np.integer)) or n_classes < 1:
        raise ValueError(f"{where}: expected n_classes as a positive integer, got {n_classes!r}")
    y_true = check_labels(y_true, len(y_true), n_classes, f"{where} (y_true)")
    y_pred = check_labels(y_pred, len(y_pred), n_classes, f"{where} (y_pred)")
    return y_true, y_pred, int(n_classes)


def accuracy(y_true, y_pred):
    """y_true, y_pred: (N,) labels -> the fraction of samples whose prediction is right, a float."""
    if np.size(y_true) == 0:
        raise ValueError("accuracy: got no labels; the accuracy of an empty set is undefined")
    y_true, y_pred, _ = _pair(y_true, y_pred, None, "accuracy")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes=None):
    """y_true, y_pred: (N,) labels -> counts: (C, C) ints; row = true class, column = predicted class.

    counts[i, j] is how many samples of class i were predicted as class j, so the diagonal
    holds the right answers and each row sums to the number of samples of that class.
    C is n_classes, or else one more than the largest label seen.
    """
    y_true, y_pred, C = _pair(y_true, y_pred, n_classes, "confusion_matrix")
    cell = y_true.astype(np.int64) * C + y_pred.astype(np.int64)  # (N,): one number per (true, predicted) pair
    return np.bincount(cell, minlength=C * C).reshape(C, C)


def precision_recall(y_true, y_pred, n_classes=None):
    """y_true, y_pred: (N,) labels -> precision: (C,), recall: (C,).

    precision[c]: of the samples predicted as c, the fraction that are c (a column of the
    confusion matrix); recall[c]: of the samples of class c, the fraction found (a row).
    A class never predicted (or never present) gets 0 rather than a division by zero.
    """
    cm = confusion_matrix(y_true, y_pred, n_classes)
    right = np.diag(cm).astype(np.float64)  # (C,)
    predicted, present = cm.sum(axis=0), cm.sum(axis=1)  # (C,), (C,)
    precision = np.divide(right, predicted, out=np.zeros_like(right), where=predicted > 0)
    recall = np.divide(right, present, out=np.zeros_like(right), where=present > 0)
    return precision, recall
