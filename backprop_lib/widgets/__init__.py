"""Interactive widgets for the notebooks. Loaded on first use: it imports ipywidgets.

One module per notebook topic; every widget is reachable as `bl.widgets.<name>`.
Each widget draws its view into widgets whose state `nbconvert --execute` stores in the
notebook (HTML with tables and SVG, or images of matplotlib figures), so a static view and
the exported slides show a meaningful picture where no kernel runs.
"""

import importlib

# widget name -> module in this package that defines it (imported on first use)
_WHERE = {
    "smoke_test": "neuron",
    "neuron_explorer": "neuron",
    "neuron_graph_svg": "neuron",
    "neuron_table_html": "neuron",
    "activation_depth_explorer": "activations",
    "softmax_explorer": "softmax",
    "trainer": "training",  # not a module named trainer: importing it would shadow the widget
    "backward_stepper": "engine",
    "snapshot_slider": "regression",
    "init_explorer": "initialisation",
    "loss_surface_explorer": "optimisers",
    "batch_noise_explorer": "regularization",
    "draw_batchnorm_graph": "regularization",
    "conv_window_explorer": "conv",
    "maxpool_router": "conv",
    "bptt_explorer": "recurrent",
    "attention_explorer": "attention",
}


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'backprop_lib.widgets' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_WHERE))
