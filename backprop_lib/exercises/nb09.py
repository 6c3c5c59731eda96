"""Exercise checks of notebook 09 (real data: iris)."""

import numpy as np

from .. import activations, datasets, losses, metrics
from ..checks import FAIL, PASS, TODO, CheckResult, check_function
from ..model import mlp
from ..optim import SGD


def _say(result, quiet=False):
    if not quiet:
        print(result.message)
    return result


# -- a disjoint split ---------------------------------------------------------------------------
def _split_problems(fn, N, n_test, seed):
    """What is wrong with the split fn(N, n_test, rng), or None."""
    name = getattr(fn, "__name__", "your function")
    got = fn(N, n_test, np.random.default_rng(seed))
    if got is None:
        return f"{FAIL} {name} returned None: did it forget to `return train_idx, test_idx`?"
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"{FAIL} {name} should return two arrays, (train_idx, test_idx)."
    train, test = (np.asarray(part) for part in got)
    if (
        train.ndim != 1
        or test.ndim != 1
        or not (np.issubdtype(train.dtype, np.integer) and np.issubdtype(test.dtype, np.integer))
    ):
        return f"{FAIL} {name} should return two 1-D arrays of integer indices, got {train.dtype} {train.shape} and {test.dtype} {test.shape}."
    if len(test) != n_test or len(train) != N - n_test:
        return (
            f"{FAIL} {name}({N}, {n_test}, rng) gave parts of {len(train)} and {len(test)} indices; "
            f"expected {N - n_test} for training and {n_test} for the test."
        )
    repeats = len(test) - len(np.unique(test)) + len(train) - len(np.unique(train))
    if repeats:
        return (
            f"{FAIL} {name} repeats {repeats} indices within a part: they were drawn with replacement "
            "(rng.integers or rng.choice with its default replace=True). Draw each index once."
        )
    both = np.intersect1d(train, test)
    if len(both):
        return (
            f"{FAIL} {len(both)} indices are in both parts: the two parts were drawn independently. "
            "Every index must land in exactly one part."
        )
    if train.min() < 0 or test.min() < 0 or max(train.max(), test.max()) >= N:
        return f"{FAIL} {name} returned indices outside 0..{N - 1}."
    if np.array_equal(np.concatenate([test, train]), np.arange(N)) or np.array_equal(
        np.concatenate([train, test]), np.arange(N)
    ):
        return (
            f"{FAIL} {name} cuts the indices in their stored order, without shuffling: the iris file is "
            "sorted by species, so the test part would hold one species only."
        )
    again = fn(N, n_test, np.random.default_rng(seed))
    if not all(np.array_equal(a, b) for a, b in zip(got, again)):
        return (
            f"{FAIL} {name} gives another split for the same rng seed: draw every random number from "
            "the `rng` you are given, not from NumPy's global state."
        )
    other = fn(N, n_test, np.random.default_rng(seed + 1))
    if all(np.array_equal(a, b) for a, b in zip(got, other)):
        return (
            f"{FAIL} {name} gives the same split for every rng: draw the random order from the `rng` "
            "argument, not from a generator of your own."
        )
    return None


def check_split_indices(fn):
    """Exercise: split_indices(N, n_test, rng) -> (train_idx, test_idx), disjoint, covering 0..N-1."""
    name = getattr(fn, "__name__", "your function")
    try:
        for N, n_test, seed in [(150, 30, 0), (7, 2, 5)]:
            problem = _split_problems(fn, N, n_test, seed)
            if problem:
                return _say(CheckResult(False, problem))
    except NotImplementedError:
        return _say(
            CheckResult(
                False,
                f"{TODO} {name}: not implemented yet. Write your solution above, then run this cell again.",
                "todo",
            )
        )
    except Exception as exc:  # noqa: BLE001 - the learner's code failed: say how, without a traceback
        return _say(CheckResult(False, f"{FAIL} {name} raised {type(exc).__name__}: {exc}"))
    return _say(
        CheckResult(
            True, f"{PASS} {name} is correct: disjoint parts of the right sizes, every index once, shuffled by rng."
        )
    )


# -- standardise with the training statistics -------------------------------------------------
def standardise_reference(X_train, X_test):
    """X_train: (N, D), X_test: (M, D) -> both standardised with X_train's mean and std per column."""
    scaler = datasets.Standardizer().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test)


