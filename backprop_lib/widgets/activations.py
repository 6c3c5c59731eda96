"""The activation-depth explorer of notebook 03: what a deep stack of Dense + activation blocks
does to the signal going up and to the gradient coming down, for each weight initialisation."""

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure  # not pyplot: the view is drawn off-screen into PNG bytes

from .. import activations as act
from ..layers import dense_backward, dense_forward
from ._png import png_bytes

PAIRS = {
    "sigmoid": (act.sigmoid_forward, act.sigmoid_backward),
    "tanh": (act.tanh_forward, act.tanh_backward),
    "relu": (act.relu_forward, act.relu_backward),
    "leaky_relu": (act.leaky_relu_forward, act.leaky_relu_backward),
}
COLORS = {"sigmoid": "#d62728", "tanh": "#9467bd", "relu": "#1f77b4", "leaky_relu": "#2ca02c"}
# Weight scale per initialisation: W = scale * standard normal, with D inputs. The first three are
# the library's `init_weights` (same draws, same numbers); "big" doubles He's variance, to show
# what happens when the weights are too large.
INIT_SCALES = {
    "nnfs": lambda D: 0.01,
    "lecun": lambda D: np.sqrt(1.0 / D),
    "he": lambda D: np.sqrt(2.0 / D),
    "big": lambda D: np.sqrt(4.0 / D),
}
INITS = tuple(INIT_SCALES)


def _check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name}: expected one of {tuple(choices)}, got {value!r}")


def deep_forward(X, weights, activation="sigmoid"):
    """X: (N, D), weights: list of W_l, (D, H) then (H, H) -> out: (N, H), caches.

    Block l computes z_l = h_{l-1} @ W_l (biases 0) and h_l = f(z_l), with h_0 = X. `caches[l]`
    is `(dense_cache, act_cache)` for block l + 1, where dense_cache = (h_{l-1}, W_l).
    """
    _check_choice(activation, "activation", PAIRS)
    forward = PAIRS[activation][0]
    h, caches = X, []
    for W_l in weights:
        z, dense_cache = dense_forward(h, W_l, np.zeros(W_l.shape[1]))  # (N, H)
        h, act_cache = forward(z)
        caches.append((dense_cache, act_cache))
    return h, caches


def deep_backward(dout, caches, activation_backward):
    """dout: (N, H) at the top, caches from `deep_forward` -> dWs: list of (D, H), dhs: list.

    dhs[l] is the gradient with respect to h_l, for l = 0 (the input X) to L (the top, = dout).
    """
    L = len(caches)
    dWs, dhs = [None] * L, [None] * (L + 1)
    dhs[L] = dout
    for l in range(L - 1, -1, -1):
        dense_cache, act_cache = caches[l]
        dz = activation_backward(dhs[l + 1], act_cache)  # (N, H)
        dhs[l], dWs[l], _ = dense_backward(dz, dense_cache)
    return dWs, dhs


def stack_statistics(depth, activation="sigmoid", init="lecun", width=64, n_samples=64, seed=0):
    """Per block l = 1 ... depth of a stack Dense(width, width) -> activation, as arrays (depth,):

    "spread": the standard deviation of the block's output h_l (how big the signal is going up);
    "dh": ||dh_l||, the norm of the gradient arriving at the block's output (coming down);
    "dW": ||dW_l||, the norm of its weight gradient.

    X: (N, width) and the upstream gradient at the top, (N, width), are standard normal; biases
    are 0. One generator seeded with `seed` draws, in this order, X, W_1 ... W_depth and the
    upstream gradient.
    """
    _check_choice(activation, "activation", PAIRS)
    _check_choice(init, "init", INITS)
    if not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth: expected a positive integer, got {depth!r}")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, width))  # (N, H)
    scale = INIT_SCALES[init](width)
    weights = [scale * rng.standard_normal((width, width)) for _ in range(depth)]
    dout = rng.standard_normal((n_samples, width))  # (N, H), the gradient arriving at the top
    _, caches = deep_forward(X, weights, activation)
    dWs, dhs = deep_backward(dout, caches, PAIRS[activation][1])
    return {
        "spread": np.array([np.std(act_out(c, activation)) for c in caches]),
        "dh": np.array([np.linalg.norm(g) for g in dhs[1:]]),
        "dW": np.array([np.linalg.norm(g) for g in dWs]),
    }


