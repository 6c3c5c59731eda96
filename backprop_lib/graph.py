"""Draw a computation graph of `engine.Value`s with matplotlib (no graphviz needed).

Left to right: the inputs on the left, the output on the right. Each value is a box with its
name, data (green) and gradient (red); the operation that made it is a circle just before it.
"""

from itertools import pairwise

from .engine import Value

GREEN, RED, GREY, ORANGE = "#1a7f37", "#c62828", "#8a8a8a", "#d9480f"
OP_SYMBOLS = {"*": "×", "-": "−", "neg": "−x", "sigmoid": "σ"}

DX, DY = 3.1, 1.25  # column and row spacing (data units)
BOX_W, BOX_H, OP_GAP, OP_R = 1.7, 0.95, 1.05, 0.36


def node_names(root):
    """{node: name}: its label, or #i (its place in the topological order) when it has none."""
    return {n: n.label or f"#{i}" for i, n in enumerate(root.topological_order())}


def layout(root):
    """Place the graph in columns -> ({node: (x, y)}, {(parent, node): [(x, y) waypoints]}).

    Columns follow the longest path from the inputs (every edge points right); then every
    node moves as far right as its consumers allow, so most edges span one column. An edge
    that still spans several gets a waypoint in each column it crosses, so it never runs
    through a box. Rows are ordered by a few sweeps of the barycentre heuristic (each node
    near the mean height of its neighbours), which removes most crossings in small graphs.
    """
    if not isinstance(root, Value):
        raise TypeError(f"layout: expected a Value, got {type(root).__name__}")
    order = root.topological_order()
    edges = [(p, n) for n in order for p in dict.fromkeys(n.parents)]  # each parent once
    depth = {}
    for n in order:
        depth[n] = 1 + max((depth[p] for p in n.parents), default=-1)
    for n in reversed(order[:-1]):
        depth[n] = min(depth[c] for p, c in edges if p is n) - 1
    ups, downs, routes = {}, {}, {}  # neighbours in the column before / after; waypoints per edge
    for p, n in edges:
        chain = [p, *(("via", p, n, d) for d in range(depth[p] + 1, depth[n])), n]
        routes[(p, n)] = chain[1:-1]
        for a, b in pairwise(chain):
            downs.setdefault(a, []).append(b)
            ups.setdefault(b, []).append(a)
            depth.setdefault(b, depth[a] + 1)
    columns = {}
    for item, d in depth.items():  # nodes in topological order, then waypoints
        columns.setdefault(d, []).append(item)
    cols = [columns[d] for d in sorted(columns)]

    y = {}

    def place(col):
        for i, item in enumerate(col):
            y[item] = (len(col) - 1) / 2 - i

    def by_neighbours(neighbours):
        return lambda item: (
            -sum(y[m] for m in neighbours[item]) / len(neighbours[item]) if neighbours.get(item) else -y[item]
        )

    for col in cols:
        place(col)
    for _ in range(3):
        for sweep, neighbours in ((cols[1:], ups), (cols[-2::-1], downs)):
            for col in sweep:
                col.sort(key=by_neighbours(neighbours))
                place(col)
    pos = {item: (depth[item] * DX, y[item] * DY) for item in depth}
    return {n: pos[n] for n in order}, {e: [pos[w] for w in via] for e, via in routes.items()}


def _fmt(v):
    if v is None:
        return "?"
    if isinstance(v, str):
        return v
    v = float(v) + 0.0  # no "-0.0000"
    return f"{v:.4f}" if v == 0 or 1e-3 <= abs(v) < 1e4 else f"{v:.2e}"