def _standardise_mistakes():
    def pooled(A, B):
        return (A - A.mean()) / A.std(), (B - A.mean()) / A.std()

    def own_statistics(A, B):
        return (A - A.mean(axis=0)) / A.std(axis=0), (B - B.mean(axis=0)) / B.std(axis=0)

    def both_parts(A, B):
        both = np.concatenate([A, B])
        return (A - both.mean(axis=0)) / both.std(axis=0), (B - both.mean(axis=0)) / both.std(axis=0)

    def sample_std(A, B):
        return (A - A.mean(axis=0)) / A.std(axis=0, ddof=1), (B - A.mean(axis=0)) / A.std(axis=0, ddof=1)

    def centred_only(A, B):
        return A - A.mean(axis=0), B - A.mean(axis=0)

    def per_row(A, B):
        def rows(M):
            return (M - M.mean(axis=1, keepdims=True)) / M.std(axis=1, keepdims=True)

        return rows(A), rows(B)

    return {
        "It uses one mean and one std for all features together: compute them per column, axis=0, shape (D,).": pooled,
        "The test part is scaled with its own statistics: the test flowers stand for data that "
        "arrive later, so both parts use the training part's mean and std.": own_statistics,
        "The mean and std come from both parts together: that leaks the test set into the "
        "preprocessing. Use the training part's alone.": both_parts,
        "It divides by the sample std (ddof=1): use the plain std, X.std(axis=0), as the library does.": sample_std,
        "It subtracts the mean but does not divide by the std.": centred_only,
        "It standardises each ROW (axis=1), one flower's four measurements together: each FEATURE "
        "gets its own mean and std, over the flowers (axis=0).": per_row,
    }


def check_standardise(fn):
    """Exercise: standardise(X_train, X_test), per feature, with the training part's statistics."""
    rng = np.random.default_rng(1)
    scale = np.array([1.0, 10.0, 0.1])
    X_train = rng.normal(5, scale, (20, 3))  # (N, D): features on different scales
    X_test = rng.normal(6, scale, (6, 3))  # (M, D): shifted, so its own statistics differ
    return check_function(
        fn, standardise_reference, X_train, X_test, outputs=("train", "test"), mistakes=_standardise_mistakes()
    )


# -- one mini-batch's gradients ------------------------------------------------------------------
def batch_gradients_reference(Xb, yb, W1, b1, W2, b2):
    """Xb: (B, D), yb: (B,), W1: (D, H), b1: (H,), W2: (H, C), b2: (C,) -> dW1, db1, dW2, db2 of the
    mean softmax cross-entropy of relu(Xb @ W1 + b1) @ W2 + b2 over the B samples of the batch."""
    Z1 = Xb @ W1 + b1  # (B, H)
    H = np.maximum(Z1, 0)  # (B, H)
    dlogits = losses.softmax_cross_entropy(H @ W2 + b2, yb)[1]  # (B, C): (probs - onehot) / B
    dZ1 = (dlogits @ W2.T) * (Z1 > 0)  # (B, H)
    return Xb.T @ dZ1, dZ1.sum(axis=0), H.T @ dlogits, dlogits.sum(axis=0)


def _batch_variant(scale=None, gate=">", every_class=False, bias="sum"):
    """The reference with one deliberate change, for the known mistakes."""

    def grads(Xb, yb, W1, b1, W2, b2):
        Z1 = Xb @ W1 + b1
        H = np.maximum(Z1, 0)
        probs = activations.softmax(H @ W2 + b2)  # (B, C)
        B = len(Xb)
        onehot = np.ones_like(probs) if every_class else np.eye(probs.shape[1])[yb]
        dlogits = (probs - onehot) / (B if scale is None else scale)
        dH = dlogits @ W2.T  # (B, H)
        local = {">": Z1 > 0, ">=": H >= 0, "dH": dH > 0}[gate]
        dZ1 = dH * local
        reduce = (lambda a: a.sum(axis=0)) if bias == "sum" else (lambda a: a.mean(axis=0))
        return Xb.T @ dZ1, reduce(dZ1), H.T @ dlogits, reduce(dlogits)

    return grads


