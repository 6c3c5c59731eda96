"""The widgets of notebook 14, convolution.

`conv_window_explorer`: which pixels one output of a convolution reads (forward) and which
pixels its gradient reaches (backward), for a chosen stride and padding.
`maxpool_router`: where each max-pool window sends its gradient (to its maximum only).
"""

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure  # not pyplot: the view is drawn off-screen into PNG bytes
from matplotlib.patches import Rectangle

from ..conv import conv2d_forward_loop, maxpool_backward, maxpool_forward
from ._png import png_bytes

MODES = ("forward", "backward")


def example_image_and_kernel():
    """A small integer image (7, 7), a stroke like a "7", and a 3x3 kernel that finds vertical edges."""
    image = np.array(
        [
            [0, 0, 0, 0, 0, 0, 0],
            [0, 2, 3, 3, 3, 2, 0],
            [0, 0, 0, 0, 2, 1, 0],
            [0, 0, 0, 2, 1, 0, 0],
            [0, 0, 1, 2, 0, 0, 0],
            [0, 0, 2, 1, 0, 0, 0],
            [0, 0, 2, 0, 0, 0, 0],
        ],
        dtype=np.float64,
    )
    kernel = np.array([[1.0, 0.0, -1.0], [1.0, 0.0, -1.0], [1.0, 0.0, -1.0]])
    return image, kernel


def _grid(ax, values, title, cmap, vmin, vmax, fmt="{:g}", pad=0):
    ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    for (r, c), v in np.ndenumerate(values):
        ax.text(
            c,
            r,
            fmt.format(v),
            ha="center",
            va="center",
            fontsize=8,
            color="black" if abs(v) < 0.6 * max(abs(vmin), abs(vmax)) else "white",
        )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    if pad:  # outline the real image inside its zero border
        n_rows, n_cols = values.shape
        ax.add_patch(
            Rectangle(
                (pad - 0.5, pad - 0.5),
                n_cols - 2 * pad,
                n_rows - 2 * pad,
                fill=False,
                edgecolor="#555555",
                linestyle="--",
                linewidth=1,
            )
        )


def window_figure(image, kernel, i, j, stride=1, pad=0, mode="forward"):
    """Three panels: the padded image with the window of output (i, j), the kernel, the output.

    mode "forward" shows the window output (i, j) reads; "backward" shows, in the image panel,
    what output (i, j) sends back to each pixel when its upstream gradient is 1: the kernel.
    """
    if mode not in MODES:
        raise ValueError(f"window_figure: expected mode in {MODES}, got {mode!r}")
    image, kernel = np.asarray(image, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    KH, KW = kernel.shape
    out, _ = conv2d_forward_loop(image[None, None], kernel[None, None], np.zeros(1), stride, pad)
    out = out[0, 0]  # (OH, OW)
    OH, OW = out.shape
    if not (0 <= i < OH and 0 <= j < OW):
        raise ValueError(f"window_figure: output ({i}, {j}) is outside the {OH} x {OW} output")
    padded = np.pad(image, pad)
    r0, c0 = i * stride, j * stride
    fig = Figure(figsize=(8.4, 3.1))
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [padded.shape[1], KW + 1, OW + 0.5]})
    if mode == "forward":
        _grid(axes[0], padded, f"padded input (pad {pad}), window of out[{i}, {j}]", "Blues", 0, 3, pad=pad)
    else:
        grad = np.zeros_like(padded)
        grad[r0 : r0 + KH, c0 : c0 + KW] = kernel  # dout[i, j] = 1 times the kernel lands on the window
        _grid(axes[0], grad, f"what out[{i}, {j}] sends back (dout = 1)", "RdBu", -2, 2, pad=pad)
    axes[0].add_patch(Rectangle((c0 - 0.5, r0 - 0.5), KW, KH, fill=False, edgecolor="#d62728", linewidth=2.5))
    _grid(axes[1], kernel, "kernel W", "RdBu", -2, 2)
    _grid(axes[2], out, f"output, stride {stride}", "RdBu", -5, 5)
    axes[2].add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="#d62728", linewidth=2.5))
    window = padded[r0 : r0 + KH, c0 : c0 + KW]
    terms = " + ".join(f"{a:g}·{b:g}" for a, b in zip(window.ravel(), kernel.ravel()) if a and b) or "0"
    fig.suptitle(f"out[{i}, {j}] = sum(window * W) = {terms} = {out[i, j]:g}", fontsize=9)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.03, top=0.8, wspace=0.15)
    return fig


def window_png(image, kernel, i, j, stride=1, pad=0, mode="forward", dpi=80):
    """`window_figure` as PNG bytes."""
    return png_bytes(window_figure(image, kernel, i, j, stride, pad, mode), dpi)


