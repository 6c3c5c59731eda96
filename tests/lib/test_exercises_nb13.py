import numpy as np
import pytest

from backprop_lib.dropout import dropout_backward
from backprop_lib.exercises import nb13 as ex
from backprop_lib.normalization import batchnorm_backward, batchnorm_backward_staged, batchnorm_eval_forward

CHECKS = [
    (ex.check_batchnorm_backward, ex.BN_MISTAKES),
    (ex.check_dropout_backward, ex.DROPOUT_MISTAKES),
    (ex.check_batchnorm_eval_forward, ex.EVAL_MISTAKES),
]


def todo(*args):
    raise NotImplementedError


@pytest.mark.parametrize("reference", [batchnorm_backward, batchnorm_backward_staged])
def test_batchnorm_check_passes_both_right_forms(reference, capsys):
    result = ex.check_batchnorm_backward(reference)
    assert result.passed and result.status == "passed"
    assert "✅" in capsys.readouterr().out


def test_dropout_and_eval_checks_pass_the_references():
    assert ex.check_dropout_backward(dropout_backward).passed
    assert ex.check_batchnorm_eval_forward(
        lambda x, g, b, m, v, eps: batchnorm_eval_forward(x, g, b, m, v, eps)[0]).passed


@pytest.mark.parametrize("check, mistakes", CHECKS, ids=["batchnorm", "dropout", "eval"])
def test_every_known_mistake_fails_with_its_own_message(check, mistakes, capsys):
    for message, wrong in mistakes.items():
        result = check(wrong)
        assert not result.passed, message
        assert message in result.message, f"expected {message!r}, got {result.message!r}"


@pytest.mark.parametrize("check", [c for c, _ in CHECKS], ids=["batchnorm", "dropout", "eval"])
def test_an_unimplemented_stub_is_todo(check, capsys):
    result = check(todo)
    assert not result.passed and result.status == "todo"


def test_the_eps_mistake_is_far_above_the_tolerance():
    """The check's inputs give one feature a tiny variance, so eps changes dx by far more than rtol."""
    x, gamma, beta, dout = ex.batchnorm_inputs()
    from backprop_lib.normalization import batchnorm_forward

    _, cache = batchnorm_forward(x, gamma, beta)
    right = batchnorm_backward(dout, cache)[0]
    wrong = ex.BN_MISTAKES[next(m for m in ex.BN_MISTAKES if "eps" in m)](dout, cache)[0]
    assert np.max(np.abs(wrong - right) / np.abs(right).max()) > 1e-3


def test_a_function_that_changes_the_cache_in_place_fails(capsys):
    def overwrite(dout, cache):
        x, xhat, mu, var, gamma, eps = cache
        dx, dgamma, dbeta = batchnorm_backward(dout, cache)
        x -= mu  # the cache's x is now centred
        return dx, dgamma, dbeta

    result = ex.check_batchnorm_backward(overwrite)
    assert not result.passed and "in place" in result.message


def test_a_new_random_mask_fails_with_the_hint(capsys):
    rng = np.random.default_rng(0)

    def fresh_mask(dout, cache):
        mask, p = cache
        return dout * (rng.random(dout.shape) >= p) / (1 - p)

    result = ex.check_dropout_backward(fresh_mask)
    assert not result.passed and "never draw a new one" in result.message
    assert "uses a new random mask" in result.message and "differ from the forward pass's mask" in result.message


@pytest.mark.parametrize("check, mistakes", CHECKS, ids=["batchnorm", "dropout", "eval"])
def test_each_check_knows_at_least_five_mistakes(check, mistakes):
    assert len(mistakes) >= 5


def test_the_wide_batch_catches_an_answer_fitted_to_the_first_case(capsys):
    def fixed_n(dout, cache):  # N written as 8, the first case's batch size
        x, xhat, mu, var, gamma, eps = cache
        dxhat = dout * gamma
        dx = (8 * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (8 * np.sqrt(var + eps))
        return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)

    result = ex.check_batchnorm_backward(fixed_n)
    assert not result.passed and "(in the case a wide batch of N = 3, D = 7)" in result.message


def test_sums_over_the_features_are_named_in_the_wide_case(capsys):
    x, gamma, beta, dout = ex.batchnorm_inputs(3, 7, 31)
    from backprop_lib.normalization import batchnorm_forward

    cache = batchnorm_forward(x, gamma, beta)[1]
    assert ex.BN_MISTAKES[next(m for m in ex.BN_MISTAKES if "wrong axis" in m)](dout, cache)[1].shape == (3,)
    for message in [m for m in ex.BN_MISTAKES if "axis 1" in m]:
        result = ex.check_batchnorm_backward(ex.BN_MISTAKES[message], quiet=True)
        assert not result.passed and message in result.message


def test_the_unbiased_variance_is_named(capsys):
    result = ex.check_batchnorm_backward(ex.BN_MISTAKES[next(m for m in ex.BN_MISTAKES if "N - 1:" in m)])
    assert not result.passed and "biased variance" in result.message


def test_a_fixed_scale_fails_in_the_second_dropout_case(capsys):
    result = ex.check_dropout_backward(lambda dout, cache: dout * cache[0] / 0.75)
    assert not result.passed and "(in the case (4, 9), p = 0.6)" in result.message


def test_the_eval_check_catches_a_batch_statistics_answer_at_n_2(capsys):
    result = ex.check_batchnorm_eval_forward(lambda x, g, b, m, v, eps: g * (x - x.mean(0)) / np.sqrt(v + eps) + b)
    assert not result.passed and "(in the case" in result.message


def test_an_unrecognised_wrong_answer_shows_the_generic_report(capsys):
    result = ex.check_batchnorm_backward(lambda dout, cache: tuple(2.5 * g for g in batchnorm_backward(dout, cache)))
    assert not result.passed
    assert "largest abs error" in result.message and "Hint:" in result.message


def test_batchnorm_backward_with_eps_written_in_fails():
    def eps_written_in(dout, cache):
        x, xhat, mu, var, gamma, eps = cache
        return batchnorm_backward(dout, (x, xhat, mu, var, gamma, 1e-5))

    result = ex.check_batchnorm_backward(eps_written_in, quiet=True)
    assert not result and "eps = 0.5" in result.message
