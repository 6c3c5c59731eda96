import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib import init
from backprop_lib.gradcheck import numerical_gradient_array
from backprop_lib.widgets import initialisation as wi
from backprop_lib.widgets import optimisers as wo

PNG = b"\x89PNG"


# -- backprop_lib.init ------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["nnfs", "lecun", "he"])
def test_library_schemes_match_dense_layers(scheme):
    W = init.init_weights(7, 5, scheme, np.random.default_rng(3))
    np.testing.assert_array_equal(W, bl.Dense(7, 5, init=scheme, rng=np.random.default_rng(3)).W)


@pytest.mark.parametrize("scheme", init.INIT_SCHEMES)
def test_each_scheme_has_the_documented_spread(scheme):
    D, H = 400, 100
    W = init.init_weights(D, H, scheme, 0)
    assert W.shape == (D, H)
    std = init.init_std(scheme, D, H)
    assert (
        std
        == {"zeros": 0, "nnfs": 0.01, "lecun": 0.05, "glorot": np.sqrt(2 / 500), "he": np.sqrt(2 / 400), "normal": 1}[
            scheme
        ]
    )
    assert W.std() == pytest.approx(std, rel=0.02, abs=0)


def test_bad_scheme_and_sizes():
    with pytest.raises(ValueError, match="init_std: expected init as one of"):
        init.init_weights(3, 3, "kaiming")
    with pytest.raises(ValueError, match="D as a positive integer"):
        init.init_std("he", 0, 3)


@pytest.mark.parametrize("activation", ["linear", "tanh", "sigmoid"])
def test_deep_stack_gradients_match_central_differences(activation):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((5, 4))
    weights = [rng.standard_normal((4, 3)), rng.standard_normal((3, 3)), rng.standard_normal((3, 3))]
    dout = rng.standard_normal((5, 3))
    acts, grads = init.deep_stack(X, weights, activation, dout)
    assert [a.shape for a in acts] == [(5, 3)] * 3 and [g.shape for g in grads] == [(5, 3)] * 3
    np.testing.assert_array_equal(grads[-1], dout)
    # dL/dh_1 with L = sum(h_3 * dout): perturb h_1 and run blocks 2 and 3 on it
    def top(h1):
        return init.deep_stack(h1, weights[1:], activation, dout)[0][-1]

    num = numerical_gradient_array(top, acts[0].copy(), dout)
    np.testing.assert_allclose(grads[0], num, rtol=1e-6, atol=1e-8)


def test_deep_stack_relu_matches_layer_classes():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((6, 4))
    weights = [rng.standard_normal((4, 4)) for _ in range(3)]
    dout = rng.standard_normal((6, 4))
    layers = []
    for W in weights:
        layers += [bl.Dense(4, 4, W=W), bl.ReLU()]
    h, outs = X, []
    for layer in layers:
        h = layer.forward(h)
        outs.append(h)
    dh, grads = dout, []
    for layer in reversed(layers):
        if isinstance(layer, bl.ReLU):
            grads.append(dh)  # the gradient at this block's output h_l
        dh = layer.backward(dh)
    acts, mine = init.deep_stack(X, weights, "relu", dout)
    for a, b in zip(acts, outs[1::2]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    for a, b in zip(mine, grads[::-1]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_deep_stack_leaves_its_inputs_alone_and_checks_them():
    rng = np.random.default_rng(6)
    X, W, dout = rng.standard_normal((3, 2)), rng.standard_normal((2, 2)), rng.standard_normal((3, 2))
    copies = X.copy(), W.copy(), dout.copy()
    init.deep_stack(X, [W, W], "relu", dout)
    for a, b in zip((X, W, dout), copies):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"weights\[1\] of shape \(2, H\)"):
        init.deep_stack(X, [W, np.ones((3, 2))], "tanh", dout)
    with pytest.raises(ValueError, match="dout of shape"):
        init.deep_stack(X, [W], "tanh", dout[:2])
    with pytest.raises(ValueError, match="activation as one of"):
        init.deep_stack(X, [W], "softplus", dout)
    with pytest.raises(ValueError, match="NaN"):
        init.deep_stack(np.full((3, 2), np.nan), [W], "tanh", dout)
    with pytest.raises(ValueError, match="at least one weight"):
        init.deep_stack(X, [], "tanh", dout)


def test_the_variance_argument_holds_in_the_statistics():
    linear = init.layer_statistics(10, "linear", "lecun", width=256, n_samples=256)
    assert np.all(np.abs(np.log(linear["activation_std"])) < 0.1)
    relu_he = init.layer_statistics(10, "relu", "he", width=256, n_samples=256)
    relu_lecun = init.layer_statistics(10, "relu", "lecun", width=256, n_samples=256)
    assert relu_he["activation_std"][-1] > 0.5 and relu_he["gradient_std"][0] > 0.5
    assert relu_lecun["activation_std"][-1] < 0.1 and relu_lecun["gradient_std"][0] < 0.1  # halves per layer
    explode = init.layer_statistics(6, "relu", "normal", width=64, n_samples=64)
    assert explode["activation_std"][-1] > 1e3 * explode["activation_std"][0]


def test_layer_statistics_is_deterministic():
    a, b = init.layer_statistics(4, seed=3), init.layer_statistics(4, seed=3)
    np.testing.assert_array_equal(a["gradient_std"], b["gradient_std"])


# -- the initialisation widget ----------------------------------------------------------------------


def test_init_explorer_redraws_when_each_control_moves():
    box = wi.init_explorer(init="lecun", activation="tanh", depth=4, width=32, n_samples=32)
    assert bytes(box.view.value).startswith(PNG) and "activations" in box.summary.value
    for name, value in (("activation", "relu"), ("init", "he"), ("depth", 6)):
        before = box.view.value
        box.controls[name].value = value
        assert box.view.value != before, name
    assert len(box.stats["activations"]) == 6
    box.controls["init"].value = "normal"
    assert "explodes" in box.summary.value


def test_init_explorer_names_vanishing():
    box = wi.init_explorer(init="nnfs", activation="tanh", depth=8, width=64, n_samples=32)
    assert box.summary.value.count("vanishes") == 2


def test_histograms_cap_the_panels_and_keep_first_and_last():
    assert wi._shown_layers(20)[0] == 0 and wi._shown_layers(20)[-1] == 19
    assert len(wi._shown_layers(20)) <= wi.MAX_PANELS
    assert wi._shown_layers(5) == [0, 1, 2, 3, 4]


def test_init_explorer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="init as one of"):
        wi.init_explorer(init="xavier")
    with pytest.raises(ValueError, match="depth"):
        wi.init_explorer(depth=0)