def draw_graph(root, ax=None, highlight=None, grads=None, title=None, fontsize=8, caption=True):
    """Draw the graph that computes `root`; returns the matplotlib axes.

    highlight: a Value or several; drawn in orange, and the edges along which each one sends
    its gradient are drawn in red with the amount sent.
    grads: optional {node: number, text or None} shown instead of `node.grad` (None shows "?"),
    e.g. the gradients known part way through the backward pass.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, FancyBboxPatch

    pos, routes = layout(root)
    names = node_names(root)
    grads = {} if grads is None else grads
    highlight = set([highlight] if isinstance(highlight, Value) else highlight or ())
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for route in [list(pos.values()), *routes.values()] for p in route]
    x_lo, x_hi = min(xs) - OP_GAP - OP_R - 0.2, max(xs) + BOX_W / 2 + 0.2
    y_lo, y_hi = min(ys) - BOX_H / 2 - (0.55 if caption else 0.2), max(ys) + BOX_H / 2 + 0.25
    if ax is None:
        inch = 0.62  # inches per data unit: the text fits its box at fontsize 8
        w, h = (x_hi - x_lo) * inch, (y_hi - y_lo) * inch
        shrink = min(1.0, 16.0 / w, 10.0 / h)
        fontsize *= shrink
        top = 0.35 if title else 0.0
        fig, ax = plt.subplots(figsize=(w * shrink, (h + top) * shrink))
        fig.subplots_adjust(left=0, right=1, bottom=0, top=h / (h + top))
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal")
    ax.axis("off")

    def edge(points, color, lw, rad=0.0):
        """A line through `points` with an arrow head on its last segment."""
        if len(points) > 2:
            ax.plot(*zip(*points[:-1]), color=color, lw=lw, zorder=1, solid_capstyle="butt")
        ax.annotate(
            "",
            xy=points[-1],
            xytext=points[-2],
            zorder=1,
            arrowprops={
                "arrowstyle": "-|>",
                "color": color,
                "lw": lw,
                "shrinkA": 0,
                "shrinkB": 0,
                "mutation_scale": 9,
                "connectionstyle": f"arc3,rad={rad}",
            },
        )

    for node, (x, y) in pos.items():
        lit = node in highlight
        color, lw = (RED, 1.6) if lit else ("#777777", 0.9)
        if node.parents:
            ox = x - OP_GAP
            shown = grads.get(node, node.grad)
            for i, (parent, local) in enumerate(zip(node.parents, node.local)):
                uses = node.parents.count(parent)  # a parent used twice gets two bent edges
                k = node.parents[:i].count(parent)
                px, py = pos[parent]
                points = [(px + BOX_W / 2, py)]
                for wx, wy in routes[(parent, node)]:
                    points += [(wx - BOX_W / 2, wy), (wx + BOX_W / 2, wy)]
                dx, dy = ox - points[-1][0], y - points[-1][1]
                dist = (dx * dx + dy * dy) ** 0.5
                points.append((ox - OP_R * dx / dist, y - OP_R * dy / dist))
                edge(points, color, lw, 0.3 * (2 * k - uses + 1) if uses > 1 else 0.0)
                if lit and isinstance(shown, (int, float)):
                    # beside the parent's box, on the side its edge does not go
                    up = points[1][1] > py or (uses > 1 and k == 0)
                    ax.text(
                        px + BOX_W / 2 + 0.1,
                        py + (-0.08 if up else 0.08),
                        f"← {shown * local + 0.0:.4g}",
                        color=RED,
                        fontsize=fontsize * 0.9,
                        ha="left",
                        va="top" if up else "bottom",
                        fontweight="bold",
                        zorder=5,
                    )
            edge([(ox + OP_R, y), (x - BOX_W / 2, y)], color, lw)
            ax.add_patch(
                Circle(
                    (ox, y),
                    OP_R,
                    facecolor="#ffffff",
                    edgecolor=ORANGE if lit else "#555555",
                    lw=1.5 if lit else 1.0,
                    zorder=3,
                )
            )
            op = OP_SYMBOLS.get(node.op, node.op)
            ax.text(
                ox,
                y,
                op,
                ha="center",
                va="center",
                zorder=4,
                fontsize=fontsize * (1.2 if len(op) <= 2 else 0.85 if len(op) == 3 else 0.72),
                fontweight="bold",
            )
        face = "#fff4e6" if lit else ("#e7f0fa" if not node.parents else "#f5f5f5")
        ax.add_patch(
            FancyBboxPatch(
                (x - BOX_W / 2, y - BOX_H / 2),
                BOX_W,
                BOX_H,
                zorder=3,
                boxstyle="round,pad=0,rounding_size=0.12",
                facecolor=face,
                edgecolor=ORANGE if lit else "#555555",
                lw=2.2 if lit else 0.9,
            )
        )
        g = grads.get(node, node.grad)
        ax.text(x, y + 0.27, names[node], ha="center", va="center", fontsize=fontsize, fontweight="bold", zorder=4)
        ax.text(x, y, f"data {_fmt(node.data)}", ha="center", va="center", fontsize=fontsize, color=GREEN, zorder=4)
        ax.text(
            x,
            y - 0.27,
            f"grad {_fmt(g)}",
            ha="center",
            va="center",
            fontsize=fontsize,
            zorder=4,
            color=RED if isinstance(g, (int, float)) else GREY,
        )
    if caption:
        ax.text(
            x_lo + 0.1,
            y_lo + 0.1,
            "green: data    red: grad = d(output)/d(this node)",
            fontsize=fontsize * 0.9,
            color="#555555",
            ha="left",
            va="bottom",
        )
    if title:
        ax.set_title(title, fontsize=fontsize * 1.3)
    return ax
