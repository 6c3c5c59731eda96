
import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.gradcheck import numerical_gradient_array, rel_error
from backprop_lib.widgets.activations import (
    PAIRS,
    deep_backward,
    deep_forward,
    gradient_summary_html,
    layer_gradient_norms,
    stack_statistics,
)

PNG = b"\x89PNG"


def stack_with_classes(depth, activation, init, width, n_samples, seed):
    """The same experiment written with the library's layer objects."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, width))
    layers = []
    for _ in range(depth):
        layers += [bl.Dense(width, width, init=init, rng=rng), bl.activations.get_activation(activation)]
    dout = rng.standard_normal((n_samples, width))
    h = X
    for layer in layers:
        h = layer.forward(h)
    for layer in reversed(layers):
        dout = layer.backward(dout)
    return X, layers, np.array([np.linalg.norm(layer.grads["W"]) for layer in layers[::2]])


@pytest.mark.parametrize("activation", sorted(PAIRS))
@pytest.mark.parametrize("init", ["nnfs", "lecun", "he"])
def test_norms_agree_with_the_layer_classes(activation, init):
    _, _, expected = stack_with_classes(5, activation, init, 8, 6, seed=3)
    np.testing.assert_allclose(layer_gradient_norms(5, activation, init, 8, 6, seed=3), expected, rtol=1e-12)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "leaky_relu"])
def test_first_layer_gradient_matches_central_differences(activation):
    X, layers, norms = stack_with_classes(3, activation, "lecun", 4, 5, seed=1)
    rng = np.random.default_rng(1)
    rng.standard_normal((5, 4))
    [rng.standard_normal((4, 4)) for _ in range(3)]
    dout = rng.standard_normal((5, 4))  # the same draws as inside the stack

    def top(W1):
        layers[0].params["W"] = W1
        h = X
        for layer in layers:
            h = layer.forward(h)
        return h

    W1 = layers[0].params["W"].copy()
    num = numerical_gradient_array(top, W1.copy(), dout)
    assert rel_error(np.linalg.norm(num), norms[0]) < 1e-7


def test_sigmoid_gradients_vanish_and_relu_with_he_init_does_not():
    sig = layer_gradient_norms(10, "sigmoid", "lecun")
    relu = layer_gradient_norms(10, "relu", "he")
    assert sig[0] / sig[-1] < 1e-4
    assert np.all(np.diff(np.log(sig)) > 0)  # smaller at every step towards the input
    assert 0.2 < relu[0] / relu[-1] < 5


def test_bad_choices_explain_themselves():
    with pytest.raises(ValueError, match=r"activation: expected one of .*'relu'.*got 'softplus'"):
        layer_gradient_norms(3, "softplus")
    with pytest.raises(ValueError, match=r"init: expected one of"):
        bl.widgets.activation_depth_explorer(init="uniform")
    with pytest.raises(ValueError, match=r"depth: expected a positive integer"):
        layer_gradient_norms(0)


def test_summary_states_the_ratios():
    assert "gradient, first / last layer: 1.0e-03" in gradient_summary_html(np.array([1e-3, 1e-2, 1.0]))
    text = gradient_summary_html(np.array([1.0, 1.0]), spread=np.array([2.0, 20.0]))
    assert "signal spread, last / first layer: 1.0e+01" in text
    assert "No gradient" in gradient_summary_html(np.array([0.0, 1.0]))


@pytest.mark.parametrize("activation", sorted(PAIRS))
def test_deep_backward_matches_central_differences(activation):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((5, 3))
    weights = [rng.standard_normal((3, 4)) * 0.7, rng.standard_normal((4, 4)) * 0.7, rng.standard_normal((4, 2))]
    out, caches = deep_forward(X, weights, activation)
    dout = rng.standard_normal(out.shape)
    dWs, dhs = deep_backward(dout, caches, PAIRS[activation][1])
    assert len(dWs) == 3 and len(dhs) == 4 and dhs[3] is dout
    num_dX = numerical_gradient_array(lambda v: deep_forward(v, weights, activation)[0], X.copy(), dout)
    assert rel_error(dhs[0], num_dX) < 1e-7
    for k in range(3):
        def top(W_k, k=k):
            return deep_forward(X, weights[:k] + [W_k] + weights[k + 1:], activation)[0]
        assert rel_error(dWs[k], numerical_gradient_array(top, weights[k].copy(), dout)) < 1e-7


def test_what_the_initialisations_are_for():
    """ReLU: lecun keeps ||dW|| level while signal and gradient both shrink; he keeps all three
    level; twice he's variance makes both grow."""
    lecun, he, big = (stack_statistics(10, "relu", init) for init in ("lecun", "he", "big"))
    assert 0.5 < lecun["dW"][0] / lecun["dW"][-1] < 2
    assert lecun["dh"][0] / lecun["dh"][-1] < 0.1 and lecun["spread"][-1] / lecun["spread"][0] < 0.1
    assert 0.5 < he["dh"][0] / he["dh"][-1] < 2 and 0.3 < he["spread"][-1] / he["spread"][0] < 2
    assert big["dh"][0] / big["dh"][-1] > 10 and big["spread"][-1] / big["spread"][0] > 5
    sig = stack_statistics(10, "sigmoid", "lecun")
    assert sig["dh"][0] / sig["dh"][-1] < 1e-4 and np.all(np.diff(np.log(sig["dh"])) > 0)



def test_widget_redraws_when_a_control_changes():
    box = bl.widgets.activation_depth_explorer(depth=6, activation="sigmoid", init="lecun")
    assert set(box.controls) == {"depth", "activation", "init"}
    assert bytes(box.view.value).startswith(PNG) and "first / last layer" in box.summary.value
    assert set(box.stats) == {"spread", "dh", "dW"}
    assert box.controls["depth"].continuous_update is False
    seen = {(bytes(box.view.value), box.summary.value)}
    for name, value in (("depth", 12), ("activation", "relu"), ("init", "he"), ("init", "big")):
        box.controls[name].value = value
        now = (bytes(box.view.value), box.summary.value)
        assert now not in seen, f"changing {name} did not change the view"
        seen.add(now)
    assert len(box.norms) == 12
    np.testing.assert_array_equal(box.norms, layer_gradient_norms(12, "relu", "big"))

