"""The checks of notebook 02 pass the reference, name every common wrong answer and say "todo"
for a stub."""

import numpy as np
import pytest

from backprop_lib.exercises import nb02 as ex


def stub(*args):
    raise NotImplementedError


def dense_backward_loop(dout, cache):
    X, W = cache
    N, D = X.shape
    H = W.shape[1]
    dX, dW, db = np.zeros((N, D)), np.zeros((D, H)), np.zeros(H)
    for n in range(N):
        for h in range(H):
            db[h] += dout[n, h]
            for d in range(D):
                dX[n, d] += dout[n, h] * W[d, h]
                dW[d, h] += X[n, d] * dout[n, h]
    return dX, dW, db


def dense_backward(dout, cache):
    X, W = cache
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)


def test_the_references_pass_and_a_stub_is_todo():
    assert ex.check_dense_backward_loop(dense_backward_loop)
    assert ex.check_dense_backward(dense_backward)
    assert ex.check_dense_backward_loop(stub).status == "todo"
    assert ex.check_dense_backward(stub).status == "todo"


@pytest.mark.parametrize("check", [ex.check_dense_backward_loop, ex.check_dense_backward])
@pytest.mark.parametrize("message", list(ex.SHARED_MISTAKES))
def test_each_mistake_is_named(check, message):
    result = check(ex.SHARED_MISTAKES[message])
    assert not result and message in result.message, result.message


def test_a_loop_that_overwrites_instead_of_adding_is_named():
    def overwrites(dout, cache):
        X, W = cache
        N, D = X.shape
        H = W.shape[1]
        dX, dW, db = np.zeros((N, D)), np.zeros((D, H)), np.zeros(H)
        for n in range(N):
            for h in range(H):
                db[h] = dout[n, h]
                for d in range(D):
                    dX[n, d] += dout[n, h] * W[d, h]
                    dW[d, h] = X[n, d] * dout[n, h]
        return dX, dW, db
    result = ex.check_dense_backward_loop(overwrites)
    assert not result and "only the last sample" in result.message


def test_a_transposed_dW_is_reported():
    result = ex.check_dense_backward(lambda dout, cache: (dout @ cache[1].T, dout.T @ cache[0], dout.sum(axis=0)))
    assert not result and "transposed" in result.message


def test_a_list_and_a_cache_changed_in_place_are_caught():
    result = ex.check_dense_backward(lambda dout, cache: list(dense_backward(dout, cache)))
    assert not result and "tuple" in result.message

    def in_place(dout, cache):
        out = dense_backward(dout, cache)
        cache[0][0, 0] = 99.0
        return out
    result = ex.check_dense_backward(in_place)
    assert not result and "in place" in result.message


def columns(dout_c, Xc, Wc):
    return Wc.T @ dout_c, dout_c @ Xc.T, dout_c.sum(axis=1)


def test_columns():
    assert ex.check_dense_backward_columns(columns)
    assert ex.check_dense_backward_columns(stub).status == "todo"


@pytest.mark.parametrize("message", list(ex.COLUMNS_MISTAKES))
def test_columns_mistakes_are_named(message):
    result = ex.check_dense_backward_columns(ex.COLUMNS_MISTAKES[message])
    assert not result and message in result.message, result.message


def _grads(dX=lambda d, X, W: d @ W.T, dW=lambda d, X, W: X.T @ d, db=lambda d, X, W: d.sum(axis=0)):
    def wrong(dout, cache):
        X, W = cache
        return dX(dout, X, W), dW(dout, X, W), db(dout, X, W)
    return wrong


@pytest.mark.parametrize("check", [ex.check_dense_backward_loop, ex.check_dense_backward])
@pytest.mark.parametrize("wrong, reason", [
    (_grads(dW=lambda d, X, W: X.T @ d / len(d)), "It is N = 3 times too small: it is divided by N"),
    (_grads(db=lambda d, X, W: d.mean(axis=0)), "db: It is N = 3 times too small"),
    (_grads(dW=lambda d, X, W: len(d) * X.T @ d), "It is N = 3 times too large"),
    (_grads(dW=lambda d, X, W: 2 * X.T @ d), "a factor 2 is off (nothing in a dense layer's backward pass doubles"),
    (_grads(dX=lambda d, X, W: -d @ W.T), "dX: It has the right size but the wrong sign"),
    (_grads(db=lambda d, X, W: d.sum(axis=0, keepdims=True)), "db has the wrong shape"),
    (_grads(dW=lambda d, X, W: X.T @ np.maximum(d, 0)), "wrong: dW; right: dX, db"),
])
def test_wrong_answers_fail_with_their_reason(check, wrong, reason, capsys):
    result = check(wrong)
    assert not result and reason in result.message, result.message
    assert "square" not in result.message and "L2" not in result.message
    out = capsys.readouterr().out
    assert out.count("❌") == 1 and "✅" not in out


def test_wrong_only_for_a_single_sample_fails():
    def breaks_on_one_sample(dout, cache):
        X, W = cache
        return dout @ W.T, X.T @ dout, dout.sum(axis=0) if len(dout) > 1 else dout[0] * 0

    result = ex.check_dense_backward(breaks_on_one_sample)
    assert not result and "wrong: db; right: dX, dW" in result.message


@pytest.mark.parametrize("wrong, reason", [
    (lambda d, Xc, Wc: (Wc.T @ d, d @ Xc.T / d.shape[1], d.sum(axis=1)), "It is N = 6 times too small"),
    (lambda d, Xc, Wc: (Wc.T @ d, d @ Xc.T, d.sum(axis=0)), "dbc sums over the wrong axis"),
    (lambda d, Xc, Wc: (Wc.T @ d, Xc @ d.T, d.sum(axis=1)), "dWc is transposed"),
    (lambda d, Xc, Wc: (d.T @ Wc, d @ Xc.T, d.sum(axis=1)), "dXc is transposed"),
    (lambda d, Xc, Wc: (Wc.T @ d, 2 * d @ Xc.T, d.sum(axis=1)), "a factor 2 is off"),
    (lambda d, Xc, Wc: (Wc.T @ d, d @ Xc.T, d.sum(axis=1, keepdims=True)), "dbc has the wrong shape"),
])
def test_columns_wrong_answers_fail_with_their_reason(wrong, reason):
    result = ex.check_dense_backward_columns(wrong)
    assert not result and reason in result.message, result.message
