"""The trainer of notebook 06: pick a learning rate, hidden size, L2 strength, activation and
step count; the network retrains and its decision boundary and learning curves redraw."""

import time
from html import escape

import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import datasets
from ..model import TrainingDivergedError, mlp
from ..optim import SGD
from ._png import png_bytes

GREEN, RED = "#1a7f37", "#c62828"
HIDDEN = (2, 5, 10, 25, 50, 100, 200)
REGS = (("0", 0.0), ("1e-4", 1e-4), ("1e-3", 1e-3), ("1e-2", 1e-2), ("1e-1", 1e-1))
STEPS = (50, 100, 200, 500, 1000, 2000)


def train_once(X, y, lr, hidden, reg, activation, steps, rng=0):
    """Train a fresh D-hidden-C network full batch with SGD -> (model, history, error message or None).

    A diverging run does not raise: it returns the history up to the last finite epoch and the
    error's message, so a view can show what happened.
    """
    model = mlp([X.shape[1], hidden, int(y.max()) + 1], activation, reg=reg, rng=rng)
    kept = {}

    def keep(epoch, _model, history):
        kept["history"] = history

    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows on its way to the error
            history = model.fit(X, y, SGD(lr), epochs=steps, progress=False, callback=keep)
        return model, history, None
    except TrainingDivergedError as err:
        return model, kept.get("history", {"epoch": [], "loss": [], "accuracy": []}), str(err)


def _png(model, X, y, history, diverged, resolution, title):
    """Decision boundary, loss and training accuracy side by side, as PNG bytes (own Agg canvas, never shown)."""
    from .. import plotting  # loads matplotlib's pyplot machinery only when a view is drawn

    fig = Figure(figsize=(10.5, 3.3))
    FigureCanvasAgg(fig)
    ax_b, ax_l, ax_a = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.0, 1.15, 1.15]})
    if diverged:
        plotting.plot_data(X, y, ax=ax_b, title="diverged: no boundary", s=10)
    else:
        plotting.plot_decision_boundary(model, X, y, ax=ax_b, title=title, resolution=resolution)
        for c in ax_b.collections[1:]:
            c.set_sizes([10])
    epochs = history.get("epoch", [])
    if len(epochs):
        ax_l.plot(epochs, history["loss"], color="#333333")
        ax_l.set_yscale("log")
        ax_a.plot(epochs, history["accuracy"], color=plotting.CLASS_COLORS[2])
    ax_l.set_xlabel("step")
    ax_l.set_ylabel("loss")
    ax_l.set_title("loss (log scale)")
    ax_a.set_ylim(0, 1.02)
    ax_a.set_xlabel("step")
    ax_a.set_ylabel("training accuracy")
    ax_a.set_title("training accuracy")
    for ax in (ax_l, ax_a):
        ax.grid(alpha=0.3)
    fig.subplots_adjust(
        left=0.06, right=0.99, bottom=0.15, top=0.9, wspace=0.35
    )  # fixed: tight_layout doubles the cost
    return png_bytes(fig, 72)


def trainer(
    X=None, y=None, lr=1.0, hidden=50, reg=1e-3, activation="relu", steps=1000, rng=0, resolution=100, auto=True
):
    """Controls for one training run of a D-hidden-C classifier on (X, y) (default: the CS231n spiral).

    Changing a control retrains (while "retrain on change" is ticked), or press Train. The view
    shows the decision boundary and the loss and accuracy curves; the text below gives the final
    loss and accuracy, or the message of a run that diverged.
    box.controls: name -> widget ("lr", "hidden", "reg", "activation", "steps", "auto");
    box.button, box.view (the image), box.status (the text).
    """
    if X is None:
        X, y = datasets.spiral(100, 3, kind="cs231n", rng=0)
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"trainer: expected X of shape (N, D) and y of shape (N,), got {X.shape} and {y.shape}")
    if hidden not in HIDDEN or steps not in STEPS or reg not in dict(REGS).values():
        raise ValueError(f"trainer: expected hidden in {HIDDEN}, steps in {STEPS} and reg in {[v for _, v in REGS]}")
    style = {"description_width": "140px"}
    layout = W.Layout(width="400px")
    controls = {
        "lr": W.FloatLogSlider(
            value=lr,
            base=10,
            min=-3,
            max=2,
            step=0.5,
            description="learning rate",
            readout_format=".3g",
            continuous_update=False,
            style=style,
            layout=layout,
        ),
        "hidden": W.SelectionSlider(
            options=HIDDEN,
            value=hidden,
            description="hidden units",
            continuous_update=False,
            style=style,
            layout=layout,
        ),
        "reg": W.SelectionSlider(
            options=REGS, value=reg, description="L2 strength", continuous_update=False, style=style, layout=layout
        ),
        "activation": W.ToggleButtons(
            options=("relu", "tanh", "sigmoid"),
            value=activation,
            description="activation",
            style={**style, "button_width": "90px"},
        ),
        "steps": W.SelectionSlider(
            options=STEPS,
            value=steps,
            description="steps (full batch)",
            continuous_update=False,
            style=style,
            layout=layout,
        ),
        "auto": W.Checkbox(value=auto, description="retrain when a control changes", indent=False),
    }
    button = W.Button(description="Train", button_style="primary", icon="play")
    view = W.Image(format="png")
    status = W.HTML()

    def train(_=None):
        c = {k: w.value for k, w in controls.items()}
        t0 = time.perf_counter()
        model, history, error = train_once(X, y, c["lr"], c["hidden"], c["reg"], c["activation"], c["steps"], rng)
        seconds = time.perf_counter() - t0
        setting = f"lr {c['lr']:.3g}, {c['hidden']} {c['activation']} units, L2 {c['reg']:g}, {c['steps']} steps"
        if error:
            status.value = f"<p style='color:{RED}'><b>Training diverged.</b> {escape(error)}</p><p>{setting}</p>"
        else:
            loss, acc = model.loss(X, y), model.accuracy(X, y)
            status.value = (
                f"<p>{setting}: final loss <b>{loss:.4f}</b>, training accuracy "
                f"<b style='color:{GREEN}'>{acc:.3f}</b> (trained in {seconds:.2f} s)</p>"
            )
        title = f"{c['hidden']} {c['activation']} units"
        view.value = _png(model, X, y, history, bool(error), resolution, title)

    def changed(_):
        if controls["auto"].value:
            train()

    for name, w in controls.items():
        if name != "auto":
            w.observe(changed, names="value")
    button.on_click(train)
    train()
    left = W.VBox(
        [*(controls[k] for k in ("lr", "hidden", "reg", "steps", "activation")), W.HBox([button, controls["auto"]])]
    )
    box = W.VBox([left, view, status])
    box.controls, box.button, box.view, box.status = controls, button, view, status
    box.train = train
    return box
