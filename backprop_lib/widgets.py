"""Interactive widgets for the notebooks. Loaded on first use: it imports ipywidgets.

Each widget draws its view into plain `HTML` widgets (tables and SVG), so the state that
`nbconvert --execute` stores in the notebook shows the same picture in a static view and
in exported slides, where no kernel runs.
"""

from html import escape

import ipywidgets as W
import numpy as np

from .neuron import neuron_trace

GREEN, RED, GREY = "#1a7f37", "#c62828", "#555555"


def smoke_test():
    """A slider and a label that follows it: if moving the slider changes the text, widgets work."""
    slider = W.IntSlider(value=3, min=0, max=10, description="n")
    label = W.HTML()

    def show(_=None):
        n = slider.value
        label.value = f"<b>{n}</b> squared is <b>{n * n}</b>; the square root of {n} is <b>{np.sqrt(n):.4f}</b>"

    slider.observe(show, names="value")
    show()
    return W.VBox([slider, label])


# -- one neuron ------------------------------------------------------------------------------
def _fmt(v):
    v = float(v) + 0.0  # no "-0.00"
    if abs(v) < 0.005:
        return "0" if v == 0 else f"{v:.1e}"
    return f"{v:.2f}"


def neuron_graph_svg(t):
    """An SVG computational graph of `neuron_trace` output: values in green above, gradients in red below."""
    D = len(t["x"])
    h = 60 * D + 70
    ys_in = [20 + 30 * k for k in range(2 * D)] + [20 + 30 * 2 * D]
    ys_mul = [(ys_in[2 * i] + ys_in[2 * i + 1]) / 2 for i in range(D)]
    y_mid = (ys_mul[0] + ys_in[-1]) / 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="660" height="{h}" font-family="sans-serif" font-size="12">']

    def edge(x1, y1, x2, y2, val, grad):
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#999" stroke-width="1.5"/>')
        parts.append(f'<text x="{mx}" y="{my - 5}" fill="{GREEN}" text-anchor="middle">{_fmt(val)}</text>')
        parts.append(f'<text x="{mx}" y="{my + 14}" fill="{RED}" text-anchor="middle">{_fmt(grad)}</text>')

    def node(x, y, text, r=17):
        parts.append(f'<circle cx="{x}" cy="{y}" r="{r}" fill="#f5f5f5" stroke="#333"/>')
        parts.append(f'<text x="{x}" y="{y + 4}" text-anchor="middle" font-weight="bold">{escape(text)}</text>')

    def leaf(y, text):
        parts.append(f'<text x="28" y="{y + 4}" text-anchor="end" fill="{GREY}" font-style="italic">{escape(text)}</text>')

    dz = t["upstream"]["sum"]
    for i in range(D):
        leaf(ys_in[2 * i], f"x{i}")
        leaf(ys_in[2 * i + 1], f"w{i}")
        edge(34, ys_in[2 * i], 203, ys_mul[i], t["x"][i], t["dx"][i])
        edge(34, ys_in[2 * i + 1], 203, ys_mul[i], t["w"][i], t["dw"][i])
        edge(237, ys_mul[i], 383, y_mid, t["products"][i], dz)
        node(220, ys_mul[i], "×")
    leaf(ys_in[-1], "b")
    edge(34, ys_in[-1], 383, y_mid, t["b"], t["db"])
    edge(417, y_mid, 503, y_mid, t["z"], dz)
    edge(537, y_mid, 640, y_mid, t["out"], t["dout"])
    node(400, y_mid, "+")
    node(520, y_mid, "ReLU", r=22)
    parts.append(f'<text x="640" y="{y_mid + 32}" text-anchor="end" fill="{GREY}">out</text>')
    parts.append(f'<text x="8" y="{h - 6}" fill="{GREEN}">value</text><text x="60" y="{h - 6}" fill="{RED}">gradient</text>')
    parts.append("</svg>")
    return "".join(parts)


def neuron_table_html(t):
    """The chain rule for each weight as a table: upstream x local = gradient."""
    rows = []
    for i, (x, w, dw, dx) in enumerate(zip(t["x"], t["w"], t["dw"], t["dx"])):
        rows.append(
            f"<tr><td>w{i}</td><td>{t['dout']:.2f} × {t['local']['relu']:.0f} × 1 × {x:.2f}</td><td><b>{dw:.3f}</b></td>"
            f"<td>x{i}</td><td>{t['dout']:.2f} × {t['local']['relu']:.0f} × 1 × {w:.2f}</td><td><b>{dx:.3f}</b></td></tr>"
        )
    rows.append(
        f"<tr><td>b</td><td>{t['dout']:.2f} × {t['local']['relu']:.0f} × 1</td><td><b>{t['db']:.3f}</b></td>"
        "<td></td><td></td><td></td></tr>"
    )
    state = "passes the gradient (z &gt; 0)" if t["z"] > 0 else "blocks the gradient (z ≤ 0): every gradient is 0"
    return (
        f"<p>z = {t['z']:.3f}, out = relu(z) = {t['out']:.3f}; the ReLU {state}.</p>"
        "<table style='border-collapse:collapse' cellpadding='4'>"
        "<tr><th>param</th><th>dout × relu' × ∂z/∂p × ∂p/∂param</th><th>gradient</th>"
        "<th>input</th><th>dout × relu' × ∂z/∂p × ∂p/∂input</th><th>gradient</th></tr>"
        + "".join(rows) + "</table>"
    )


def neuron_explorer(x=(1.0, -2.0, 3.0), w=(-3.0, -1.0, 2.0), b=1.0, dout=1.0):
    """Sliders for every input, weight and the bias of one ReLU neuron; the graph and the
    chain-rule table redraw with every local and upstream gradient."""
    style = {"description_width": "28px"}
    layout = W.Layout(width="210px")

    def slider(name, value):
        return W.FloatSlider(value=value, min=-4, max=4, step=0.1, description=name, style=style, layout=layout,
                             continuous_update=True, readout_format=".1f")

    xs = [slider(f"x{i}", v) for i, v in enumerate(x)]
    ws = [slider(f"w{i}", v) for i, v in enumerate(w)]
    bs = slider("b", b)
    graph, table = W.HTML(), W.HTML()

    def redraw(_=None):
        t = neuron_trace([s.value for s in xs], [s.value for s in ws], bs.value, dout)
        graph.value = neuron_graph_svg(t)
        table.value = neuron_table_html(t)

    for s in (*xs, *ws, bs):
        s.observe(redraw, names="value")
    redraw()
    controls = W.VBox([W.HTML("<b>inputs</b>"), *xs, W.HTML("<b>weights</b>"), *ws, bs])
    box = W.VBox([W.HBox([controls, graph]), table])
    box.sliders = {s.description: s for s in (*xs, *ws, bs)}  # for tests and notebooks that drive it
    box.graph, box.table = graph, table
    return box
