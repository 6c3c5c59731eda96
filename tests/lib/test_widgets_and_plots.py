import matplotlib.pyplot as plt
import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.gradcheck import numerical_gradient
from backprop_lib.neuron import neuron_backward, neuron_forward, neuron_trace


def test_neuron_trace_matches_numerical_derivatives():
    x, w, b = np.array([1.0, -2.0, 3.0]), np.array([-3.0, -1.0, 2.0]), 1.0
    t = neuron_trace(x, w, b)
    assert t["z"] == 6.0 and t["out"] == 6.0
    np.testing.assert_allclose(t["products"], [-3.0, 2.0, 6.0])
    np.testing.assert_allclose(t["dx"], numerical_gradient(lambda v: neuron_forward(v, w, b)[0], x.copy()))
    np.testing.assert_allclose(t["dw"], numerical_gradient(lambda v: neuron_forward(x, v, b)[0], w.copy()))
    assert t["db"] == 1.0


def test_dead_neuron_passes_no_gradient():
    out, cache = neuron_forward([1.0, 1.0], [-1.0, -1.0], 0.5)
    dx, dw, db = neuron_backward(1.0, cache)
    assert out == 0.0 and db == 0.0 and not dx.any() and not dw.any()


def test_neuron_explorer_responds_to_its_sliders():
    box = bl.widgets.neuron_explorer()
    assert set(box.sliders) == {"x0", "x1", "x2", "w0", "w1", "w2", "b"}
    svg, table = box.graph.value, box.table.value
    assert svg.startswith("<svg") and "z = 6.000" in table
    box.sliders["x2"].value = -4.0
    box.sliders["b"].value = -4.0  # z = -3 + 2 - 8 - 4 < 0: the ReLU blocks every gradient
    assert box.graph.value != svg
    assert "blocks the gradient" in box.table.value


def test_smoke_test_widget_follows_the_slider():
    box = bl.widgets.smoke_test()
    slider, label = box.children
    slider.value = 7
    assert "<b>49</b>" in label.value


def test_plots_draw_something():
    X, y = bl.datasets.spiral(20, 3, rng=0)
    model = bl.mlp([2, 8, 3], rng=0)
    history = model.fit(X, y, bl.SGD(1.0), epochs=5, progress=False)
    ax = bl.plotting.plot_decision_boundary(model, X, y, title="spiral")
    assert len(ax.collections) >= 2 and ax.get_title() == "spiral"
    axes = bl.plotting.plot_history(history)
    assert len(axes) == 2 and len(axes[0].lines[0].get_xdata()) == 5
    J = bl.softmax_jacobian(np.array([0.2, 0.3, 0.5]))
    ax = bl.plotting.plot_jacobian(J)
    assert len(ax.texts) == 9
    with pytest.raises(ValueError, match=r"expected a square \(C, C\) matrix"):
        bl.plotting.plot_jacobian(np.ones((2, 3)))
    plt.close("all")
