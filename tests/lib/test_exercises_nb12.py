import numpy as np
import pytest

from backprop_lib.exercises import nb12


def rmsprop_step(p, g, s, lr, beta, eps):
    s_new = beta * s + (1 - beta) * g**2
    return p - lr * g / (np.sqrt(s_new) + eps), s_new


def ema_of_constant(g, beta, t):
    m = np.zeros_like(g)
    for _ in range(t):
        m = beta * m + (1 - beta) * g
    return m


def adam_step(p, g, m, v, t, lr, beta1, beta2, eps):
    m_new = beta1 * m + (1 - beta1) * g
    v_new = beta2 * v + (1 - beta2) * g**2
    m_hat = m_new / (1 - beta1**t)
    v_hat = v_new / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


def todo(*args):
    raise NotImplementedError


CHECKS = {
    "rmsprop": (nb12.check_rmsprop_step, rmsprop_step, nb12.RMSPROP_MISTAKES),
    "ema": (nb12.check_ema_of_constant, ema_of_constant, nb12.EMA_MISTAKES),
    "adam": (nb12.check_adam_step, adam_step, nb12.ADAM_MISTAKES),
}


@pytest.mark.parametrize("case", list(CHECKS))
def test_the_references_pass(case):
    check, right, _ = CHECKS[case]
    result = check(right)
    assert result and result.status == "passed"


@pytest.mark.parametrize(("case", "message"), [(c, m) for c in CHECKS for m in CHECKS[c][2]])
def test_each_mistake_fails_with_its_message(case, message, capsys):
    check, _, mistakes = CHECKS[case]
    result = check(mistakes[message])
    assert not result and message in result.message and "known wrong answer" in result.message
    assert message in capsys.readouterr().out


@pytest.mark.parametrize("case", list(CHECKS))
def test_unimplemented_is_todo(case):
    assert CHECKS[case][0](todo).status == "todo"


def test_each_check_knows_at_least_five_mistakes():
    assert all(len(mistakes) >= 5 for _, _, mistakes in CHECKS.values())


def test_the_closed_form_passes_the_ema_check():
    assert nb12.check_ema_of_constant(lambda g, beta, t: g * (1 - beta**t))


def test_returning_the_corrected_moments_is_named_in_the_adam_check():
    def corrected(p, g, m, v, t, lr, beta1, beta2, eps):
        m_new = beta1 * m + (1 - beta1) * g
        v_new = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m_new / (1 - beta1**t), v_new / (1 - beta2**t)
        return p - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat

    result = nb12.check_adam_step(corrected)
    assert not result and "returns the corrected moments" in result.message


def test_rmsprop_mistakes_caught_by_name_in_their_own_words():
    def no_sqrt(p, g, s, lr, beta, eps):
        s = beta * s + (1 - beta) * g * g
        return p - lr * g / (s + eps), s

    def eps_inside(p, g, s, lr, beta, eps):
        s = beta * s + (1 - beta) * g * g
        return p - lr * g / np.sqrt(s + eps), s

    def not_squared(p, g, s, lr, beta, eps):
        s = beta * s + (1 - beta) * g
        return p - lr * g / (np.sqrt(s) + eps), s

    for wrong, words in ((no_sqrt, "square root is missing"), (eps_inside, "eps is inside"),
                         (not_squared, "not squared")):
        result = nb12.check_rmsprop_step(wrong)
        assert not result and words in result.message, wrong.__name__


def test_hyperparameters_hard_coded_from_the_first_case_fail_on_the_chained_steps():
    def fitted(p, g, s, lr, beta, eps):
        return rmsprop_step(p, g, s, 0.1, 0.9, 1e-2)  # the first case's values, whatever is passed

    result = nb12.check_rmsprop_step(fitted)
    assert not result and "five steps" in result.message

    def adam_fitted(p, g, m, v, t, lr, beta1, beta2, eps):
        return adam_step(p, g, m, v, 3, lr, beta1, beta2, eps)  # t fixed at the first case's 3

    result = nb12.check_adam_step(adam_fitted)
    assert not result and "four steps" in result.message


def test_in_place_updates_are_caught():
    def adam_in_place(p, g, m, v, t, lr, beta1, beta2, eps):
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g**2
        p -= lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        return p, m, v

    result = nb12.check_adam_step(adam_in_place)
    assert not result and "in place" in result.message

    def rmsprop_in_place(p, g, s, lr, beta, eps):
        s *= beta
        s += (1 - beta) * g * g
        return p - lr * g / (np.sqrt(s) + eps), s

    result = nb12.check_rmsprop_step(rmsprop_in_place)
    assert not result and "in place" in result.message


def test_a_missing_return_value_is_named():
    result = nb12.check_rmsprop_step(lambda p, g, s, lr, beta, eps: rmsprop_step(p, g, s, lr, beta, eps)[0])
    assert not result and "2 values" in result.message
    result = nb12.check_adam_step(lambda *args: list(adam_step(*args)))
    assert not result and "list" in result.message


def test_the_mistakes_really_differ_from_the_reference():
    rng, p, g = nb12._inputs(5)
    m, v = 0.05 * rng.standard_normal(p.shape), 0.01 * rng.random(p.shape) ** 2
    want = adam_step(p, g, m, v, 3, 0.1, 0.9, 0.99, 1e-3)
    for message, wrong in nb12.ADAM_MISTAKES.items():
        got = wrong(p, g, m, v, 3, 0.1, 0.9, 0.99, 1e-3)
        assert not all(np.allclose(a, b, rtol=1e-6, atol=1e-9) for a, b in zip(got, want)), message
    s = np.abs(g) + 0.1
    want = rmsprop_step(p, g, s, 0.1, 0.9, 1e-2)
    for message, wrong in nb12.RMSPROP_MISTAKES.items():
        got = wrong(p, g, s, 0.1, 0.9, 1e-2)
        assert not all(np.allclose(a, b, rtol=1e-6, atol=1e-9) for a, b in zip(got, want)), message