# -- the optimiser widget ----------------------------------------------------------------------------


@pytest.mark.parametrize("surface", list(wo.SURFACES))
def test_surface_gradients_match_central_differences(surface):
    s = wo.SURFACES[surface]
    w = np.array([0.3, -0.7])
    num = numerical_gradient_array(lambda v: np.array(s["f"](v)), w.copy(), np.array(1.0))
    np.testing.assert_allclose(s["grad"](w), num, rtol=1e-6)
    assert s["f"](np.array(s["minimum"])) == pytest.approx(0.0)


def test_path_follows_the_library_optimiser():
    path = wo.optimise_path("ill_conditioned", bl.SGD(0.03), 5)
    w = np.array(wo.SURFACES["ill_conditioned"]["start"])
    for _ in range(5):
        w = w - 0.03 * np.array([w[0], wo.KAPPA * w[1]])
    np.testing.assert_allclose(path[-1], w, rtol=1e-12)
    assert path.shape == (6, 2)


def test_known_behaviour_on_the_quadratic():
    # SGD is stable below lr = 2 / KAPPA and diverges above it; momentum gets there in fewer steps
    assert len(wo.optimise_path("ill_conditioned", bl.SGD(2.2 / wo.KAPPA), 300)) < 301
    slow = wo.steps_to_reach("ill_conditioned", wo.optimise_path("ill_conditioned", bl.SGD(0.03), 300))
    fast = wo.steps_to_reach("ill_conditioned", wo.optimise_path("ill_conditioned", bl.Momentum(0.03), 300))
    assert fast is not None and slow is not None and fast < slow / 1.5


def test_loss_surface_explorer_redraws_and_reports_divergence():
    box = wo.loss_surface_explorer(optimizer="sgd", lr=0.03, steps=40)
    assert bytes(box.view.value).startswith(PNG)
    for name, value in (("optimizer", "momentum"), ("lr", 0.01), ("steps", 80), ("surface", "banana")):
        before = box.view.value
        box.controls[name].value = value
        assert box.view.value != before, name
    box.controls["surface"].value = "ill_conditioned"
    box.controls["optimizer"].value = "sgd"
    box.controls["lr"].value = 0.1
    assert "diverged" in box.summary.value
    box.controls["lr"].value = 0.05
    box.controls["steps"].value = 200
    assert "loss below 0.001 after" in box.summary.value


def test_make_optimizer_and_bad_names():
    assert isinstance(wo.make_optimizer("adam", 0.1), bl.Adam)
    with pytest.raises(ValueError, match="optimizer as one of"):
        wo.make_optimizer("rmsprop", 0.1)
    with pytest.raises(ValueError, match="surface as one of"):
        wo.optimise_path("saddle", bl.SGD(0.1))
