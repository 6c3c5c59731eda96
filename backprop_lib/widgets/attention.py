"""Notebook 16: the attention weights of a trained layer, one map per head and sequence."""

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from ._png import png_bytes


def attention_png(weights, tokens, title, dpi=80):
    """weights: (T, T), row i = how much query position i reads from each key position j -> PNG bytes."""
    T = weights.shape[0]
    fig = Figure(figsize=(5.2, 4.4))
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(weights, cmap="viridis", vmin=0, vmax=1)  # weights are in [0, 1]: a sequential map
    labels = [f"{j}:{int(t)}" for j, t in enumerate(tokens)]
    ax.set_xticks(range(T), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(T), labels, fontsize=8)
    ax.set_xlabel("key position j : token (what is read)")
    ax.set_ylabel("query position i : token (who reads)")
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, label="attention weight")
    fig.subplots_adjust(left=0.16, right=0.97, bottom=0.2, top=0.92)
    return png_bytes(fig, dpi)


def attention_explorer(weights, tokens):
    """weights: (N, heads, T, T) from a `SelfAttention` or `TransformerBlock` forward, tokens: (N, T) ->
    a widget choosing the sequence and the head."""
    weights, tokens = np.asarray(weights), np.asarray(tokens)
    if weights.ndim != 4 or weights.shape[-1] != weights.shape[-2]:
        raise ValueError(f"attention_explorer: expected weights of shape (N, heads, T, T), got {weights.shape}")
    if tokens.shape != (weights.shape[0], weights.shape[-1]):
        raise ValueError(f"attention_explorer: expected tokens of shape (N, T) = "
                         f"{(weights.shape[0], weights.shape[-1])}, got {tokens.shape}")
    N, heads = weights.shape[:2]
    style = {"description_width": "70px"}
    controls = {
        "sequence": W.IntSlider(value=0, min=0, max=N - 1, description="sequence", style=style,
                                continuous_update=False),
        "head": W.ToggleButtons(options=list(range(heads)), value=0, description="head", style=style),
    }
    view = W.Image(format="png", layout=W.Layout(width="440px"))
    summary = W.HTML()
    box = W.VBox([W.HBox(list(controls.values())), view, summary])

    def redraw(_=None):
        n, h = controls["sequence"].value, controls["head"].value
        w = weights[n, h]
        view.value = attention_png(w, tokens[n], f"sequence {n}, head {h}")
        top = w.argmax(axis=1)
        summary.value = ("<p>Each query's most-read position: "
                         + ", ".join(f"{i}&rarr;{int(j)}" for i, j in enumerate(top)) + "</p>")

    for widget in controls.values():
        widget.observe(redraw, names="value")
    redraw()
    box.controls, box.view, box.summary = controls, view, summary
    return box