def conv_window_explorer(stride=1, pad=0, mode="forward"):
    """Sliders for the output position, stride and padding over a 7x7 image and a 3x3 kernel."""
    image, kernel = example_image_and_kernel()
    style = {"description_width": "70px"}
    controls = {
        "stride": W.Dropdown(options=[1, 2], value=stride, description="stride", style=style),
        "pad": W.Dropdown(options=[0, 1], value=pad, description="pad", style=style),
        "mode": W.ToggleButtons(options=MODES, value=mode, description="show", style=style),
        "i": W.IntSlider(value=0, min=0, max=3, description="output row", style=style, continuous_update=False),
        "j": W.IntSlider(value=0, min=0, max=3, description="output col", style=style, continuous_update=False),
    }
    view = W.Image(format="png", layout=W.Layout(width="672px"))
    box = W.VBox(
        [W.HBox([controls["stride"], controls["pad"], controls["mode"]]), W.HBox([controls["i"], controls["j"]]), view]
    )

    def sizes():
        s, p = controls["stride"].value, controls["pad"].value
        return (image.shape[0] + 2 * p - kernel.shape[0]) // s + 1, (image.shape[1] + 2 * p - kernel.shape[1]) // s + 1

    def redraw(_=None):
        OH, OW = sizes()
        controls["i"].max, controls["j"].max = OH - 1, OW - 1  # also clips the values
        c = {name: widget.value for name, widget in controls.items()}
        view.value = window_png(image, kernel, c["i"], c["j"], c["stride"], c["pad"], c["mode"])

    for widget in controls.values():
        widget.observe(redraw, names="value")
    redraw()
    box.controls, box.view = controls, view  # for tests and notebooks that drive it
    return box


# -- max-pooling: where the gradient goes -----------------------------------------------------------
POOLS = {"2x2, stride 2": (2, 2), "3x3, stride 3": (3, 3), "2x2, stride 1 (overlapping)": (2, 1)}


def example_pool_input(seed=0):
    """A seeded 6x6 image of distinct integers 0..35 (no ties), and an upstream gradient of ones."""
    return np.random.default_rng(seed).permutation(36).reshape(6, 6).astype(np.float64)


def pool_figure(image, size=2, stride=2, k=0):
    """Three panels: the image with window k boxed and every window's winner ringed, the pooled
    output, and dx for dout = 1 everywhere (a pixel gets 1 for each window it wins)."""
    image = np.asarray(image, dtype=np.float64)
    x = image[None, None]
    out, cache = maxpool_forward(x, size, stride)
    dx = maxpool_backward(np.ones_like(out), cache)[0, 0]
    out = out[0, 0]
    OH, OW = out.shape
    if not 0 <= k < OH * OW:
        raise ValueError(f"pool_figure: expected a window number in 0..{OH * OW - 1}, got {k}")
    i, j = divmod(k, OW)
    fig = Figure(figsize=(8.4, 3.1))
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [image.shape[1], OW + 0.5, image.shape[1]]})
    _grid(axes[0], image, f"input, window {k} of {OH * OW}", "Blues", 0, 50)
    winner = cache[1][0, 0]  # (OH, OW): each window's winning offset
    for (a, b), w in np.ndenumerate(winner):
        p, q = divmod(int(w), size)
        axes[0].add_patch(
            Rectangle(
                (b * stride + q - 0.45, a * stride + p - 0.45), 0.9, 0.9, fill=False, edgecolor="#ff7f0e", linewidth=1.5
            )
        )
    axes[0].add_patch(
        Rectangle((j * stride - 0.5, i * stride - 0.5), size, size, fill=False, edgecolor="#d62728", linewidth=2.5)
    )
    _grid(axes[1], out, f"max-pooled, {size}x{size} stride {stride}", "Blues", 0, 50)
    axes[1].add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="#d62728", linewidth=2.5))
    _grid(axes[2], dx, "dx when dout = 1 everywhere", "Oranges", 0, 4)
    fig.suptitle(
        f"window {k}: max {out[i, j]:g}, so its whole gradient goes to that one pixel; the others of the window get 0",
        fontsize=9,
    )
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.03, top=0.8, wspace=0.15)
    return fig


def maxpool_router(pool="2x2, stride 2", seed=0):
    """A window slider and a pool-size choice over a 6x6 image: which pixel each window's gradient reaches."""
    if pool not in POOLS:
        raise ValueError(f"maxpool_router: expected pool in {tuple(POOLS)}, got {pool!r}")
    image = example_pool_input(seed)
    style = {"description_width": "70px"}
    controls = {
        "pool": W.Dropdown(options=list(POOLS), value=pool, description="pool", style=style),
        "k": W.IntSlider(value=0, min=0, max=8, description="window", style=style, continuous_update=False),
    }
    view = W.Image(format="png", layout=W.Layout(width="672px"))
    box = W.VBox([W.HBox(list(controls.values())), view])

    def redraw(_=None):
        size, stride = POOLS[controls["pool"].value]
        n = (image.shape[0] - size) // stride + 1
        controls["k"].max = n * n - 1  # also clips the value
        view.value = png_bytes(pool_figure(image, size, stride, controls["k"].value), 80)

    for widget in controls.values():
        widget.observe(redraw, names="value")
    redraw()
    box.controls, box.view = controls, view
    return box
