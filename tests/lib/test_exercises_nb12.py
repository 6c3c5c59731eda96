import numpy as np
import pytest

from backprop_lib.exercises import nb12


def momentum_step(p, g, v, lr, mu):
    v_new = mu * v - lr * g
    return p + v_new, v_new


def adam_step(p, g, m, v, t, lr, beta1, beta2, eps):
    m_new = beta1 * m + (1 - beta1) * g
    v_new = beta2 * v + (1 - beta2) * g**2
    m_hat = m_new / (1 - beta1**t)
    v_hat = v_new / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


def todo(*args):
    raise NotImplementedError


def test_the_references_pass():
    assert nb12.check_momentum_step(momentum_step)
    assert nb12.check_adam_step(adam_step)


@pytest.mark.parametrize("message", list(nb12.MOMENTUM_MISTAKES))
def test_each_momentum_mistake_fails_with_its_message(message, capsys):
    result = nb12.check_momentum_step(nb12.MOMENTUM_MISTAKES[message])
    assert not result and message in result.message
    assert message in capsys.readouterr().out


@pytest.mark.parametrize("message", list(nb12.ADAM_MISTAKES))
def test_each_adam_mistake_fails_with_its_message(message):
    result = nb12.check_adam_step(nb12.ADAM_MISTAKES[message])
    assert not result and message in result.message


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


def test_a_missing_return_value_is_named():
    result = nb12.check_momentum_step(lambda p, g, v, lr, mu: momentum_step(p, g, v, lr, mu)[0])
    assert not result and "2 values" in result.message


def test_unimplemented_is_todo():
    assert nb12.check_momentum_step(todo).status == "todo"
    assert nb12.check_adam_step(todo).status == "todo"


def test_the_mistakes_really_differ_from_the_reference():
    rng, p, g = nb12._inputs(5)
    m, v = 0.05 * rng.standard_normal(p.shape), 0.01 * rng.random(p.shape) ** 2
    want = adam_step(p, g, m, v, 3, 0.1, 0.9, 0.99, 1e-3)
    for message, wrong in nb12.ADAM_MISTAKES.items():
        got = wrong(p, g, m, v, 3, 0.1, 0.9, 0.99, 1e-3)
        assert not all(np.allclose(a, b, rtol=1e-6, atol=1e-9) for a, b in zip(got, want)), message
