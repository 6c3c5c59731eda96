"""Notebook 06's checks: the right answer passes, each common wrong answer fails and is named."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import backprop_lib as bl
from backprop_lib.exercises import nb06 as ex


def todo(*args):
    raise NotImplementedError


def l2(W1, W2, reg):
    return 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2)), reg * W1, reg * W2


def accuracy(logits, y):
    return float(np.mean(logits.argmax(axis=1) == y))


def tanh_step(X, y, W1, b1, W2, b2, lr, reg):
    return ex._tanh_step(X, y, W1, b1, W2, b2, lr, reg)


def deep_forward(X, layers):
    caches, A = [], X
    for i, (W, b) in enumerate(layers):
        Z = A @ W + b
        caches.append((A, W, Z))
        A = np.maximum(Z, 0) if i < len(layers) - 1 else Z
    return A, caches


def deep_backward(logits, y, caches):
    N = logits.shape[0]
    dZ = (bl.softmax(logits) - bl.one_hot(y, logits.shape[1])) / N
    grads, dA = [], None
    for i in reversed(range(len(caches))):  # the gate first, with this layer's own Z (a second way to write it)
        A_prev, W, Z = caches[i]
        if dA is not None:
            dZ = dA * (Z > 0)
        grads.insert(0, (A_prev.T @ dZ, dZ.sum(axis=0)))
        dA = dZ @ W.T
    return grads


CASES = [
    (ex.check_l2_penalty_and_grads, l2, ex.L2_MISTAKES),
    (ex.check_accuracy_from_logits, accuracy, ex.ACCURACY_MISTAKES),
    (ex.check_tanh_training_step, tanh_step, ex.TANH_STEP_MISTAKES),
]


@pytest.mark.parametrize("check, solution, mistakes", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_the_solution_passes_and_a_stub_is_todo(check, solution, mistakes, capsys):
    assert check(solution)
    assert "✅" in capsys.readouterr().out
    assert check(todo).status == "todo"


@pytest.mark.parametrize("check, mistake, message", [(check, mistakes[m], m) for check, _, mistakes in CASES
                                                      for m in mistakes], ids=lambda x: getattr(x, "__name__", str(x)[:40]))
def test_each_mistake_is_named(check, mistake, message):
    result = check(mistake)
    assert not result and message in result.message


def test_the_tanh_reference_is_the_library_step():
    X, y = bl.datasets.spiral(5, 3, kind="cs231n", rng=0)
    rng = np.random.default_rng(0)
    args = (X, y, rng.standard_normal((2, 4)), rng.standard_normal(4), rng.standard_normal((4, 3)),
            rng.standard_normal(3), 0.3, 1e-2)
    for a, b in zip(ex._tanh_step(*args), ex.tanh_step_reference(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_deep_network_passes_with_every_stage(capsys):
    result = ex.check_deep_network(deep_forward, deep_backward)
    out = capsys.readouterr().out
    assert result and out.count("✅") == 3 and "gradient check" in out and "bl.mlp" in out


@pytest.mark.parametrize("which", ["forward", "backward", "both"])
def test_deep_network_todo(which):
    fwd = todo if which in ("forward", "both") else deep_forward
    bwd = todo if which in ("backward", "both") else deep_backward
    assert ex.check_deep_network(fwd, bwd).status == "todo"


@pytest.mark.parametrize("message", list(ex.DEEP_BUGS))
def test_deep_network_names_each_mistake(message):
    where, bug = ex.DEEP_BUGS[message]

    def fwd(X, layers):  # the learner's forward, with the bug if it is a forward one
        return ex._forward(X, layers, bug if where == "forward" else None)

    def bwd(logits, y, caches):
        return ex._backward(logits, y, caches, bug if where == "backward" else None)

    result = ex.check_deep_network(fwd, bwd)
    assert not result and message in result.message


def test_the_required_deep_mistakes_are_named():
    text = " ".join(ex.DEEP_MISTAKES)
    for words in ["pre-activation Z was not cached", "1/N is missing", "dW is transposed",
                  "instead of by the ReLU mask of the pre-activation", "Off by one layer"]:
        assert words in text


def test_the_deep_mistakes_all_differ_on_the_equal_width_network():
    rng = np.random.default_rng(0)
    X, y, layers = rng.standard_normal((6, 4)), rng.integers(0, 4, size=6), ex._layers([4, 4, 4, 4], 11)
    outs = [fn(X, y, layers) for fn in ex.DEEP_MISTAKES.values()]
    outs.append(ex._deep(ex.deep_forward_reference, ex.deep_backward_reference)(X, y, layers))
    flat = [np.concatenate([np.ravel(a) for a in out]) for out in outs]
    for i in range(len(flat)):
        for j in range(i + 1, len(flat)):
            assert flat[i].shape != flat[j].shape or not np.allclose(flat[i], flat[j]), (i, j)


@pytest.mark.parametrize("sizes", [[2, 3], [3, 5, 2], [4, 6, 5, 3], [2, 3, 3, 3, 3, 4]])
def test_the_deep_reference_agrees_with_autograd_and_the_library(sizes):
    rng = np.random.default_rng(len(sizes))
    N = 5
    X, y = rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], size=N)
    layers = ex._layers(sizes, 2)
    logits, caches = ex.deep_forward_reference(X, layers)
    grads = ex.deep_backward_reference(logits, y, caches)

    def loss(flat):
        A = X
        for i in range(len(layers)):
            Z = anp.dot(A, flat[2 * i]) + flat[2 * i + 1]
            A = anp.maximum(Z, 0) if i < len(layers) - 1 else Z
        shifted = A - anp.max(A, axis=1, keepdims=True)
        return -anp.mean((shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True)))[np.arange(N), y])

    want = grad(loss)([p for pair in layers for p in pair])
    for got, expected in zip([g for pair in grads for g in pair], want):
        assert bl.rel_error(got, expected) < 1e-10
    model = bl.Sequential([layer for i, (W, b) in enumerate(layers)
                           for layer in ([bl.Dense(*W.shape, W=W, b=b)] + ([bl.ReLU()] if i < len(layers) - 1 else []))])
    assert bl.rel_error(model.forward(X), logits) < 1e-12
    model.loss(X, y)
    model.backward()
    for i, (dW, db) in enumerate(grads, 1):
        assert bl.rel_error(model.grads()[f"dense{i}.W"], dW) < 1e-10
        assert bl.rel_error(model.grads()[f"dense{i}.b"], db) < 1e-10


def test_a_gradient_that_is_wrong_only_in_training_is_caught():
    """A backward pass that matches on the small checks but drifts in training fails stage 3."""
    calls = {"n": 0}

    def drifting_backward(logits, y, caches):
        calls["n"] += 1
        grads = deep_backward(logits, y, caches)
        if calls["n"] > 10:  # right on the first few calls, then off by a little
            grads = [(1.01 * dW, db) for dW, db in grads]
        return grads

    result = ex.check_deep_network(deep_forward, drifting_backward)
    assert not result and "drifts" in result.message


SHAPED_WRONG = {
    "l2: reg written in as 1e-2 (another reg)": (
        ex.check_l2_penalty_and_grads, lambda W1, W2, reg: l2(W1, W2, 1e-2), "wrong: penalty, dW1, dW2"),
    "l2: only W1 penalised": (
        ex.check_l2_penalty_and_grads,
        lambda W1, W2, reg: (0.5 * reg * np.sum(W1 * W1), reg * W1, 0 * W2), "wrong: penalty, dW2; right: dW1"),
    "l2: the mean of the squares (wide W2)": (
        ex.check_l2_penalty_and_grads,
        lambda W1, W2, reg: (0.5 * reg * (np.mean(W1 * W1) + np.mean(W2 * W2)), reg * W1, reg * W2),
        "penalty does not match"),
    "l2: the gradients swapped (shapes)": (
        ex.check_l2_penalty_and_grads, lambda W1, W2, reg: (l2(W1, W2, reg)[0], reg * W2, reg * W1), "wrong shape"),
    "l2: in place": (ex.check_l2_penalty_and_grads, None, "in place"),
    "accuracy: ties counted right": (
        ex.check_accuracy_from_logits,
        lambda logits, y: float(np.mean((logits == logits.max(axis=1, keepdims=True))[np.arange(len(y)), y])),
        "tied"),
    "accuracy: argmin": (
        ex.check_accuracy_from_logits, lambda logits, y: float(np.mean(logits.argmin(axis=1) == y)), "does not match"),
    "accuracy: N written in as 5": (
        ex.check_accuracy_from_logits, lambda logits, y: float(np.sum(logits.argmax(axis=1) == y) / 5),
        "does not match"),
    "accuracy: argmax over the batch (square)": (
        ex.check_accuracy_from_logits, lambda logits, y: float(np.mean(logits.argmax(axis=0) == y)), "argmax(axis=0)"),
    "accuracy: through the softmax, argmax over the batch": (
        ex.check_accuracy_from_logits, lambda logits, y: float(np.mean(bl.softmax(logits).argmax(axis=0) == y)),
        "does not match"),
    "accuracy: a percentage": (
        ex.check_accuracy_from_logits, lambda logits, y: 100 * float(np.mean(logits.argmax(axis=1) == y)),
        "does not match"),
}


def _l2_in_place(W1, W2, reg):
    penalty = 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    W1 *= reg
    W2 *= reg
    return penalty, W1, W2


@pytest.mark.parametrize("case", list(SHAPED_WRONG))
def test_wrong_answers_on_other_shapes_fail_with_a_named_reason(case):
    check, wrong, reason = SHAPED_WRONG[case]
    result = check(wrong or _l2_in_place)
    assert not result and reason in result.message, result.message


def test_tanh_step_wrong_in_several_arrays_gets_one_summary_line(capsys):
    def tanh_gate_missing(X, y, W1, b1, W2, b2, lr, reg):  # dZ1 = dA: every array below the gate is wrong
        N = X.shape[0]
        A = np.tanh(X @ W1 + b1)
        probs = bl.softmax(A @ W2 + b2)
        loss = float(-np.log(probs[np.arange(N), y]).mean()) + 0.5 * reg * (np.sum(W1**2) + np.sum(W2**2))
        dlogits = (probs - bl.one_hot(y, W2.shape[1])) / N
        dZ1 = dlogits @ W2.T
        return (loss, W1 - lr * (X.T @ dZ1 + reg * W1), b1 - lr * dZ1.sum(axis=0),
                W2 - lr * (A.T @ dlogits + reg * W2), b2 - lr * dlogits.sum(axis=0))

    result = ex.check_tanh_training_step(tanh_gate_missing)
    out = capsys.readouterr().out
    assert not result and out.count("❌") == 1
    assert out.startswith("❌ tanh_gate_missing: wrong: W1, b1; right: loss, W2, b2")


def test_the_capstone_gets_one_summary_line_and_one_verdict(capsys):
    def no_gate(logits, y, caches):  # right for the last layer, wrong below it: many outputs wrong at once
        N = logits.shape[0]
        dZ = (bl.softmax(logits) - bl.one_hot(y, logits.shape[1])) / N
        grads = []
        for A_prev, W, _ in reversed(caches):
            grads.insert(0, (A_prev.T @ dZ, dZ.sum(axis=0)))
            dZ = dZ @ W.T
        return grads

    result = ex.check_deep_network(deep_forward, no_gate)
    out = capsys.readouterr().out
    assert not result and out.count("❌") == 1 and "✅" not in out
    assert out.startswith("❌ deep_forward + deep_backward: wrong: dW1, db1, dW2, db2; right: logits, dW3, db3")


def test_tanh_step_with_a_number_written_in_fails_the_second_case():
    for hard in ({"lr": 0.5}, {"reg": 1e-2}):
        def written_in(X, y, W1, b1, W2, b2, lr, reg, hard=hard):
            return ex._tanh_step(X, y, W1, b1, W2, b2, hard.get("lr", lr), hard.get("reg", reg))

        result = ex.check_tanh_training_step(written_in)
        assert not result and "was a number (N, lr, reg) written in?" in result.message

    def n_written_in(X, y, W1, b1, W2, b2, lr, reg):
        loss, *params = ex._tanh_step(X, y, W1, b1, W2, b2, lr, reg)
        return loss * len(y) / 30, *params

    assert not ex.check_tanh_training_step(n_written_in)
