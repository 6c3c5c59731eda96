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