def check_batch_gradients(fn):
    """Exercise: fn(Xb, yb, W1, b1, W2, b2) -> (dW1, db1, dW2, db2), on a batch of 16 and the last,
    shorter batch of an epoch over 120 flowers (8 of them); D = 4, H = 8, C = 3, so no shape is square."""
    rng = np.random.default_rng(9)
    W1, b1 = rng.standard_normal((4, 8)), 0.5 * rng.standard_normal(8)
    W2, b2 = rng.standard_normal((8, 3)), 0.5 * rng.standard_normal(3)
    mistakes = {
        "It divides by 16, the batch_size setting: the last batch of an epoch holds only 8 flowers, and "
        "its loss is the mean over those 8, so divide by len(Xb).": _batch_variant(scale=16),
        "The 1/B of the mean is missing: the loss is the MEAN over the batch, so dlogits = (probs - onehot) / B.": (
            _batch_variant(scale=1)
        ),
        "The ReLU gate is open everywhere (no gate, or relu(z) >= 0, which holds for every entry): multiply "
        "dH by the gate Z1 > 0.": _batch_variant(gate=">="),
        "The gate reads the gradient: the ReLU passes dH where its INPUT Z1 was > 0 in the forward pass, "
        "whatever the sign of dH.": _batch_variant(gate="dH"),
        "It subtracts 1 in every class: subtract 1 only at each sample's true class (the one-hot).": _batch_variant(
            every_class=True
        ),
        "The biases' gradients are means: they are SUMS over the batch (the 1/B is already inside dlogits).": (
            _batch_variant(bias="mean")
        ),
    }
    result = None
    for B, seed in ((16, 10), (8, 11)):
        data = np.random.default_rng(seed)
        Xb, yb = data.standard_normal((B, 4)), data.integers(0, 3, size=B)
        result = check_function(
            fn,
            batch_gradients_reference,
            Xb,
            yb,
            W1,
            b1,
            W2,
            b2,
            name="batch_gradients",
            outputs=("dW1", "db1", "dW2", "db2"),
            n_samples=B,
            mistakes=mistakes,
            hint=f"the check failed on a batch of {B}. Forward, then dlogits, dW2, db2, dH, dZ1, dW1, db1.",
        )
        if not result:
            return result
    return result


# -- a confusion matrix -------------------------------------------------------------------------
def check_confusion_counts(fn):
    """Exercise: confusion_counts(y_true, y_pred, n_classes) -> (C, C) counts, rows = true class.
    Two cases: 40 samples of 4 classes (pairs repeat), then 9 samples of 5 classes where class 4
    never appears, so the size must come from n_classes, not from the labels."""
    rng = np.random.default_rng(2)
    cases = [
        (rng.integers(0, 4, size=40), rng.integers(0, 4, size=40), 4),
        (np.array([0, 0, 1, 3, 3, 3, 2, 1, 0]), np.array([0, 1, 1, 3, 2, 3, 2, 0, 0]), 5),
    ]

    def transposed(t, p, C):
        return metrics.confusion_matrix(p, t, C)

    def fancy_index(t, p, C):
        counts = np.zeros((C, C), dtype=int)
        counts[t, p] += 1
        return counts

    def proportions(t, p, C):
        counts = metrics.confusion_matrix(t, p, C)
        return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)

    def diagonal_only(t, p, C):
        return np.diag(np.diag(metrics.confusion_matrix(t, p, C)))

    def size_from_labels(t, p, C):
        return metrics.confusion_matrix(t, p, int(max(t.max(), p.max())) + 1)

    mistakes = {
        "Rows and columns are swapped: row i must be the TRUE class i, column j the prediction j.": transposed,
        "Every cell is 0 or 1: `counts[y_true, y_pred] += 1` writes a repeated (i, j) pair only once. "
        "Count with a loop over the samples, np.add.at or np.bincount.": fancy_index,
        "It holds proportions of each row: the matrix counts samples (integers); divide only when "
        "computing recall or precision.": proportions,
        "Only the diagonal is filled: every sample counts, the wrong predictions too, off the diagonal.": diagonal_only,
        "The size comes from the labels: a class that never appears still gets its row and column, "
        "(n_classes, n_classes).": size_from_labels,
    }
    result = None
    for y_true, y_pred, n_classes in cases:
        result = check_function(
            fn,
            metrics.confusion_matrix,
            y_true,
            y_pred,
            n_classes,
            mistakes=mistakes,
            hint="rows = true class, columns = prediction, an (n_classes, n_classes) array of counts.",
        )
        if not result:
            return result
    return result


