import numpy as np
import pytest

from backprop_lib.exercises import nb11


def leaky_he_std(D, a):
    return (2.0 / (D * (1.0 + a * a))) ** 0.5  # written another way


def leaky_stack_spreads(X, weights, a, dout):
    """Written out the way a learner would, independently of the checker's reference."""
    hs, zs, h = [], [], X
    for W in weights:
        z = h @ W
        h = np.maximum(z, 0) + a * np.minimum(z, 0)
        zs.append(z)
        hs.append(h)
    dh, grads = dout, [np.std(dout)]
    for layer in range(len(weights) - 1, 0, -1):
        dz = dh * np.where(zs[layer] > 0, 1.0, a)
        dh = dz @ weights[layer].T
        grads.append(np.std(dh))
    return np.array([v.std() for v in hs]), np.array(grads[::-1])


def todo(*args):
    raise NotImplementedError


def test_the_references_pass():
    assert nb11.check_leaky_he_std(leaky_he_std)
    assert nb11.check_leaky_stack_spreads(leaky_stack_spreads)


def test_a_numpy_answer_passes():
    assert nb11.check_leaky_he_std(lambda D, a: np.sqrt(2 / ((1 + a**2) * D)))


@pytest.mark.parametrize("message", list(nb11.LEAKY_HE_MISTAKES))
def test_each_leaky_he_mistake_fails_with_its_message(message, capsys):
    result = nb11.check_leaky_he_std(nb11.LEAKY_HE_MISTAKES[message])
    assert not result and message in result.message and "known wrong answer" in result.message
    assert message in capsys.readouterr().out


def test_an_answer_right_only_for_relu_fails():
    # right at a = 0 (He's scale) and wrong elsewhere: the check must try a non-zero slope
    result = nb11.check_leaky_he_std(lambda D, a: np.sqrt(2 / D) * (1 - a))
    assert not result and "a=0.2" in result.message


def test_an_answer_fitted_to_one_fan_in_fails():
    result = nb11.check_leaky_he_std(lambda D, a: np.sqrt(2 / ((1 + a**2) * 300)))
    assert not result and "D=40" in result.message


@pytest.mark.parametrize("message", list(nb11.STACK_MISTAKES))
def test_each_stack_mistake_fails_with_its_message(message):
    result = nb11.check_leaky_stack_spreads(nb11.STACK_MISTAKES[message])
    assert not result and message in result.message and "known wrong answer" in result.message


def test_w_instead_of_w_transposed_fails_on_the_non_square_stack():
    def w_not_wt(X, weights, a, dout):
        hs, zs, h = [], [], X
        for W in weights:
            zs.append(h @ W)
            h = np.where(zs[-1] > 0, zs[-1], a * zs[-1])
            hs.append(h)
        dh, grads = dout, [np.std(dout)]
        for layer in range(len(weights) - 1, 0, -1):
            dh = (dh * np.where(zs[layer] > 0, 1.0, a)) @ weights[layer]
            grads.append(np.std(dh))
        return np.array([v.std() for v in hs]), np.array(grads[::-1])

    result = nb11.check_leaky_stack_spreads(w_not_wt)
    assert not result and "raised ValueError" in result.message


def test_a_mistake_that_shows_only_at_the_second_slope_is_caught_there():
    def wrong_for_large_a(X, weights, a, dout):
        act, grad = leaky_stack_spreads(X, weights, a, dout)
        return (act, grad * 1.5) if a > 0.2 else (act, grad)

    result = nb11.check_leaky_stack_spreads(wrong_for_large_a)
    assert not result and "a=0.3" in result.message


def test_in_place_changes_are_caught():
    def in_place(X, weights, a, dout):
        out = leaky_stack_spreads(X, weights, a, dout)
        dout *= 2
        return out

    result = nb11.check_leaky_stack_spreads(in_place)
    assert not result and "in place" in result.message


def test_unimplemented_is_todo():
    assert nb11.check_leaky_he_std(todo).status == "todo"
    assert nb11.check_leaky_stack_spreads(todo).status == "todo"


def test_the_mistakes_really_differ_from_the_reference():
    """A mistake equal to the reference would make its test pass for the wrong reason."""
    X, weights, dout = nb11._stack_inputs(1)
    want = leaky_stack_spreads(X, weights, 0.1, dout)
    for message, wrong in nb11.STACK_MISTAKES.items():
        got = wrong(X, weights, 0.1, dout)
        assert not all(a.shape == b.shape and np.allclose(a, b) for a, b in zip(got, want)), message
    for message, wrong in nb11.LEAKY_HE_MISTAKES.items():
        assert not np.isclose(wrong(300, 0.2), leaky_he_std(300, 0.2)), message


def test_the_stack_is_not_square():
    X, weights, dout = nb11._stack_inputs(1)
    assert any(W.shape[0] != W.shape[1] for W in weights) and X.shape[1] != dout.shape[1]
