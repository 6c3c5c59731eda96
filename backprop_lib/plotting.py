"""Plots the course uses again and again. Loaded on first use: it imports matplotlib."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

CLASS_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def _ax(ax, figsize=(4.5, 4.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_data(X, y, ax=None, title=None, s=18):
    """Scatter 2-D points X: (N, 2) coloured by label y: (N,)."""
    ax = _ax(ax)
    y = np.asarray(y)
    for c in np.unique(y):
        pts = X[y == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=s, color=CLASS_COLORS[int(c) % len(CLASS_COLORS)],
                   edgecolor="white", linewidth=0.4, label=f"class {int(c)}")
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax


def plot_decision_boundary(predict, X, y, ax=None, title=None, resolution=200, margin=0.25):
    """Colour the plane by predicted class and draw the data on top.

    predict: a function X: (M, 2) -> labels (M,), or any object with a `predict` method.
    """
    fn = predict.predict if hasattr(predict, "predict") else predict
    ax = _ax(ax)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[g0.ravel(), g1.ravel()].astype(X.dtype)  # (resolution**2, 2)
    Z = np.asarray(fn(grid)).reshape(g0.shape)
    n = int(max(Z.max(), np.max(y))) + 1
    cmap = ListedColormap(CLASS_COLORS[:n])
    ax.contourf(g0, g1, Z, levels=np.arange(n + 1) - 0.5, cmap=cmap, alpha=0.25)
    plot_data(X, y, ax=ax, title=title)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    return ax


def plot_history(history, axes=None, title=None):
    """Loss (log scale) and, for classifiers, accuracy against epoch, from a `fit` History."""
    has_acc = "accuracy" in history
    if axes is None:
        _, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(9 if has_acc else 4.5, 3.2))
    axes = np.atleast_1d(axes)
    epochs = history.get("epoch", range(1, len(history["loss"]) + 1))
    axes[0].plot(epochs, history["loss"], color="#333333")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("loss")
    axes[0].grid(alpha=0.3)
    if has_acc:
        axes[1].plot(epochs, history["accuracy"], color=CLASS_COLORS[2])
        axes[1].set_ylim(0, 1.02)
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("training accuracy")
        axes[1].grid(alpha=0.3)
    if title:
        axes[0].figure.suptitle(title)
    axes[0].figure.tight_layout()
    return axes


def plot_jacobian(J, ax=None, title="softmax Jacobian", annotate=True, labels=None):
    """Heatmap of a (C, C) Jacobian, red for positive and blue for negative, centred at 0."""
    J = np.asarray(J)
    if J.ndim != 2 or J.shape[0] != J.shape[1]:
        raise ValueError(f"plot_jacobian: expected a square (C, C) matrix, got shape {J.shape}")
    ax = _ax(ax, figsize=(3.8, 3.4))
    lim = max(float(np.abs(J).max()), 1e-12)
    im = ax.imshow(J, cmap="RdBu_r", vmin=-lim, vmax=lim)
    C = J.shape[0]
    labels = labels or [str(i) for i in range(C)]
    ax.set_xticks(range(C), [f"$z_{{{lab}}}$" for lab in labels])
    ax.set_yticks(range(C), [f"$s_{{{lab}}}$" for lab in labels])
    if annotate and C <= 8:
        for i in range(C):
            for j in range(C):
                ax.text(j, i, f"{J[i, j]:+.3f}", ha="center", va="center", fontsize=8,
                        color="white" if abs(J[i, j]) > 0.6 * lim else "black")
    ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return ax


def draw_matrix(ax, left, values, label, color, highlight=()):
    """Draw a matrix as a grid of squares (for shape diagrams): top edge at y = 0, `left` its x.

    Integer entries are written in their squares; entries listed in `highlight` as (row, col)
    are drawn darker. Returns the width, so several matrices can be laid out in a row.
    """
    values = np.asarray(values)
    rows, cols = values.shape
    highlight = set(highlight)
    for r in range(rows):
        for c in range(cols):
            ax.add_patch(plt.Rectangle((left + c, -r - 1), 1, 1, facecolor=color,
                                       alpha=0.9 if (r, c) in highlight else 0.25, edgecolor="#333333", linewidth=0.8))
            if values.dtype.kind in "iu":
                ax.text(left + c + 0.5, -r - 0.5, str(values[r, c]), ha="center", va="center", fontsize=9)
    ax.text(left + cols / 2, 0.35, label, ha="center", va="bottom", fontsize=11)
    return cols


def plot_confusion_matrix(cm, labels=None, ax=None, title="confusion matrix", cmap="Blues"):
    """Draw a (C, C) confusion matrix: rows are true classes, columns predicted; each cell shows its count."""
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"plot_confusion_matrix: expected a square (C, C) matrix, got shape {cm.shape}")
    C = cm.shape[0]
    labels = [str(i) for i in range(C)] if labels is None else [str(lab) for lab in labels]
    if len(labels) != C:
        raise ValueError(f"plot_confusion_matrix: expected {C} labels, one per class, got {len(labels)}")
    ax = _ax(ax, figsize=(3.2 + 0.5 * C, 2.8 + 0.5 * C))
    top = max(float(cm.max()), 1e-12)
    ax.imshow(cm, cmap=cmap, vmin=0, vmax=top)
    for i in range(C):
        for j in range(C):
            text = f"{cm[i, j]:d}" if cm.dtype.kind in "iu" else f"{cm[i, j]:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=11,
                    color="white" if cm[i, j] > 0.6 * top else "black")
    ax.set_xticks(range(C), labels)
    ax.set_yticks(range(C), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    return ax


def draw_matmul(ax, a_shape, b_shape, labels=("A", "B", "A @ B"), colors=("#1f77b4", "#2ca02c", "#ff7f0e"),
                row=None, col=None, title=None):
    """Shape diagram of a product (n, k) @ (k, m) -> (n, m), drawn with `draw_matrix` on a bare axes.

    Row `row` of the left factor, column `col` of the right one and the entry they make are drawn dark.
    """
    (n, k), (k2, m) = a_shape, b_shape
    if k != k2:
        raise ValueError(f"draw_matmul: the inner sizes must match, got {a_shape} @ {b_shape}")
    dark = row is not None and col is not None
    x = draw_matrix(ax, 0, np.zeros((n, k)), labels[0], colors[0], [(row, c) for c in range(k)] if dark else ())
    ax.text(x + 0.75, -min(n, k) / 2, "@", ha="center", va="center", fontsize=16)
    x += 1.5
    x += draw_matrix(ax, x, np.zeros((k, m)), labels[1], colors[1], [(r, col) for r in range(k)] if dark else ())
    ax.text(x + 0.75, -min(n, k) / 2, "=", ha="center", va="center", fontsize=16)
    x += 1.5
    x += draw_matrix(ax, x, np.zeros((n, m)), labels[2], colors[2], [(row, col)] if dark else ())
    ax.set_xlim(-0.3, x + 0.3)
    ax.set_ylim(-max(n, k) - 0.4, 1.3)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    return ax
