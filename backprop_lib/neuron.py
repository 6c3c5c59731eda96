"""One ReLU neuron, written out term by term: the first network of the course.

    out = relu(x0 w0 + x1 w1 + ... + b)

`neuron_trace` gives every intermediate value, every local derivative and every upstream
gradient, so a notebook or a widget can show the chain rule one factor at a time.
"""

import numpy as np

from ._validate import as_float_array, check_finite, finite_number


def neuron_forward(x, w, b):
    """x: (D,), w: (D,), b: scalar -> out: scalar, cache."""
    where = "neuron_forward"
    x, w = as_float_array(x, "x", where, np.float64), as_float_array(w, "w", where, np.float64)
    if x.shape != w.shape or x.ndim != 1:
        raise ValueError(f"{where}: expected x and w of one shape (D,), got {x.shape} and {w.shape}")
    check_finite(x, "x", where)
    check_finite(w, "w", where)
    z = float(x @ w + finite_number(b, "b", where))
    return max(z, 0.0), (x, w, z)


def neuron_backward(dout, cache):
    """dout: scalar -> dx: (D,), dw: (D,), db: scalar."""
    x, w, z = cache
    dout = finite_number(dout, "dout", "neuron_backward")
    dz = dout * (1.0 if z > 0 else 0.0)  # ReLU: pass the gradient where z > 0
    return dz * w + 0.0, dz * x + 0.0, dz + 0.0  # + 0.0 turns -0.0 into 0.0 for printing


def neuron_trace(x, w, b, dout=1.0):
    """Every number of one forward and backward pass through the neuron, as a dict.

    Keys: products (x_i w_i), z, out; local (d out/d z, d z/d p_i = 1, d p_i/d x_i = w_i,
    d p_i/d w_i = x_i); upstream (the gradient arriving at each node); and dx, dw, db.
    """
    out, cache = neuron_forward(x, w, b)
    x, w, z = cache
    drelu = 1.0 if z > 0 else 0.0
    dz = dout * drelu
    dx, dw, db = neuron_backward(dout, cache)
    return {
        "x": x, "w": w, "b": float(b), "products": x * w, "z": z, "out": out, "dout": float(dout),
        "local": {"relu": drelu, "sum": 1.0, "dp_dx": w.copy(), "dp_dw": x.copy()},
        "upstream": {"relu": float(dout), "sum": dz, "products": np.full_like(x, dz)},
        "dx": dx, "dw": dw, "db": db,
    }
