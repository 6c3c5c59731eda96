"""The snapshot slider of notebook 08: step through a regression fit as training went on."""

import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._png import png_bytes

FIT, DATA, LOSS = "#d62728", "#1f77b4", "#333333"


def _column(a, name):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"snapshot_slider: expected {name} of shape (N,) or (N, 1), got {a.shape}")
    return a


def snapshot_png(epoch, pred, x_curve, X, y, losses=None, snap_epochs=(), ylim=None):
    """The fit at one snapshot (left) and the loss up to that epoch (right), as PNG bytes.

    pred: (M,) predictions on x_curve: (M,); X, y: (N,) the data; losses: (E,) one per epoch
    (index 0 is epoch 1), drawn up to `epoch` on a log scale.
    """
    fig = Figure(figsize=(9.5, 3.3))
    FigureCanvasAgg(fig)
    ax_f, ax_l = fig.subplots(1, 2)
    ax_f.plot(X, y, "o", ms=3, color=DATA, alpha=0.6, label="data")
    ax_f.plot(x_curve, pred, color=FIT, lw=2, label="network")
    same_x = x_curve.shape == X.shape and np.allclose(x_curve, X)
    mse = float(np.mean((pred - y) ** 2)) if same_x else None  # only where the curve was taken at the data
    ax_f.set_title(f"epoch {epoch}" + (f":  MSE {mse:.3g}" if mse is not None else ""))
    ax_f.set_xlabel("x")
    ax_f.set_ylabel("y")
    if ylim is not None:
        ax_f.set_ylim(*ylim)
    ax_f.legend(loc="upper right", fontsize=8)
    ax_f.grid(alpha=0.3)
    if losses is not None and len(losses):
        epochs = np.arange(1, len(losses) + 1)
        ax_l.plot(epochs, losses, color="#bbbbbb", lw=1)  # the whole run, faint
        upto = min(max(epoch, 0), len(losses))
        if upto:
            ax_l.plot(epochs[:upto], losses[:upto], color=LOSS, lw=1.5)
            ax_l.plot([upto], [losses[upto - 1]], "o", color=FIT)
        ax_l.set_yscale("log")
        ax_l.set_xlim(0, len(losses))
        for e in snap_epochs:
            ax_l.axvline(e, color="#dddddd", lw=0.6, zorder=0)
    ax_l.set_xlabel("epoch")
    ax_l.set_ylabel("loss (MSE)")
    ax_l.set_title("loss so far")
    ax_l.grid(alpha=0.3)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.28)
    return png_bytes(fig, 72)


def snapshot_slider(snapshots, X, y, history=None, x_curve=None):
    """An epoch slider over stored snapshots of a regression fit.

    snapshots: list of (epoch, pred) with pred: (M,) or (M, 1), the network's output on
    x_curve: (M,) or (M, 1) (default: X itself); X: (N, 1), y: (N, 1) the training data;
    history: the `fit` History (its "loss") to draw the loss up to the chosen epoch.
    box.controls: {"epoch": slider, "play": play}; box.view (the image), box.status (the text).
    """
    if not snapshots:
        raise ValueError("snapshot_slider: expected at least one (epoch, pred) snapshot, got none")
    Xc, yc = _column(X, "X"), _column(y, "y")
    x_curve = Xc if x_curve is None else _column(x_curve, "x_curve")
    snaps = []
    for epoch, pred in snapshots:
        pred = _column(pred, "each snapshot's pred")
        if pred.shape != x_curve.shape:
            raise ValueError(f"snapshot_slider: expected predictions of shape {x_curve.shape} (one per x_curve "
                             f"point), got {pred.shape} at epoch {epoch}")
        snaps.append((int(epoch), pred))
    losses = None if history is None else np.asarray(history["loss"], dtype=np.float64)
    lo = min(yc.min(), min(p.min() for _, p in snaps))
    hi = max(yc.max(), max(p.max() for _, p in snaps))
    pad = 0.08 * (hi - lo or 1.0)
    ylim = (lo - pad, hi + pad)
    epochs = [e for e, _ in snaps]

    slider = W.SelectionSlider(options=[(str(e), i) for i, e in enumerate(epochs)], value=len(snaps) - 1,
                               description="epoch", continuous_update=False, layout=W.Layout(width="520px"))
    play = W.Play(value=len(snaps) - 1, min=0, max=len(snaps) - 1, interval=400, description="play")
    W.jslink((play, "value"), (slider, "index"))
    view = W.Image(format="png")
    status = W.HTML()

    def show(_=None):
        i = slider.value
        epoch, pred = snaps[i]
        view.value = snapshot_png(epoch, pred, x_curve, Xc, yc, losses, epochs, ylim)
        status.value = f"<p>snapshot {i + 1} of {len(snaps)}: the network after {epoch} epochs</p>"

    slider.observe(show, names="value")
    show()
    box = W.VBox([W.HBox([play, slider]), view, status])
    box.controls = {"epoch": slider, "play": play}
    box.view, box.status = view, status
    return box
