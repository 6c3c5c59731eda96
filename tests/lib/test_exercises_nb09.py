"""Notebook 09's exercise checks pass the right answers and name the usual wrong ones."""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.exercises import nb09 as ex


def todo(*args):
    raise NotImplementedError


# -- split ------------------------------------------------------------------------------------------
def split_right(N, n_test, rng):
    order = rng.permutation(N)
    return order[n_test:], order[:n_test]


def split_with_replacement(N, n_test, rng):
    test = rng.integers(0, N, size=n_test)
    return np.setdiff1d(np.arange(N), test)[: N - n_test], test


def split_independent(N, n_test, rng):
    return rng.permutation(N)[: N - n_test], rng.permutation(N)[:n_test]


def split_unshuffled(N, n_test, rng):
    return np.arange(n_test, N), np.arange(n_test)


def split_own_generator(N, n_test, rng):
    return split_right(N, n_test, np.random.default_rng(42))


def split_global_state(N, n_test, rng):
    order = np.random.permutation(N)
    return order[n_test:], order[:n_test]


def split_wrong_sizes(N, n_test, rng):
    order = rng.permutation(N)
    return order[n_test + 1 :], order[: n_test + 1]


def split_no_return(N, n_test, rng):
    split_right(N, n_test, rng)


@pytest.mark.parametrize(
    "fn, words",
    [
        (split_with_replacement, "drawn with replacement"),
        (split_independent, "in both parts"),
        (split_unshuffled, "without shuffling"),
        (split_own_generator, "the same split for every rng"),
        (split_global_state, "another split for the same rng seed"),
        (split_wrong_sizes, "expected 120 for training and 30 for the test"),
        (split_no_return, "forget to `return"),
    ],
)
def test_split_check_names_the_mistakes(fn, words):
    result = ex.check_split_indices(fn)
    assert not result and words in result.message


def test_split_check_passes_right_answers_and_waits_for_a_stub():
    assert ex.check_split_indices(split_right)

    def test_first(N, n_test, rng):  # another right answer: the check tests properties, not one order
        order = rng.permutation(N)
        return order[: N - n_test], order[N - n_test :]

    assert ex.check_split_indices(test_first)
    assert ex.check_split_indices(todo).status == "todo"


# -- standardise -------------------------------------------------------------------------------------
def standardise_right(A, B):
    mean, std = A.mean(axis=0), A.std(axis=0)
    return (A - mean) / std, (B - mean) / std


def standardise_in_place(A, B):
    mean, std = A.mean(axis=0), A.std(axis=0)
    A -= mean
    A /= std
    return A, (B - mean) / std


@pytest.mark.parametrize(
    "fn, words",
    [
        (lambda A, B: ((A - A.mean()) / A.std(), (B - A.mean()) / A.std()), "one mean and one std for all features"),
        (lambda A, B: (standardise_right(A, A)[0], standardise_right(B, B)[0]), "with its own statistics"),
        (
            lambda A, B: (
                standardise_right(np.concatenate([A, B]), A)[1:] + standardise_right(np.concatenate([A, B]), B)[1:]
            ),
            "from both parts together",
        ),
        (lambda A, B: ((A - A.mean(0)) / A.std(0, ddof=1), (B - A.mean(0)) / A.std(0, ddof=1)), "ddof=1"),
        (lambda A, B: (A - A.mean(0), B - A.mean(0)), "does not divide by the std"),
        (standardise_in_place, "changed its input `A` in place"),
        (
            lambda A, B: tuple((M - M.mean(1, keepdims=True)) / M.std(1, keepdims=True) for M in (A, B)),
            "standardises each ROW",
        ),
    ],
)
def test_standardise_check_names_the_mistakes(fn, words):
    result = ex.check_standardise(fn)
    assert not result and words in result.message


def test_standardise_check_passes_and_waits():
    assert ex.check_standardise(standardise_right)
    assert ex.check_standardise(todo).status == "todo"


