import numpy as np
import pytest

from backprop_lib.exercises import nb11
from backprop_lib.init import deep_stack, init_weights, layer_stds


def he_init(D, H, rng):
    return rng.normal(0.0, np.sqrt(2 / D), size=(D, H))  # another correct way to draw the same numbers


def stack_statistics(X, weights, activation, dout):
    """Written out the way a learner would, independently of the library."""
    hs, zs, h = [], [], X
    for W in weights:
        z = h @ W
        h = np.tanh(z) if activation == "tanh" else np.maximum(z, 0)
        zs.append(z)
        hs.append(h)
    dh, grads = dout, [dout]
    for layer in range(len(weights) - 1, 0, -1):
        deriv = 1 - hs[layer] ** 2 if activation == "tanh" else (zs[layer] > 0)
        dh = (dh * deriv) @ weights[layer].T
        grads.append(dh)
    return np.array([a.std() for a in hs]), np.array([g.std() for g in grads[::-1]])


def todo(*args):
    raise NotImplementedError


def test_the_references_pass():
    assert nb11.check_he_init(he_init)
    assert nb11.check_stack_statistics(stack_statistics)


def test_the_library_he_scheme_passes():
    assert nb11.check_he_init(lambda D, H, rng: init_weights(D, H, "he", rng))


@pytest.mark.parametrize("message", list(nb11.HE_MISTAKES))
def test_each_he_mistake_fails_with_its_message(message, capsys):
    result = nb11.check_he_init(nb11.HE_MISTAKES[message])
    assert not result and message in result.message
    assert message in capsys.readouterr().out


@pytest.mark.parametrize("message", list(nb11.STACK_MISTAKES))
def test_each_stack_mistake_fails_with_its_message(message):
    result = nb11.check_stack_statistics(nb11.STACK_MISTAKES[message])
    assert not result and message in result.message


def test_a_relu_only_mistake_is_caught_on_the_relu_run():
    def relu_gate_wrong(X, weights, activation, dout):
        a, g = stack_statistics(X, weights, activation, dout)
        return (a, g * 1.5) if activation == "relu" else (a, g)

    result = nb11.check_stack_statistics(relu_gate_wrong)
    assert not result and "'relu'" in result.message


def test_unimplemented_is_todo():
    assert nb11.check_he_init(todo).status == "todo"
    assert nb11.check_stack_statistics(todo).status == "todo"


def test_a_wrong_shape_is_named():
    result = nb11.check_he_init(lambda D, H, rng: rng.standard_normal((H, D)) * np.sqrt(2 / D))
    assert not result and "shape" in result.message


def test_the_mistakes_really_differ_from_the_reference():
    """A mistake equal to the reference would make its test pass for the wrong reason."""
    X, weights, dout = nb11._stack_inputs(1)
    want = stack_statistics(X, weights, "tanh", dout)
    for message, wrong in nb11.STACK_MISTAKES.items():
        got = wrong(X, weights, "tanh", dout)
        assert not all(np.allclose(a, b) for a, b in zip(got, want)), message
    for message, wrong in nb11.HE_MISTAKES.items():
        assert not np.allclose(wrong(300, 40, np.random.default_rng(1)), he_init(300, 40, np.random.default_rng(1))), message


def test_deep_stack_agrees_with_the_learner_version():
    X, weights, dout = nb11._stack_inputs(2)
    a, g = deep_stack(X, weights, "relu", dout)
    np.testing.assert_allclose((layer_stds(a), layer_stds(g)), stack_statistics(X, weights, "relu", dout), rtol=1e-12)