# -- choosing the number of epochs on a validation part ---------------------------------------
def choose_epochs_reference(X, y, max_epochs, seed):
    """X: (N, D) raw training part, y: (N,) -> best_epoch (1..max_epochs), val_losses: (max_epochs,)."""
    X_fit, X_val, y_fit, y_val = datasets.train_test_split(X, y, test_fraction=0.25, rng=seed)
    scaler = datasets.Standardizer().fit(X_fit)
    X_fit, X_val = scaler.transform(X_fit), scaler.transform(X_val)
    model = mlp([X.shape[1], 8, int(y.max()) + 1], init="he", rng=seed)
    val_losses = []

    def record(epoch, model, history):
        val_losses.append(model.loss(X_val, y_val))

    model.fit(X_fit, y_fit, SGD(lr=0.1), epochs=max_epochs, batch_size=16, rng=seed, progress=False, callback=record)
    val_losses = np.array(val_losses)  # (max_epochs,)
    return int(val_losses.argmin()) + 1, val_losses


def _choose_epochs_mistakes():
    def zero_based(X, y, max_epochs, seed):
        best, losses = choose_epochs_reference(X, y, max_epochs, seed)
        return best - 1, losses

    def highest(X, y, max_epochs, seed):
        _, losses = choose_epochs_reference(X, y, max_epochs, seed)
        return int(losses.argmax()) + 1, losses

    def training_losses(X, y, max_epochs, seed):
        X_fit, _, y_fit, _ = datasets.train_test_split(X, y, test_fraction=0.25, rng=seed)
        X_fit = datasets.Standardizer().fit_transform(X_fit)
        model = mlp([X.shape[1], 8, int(y.max()) + 1], init="he", rng=seed)
        history = model.fit(X_fit, y_fit, SGD(lr=0.1), epochs=max_epochs, batch_size=16, rng=seed, progress=False)
        losses = np.array(history["loss"])
        return int(losses.argmin()) + 1, losses

    def _variant(fit_on_all=False, raw_val=False, accuracy=False, one_epoch_calls=False):
        def run(X, y, max_epochs, seed):
            X_fit, X_val, y_fit, y_val = datasets.train_test_split(X, y, test_fraction=0.25, rng=seed)
            scaler = datasets.Standardizer().fit(X if fit_on_all else X_fit)
            X_fit = scaler.transform(X_fit)
            if not raw_val:
                X_val = scaler.transform(X_val)
            model = mlp([X.shape[1], 8, int(y.max()) + 1], init="he", rng=seed)
            val_losses = []

            def record(epoch, model, history):
                val_losses.append(model.accuracy(X_val, y_val) if accuracy else model.loss(X_val, y_val))

            calls = [1] * max_epochs if one_epoch_calls else [max_epochs]
            for epochs in calls:  # one call per epoch restarts the shuffle from rng=seed each time
                model.fit(
                    X_fit, y_fit, SGD(lr=0.1), epochs=epochs, batch_size=16, rng=seed, progress=False, callback=record
                )
            losses = np.array(val_losses)
            return int(losses.argmin()) + 1, losses

        return run

    return {
        "best_epoch is one too small: epochs count from 1 (the loss after the first epoch is "
        "val_losses[0]), so the best epoch is argmin + 1.": zero_based,
        "best_epoch is the epoch of the HIGHEST validation loss: use argmin.": highest,
        "These are the training losses: `fit`'s history is measured on the batches it trains on. "
        "Record model.loss on the validation part after every epoch (a callback).": training_losses,
        "The standardiser was fitted on the whole training part, validation flowers included: the "
        "validation part must be as unseen as the test set, so fit it on the fitting part alone.": _variant(
            fit_on_all=True
        ),
        "The validation part was not standardised: transform it with the fitting part's scaler, as "
        "the model only ever saw standardised flowers.": _variant(raw_val=True),
        "These are validation accuracies: record the validation loss, model.loss(X_val, y_val).": _variant(
            accuracy=True
        ),
        "fit was called once per epoch with rng=seed, so every epoch repeats the first epoch's "
        "shuffle: call fit once, for max_epochs epochs, and record the loss in a callback.": _variant(
            one_epoch_calls=True
        ),
    }


def check_choose_epochs(fn):
    """Exercise: choose_epochs(X, y, max_epochs, seed) on the raw iris training part."""
    iris = datasets.iris()
    X_train, _, y_train, _ = datasets.train_test_split(iris.X, iris.y, test_fraction=0.2, rng=0)
    return check_function(
        fn,
        choose_epochs_reference,
        X_train,
        y_train,
        60,
        3,
        outputs=("best_epoch", "val_losses"),
        mistakes=_choose_epochs_mistakes(),
    )
