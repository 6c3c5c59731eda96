"""Notebook 04's checks: the right answer passes, each common wrong answer fails and is named."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import backprop_lib as bl
from backprop_lib.exercises import nb04 as ex


def todo(*args):
    raise NotImplementedError


def solution_softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def test_stable_softmax(capsys):
    assert ex.check_stable_softmax(solution_softmax)
    assert "✅" in capsys.readouterr().out
    assert ex.check_stable_softmax(todo).status == "todo"


@pytest.mark.parametrize("message", list(ex.STABLE_SOFTMAX_MISTAKES))
def test_stable_softmax_names_each_mistake(message):
    result = ex.check_stable_softmax(ex.STABLE_SOFTMAX_MISTAKES[message])
    assert not result and message in result.message


def test_stable_softmax_names_the_overflow_mistakes():
    def naive(logits):
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def global_max(logits):
        e = np.exp(logits - logits.max())
        return e / e.sum(axis=1, keepdims=True)

    with np.errstate(all="ignore"):
        assert "overflows" in ex.check_stable_softmax(naive).message
        assert "one maximum for the whole batch" in ex.check_stable_softmax(global_max).message


def test_stable_softmax_in_place_is_caught():
    def in_place(logits):
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return logits

    assert "in place" in ex.check_stable_softmax(in_place).message


def test_jacobian_row():
    assert ex.check_softmax_jacobian_row(lambda s: np.diag(s) - np.outer(s, s))
    assert ex.check_softmax_jacobian_row(todo).status == "todo"


@pytest.mark.parametrize("message", list(ex.JACOBIAN_ROW_MISTAKES))
def test_jacobian_row_names_each_mistake(message):
    result = ex.check_softmax_jacobian_row(ex.JACOBIAN_ROW_MISTAKES[message])
    assert not result and message in result.message


def solution_softmax_vjp(dout, probs):
    sg = (dout * probs).sum(axis=1, keepdims=True)
    return probs * (dout - sg)


def solution_log_softmax_vjp(dout, probs):
    total = dout.sum(axis=1, keepdims=True)
    return dout - probs * total


@pytest.mark.parametrize("shape", [(1, 2), (4, 4), (6, 5), (3, 7)])
def test_the_vjp_references_agree_with_autograd(shape):
    rng = np.random.default_rng(sum(shape))
    logits, dout = rng.standard_normal(shape), rng.standard_normal(shape)

    def softmax(z):
        e = anp.exp(z - anp.max(z, axis=1, keepdims=True))
        return e / anp.sum(e, axis=1, keepdims=True)

    def log_softmax(z):
        shifted = z - anp.max(z, axis=1, keepdims=True)
        return shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))

    probs = bl.softmax(logits)
    for f, reference in [(softmax, ex.softmax_vjp_reference), (log_softmax, ex.log_softmax_vjp_reference)]:
        want = grad(lambda z, f=f: anp.sum(f(z) * dout))(logits)
        assert bl.rel_error(reference(dout, probs), want) < 1e-12


def test_softmax_vjps_pass_and_todo(capsys):
    result = ex.check_softmax_vjps(solution_softmax_vjp, solution_log_softmax_vjp)
    assert result and capsys.readouterr().out.count("✅") == 2
    assert ex.check_softmax_vjps(todo, todo).status == "todo"
    half = ex.check_softmax_vjps(solution_softmax_vjp, todo)
    assert not half and half.status == "todo" and "✅" in half.message


@pytest.mark.parametrize("message", list(ex.SOFTMAX_VJP_MISTAKES))
def test_softmax_vjp_names_each_mistake(message):
    result = ex.check_softmax_vjps(ex.SOFTMAX_VJP_MISTAKES[message], solution_log_softmax_vjp)
    assert not result and message in result.message


@pytest.mark.parametrize("message", list(ex.LOG_SOFTMAX_VJP_MISTAKES))
def test_log_softmax_vjp_names_each_mistake(message):
    result = ex.check_softmax_vjps(solution_softmax_vjp, ex.LOG_SOFTMAX_VJP_MISTAKES[message])
    assert not result and message in result.message


def test_the_required_softmax_mistakes_are_named():
    text = " ".join(ex.SOFTMAX_VJP_MISTAKES)
    for words in ["treats the Jacobian as diagonal, s*(1-s)*g", "keepdims missing", "wrong axis", "sign is flipped"]:
        assert words in text
    diagonal = next(m for m in ex.SOFTMAX_VJP_MISTAKES if "diagonal" in m)
    assert "keepdims" not in diagonal  # the diagonal mistake's message is about the Jacobian only


def test_the_messages_name_different_wrong_answers():
    """No two mistakes compute the same thing on the check's inputs, so each message is reachable."""
    dout, probs = ex._vjp_inputs(4, (4, 4))
    for mistakes, reference in [(ex.SOFTMAX_VJP_MISTAKES, ex.softmax_vjp_reference),
                                (ex.LOG_SOFTMAX_VJP_MISTAKES, ex.log_softmax_vjp_reference)]:
        outs = [fn(dout, probs) for fn in mistakes.values()] + [reference(dout, probs)]
        for i in range(len(outs)):
            for j in range(i + 1, len(outs)):
                assert not np.allclose(outs[i], outs[j])