# -- confusion matrix -------------------------------------------------------------------------------
def counts_right(t, p, C):
    counts = np.zeros((C, C), dtype=int)
    for i, j in zip(t, p):
        counts[i, j] += 1
    return counts


def test_confusion_check():
    assert ex.check_confusion_counts(counts_right)
    assert ex.check_confusion_counts(todo).status == "todo"

    def fancy(t, p, C):
        counts = np.zeros((C, C), dtype=int)
        counts[t, p] += 1
        return counts

    for wrong, words in [
        (lambda t, p, C: counts_right(p, t, C), "Rows and columns are swapped"),
        (fancy, "writes a repeated (i, j) pair only once"),
        (lambda t, p, C: counts_right(t, p, C) / np.bincount(t, minlength=C).clip(1)[:, None], "proportions"),
        (lambda t, p, C: np.diag(np.diag(counts_right(t, p, C))), "Only the diagonal"),
        (lambda t, p, C: counts_right(t, p, int(max(t.max(), p.max())) + 1), "The size comes from the labels"),
        # np.bincount without minlength: its length depends on the labels, so the reshape fails
        (lambda t, p, C: np.bincount(t * C + p).reshape(C, C), "raised ValueError"),
        (lambda t, p, C: counts_right(t, p, C)[:, ::-1], "does not match"),
    ]:
        result = ex.check_confusion_counts(wrong)
        assert not result and words in result.message


# -- choosing the number of epochs ------------------------------------------------------------------
def choose_right(X, y, max_epochs, seed):
    X_fit, X_val, y_fit, y_val = bl.datasets.train_test_split(X, y, test_fraction=0.25, rng=seed)
    scaler = bl.datasets.Standardizer().fit(X_fit)
    X_fit, X_val = scaler.transform(X_fit), scaler.transform(X_val)
    model = bl.mlp([4, 8, 3], init="he", rng=seed)
    losses = []
    model.fit(
        X_fit,
        y_fit,
        bl.SGD(lr=0.1),
        epochs=max_epochs,
        batch_size=16,
        rng=seed,
        progress=False,
        callback=lambda e, m, h: losses.append(m.loss(X_val, y_val)),
    )
    return int(np.argmin(losses)) + 1, np.array(losses)


def _variant(**change):
    def run(X, y, max_epochs, seed):
        X_fit, X_val, y_fit, y_val = bl.datasets.train_test_split(X, y, test_fraction=0.25, rng=seed)
        scaler = bl.datasets.Standardizer().fit(X if change.get("fit_on_all") else X_fit)
        X_fit = scaler.transform(X_fit)
        if not change.get("raw_val"):
            X_val = scaler.transform(X_val)
        model = bl.mlp([4, 8, 3], init="he", rng=seed)
        losses = []
        if change.get("one_epoch_calls"):
            for _ in range(max_epochs):
                model.fit(
                    X_fit,
                    y_fit,
                    bl.SGD(lr=0.1),
                    epochs=1,
                    batch_size=16,
                    rng=seed,
                    progress=False,
                    callback=lambda e, m, h: losses.append(m.loss(X_val, y_val)),
                )
            return int(np.argmin(losses)) + 1, np.array(losses)
        history = model.fit(
            X_fit,
            y_fit,
            bl.SGD(lr=0.1),
            epochs=max_epochs,
            batch_size=16,
            rng=seed,
            progress=False,
            callback=lambda e, m, h: losses.append(
                m.accuracy(X_val, y_val) if change.get("accuracy") else m.loss(X_val, y_val)
            ),
        )
        if change.get("train_loss"):
            losses = history["loss"]
        best = int(np.argmax(losses) if change.get("argmax") else np.argmin(losses))
        return best + (0 if change.get("zero_based") else 1), np.array(losses)

    return run


def test_choose_epochs_reference_finds_an_interior_minimum():
    iris = bl.datasets.iris()
    X_train, _, y_train, _ = bl.datasets.train_test_split(iris.X, iris.y, test_fraction=0.2, rng=0)
    best, losses = ex.choose_epochs_reference(X_train, y_train, 60, 3)
    assert 1 < best < 60 and losses.shape == (60,)  # so that each wrong answer below differs from it
    assert losses[best - 1] == losses.min() and losses[-1] > losses.min() + 1e-3


