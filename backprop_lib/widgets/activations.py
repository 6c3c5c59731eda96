"""The activation-depth explorer of notebook 03: how much gradient reaches each layer of a deep stack."""

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure  # not pyplot: the view is drawn off-screen into PNG bytes

from .. import activations as act
from ..layers import INITS, dense_backward, dense_forward, init_weights
from ._png import png_bytes

PAIRS = {
    "sigmoid": (act.sigmoid_forward, act.sigmoid_backward),
    "tanh": (act.tanh_forward, act.tanh_backward),
    "relu": (act.relu_forward, act.relu_backward),
    "leaky_relu": (act.leaky_relu_forward, act.leaky_relu_backward),
}
COLORS = {"sigmoid": "#d62728", "tanh": "#9467bd", "relu": "#1f77b4", "leaky_relu": "#2ca02c"}


def _check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name}: expected one of {tuple(choices)}, got {value!r}")


def layer_gradient_norms(depth, activation="sigmoid", init="xavier", width=64, n_samples=64, seed=0):
    """||dW|| (Frobenius norm) for each of `depth` blocks Dense(width, width) -> activation.

    Returns an array of shape (depth,), the block nearest the input first. X: (N, width) and
    the upstream gradient at the top, (N, width), are standard normal; weights come from
    `init_weights(width, width, init)` and biases are 0. One generator seeded with `seed`
    draws, in this order, X, W_1 ... W_depth and the upstream gradient.
    """
    _check_choice(activation, "activation", PAIRS)
    _check_choice(init, "init", INITS)
    if not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth: expected a positive integer, got {depth!r}")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, width))  # (N, H)
    weights = [init_weights(width, width, init, rng) for _ in range(depth)]
    dout = rng.standard_normal((n_samples, width))  # (N, H), the gradient arriving at the top
    b = np.zeros(width)
    forward, backward = PAIRS[activation]
    h, caches = X, []
    for W_l in weights:
        z, dense_cache = dense_forward(h, W_l, b)  # (N, H)
        h, act_cache = forward(z)
        caches.append((dense_cache, act_cache))
    norms = np.empty(depth)
    for layer in range(depth - 1, -1, -1):
        dense_cache, act_cache = caches[layer]
        dz = backward(dout, act_cache)  # (N, H)
        dout, dW, _ = dense_backward(dz, dense_cache, input_grad=layer > 0)
        norms[layer] = np.linalg.norm(dW)
    return norms


def gradient_bars_png(norms, activation="sigmoid", init="xavier", dpi=80):
    """A log-scale bar chart of `norms` (one bar per layer), as PNG bytes."""
    norms = np.asarray(norms, dtype=np.float64)
    depth = len(norms)
    positive = norms[norms > 0]
    lo = min(1e-12, positive.min() / 5) if positive.size else 1e-12
    hi = max(1e3, positive.max() * 5) if positive.size else 1e3
    fig = Figure(figsize=(6.4, 3.0))
    ax = fig.add_subplot()
    ax.set_yscale("log")
    # bars grow up from the bottom of the axis; a zero norm has no bar at all
    ax.bar(np.arange(1, depth + 1), np.where(norms > 0, norms - lo, np.nan), bottom=lo, width=0.7,
           color=COLORS.get(activation, "#555555"))
    ax.set_ylim(lo, hi)
    ax.set_xlim(0.3, depth + 0.7)
    ax.set_xticks(np.arange(1, depth + 1) if depth <= 12 else np.arange(1, depth + 1, 2))
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.set_ylabel("gradient norm ||dW||")
    ax.set_title(f"{activation}, {init} init, {depth} layers", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.17, top=0.9)
    return png_bytes(fig, dpi)


def gradient_summary_html(norms):
    """One line: how the gradient at the first layer compares with the one at the last."""
    first, last = float(norms[0]), float(norms[-1])
    if last == 0:
        return "<p>No gradient reaches the last layer's weights: every unit there is switched off.</p>"
    ratio = first / last
    steps = len(norms) - 1
    per_layer = f"; about ×{ratio ** (1 / steps):.2f} per layer on the way down" if steps > 0 else ""
    return (
        f"<p><b>first / last layer: {ratio:.1e}</b> (||dW|| = {first:.1e} at layer 1, {last:.1e} at layer "
        f"{len(norms)}{per_layer}).</p>"
    )


def activation_depth_explorer(depth=10, activation="sigmoid", init="xavier", width=64, n_samples=64, seed=0):
    """Depth, activation and weight initialisation of a deep stack of Dense layers versus the
    gradient norm reaching each layer's weights, drawn as a bar chart."""
    _check_choice(activation, "activation", PAIRS)
    _check_choice(init, "init", INITS)
    style = {"description_width": "80px"}
    controls = {
        "depth": W.IntSlider(value=depth, min=2, max=20, description="depth", style=style, continuous_update=False),
        "activation": W.Dropdown(options=list(PAIRS), value=activation, description="activation", style=style),
        "init": W.Dropdown(options=list(INITS), value=init, description="init", style=style),
    }
    view = W.Image(format="png", layout=W.Layout(width="576px"))
    summary = W.HTML()
    box = W.VBox([W.HBox(list(controls.values())), view, summary])

    def redraw(_=None):
        c = {name: widget.value for name, widget in controls.items()}
        box.norms = layer_gradient_norms(c["depth"], c["activation"], c["init"], width, n_samples, seed)
        view.value = gradient_bars_png(box.norms, c["activation"], c["init"])
        summary.value = gradient_summary_html(box.norms)

    for widget in controls.values():
        widget.observe(redraw, names="value")
    redraw()
    box.controls, box.view, box.summary = controls, view, summary  # for tests and notebooks that drive it
    return box
