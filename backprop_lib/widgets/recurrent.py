"""Notebook 15: how the gradient reaching each time step of a tanh RNN depends on the recurrent
weights' scale (their spectral radius) and on the length of the sequence."""

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from ..sequence import rnn_backward, rnn_forward
from ._png import png_bytes


def recurrent_weights(H, rho, seed=0):
    """An (H, H) matrix rho * Q with Q a random orthogonal matrix: every eigenvalue has size rho."""
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((H, H)))
    return rho * q * np.sign(np.diag(r))  # the signs make Q unique: the same seed, the same matrix


def gradient_per_step(rho, T, H=32, D=4, input_scale=0.1, seed=0):
    """||dL/dh_t|| for t = 1 ... T of a tanh RNN with Wh = rho * Q, where L = u . h_T reads the last
    state only: (T,), the first step first. It falls (or grows) by about rho per step back,
    times the tanh slopes (1 - h_t**2) on the way."""
    rng = np.random.default_rng(seed)
    x = input_scale * rng.standard_normal((1, T, D))
    Wx = rng.standard_normal((D, H)) / np.sqrt(D)
    Wh = recurrent_weights(H, rho, seed + 1)
    b = np.zeros(H)
    hs, _ = rnn_forward(x, np.zeros((1, H)), Wx, Wh, b)
    u = rng.standard_normal((1, H)) / np.sqrt(H)  # L = u . h_T
    norms = np.empty(T)
    norms[-1] = np.linalg.norm(u)
    for t in range(T - 1):  # dL/dh_t is the dh0 of the rest of the sequence, run from h_t
        rest, cache = rnn_forward(x[:, t + 1 :], hs[:, t], Wx, Wh, b)
        dhs = np.zeros_like(rest)
        dhs[:, -1] = u
        norms[t] = np.linalg.norm(rnn_backward(dhs, cache)[1])
    return norms


def gradient_png(norms, rho, dpi=80):
    """The gradient norm per time step on a log axis, with rho**(T - t) for comparison."""
    T = len(norms)
    t = np.arange(1, T + 1)
    fig = Figure(figsize=(7.5, 3.4))
    ax = fig.add_subplot(1, 1, 1)
    shown = np.where(norms > 0, norms, np.nan)
    ax.plot(t, shown, "o-", color="#0072B2", ms=3, label="||dL/dh_t||, measured")
    ax.plot(t, norms[-1] * rho ** (T - t), "--", color="#D55E00", label=f"{rho:g}^(T - t), the linear guess")
    ax.set_yscale("log")
    ax.set_xlabel("time step t (the loss reads h_T)")
    ax.set_ylabel("gradient norm at h_t")
    ax.set_title(f"Gradient reaching each step, spectral radius {rho:g}, T = {T}")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    fig.subplots_adjust(left=0.12, right=0.98, bottom=0.15, top=0.9)
    return png_bytes(fig, dpi)


def bptt_explorer(rho=0.9, T=30):
    """Spectral radius of the recurrent weights and sequence length versus the gradient per time step."""
    style = {"description_width": "120px"}
    controls = {
        "rho": W.FloatSlider(value=rho, min=0.5, max=2.0, step=0.05, description="spectral radius",
                             style=style, continuous_update=False),
        "T": W.IntSlider(value=T, min=5, max=100, description="length T", style=style, continuous_update=False),
    }
    view = W.Image(format="png", layout=W.Layout(width="600px"))
    summary = W.HTML()
    box = W.VBox([W.HBox(list(controls.values())), view, summary])

    def redraw(_=None):
        rho_, T_ = controls["rho"].value, controls["T"].value
        box.norms = gradient_per_step(rho_, T_)
        view.value = gradient_png(box.norms, rho_)
        ratio = box.norms[0] / box.norms[-1]
        summary.value = (f"<p><b>gradient at step 1 / gradient at step T: {ratio:.1e}</b>, "
                         f"about ×{ratio ** (1 / max(T_ - 1, 1)):.2f} per step back.</p>")

    for widget in controls.values():
        widget.observe(redraw, names="value")
    redraw()
    box.controls, box.view, box.summary = controls, view, summary
    return box
