"""The softmax explorer of notebook 04: logits and a temperature against probabilities and the Jacobian."""

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from ..activations import softmax, softmax_jacobian
from ._png import png_bytes

JAC_LIM = 0.25  # no entry of diag(s) - s s^T is larger than 1/4 in size, so one fixed scale fits every case


def softmax_summary(logits, temperature=1.0):
    """logits: (C,), temperature > 0 -> dict with probs (C,), the Jacobian J (C, C) of softmax at z / T,
    the entropy in nats and the most likely class."""
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1 or not 2 <= z.size <= 6:
        raise ValueError(f"softmax_summary: expected between 2 and 6 logits of shape (C,), got shape {z.shape}")
    if not temperature > 0:
        raise ValueError(f"softmax_summary: expected a temperature > 0, got {temperature}")
    probs = softmax((z / temperature)[None, :])[0]  # (C,)
    J = softmax_jacobian(probs)  # (C, C)
    nonzero = probs[probs > 0]
    entropy = float(-(nonzero * np.log(nonzero)).sum()) + 0.0  # + 0.0: never print "-0.000"
    return {"logits": z, "temperature": float(temperature), "probs": probs, "J": J, "entropy": entropy,
            "argmax": int(probs.argmax())}


def _signed(v):
    return "0.000" if abs(v) < 5e-4 else f"{v:+.3f}"  # no "-0.000" for an entry that rounds to zero


def _draw(state, dpi=80):
    """Two panels, probabilities and Jacobian, as PNG bytes (drawn off-screen, never shown by pyplot)."""
    probs, J = state["probs"], state["J"]
    C = probs.size
    fig = Figure(figsize=(7.4, 3.0), dpi=dpi)
    ax0, ax1 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.1]})

    colors = ["#1f77b4"] * C
    colors[state["argmax"]] = "#d62728"
    ax0.bar(range(C), probs, color=colors)
    ax0.axhline(1 / C, color="#555555", ls="--", lw=1, label=f"uniform 1/C = {1 / C:.2f}")
    for i, p in enumerate(probs):
        ax0.text(i, p + 0.02, f"{p:.3f}", ha="center", va="bottom", fontsize=9)
    ax0.set_ylim(0, 1.12)
    ax0.set_xticks(range(C), [f"$s_{i}$" for i in range(C)])
    ax0.set_title(f"probabilities, T = {state['temperature']:.2f}", fontsize=10)
    ax0.legend(loc="upper right", fontsize=8, frameon=False)

    im = ax1.imshow(J, cmap="RdBu_r", vmin=-JAC_LIM, vmax=JAC_LIM)
    for i in range(C):
        for j in range(C):
            ax1.text(j, i, _signed(J[i, j]), ha="center", va="center", fontsize=8,
                     color="white" if abs(J[i, j]) > 0.6 * JAC_LIM else "black")
    ax1.set_xticks(range(C), [f"$u_{j}$" for j in range(C)])
    ax1.set_yticks(range(C), [f"$s_{i}$" for i in range(C)])
    ax1.set_title(r"Jacobian $\partial s_i / \partial u_j$, $u = z / T$", fontsize=10)
    fig.colorbar(im, ax=ax1, fraction=0.046, pad=0.04)
    fig.tight_layout()

    return png_bytes(fig, dpi)


def _info_html(state):
    probs, J = state["probs"], state["J"]
    C = probs.size
    scaled = ", ".join(f"{u:+.2f}" for u in state["logits"] / state["temperature"])
    return (
        f"<p>z / T = [{scaled}] &nbsp;·&nbsp; most likely class <b>{state['argmax']}</b> with "
        f"probability <b>{probs.max():.3f}</b> &nbsp;·&nbsp; entropy <b>{state['entropy']:.3f}</b> nats "
        f"(uniform: {np.log(C):.3f}) &nbsp;·&nbsp; largest |J| entry <b>{np.abs(J).max():.3f}</b> &nbsp;·&nbsp; "
        f"rows of J sum to {np.abs(J.sum(axis=1)).max():.3f}</p>"
    )


def softmax_explorer(logits=(2.0, 1.0, 0.1), temperature=1.0):
    """Sliders for 2 to 6 logits and a temperature T; the view shows softmax(z / T) as bars, its
    Jacobian as a heatmap on a fixed colour scale, and the entropy and the largest probability."""
    z = [float(v) for v in logits]
    softmax_summary(z, temperature)  # fails early, with a clear message, on bad arguments
    style = {"description_width": "30px"}
    layout = W.Layout(width="240px")
    sliders = [W.FloatSlider(value=v, min=-6, max=6, step=0.1, description=f"z{i}", style=style, layout=layout,
                             continuous_update=False, readout_format=".1f") for i, v in enumerate(z)]
    temp = W.FloatLogSlider(value=temperature, base=10, min=-1, max=1, step=0.05, description="T", style=style,
                            layout=layout, continuous_update=False, readout_format=".2f")
    view = W.Image(format="png", layout=W.Layout(max_width="100%"))
    info = W.HTML()

    def redraw(_=None):
        state = softmax_summary([s.value for s in sliders], temp.value)
        view.value = _draw(state)
        info.value = _info_html(state)

    for s in (*sliders, temp):
        s.observe(redraw, names="value")
    redraw()
    controls = W.VBox([W.HTML("<b>logits</b>"), *sliders, W.HTML("<b>temperature</b>"), temp])
    box = W.VBox([W.HBox([controls, view]), info])
    box.controls = {s.description: s for s in (*sliders, temp)}  # for tests and notebooks that drive it
    box.view, box.info = view, info
    return box