@pytest.mark.parametrize("message", list(ex.OVERFLOW_MISTAKES))
def test_stable_softmax_names_each_overflow_mistake(message):
    with np.errstate(all="ignore"):
        result = ex.check_stable_softmax(ex.OVERFLOW_MISTAKES[message])
    assert not result and message in result.message


def test_shifting_only_the_numerator_is_not_called_right():
    def numerator_only(logits):
        return np.exp(logits - logits.max(axis=1, keepdims=True)) / np.exp(logits).sum(axis=1, keepdims=True)

    with np.errstate(all="ignore"):
        message = ex.check_stable_softmax(numerator_only).message
    assert "only the numerator" in message and "[0, 0, 0]" in message and "is right" not in message


def test_shifting_by_the_row_mean_fails_on_a_wide_spread():
    def by_mean(logits):
        e = np.exp(logits - logits.mean(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    with np.errstate(all="ignore"):
        result = ex.check_stable_softmax(by_mean)
    assert not result and "mean" in result.message and "[0, 0, 2000]" in result.message

    def by_min(logits):
        e = np.exp(logits - logits.min(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    with np.errstate(all="ignore"):
        assert "minimum" in ex.check_stable_softmax(by_min).message


def test_another_non_finite_answer_is_named_by_its_rows():
    def shift_by_first(logits):  # right on the first rows, overflows on [0, 0, 2000]
        e = np.exp(logits - logits[:, :1])
        return e / e.sum(axis=1, keepdims=True)

    with np.errstate(all="ignore"):
        result = ex.check_stable_softmax(shift_by_first)
    assert not result and "[0, 0, 2000]" in result.message


def test_jacobian_row_wrong_answers_on_ties_and_saturated_rows():
    def in_place(s):
        J = np.diag(s) - np.outer(s, s)
        s *= 0
        return J

    def loops_with_a_typo(s):  # j and i swapped in the delta: still the right answer, a control
        return np.array([[s[i] * ((i == j) - s[j]) for j in range(len(s))] for i in range(len(s))])

    assert ex.check_softmax_jacobian_row(loops_with_a_typo)
    wrong = {
        "only the diagonal": lambda s: np.diag(s * (1 - s)),
        "delta_ij term is missing": lambda s: -np.outer(s, s),
        "softmax again": lambda s: bl.softmax_jacobian(bl.softmax(s[None, :])[0]),
        "wrong shape": lambda s: s * (1 - s),
        "sign is flipped": lambda s: np.outer(s, s) - np.diag(s),
        "in place": in_place,
    }
    for reason, fn in wrong.items():
        result = ex.check_softmax_jacobian_row(fn)
        assert not result and reason in result.message.lower().replace("put through softmax", "softmax"), reason


def test_softmax_vjps_wrong_on_wide_and_single_rows():
    def per_batch_scalar(dout, probs):  # one number for the whole batch instead of one per sample
        return probs * (dout - (dout * probs).sum())

    def hard_coded_three(dout, probs):  # a loop over three classes written in
        out = np.zeros_like(dout)
        for i in range(3):
            out[:, i] = probs[:, i] * (dout[:, i] - (dout * probs)[:, :3].sum(axis=1))
        return out

    for fn in [per_batch_scalar, hard_coded_three]:
        result = ex.check_softmax_vjps(fn, solution_log_softmax_vjp)
        assert not result and "❌ softmax_backward_closed" in result.message or "does not match" in result.message


def test_softmax_vjps_one_verdict_when_one_is_wrong(capsys):
    result = ex.check_softmax_vjps(solution_softmax_vjp, lambda dout, probs: dout * (1 - probs))
    out = capsys.readouterr().out
    assert not result and "✅" not in out and out.count("❌") == 1
    assert out.startswith("❌ wrong: <lambda>; right: solution_softmax_vjp.")
    assert "Only the diagonal 1 - s_i" in out
