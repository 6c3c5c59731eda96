"""Checks for notebook 01, one neuron by hand: a central difference, one gradient step, and the
backward pass through an expression in which a value is used twice."""

import numpy as np

from ..checks import check_function, division_slips, ignores_argument, in_turn
from ..gradcheck import numerical_gradient
from ..neuron import neuron_forward


# -- a numerical derivative ------------------------------------------------------------------
def _central(f, x, h=1e-5):
    return float(numerical_gradient(lambda v: f(float(v)), np.array(x, dtype=np.float64), h))


NUMERICAL_MISTAKES = {
    "It is a one-sided difference, (f(x + h) - f(x)) / h: step both ways, to x + h and x - h.":
        lambda f, x, h=1e-5: (f(x + h) - f(x)) / h,
    "It is a one-sided difference, (f(x) - f(x - h)) / h: step both ways, to x + h and x - h.":
        lambda f, x, h=1e-5: (f(x) - f(x - h)) / h,
    "It is twice the slope: the two points x - h and x + h are 2h apart, so divide by 2 * h.":
        lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / h,
    "It has the wrong sign: subtract f(x - h) from f(x + h), not the other way round.":
        lambda f, x, h=1e-5: (f(x - h) - f(x + h)) / (2 * h),
}


def _cube(t):
    return t**3


NUMERICAL_MISTAKES.update(ignores_argument(_central, "h", 1e-5))


def check_numerical_derivative(fn):
    """fn(f, x, h) -> an estimate of f'(x), on t**3 at 2 (slope 12) with h = 0.1 (where the
    estimate is 12.01, so a hard-coded h shows), 1e-3 and 1e-5, and on the neuron of notebook 01
    as a function of w_2 (slope x_2 = 3). One verdict; a `/ 2 * h` slip is named."""
    x, w, b = np.array([1.0, -2.0, 3.0]), np.array([-3.0, -1.0, 2.0]), 1.0

    def out_of_w2(v):
        return neuron_forward(x, np.array([w[0], w[1], v]), b)[0]

    hint = "the slope between the two points x - h and x + h, which lie 2h apart."
    cases = ((_cube, 2.0, 0.1), (_cube, 2.0, 1e-3), (_cube, 2.0, 1e-5), (out_of_w2, 2.0, 1e-5))
    return in_turn(*[lambda c=c: check_function(fn, _central, *c, name=getattr(fn, "__name__", None), hint=hint,
                                                mistakes=NUMERICAL_MISTAKES, factors=division_slips(c[2]),
                                                quiet=True)
                     for c in cases])


# -- one gradient step -------------------------------------------------------------------------
def _step(w, b, dw, db, lr):
    return w - lr * dw, b - lr * db


STEP_MISTAKES = {
    "It steps uphill: the gradient points where the output grows, so subtract lr times it.":
        lambda w, b, dw, db, lr: (w + lr * dw, b + lr * db),
    "The learning rate is missing: the step is lr times the gradient.":
        lambda w, b, dw, db, lr: (w - dw, b - db),
    "The bias did not move: b takes a step too, b - lr * db.":
        lambda w, b, dw, db, lr: (w - lr * dw, b),
    "It returns the step itself, not the new values: add it to w and b.":
        lambda w, b, dw, db, lr: (-lr * dw, -lr * db),
}


STEP_MISTAKES.update(ignores_argument(_step, "lr", 0.01))


def check_gradient_step(fn):
    """fn(w, b, dw, db, lr) -> (new w, new b), on the neuron of notebook 01 and on two more cases
    (another lr, a longer w with a zero and a huge gradient entry); one verdict."""
    cases = ((np.array([-3.0, -1.0, 2.0]), 1.0, np.array([1.0, -2.0, 3.0]), 1.0, 0.01),
             (np.array([0.5, 2.0, -1.5, 0.1]), -0.3, np.array([0.2, -0.7, 1.1, 0.0]), -0.4, 0.3),
             (np.array([1.0, 1.0, 0.0, -2.0, 5.0, 5.0, 0.5]), 0.0, np.array([1e6, 0.0, -3.0, 3.0, 1.0, 1.0, -1e-6]),
              2.5, 1e-3))
    return in_turn(*[lambda c=c: check_function(fn, _step, *c, name=getattr(fn, "__name__", None),
                                                outputs=("w", "b"), mistakes=STEP_MISTAKES, quiet=True,
                                                hint="move each parameter a little against its gradient.")
                     for c in cases])


