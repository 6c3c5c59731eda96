"""The initialisation explorer of notebook 11: per-layer histograms of activations and gradients
in a deep stack, for a chosen weight scheme, activation and depth."""

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure  # not pyplot: the view is drawn off-screen into PNG bytes

from ..init import ACTIVATIONS, INIT_SCHEMES, layer_statistics
from ._png import png_bytes

ROWS = (("activations", "activation_std", "#1f77b4", "$h_l$"), ("gradients", "gradient_std", "#d62728", "$dL/dh_l$"))
MAX_PANELS = 12


def _shown_layers(depth):
    """At most MAX_PANELS layers, always the first and the last, evenly spread."""
    if depth <= MAX_PANELS:
        return list(range(depth))
    return sorted({round(float(i)) for i in np.linspace(0, depth - 1, MAX_PANELS)})


def histograms_png(stats, activation="tanh", init="lecun", dpi=72):
    """stats from `layer_statistics` -> PNG bytes: one histogram per layer, activations on top,
    gradients below, every panel of a row on the same x-range so a shrinking spread shows."""
    depth = len(stats["activations"])
    shown = _shown_layers(depth)
    fig = Figure(figsize=(1.25 * len(shown) + 1.2, 4.4))
    axes = fig.subplots(2, len(shown), squeeze=False)
    for row, (key, std_key, color, label) in enumerate(ROWS):
        values = stats[key]
        spread = max(float(np.max(stats[std_key])), 1e-30)
        lim = 3.5 * spread
        for col, layer in enumerate(shown):
            ax = axes[row, col]
            v = np.clip(values[layer].ravel(), -lim, lim)  # values beyond the range pile up in the end bins
            counts, edges = np.histogram(v, bins=41, range=(-lim, lim))
            ax.stairs(counts, edges, fill=True, color=color, alpha=0.85)
            ax.set_yticks([])
            ax.set_xlim(-lim, lim)
            ax.set_xticks([])
            ax.set_title(f"std {stats[std_key][layer]:.1e}", fontsize=7)
            if row == 1:
                ax.set_xlabel(f"layer {layer + 1}", fontsize=8)
        axes[row, 0].set_ylabel(f"{label}\nx from ±{lim:.1e}", fontsize=8)
    fig.suptitle(f"{activation}, {init} init, {depth} layers: activations (top) and gradients (bottom)",
                 fontsize=10)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.12, top=0.84, wspace=0.08, hspace=0.45)
    return png_bytes(fig, dpi)


def statistics_html(stats):
    """One line each: how the spread of the activations and of the gradients changes through the stack."""
    a, g = stats["activation_std"], stats["gradient_std"]
    depth = len(a)

    def verdict(first, last):
        if not np.isfinite(last) or not np.isfinite(first):
            return "overflows"
        if last == 0 or first == 0:
            return "is exactly zero somewhere"
        ratio = last / first
        if ratio > 10:
            return f"explodes (×{ratio:.1e})"
        if ratio < 0.1:
            return f"vanishes (×{ratio:.1e})"
        return f"stays in scale (×{ratio:.2f})"

    return (
        f"<p><b>activations</b>, layer 1 to layer {depth}: std {a[0]:.1e} → {a[-1]:.1e}, "
        f"{verdict(a[0], a[-1])}.<br>"
        f"<b>gradients</b>, layer {depth} down to layer 1: std {g[-1]:.1e} → {g[0]:.1e}, "
        f"{verdict(g[-1], g[0])}.</p>"
    )


def init_explorer(init="lecun", activation="tanh", depth=10, width=128, n_samples=256, seed=0):
    """Weight scheme, activation and depth of a deep stack versus histograms of each layer's
    activations and gradients (`backprop_lib.init.layer_statistics`)."""
    for value, name, choices in ((init, "init", INIT_SCHEMES), (activation, "activation", ACTIVATIONS)):
        if value not in choices:
            raise ValueError(f"init_explorer: expected {name} as one of {tuple(choices)}, got {value!r}")
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or not 1 <= depth <= 20:
        raise ValueError(f"init_explorer: expected depth as an integer from 1 to 20, got {depth!r}")
    style = {"description_width": "70px"}
    controls = {
        "init": W.Dropdown(options=[s for s in INIT_SCHEMES if s != "zeros"], value=init, description="init",
                           style=style),
        "activation": W.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation",
                                 style=style),
        "depth": W.IntSlider(value=depth, min=1, max=20, description="depth", style=style,
                             continuous_update=False),
    }
    if init == "zeros":
        controls["init"].options = list(INIT_SCHEMES)
        controls["init"].value = init
    view = W.Image(format="png", layout=W.Layout(max_width="100%"))
    summary = W.HTML()
    box = W.VBox([W.HBox(list(controls.values())), view, summary])

    def redraw(_=None):
        c = {name: widget.value for name, widget in controls.items()}
        box.stats = layer_statistics(c["depth"], c["activation"], c["init"], width, n_samples, seed)
        view.value = histograms_png(box.stats, c["activation"], c["init"])
        summary.value = statistics_html(box.stats)

    for widget in controls.values():
        widget.observe(redraw, names="value")
    redraw()
    box.controls, box.view, box.summary = controls, view, summary  # for tests and notebooks that drive it
    return box
