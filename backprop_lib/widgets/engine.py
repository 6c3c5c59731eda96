"""The backward-pass stepper of notebook 07: walk a `Value` graph's backward pass node by node."""

from html import escape

import ipywidgets as W

from ..engine import Value
from ..graph import OP_SYMBOLS, draw_graph, node_names
from ._png import png_bytes

RED, GREY = "#c62828", "#8a8a8a"


def _num(v, factor=False):
    v = v + 0.0
    return f"({v:.4g})" if factor and v < 0 else f"{v:.4g}"  # a negative factor in brackets: 0.5 × (-3)


def _rule(node, i, names):
    """The local derivative d node / d parent i, as the formula the op stored, in the nodes' names."""
    return node.rules[i].format(*(names[q] for q in node.parents), out=names[node])


def step_html(step, names, k, n, before):
    """What step k of n did, one line per parent: upstream × local = amount, and the parent's new total.

    before: every node's gradient just before the step.
    """
    node = step.node
    op = OP_SYMBOLS.get(node.op, node.op)
    head = (
        f"<b>step {k} of {n}</b> · node <b>{escape(names[node])}</b> "
        f"({escape(op)}): its gradient {_num(step.grad)} is complete, so it sends"
    )
    total = dict(before)
    lines = []
    for i, (parent, local, amount) in enumerate(step.sent):
        rule = _rule(node, i, names)
        middle = escape(rule) if rule in ("1", "−1") else f"{escape(rule)} = {_num(step.grad)} × {_num(local, True)}"
        total[parent] += amount
        lines.append(
            f"<li>{_num(step.grad)} × {middle} = <b style='color:{RED}'>{_num(amount)}</b> "
            f"to <b>{escape(names[parent])}</b>, which now holds {_num(total[parent])}</li>"
        )
    tail = " All gradients are now final." if k == n else ""
    return f"<div>{head}<ul style='margin:2px 0'>{''.join(lines)}</ul>{tail}</div>"


def backward_stepper(root, dpi=80):
    """Previous/Next (and a step slider) through `root`'s backward pass, one node at a time.

    The view is the graph with the current node in orange and the amounts it sends in red;
    gradients not yet known show "?", those still collecting shares end in "…" (grey).
    It opens on the last step, every gradient filled in. Runs `root.backward_steps()`,
    which leaves the graph's gradients filled.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_stepper: expected a Value, got {type(root).__name__}")
    steps = [s for s in root.backward_steps() if s.node.parents]  # inputs send nothing: no step
    names = node_names(root)
    order = root.topological_order()
    consumers = {node: [] for node in order}
    for node in order:
        for p in set(node.parents):
            consumers[p].append(node)
    n = len(steps)

    def known(k):
        """Gradients after k steps: numbers when final, "…" when partial, None when nothing arrived."""
        if k == 0:
            return {node: (1.0 if node is root else None) for node in order}
        done = {s.node for s in steps[:k]}
        grads = steps[k - 1].grads
        out = {}
        for node in order:
            if node is root or all(c in done for c in consumers[node]):
                out[node] = grads[node]
            elif any(c in done for c in consumers[node]):
                out[node] = f"{grads[node] + 0.0:.4f}…"
            else:
                out[node] = None
        return out

    cache = {}

    def png(k):
        import matplotlib.pyplot as plt

        if k not in cache:
            ax = draw_graph(root, highlight=steps[k - 1].node if k else None, grads=known(k))
            cache[k] = png_bytes(ax.figure, dpi)
            plt.close(ax.figure)
        return cache[k]

    slider = W.IntSlider(value=n, min=0, max=n, description="step", continuous_update=False)
    prev = W.Button(description="◀ Previous", layout=W.Layout(width="110px"))
    nxt = W.Button(description="Next ▶", layout=W.Layout(width="110px"))
    image, text = W.Image(format="png"), W.HTML()
    legend = W.HTML(
        f"<span style='color:{GREY}'>orange: the node at work; red arrows: what it sends; "
        "“?”: nothing has arrived yet; “…”: some consumers have not sent their share yet</span>"
    )

    def show(_=None):
        k = slider.value
        image.value = png(k)
        if k == 0:
            text.value = (
                f"<div><b>step 0 of {n}</b> · the backward pass starts at the output: "
                f"d{escape(names[root])}/d{escape(names[root])} = 1. Press Next.</div>"
            )
        else:
            before = steps[k - 2].grads if k > 1 else {node: float(node is root) for node in order}
            text.value = step_html(steps[k - 1], names, k, n, before)
        prev.disabled, nxt.disabled = k == 0, k == n

    prev.on_click(lambda _: setattr(slider, "value", max(slider.value - 1, 0)))
    nxt.on_click(lambda _: setattr(slider, "value", min(slider.value + 1, n)))
    slider.observe(show, names="value")
    show()
    box = W.VBox([W.HBox([prev, nxt, slider]), text, image, legend])
    box.controls = {"previous": prev, "next": nxt, "step": slider}
    box.view, box.text, box.steps = image, text, steps
    return box