# -- a value used twice: f = relu(x + y) * x ------------------------------------------------------
def fork_backward(x, y, dout):
    """x, y, dout: arrays of one shape -> dx, dy of that shape, for f = relu(x + y) * x entry by entry."""
    s = x + y
    r = np.maximum(s, 0)
    dr = dout * x  # multiply: the gradient to r is dout times the other factor
    ds = dr * (s > 0) + 0.0  # ReLU gate (+ 0.0 turns -0.0 into 0.0 for printing)
    return dout * r + ds, ds  # x is used twice: its two gradients add


def _fork_wrong(dx_of, dy_of):
    def wrong(x, y, dout):
        s = x + y
        r = np.maximum(s, 0)
        return dx_of(x, y, dout, s, r), dy_of(x, y, dout, s, r)
    return wrong


def _gate(s):
    return (s > 0).astype(np.float64)


FORK_MISTAKES = {
    "dx has only the product's path, dout * relu(x + y): x also feeds the sum, and the gradients "
    "of its two uses add up.":
        _fork_wrong(lambda x, y, g, s, r: g * r, lambda x, y, g, s, r: g * x * _gate(s)),
    "dx has only the path through the sum: x is also a factor of the product, and the gradients "
    "of its two uses add up.":
        _fork_wrong(lambda x, y, g, s, r: g * x * _gate(s), lambda x, y, g, s, r: g * x * _gate(s)),
    "The two paths of x are multiplied: a value used twice gets the sum of its two gradients.":
        _fork_wrong(lambda x, y, g, s, r: (g * r) * (g * x * _gate(s)), lambda x, y, g, s, r: g * x * _gate(s)),
    "The ReLU gate is missing: where x + y <= 0 the ReLU is off and passes no gradient to the sum.":
        _fork_wrong(lambda x, y, g, s, r: g * r + g * x, lambda x, y, g, s, r: g * x),
    "The ReLU is missing altogether: the forward value is relu(x + y), not x + y, and the gate "
    "closes where x + y <= 0.":
        _fork_wrong(lambda x, y, g, s, r: g * s + g * x, lambda x, y, g, s, r: g * x),
    "The multiply did not swap: the gradient to relu(x + y) is dout times the other factor, x.":
        _fork_wrong(lambda x, y, g, s, r: g * x + g * r * _gate(s), lambda x, y, g, s, r: g * r * _gate(s)),
    "The upstream gradient is missing: every gradient is dout times the local derivatives.":
        _fork_wrong(lambda x, y, g, s, r: r + x * _gate(s), lambda x, y, g, s, r: x * _gate(s)),
    "dx and dy are swapped: return them in the order of the arguments, (dx, dy).":
        _fork_wrong(lambda x, y, g, s, r: g * x * _gate(s), lambda x, y, g, s, r: g * r + g * x * _gate(s)),
}


def check_fork_backward(fn):
    """fn(x, y, dout) -> (dx, dy) for f = relu(x + y) * x, on entries where the ReLU is on and off,
    then on a (2, 4) batch with ties and sums of exactly 0 (where the gate is closed); one verdict."""
    x = np.array([1.0, -2.0, 0.5, 3.0, -0.7, 1.5])  # (D,)
    y = np.array([2.0, 1.0, -1.5, -1.0, 2.2, 0.4])  # x + y is negative in the 2nd and 3rd entries
    dout = np.array([1.0, 0.5, -1.2, 0.8, -0.3, 2.0])
    x2 = np.array([[1.0, 1.0, -2.0, 0.0], [1e3, -1e3, 2.0, 2.0]])  # (2, 4)
    y2 = np.array([[-1.0, 1.0, 2.0, 0.0], [1.0, 1.0, 2.0, 2.0]])  # x + y = 0 exactly in three entries
    dout2 = np.array([[2.0, 2.0, -1.0, 1.0], [0.5, -0.5, 3.0, 3.0]])
    hint = "stage the forward pass, then go back node by node; count the paths from x to f."
    return in_turn(*[lambda c=c: check_function(fn, fork_backward, *c, name=getattr(fn, "__name__", None),
                                                outputs=("dx", "dy"), mistakes=FORK_MISTAKES, hint=hint, quiet=True)
                     for c in ((x, y, dout), (x2, y2, dout2))])
