"""Pictures and a widget for notebook 13, batch normalisation and dropout.

`draw_batchnorm_graph(ax)` draws the staged graph x -> mu -> var -> xhat -> out.
`batch_noise_explorer()` shows how much one sample's batch-norm output moves with the batch
it happens to share in training mode, against the single value eval mode gives it.
"""

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure  # not pyplot: the widget's view is drawn off-screen into PNG bytes

from ._png import png_bytes

PATH_COLORS = {"direct": "#1f77b4", "mean": "#2ca02c", "variance": "#d62728"}


def draw_batchnorm_graph(ax):
    """Draw the staged batch-norm graph on `ax`: one box per node with its formula and shape,
    and the three paths from x to xhat in three colours."""
    nodes = {
        "x": ((0.0, 0.0), "$x$\n(N, D)"),
        "mu": ((2.2, 1.6), r"$\mu = \frac{1}{N}\sum_n x_n$" "\n(D,)"),
        "var": ((4.6, 1.6), r"$\sigma^2 = \frac{1}{N}\sum_n (x_n - \mu)^2$" "\n(D,)"),
        "xhat": ((6.6, 0.0), r"$\hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}$" "\n(N, D)"),
        "out": ((9.2, 0.0), r"$y = \gamma \hat x + \beta$" "\n(N, D)"),
        "gamma": ((9.2, 1.6), r"$\gamma$, $\beta$" "\n(D,)"),
    }
    edges = [
        ("x", "xhat", "direct", 0.0), ("x", "mu", "mean", 0.0), ("mu", "xhat", "mean", 0.2),
        ("mu", "var", "mean", 0.0), ("x", "var", "variance", 0.25), ("var", "xhat", "variance", 0.0),
        ("xhat", "out", None, 0.0), ("gamma", "out", None, 0.0),
    ]
    for a, b, path, rad in edges:
        (xa, ya), (xb, yb) = nodes[a][0], nodes[b][0]
        ax.annotate("", xy=(xb, yb), xytext=(xa, ya),
                    arrowprops=dict(arrowstyle="-|>", lw=2 if path else 1.4, color=PATH_COLORS.get(path, "#555555"),
                                    shrinkA=30, shrinkB=30, connectionstyle=f"arc3,rad={rad}"))
    for (x, y), text in nodes.values():
        ax.text(x, y, text, ha="center", va="center", fontsize=10,
                bbox=dict(boxstyle="round,pad=0.45", fc="#f7f7f7", ec="#555555"))
    for path, color in PATH_COLORS.items():
        how = "directly" if path == "direct" else f"through the {path}"
        ax.plot([], [], color=color, lw=2, label=f"x reaches xhat {how}")
    ax.legend(loc="lower center", ncol=3, fontsize=8, frameon=False, bbox_to_anchor=(0.5, -0.02))
    ax.set_xlim(-1.0, 10.4)
    ax.set_ylim(-1.3, 2.4)
    ax.set_axis_off()
    return ax


def train_mode_outputs(x0, batch_size, n_batches=400, seed=0):
    """Training-mode batch-norm outputs (gamma = 1, beta = 0) of one fixed value x0 sharing each
    of `n_batches` batches with batch_size - 1 standard normal values -> (n_batches,)."""
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 2:
        raise ValueError(f"train_mode_outputs: expected batch_size as an integer >= 2, got {batch_size!r}")
    others = np.random.default_rng(seed).standard_normal((n_batches, batch_size - 1))  # (B, N - 1)
    batches = np.concatenate([np.full((n_batches, 1), float(x0)), others], axis=1)  # (B, N): x0 is column 0
    mu = batches.mean(axis=1)  # (B,)
    var = batches.var(axis=1)  # (B,)
    return (x0 - mu) / np.sqrt(var + 1e-5)


def batch_noise_png(outputs, x0, batch_size, dpi=80):
    """A histogram of `outputs`, with the eval-mode output of x0 (running mean 0, variance 1) marked."""
    eval_out = x0 / np.sqrt(1 + 1e-5)
    fig = Figure(figsize=(6.4, 2.8))
    ax = fig.add_subplot()
    ax.hist(outputs, bins=np.linspace(-4, 4, 81), color="#1f77b4", alpha=0.8, label="training mode, one batch each")
    ax.axvline(eval_out, color="#d62728", lw=2, label="eval mode (running statistics)")
    ax.set_xlim(-4, 4)
    ax.set_xlabel(f"batch-norm output of the sample x = {x0:g}")
    ax.set_ylabel("batches")
    ax.set_title(f"batch size N = {batch_size}: spread {np.std(outputs):.2f}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.18, top=0.88)
    return png_bytes(fig, dpi)


def batch_noise_explorer(batch_size=4, x0=1.0, n_batches=400, seed=0):
    """Batch size and sample value versus the spread of that sample's training-mode output
    across random batches, drawn as a histogram next to its one eval-mode value."""
    style = {"description_width": "80px"}
    controls = {
        "batch_size": W.SelectionSlider(options=[2, 3, 4, 8, 16, 32, 64, 128], value=batch_size,
                                        description="batch size", style=style, continuous_update=False),
        "x0": W.FloatSlider(value=x0, min=-2.5, max=2.5, step=0.5, description="sample x", style=style,
                            continuous_update=False),
    }
    view = W.Image(format="png", layout=W.Layout(width="576px"))
    box = W.VBox([W.HBox(list(controls.values())), view])

    def redraw(_=None):
        n, value = controls["batch_size"].value, controls["x0"].value
        box.outputs = train_mode_outputs(value, n, n_batches, seed)
        view.value = batch_noise_png(box.outputs, value, n)

    for widget in controls.values():
        widget.observe(redraw, names="value")
    redraw()
    box.controls, box.view = controls, view  # for tests and notebooks that drive it
    return box
