"""The smoke test of notebook 00 and the one-neuron explorer of notebook 01."""

from html import escape

import ipywidgets as W
import numpy as np

from ..neuron import neuron_trace

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
    return f"{v:.1e}" if 0 < abs(v) < 0.005 else f"{v:.2f}"


def neuron_graph_svg(t):
    """An SVG computational graph of `neuron_trace` output: each edge carries its value (green)
    and the gradient flowing back along it (red)."""
    D = len(t["x"])
    ys_in = [24 + 44 * k for k in range(2 * D)]  # x0, w0, x1, w1, ...
    ys_mul = [(ys_in[2 * i] + ys_in[2 * i + 1]) / 2 for i in range(D)]
    y_sum = sum(ys_mul) / D
    x_leaf, x_mul, x_sum, x_relu, x_end = 40, 240, 440, 590, 710
    y_b = ys_in[-1] + 50
    h = y_b + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{x_end + 10}" height="{h}" '
        'font-family="sans-serif" font-size="12">'
    ]

    def line(x1, y1, x2, y2):
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#999" stroke-width="1.5"/>')

    def label(x, y, val, grad):
        # value left of x, gradient right of it: every SVG renderer agrees on positions, not on spaces
        parts.append(f'<text x="{x - 3}" y="{y}" text-anchor="end" fill="{GREEN}">{_fmt(val)}</text>')
        parts.append(f'<text x="{x + 3}" y="{y}" text-anchor="start" fill="{RED}">{_fmt(grad)}</text>')

    def on_line(x1, y1, x2, y2, x):  # the y of the segment at x
        return y1 + (y2 - y1) * (x - x1) / (x2 - x1)

    def node(x, y, text, r=17):
        parts.append(f'<circle cx="{x}" cy="{y}" r="{r}" fill="#f5f5f5" stroke="#333"/>')
        parts.append(f'<text x="{x}" y="{y + 4}" text-anchor="middle" font-weight="bold">{escape(text)}</text>')

    def leaf(x, y, text):
        parts.append(
            f'<text x="{x}" y="{y + 4}" text-anchor="end" fill="{GREY}" font-style="italic">{escape(text)}</text>'
        )

    dz = t["upstream"]["sum"]
    for i in range(D):
        for k, (name, val, grad, above) in enumerate(
            ((f"x{i}", t["x"][i], t["dx"][i], True), (f"w{i}", t["w"][i], t["dw"][i], False))
        ):
            y0 = ys_in[2 * i + k]
            line(x_leaf, y0, x_mul - 17, ys_mul[i])
            leaf(x_leaf - 6, y0, name)
            ly = on_line(x_leaf, y0, x_mul - 17, ys_mul[i], 110)
            label(110, ly - 6 if above else ly + 15, val, grad)
        line(x_mul + 17, ys_mul[i], x_sum - 17, y_sum)
        ly = on_line(x_mul + 17, ys_mul[i], x_sum - 17, y_sum, 320)
        label(320, ly - 6, t["products"][i], dz)
        node(x_mul, ys_mul[i], "×")
    line(x_sum - 60, y_b, x_sum - 10, y_sum + 14)
    leaf(x_sum - 66, y_b, "b")
    label(x_sum - 16, y_b + 4, t["b"], t["db"])
    line(x_sum + 17, y_sum, x_relu - 22, y_sum)
    label((x_sum + x_relu) / 2, y_sum - 8, t["z"], dz)
    line(x_relu + 22, y_sum, x_end, y_sum)
    label((x_relu + x_end) / 2 + 10, y_sum - 8, t["out"], t["dout"])
    leaf(x_end, y_sum + 20, "out")
    node(x_sum, y_sum, "+")
    node(x_relu, y_sum, "ReLU", r=22)
    parts.append(f'<text x="8" y="{h - 8}" fill="{GREEN}">value</text>')
    parts.append(f'<text x="52" y="{h - 8}" fill="{RED}">gradient (d out / d this)</text>')
    parts.append("</svg>")
    return "".join(parts)


def neuron_table_html(t):
    """The chain rule for each weight as a table: upstream x local = gradient."""
    rows = []
    for i, (x, w, dw, dx) in enumerate(zip(t["x"], t["w"], t["dw"], t["dx"])):
        chain = f"{t['dout']:.2f} × {t['local']['relu']:.0f} × 1"  # upstream x ReLU gate x sum node
        rows.append(
            f"<tr><td>w{i}</td><td>{chain} × {x:.2f}</td><td><b>{dw:.3f}</b></td>"
            f"<td>x{i}</td><td>{chain} × {w:.2f}</td><td><b>{dx:.3f}</b></td></tr>"
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
        "<th>input</th><th>dout × relu' × ∂z/∂p × ∂p/∂input</th><th>gradient</th></tr>" + "".join(rows) + "</table>"
    )


def neuron_explorer(x=(1.0, -2.0, 3.0), w=(-3.0, -1.0, 2.0), b=1.0, dout=1.0):
    """Sliders for every input, weight and the bias of one ReLU neuron; the graph and the
    chain-rule table redraw with every local and upstream gradient."""
    style = {"description_width": "28px"}
    layout = W.Layout(width="210px")

    def slider(name, value):
        return W.FloatSlider(
            value=value,
            min=-4,
            max=4,
            step=0.1,
            description=name,
            style=style,
            layout=layout,
            continuous_update=True,
            readout_format=".1f",
        )

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