def act_out(cache, activation):
    """The output h_l of a block, read back from its cache."""
    _, act_cache = cache
    if activation in ("sigmoid", "tanh"):
        return act_cache  # these keep their output
    z = act_cache[0] if activation == "leaky_relu" else act_cache
    return PAIRS[activation][0](z)[0]


def layer_gradient_norms(depth, activation="sigmoid", init="lecun", width=64, n_samples=64, seed=0):
    """||dW|| (Frobenius norm) for each of `depth` blocks Dense(width, width) -> activation,
    shape (depth,), the block nearest the input first. See `stack_statistics`."""
    return stack_statistics(depth, activation, init, width, n_samples, seed)["dW"]


def stack_png(stats, activation="sigmoid", init="lecun", dpi=80):
    """Three log-scale panels, one point per block: activation spread, ||dh_l|| and ||dW_l||."""
    depth = len(stats["dh"])
    layers = np.arange(1, depth + 1)
    fig = Figure(figsize=(10.5, 3.1))
    panels = (("spread", "spread of h_l (std)", "signal going up"),
              ("dh", "||dh_l||", "gradient reaching block l"),
              ("dW", "||dW_l||", "weight gradient of block l"))
    color = COLORS.get(activation, "#555555")
    for k, (key, ylabel, title) in enumerate(panels):
        ax = fig.add_subplot(1, 3, k + 1)
        values = np.asarray(stats[key], dtype=np.float64)
        shown = np.where(values > 0, values, np.nan)  # a zero has no place on a log axis
        ax.plot(layers, shown, "o-", color=color, ms=4)
        ax.set_yscale("log")
        ax.minorticks_off()  # decades only: much quicker to draw
        positive = values[values > 0]
        if positive.size:
            lo, hi = positive.min(), positive.max()
            ax.set_ylim(min(lo / 3, hi / 30), max(hi * 3, lo * 30))  # at least three decades, so level looks level
        ax.set_xticks(layers if depth <= 10 else np.arange(1, depth + 1, 2 if depth <= 20 else 5))
        ax.set_xlabel("block l (1 = nearest the input)")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{activation}, {init} init, {depth} blocks", fontsize=10)
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.17, top=0.83, wspace=0.38)
    return png_bytes(fig, dpi)


def gradient_summary_html(dh, spread=None):
    """One line: how the gradient reaching block 1 compares with the one reaching the top block,
    and (given `spread`) how the signal at the top compares with the one at block 1."""
    first, last = float(dh[0]), float(dh[-1])
    if first == 0:
        return "<p>No gradient reaches block 1: every unit on the way down is switched off.</p>"
    ratio = first / last
    steps = len(dh) - 1
    per_layer = f", about ×{ratio ** (1 / steps):.2f} per block on the way down" if steps > 0 else ""
    text = f"<b>gradient, first / last layer: {ratio:.1e}</b>{per_layer}"
    if spread is not None and float(spread[0]) > 0:
        text += f"; <b>signal spread, last / first layer: {float(spread[-1]) / float(spread[0]):.1e}</b>"
    return f"<p>{text}.</p>"


def activation_depth_explorer(depth=10, activation="sigmoid", init="lecun", width=64, n_samples=64, seed=0):
    """Depth, activation and weight initialisation of a deep stack of Dense layers versus the
    activation spread, the gradient reaching each layer and each weight gradient."""
    _check_choice(activation, "activation", PAIRS)
    _check_choice(init, "init", INITS)
    style = {"description_width": "80px"}
    controls = {
        "depth": W.IntSlider(value=depth, min=2, max=30, description="depth", style=style, continuous_update=False),
        "activation": W.Dropdown(options=list(PAIRS), value=activation, description="activation", style=style),
        "init": W.Dropdown(options=list(INITS), value=init, description="init", style=style),
    }
    view = W.Image(format="png", layout=W.Layout(width="840px"))
    summary = W.HTML()
    box = W.VBox([W.HBox(list(controls.values())), view, summary])

    def redraw(_=None):
        c = {name: widget.value for name, widget in controls.items()}
        box.stats = stack_statistics(c["depth"], c["activation"], c["init"], width, n_samples, seed)
        box.norms = box.stats["dW"]
        view.value = stack_png(box.stats, c["activation"], c["init"])
        summary.value = gradient_summary_html(box.stats["dh"], box.stats["spread"])

    for widget in controls.values():
        widget.observe(redraw, names="value")
    redraw()
    box.controls, box.view, box.summary = controls, view, summary  # for tests and notebooks that drive it
    return box
