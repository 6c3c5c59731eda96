"""The loss-surface explorer of notebook 12: an optimiser and a learning rate versus the path it
takes on a two-dimensional loss surface."""

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure  # not pyplot: the view is drawn off-screen into PNG bytes

from ..optim import OPTIMIZERS, SGD, Adam, Momentum
from ._png import png_bytes

COLORS = {"sgd": "#d62728", "momentum": "#1f77b4", "adam": "#2ca02c"}
KAPPA = 25.0  # the condition number of the quadratic: its curvatures are 1 and KAPPA


def _quadratic(w):
    return 0.5 * (w[0] ** 2 + KAPPA * w[1] ** 2)


def _quadratic_grad(w):
    return np.array([w[0], KAPPA * w[1]])


def _banana(w):
    return (1 - w[0]) ** 2 + 10 * (w[1] - w[0] ** 2) ** 2


def _banana_grad(w):
    return np.array([-2 * (1 - w[0]) - 40 * w[0] * (w[1] - w[0] ** 2), 20 * (w[1] - w[0] ** 2)])


# name -> loss f(w), its gradient, the start, the minimum, the plot box (x0, x1, y0, y1)
SURFACES = {
    "ill_conditioned": {"f": _quadratic, "grad": _quadratic_grad, "start": (-4.0, 1.6), "minimum": (0.0, 0.0),
                        "box": (-5.0, 5.0, -2.2, 2.2),
                        "title": f"f(w) = (w1² + {KAPPA:g} w2²) / 2"},
    "banana": {"f": _banana, "grad": _banana_grad, "start": (-1.5, 2.0), "minimum": (1.0, 1.0),
               "box": (-2.0, 2.0, -1.0, 3.0), "title": "f(w) = (1 - w1)² + 10 (w2 - w1²)²"},
}


def _check_choice(value, name, choices, where):
    if value not in choices:
        raise ValueError(f"{where}: expected {name} as one of {tuple(choices)}, got {value!r}")


def make_optimizer(name, lr, momentum=0.9, beta1=0.9, beta2=0.999):
    """A library optimiser by name ("sgd", "momentum", "adam")."""
    _check_choice(name, "optimizer", OPTIMIZERS, "make_optimizer")
    if name == "sgd":
        return SGD(lr)
    if name == "momentum":
        return Momentum(lr, momentum)
    return Adam(lr, beta1, beta2)


def optimise_path(surface, optimizer, steps=100):
    """Run `optimizer` (a library optimiser) on SURFACES[surface] from its start -> path (K + 1, 2).

    K = steps, unless the point runs far outside the plot box (a diverging run), where the path
    stops. The parameters are one array w: (2,), updated in place by `optimizer.step`.
    """
    _check_choice(surface, "surface", SURFACES, "optimise_path")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"optimise_path: expected steps as an integer >= 0, got {steps!r}")
    s = SURFACES[surface]
    x0, x1, y0, y1 = s["box"]
    far = 20 * max(x1 - x0, y1 - y0)
    params = {"w": np.array(s["start"], dtype=np.float64)}
    path = [params["w"].copy()]
    for _ in range(steps):
        optimizer.step(params, {"w": s["grad"](params["w"])})
        path.append(params["w"].copy())
        if np.abs(params["w"]).max() > far:
            break
    return np.array(path)


def steps_to_reach(surface, path, tol=1e-3):
    """The first step whose loss is below `tol`, or None if the path never gets there."""
    f = SURFACES[surface]["f"]
    for t, w in enumerate(path):
        if f(w) < tol:
            return t
    return None


def surface_png(surface, paths, title=None, dpi=72):
    """surface name, paths {label: (K + 1, 2) array} -> PNG bytes: the paths on the loss contours."""
    _check_choice(surface, "surface", SURFACES, "surface_png")
    s = SURFACES[surface]
    x0, x1, y0, y1 = s["box"]
    gx, gy = np.meshgrid(np.linspace(x0, x1, 240), np.linspace(y0, y1, 180))
    fz = s["f"](np.stack([gx, gy]))
    fig = Figure(figsize=(6.4, 3.6) if surface == "ill_conditioned" else (5.2, 4.4))
    ax = fig.add_subplot()
    levels = np.geomspace(max(float(fz.min()), 1e-3), float(fz.max()), 14)
    ax.contour(gx, gy, fz, levels=levels, colors="#999999", linewidths=0.7)
    ax.plot(*s["minimum"], "*", color="black", ms=10)
    for i, (label, path) in enumerate(paths.items()):
        color = COLORS.get(label.split()[0], f"C{i}")
        ax.plot(path[:, 0], path[:, 1], "o-", ms=2.5, lw=1.2, color=color, label=label)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    ax.set_title(title or s["title"], fontsize=10)
    if paths:
        ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return png_bytes(fig, dpi)


def path_summary_html(surface, path, steps, tol=1e-3):
    """One line: where the run ended and when, if ever, its loss went below `tol`."""
    f = SURFACES[surface]["f"]
    last = float(f(path[-1]))
    if len(path) < steps + 1:
        return f"<p><b>diverged</b>: after {len(path) - 1} steps the point is far off the plot (loss {last:.1e}).</p>"
    reached = steps_to_reach(surface, path, tol)
    when = f"loss below {tol:g} after {reached} steps" if reached is not None else f"loss never below {tol:g}"
    return f"<p>{when}; loss after {steps} steps: {last:.1e}.</p>"


def loss_surface_explorer(optimizer="sgd", lr=0.03, surface="ill_conditioned", steps=60, momentum=0.9):
    """Optimiser, learning rate, steps and surface versus the path the optimiser takes on it."""
    _check_choice(optimizer, "optimizer", OPTIMIZERS, "loss_surface_explorer")
    _check_choice(surface, "surface", SURFACES, "loss_surface_explorer")
    style = {"description_width": "70px"}
    controls = {
        "optimizer": W.Dropdown(options=list(OPTIMIZERS), value=optimizer, description="optimiser", style=style),
        "lr": W.FloatLogSlider(value=lr, base=10, min=-3, max=0.5, step=0.1, description="lr", style=style,
                               readout_format=".3f", continuous_update=False),
        "steps": W.IntSlider(value=steps, min=5, max=300, step=5, description="steps", style=style,
                             continuous_update=False),
        "surface": W.Dropdown(options=list(SURFACES), value=surface, description="surface", style=style),
    }
    view = W.Image(format="png", layout=W.Layout(max_width="100%"))
    summary = W.HTML()
    box = W.VBox([W.HBox([controls["optimizer"], controls["surface"]]), W.HBox([controls["lr"], controls["steps"]]),
                  view, summary])

    def redraw(_=None):
        c = {name: widget.value for name, widget in controls.items()}
        opt = make_optimizer(c["optimizer"], c["lr"], momentum)
        box.path = optimise_path(c["surface"], opt, c["steps"])
        view.value = surface_png(c["surface"], {f"{c['optimizer']} lr={c['lr']:.3g}": box.path})
        summary.value = path_summary_html(c["surface"], box.path, c["steps"])

    for widget in controls.values():
        widget.observe(redraw, names="value")
    redraw()
    box.controls, box.view, box.summary = controls, view, summary  # for tests and notebooks that drive it
    return box
