"""Notebook 05's checks: the right answer passes, each common wrong answer fails and is named."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import backprop_lib as bl
from backprop_lib.exercises import nb05 as ex


def todo(*args):
    raise NotImplementedError


def sparse_ce(probs, y):
    return float(-np.log(probs[np.arange(len(y)), y]).mean())


def per_sample(logits, y):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(y)), y]


def fused(probs, y):
    d = probs.copy()
    d[np.arange(len(y)), y] -= 1
    return d / len(y)


def sigmoid_bce(logits, targets):
    loss = np.mean(targets * np.logaddexp(0, -logits) + (1 - targets) * np.logaddexp(0, logits))
    return float(loss), (bl.activations.sigmoid(logits) - targets) / len(logits)


CASES = [
    (ex.check_sparse_cross_entropy, sparse_ce, ex.SPARSE_CE_MISTAKES),
    (ex.check_cross_entropy_per_sample, per_sample, ex.PER_SAMPLE_MISTAKES),
    (ex.check_fused_gradient, fused, ex.FUSED_MISTAKES),
    (ex.check_sigmoid_bce, sigmoid_bce, ex.SIGMOID_BCE_MISTAKES),
]


@pytest.mark.parametrize("check, solution, mistakes", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_the_solution_passes_and_a_stub_is_todo(check, solution, mistakes, capsys):
    assert check(solution)
    assert "✅" in capsys.readouterr().out
    result = check(todo)
    assert not result and result.status == "todo"


@pytest.mark.parametrize("check, mistake, message", [(check, mistakes[m], m) for check, _, mistakes in CASES
                                                      for m in mistakes], ids=lambda x: getattr(x, "__name__", str(x)[:40]))
def test_each_mistake_is_named(check, mistake, message):
    with np.errstate(all="ignore"):
        result = check(mistake)
    assert not result and message in result.message


def test_fused_gradient_in_place_is_caught():
    def in_place(probs, y):
        probs[np.arange(len(y)), y] -= 1
        probs /= len(y)
        return probs

    assert "in place" in ex.check_fused_gradient(in_place).message


def test_sigmoid_bce_names_a_division_by_p_and_an_overflowing_loss():
    def unsimplified(logits, targets):
        p = bl.activations.sigmoid(logits)
        dp = -(targets / p - (1 - targets) / (1 - p)) / len(logits)
        return sigmoid_bce(logits, targets)[0], dp * p * (1 - p)  # right on paper, NaN where p is 0 or 1

    def naive_loss(logits, targets):
        p = 1 / (1 + np.exp(-logits))
        loss = -np.mean(targets * np.log(p) + (1 - targets) * np.log(1 - p))
        return float(loss), (p - targets) / len(logits)

    with np.errstate(all="ignore"):
        assert "divides by p" in ex.check_sigmoid_bce(unsimplified).message
        assert "the loss is inf or NaN" in ex.check_sigmoid_bce(naive_loss).message


@pytest.mark.parametrize("N", [1, 4, 9])
def test_sigmoid_bce_reference_agrees_with_autograd_and_the_library(N):
    rng = np.random.default_rng(N)
    z, t = 3 * rng.standard_normal(N), rng.integers(0, 2, size=N).astype(float)

    def loss(z):
        p = 1 / (1 + anp.exp(-z))
        return -anp.mean(t * anp.log(p) + (1 - t) * anp.log(1 - p))

    got_loss, got_grad = ex.sigmoid_bce_reference(z, t)
    assert got_loss == pytest.approx(float(loss(z)), rel=1e-12)
    assert bl.rel_error(got_grad, grad(loss)(z)) < 1e-10
    p = bl.activations.sigmoid(z)[:, None]  # the library's losses take (N, C): here C = 1
    composed = bl.activations.sigmoid_backward(bl.losses.binary_cross_entropy_backward(p, t[:, None]), p)[:, 0]
    assert bl.rel_error(got_grad, composed) < 1e-10
    assert ex.sigmoid_bce_reference(np.array([800.0, -800.0]), np.array([0.0, 1.0]))[0] == pytest.approx(800.0)


def _pick(probs, y):
    return probs[np.arange(len(y)), y]


# Wrong answers that a plain random square batch might let through: wide rows, ties, one sample,
# probabilities that underflowed. Each must fail, and the message must name the mistake.
SHAPED_WRONG = {
    "sparse: labels of the argmax (ties)": (
        ex.check_sparse_cross_entropy, lambda probs, y: float(-np.log(probs.max(axis=1)).mean()), "argmax"),
    "sparse: divides by C (non-square)": (
        ex.check_sparse_cross_entropy, lambda probs, y: float(-np.log(_pick(probs, y)).sum() / probs.shape[1]),
        "number of classes C"),
    "sparse: an array, not a float": (
        ex.check_sparse_cross_entropy, lambda probs, y: -np.log(_pick(probs, y)), "wrong shape"),
    "sparse: the (N, N) matrix (wide rows)": (
        ex.check_sparse_cross_entropy, lambda probs, y: float(-np.log(probs[:, y]).mean()), "(N, N) matrix"),
    "sparse: the sum (batch of 1 hides it)": (
        ex.check_sparse_cross_entropy, lambda probs, y: float(-np.log(_pick(probs, y)).sum()), "divide by N"),
    "per sample: clipped (gap of 800)": (
        ex.check_cross_entropy_per_sample, lambda z, y: ex._clipped(z, y), "clipped probabilities"),
    "per sample: no shift (overflow at 800)": (
        ex.check_cross_entropy_per_sample,
        lambda z, y: -(z - np.log(np.exp(z).sum(axis=1, keepdims=True)))[np.arange(len(y)), y], "inf"),
    "per sample: the batch mean": (
        ex.check_cross_entropy_per_sample, lambda z, y: float(per_sample(z, y).mean()), "shape (N,)"),
    "per sample: axis 0 (wide rows)": (ex.check_cross_entropy_per_sample, ex._lse_of_wrong_axis, "axis=0"),
    "per sample: max only inside (ties)": (ex.check_cross_entropy_per_sample, ex._max_only_inside, "row maximum m"),
    "fused: divides by C (wide rows)": (
        ex.check_fused_gradient, lambda probs, y: (probs - bl.one_hot(y, probs.shape[1])) / probs.shape[1],
        "number of classes C"),
    "fused: argmax instead of y": (
        ex.check_fused_gradient, lambda probs, y: (probs - bl.one_hot(probs.argmax(axis=1), probs.shape[1])) / len(y),
        "predicted class"),
    "fused: two passes by hand (s_y = 0)": (
        ex.check_fused_gradient,
        lambda probs, y: bl.softmax_backward_loop(-bl.one_hot(y, probs.shape[1]) / probs / len(y), probs),
        "exactly 0"),
    "fused: the library's two passes (s_y = 0 refused)": (
        ex.check_fused_gradient,
        lambda probs, y: bl.softmax_backward(-bl.one_hot(y, probs.shape[1]) / probs / len(y), probs), "exactly 0"),
    "fused: in place": (ex.check_fused_gradient, None, "in place"),
    "fused: no 1/N (one sample passes it)": (
        ex.check_fused_gradient, lambda probs, y: probs - bl.one_hot(y, probs.shape[1]), "1/N is missing"),
}


def _in_place(probs, y):
    probs[np.arange(len(y)), y] -= 1
    probs /= len(y)
    return probs


@pytest.mark.parametrize("case", list(SHAPED_WRONG))
def test_wrong_answers_on_other_shapes_fail_with_a_named_reason(case):
    check, wrong, reason = SHAPED_WRONG[case]
    with np.errstate(all="ignore"):
        result = check(wrong or _in_place)
    assert not result and result.status == "failed"
    assert reason in result.message, result.message


def test_each_check_has_five_named_mistakes():
    for _, _, mistakes in CASES:
        assert len(mistakes) >= 5


def test_one_hot_after_the_log_fails_on_a_zero_probability():
    def onehot_after_log(probs, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(-(np.eye(probs.shape[1])[y] * np.log(probs)).sum(axis=1).mean())

    result = ex.check_sparse_cross_entropy(onehot_after_log)
    assert not result and "NaN" in result.message