@pytest.mark.parametrize(
    "change, words",
    [
        ({"zero_based": True}, "one too small"),
        ({"argmax": True}, "HIGHEST validation loss"),
        ({"train_loss": True}, "These are the training losses"),
        ({"fit_on_all": True}, "fitted on the whole training part"),
        ({"raw_val": True}, "validation part was not standardised"),
        ({"accuracy": True}, "These are validation accuracies"),
        ({"one_epoch_calls": True}, "fit was called once per epoch"),
    ],
)
def test_choose_epochs_check_names_the_mistakes(change, words):
    result = ex.check_choose_epochs(_variant(**change))
    assert not result and words in result.message


def test_choose_epochs_check_passes_and_waits():
    assert ex.check_choose_epochs(choose_right)
    assert ex.check_choose_epochs(_variant())
    assert ex.check_choose_epochs(todo).status == "todo"
    result = ex.check_choose_epochs(lambda X, y, E, seed: None)
    assert not result and "returned None" in result.message


# -- one mini-batch's gradients ---------------------------------------------------------------------
def batch_right(Xb, yb, W1, b1, W2, b2):
    Z1 = Xb @ W1 + b1
    H = np.maximum(Z1, 0)
    dlogits = bl.softmax(H @ W2 + b2)
    dlogits[np.arange(len(yb)), yb] -= 1
    dlogits /= len(Xb)
    dZ1 = (dlogits @ W2.T) * (Z1 > 0)
    return Xb.T @ dZ1, dZ1.sum(axis=0), H.T @ dlogits, dlogits.sum(axis=0)


def batch_with(change):
    """The learner's batch_gradients with one typical slip."""

    def grads(Xb, yb, W1, b1, W2, b2):
        Z1 = Xb @ W1 + b1
        H = np.maximum(Z1, 0)
        dlogits = bl.softmax(H @ W2 + b2)
        if change == "every class":
            dlogits -= 1
        else:
            dlogits[np.arange(len(yb)), yb] -= 1
        dlogits /= {"16": 16, "no 1/B": 1}.get(change, len(Xb))
        dH = dlogits @ W2.T
        gate = {"ge": H >= 0, "none": 1.0, "dH": dH > 0}.get(change, Z1 > 0)
        dZ1 = dH * gate
        if change == "mean bias":
            return Xb.T @ dZ1, dZ1.mean(axis=0), H.T @ dlogits, dlogits.mean(axis=0)
        if change == "transposed":
            return dZ1.T @ Xb, dZ1.sum(axis=0), H.T @ dlogits, dlogits.sum(axis=0)
        if change == "list":
            return [Xb.T @ dZ1, dZ1.sum(axis=0), H.T @ dlogits, dlogits.sum(axis=0)]
        return Xb.T @ dZ1, dZ1.sum(axis=0), H.T @ dlogits, dlogits.sum(axis=0)

    return grads


@pytest.mark.parametrize(
    "change, words",
    [
        ("16", "divides by 16, the batch_size setting"),
        ("no 1/B", "The 1/B of the mean is missing"),
        ("ge", "The ReLU gate is open everywhere"),
        ("none", "The ReLU gate is open everywhere"),
        ("dH", "The gate reads the gradient"),
        ("every class", "subtracts 1 in every class"),
        ("mean bias", "biases' gradients are means"),
        ("transposed", "right answer transposed"),
        ("list", "as a tuple"),
    ],
)
def test_batch_gradients_check_names_the_mistakes(change, words):
    result = ex.check_batch_gradients(batch_with(change))
    assert not result and words in result.message


def test_batch_gradients_check_passes_and_waits():
    assert ex.check_batch_gradients(batch_right)
    assert ex.check_batch_gradients(batch_with(None))
    assert ex.check_batch_gradients(todo).status == "todo"
