"""Checks for notebook 07 (autograd and the scalar engine): a multiply node's and a tanh node's
backward, a topological sort, and a two-layer network built from `Value`s whose gradients must
match the array version. Shapes: N samples, D inputs, H hidden units, C classes."""

import math

import numpy as np

from .._random import as_rng
from ..activations import ReLU
from ..checks import check_function
from ..datasets import spiral
from ..engine import Value, breadth_first_order, topological_order
from ..layers import Dense
from ..losses import SoftmaxCrossEntropy
from ..model import Sequential


def _engine_mul(a, b, dout):
    va, vb = Value(a), Value(b)
    (va * vb * dout).backward()  # d(a b dout)/da = dout * d(ab)/da
    return va.grad, vb.grad


def check_mul_backward(fn):
    """fn(a, b, dout) -> (da, db) for p = a * b, against the engine, on two cases."""
    mistakes = {
        "Each factor got its own value: the multiply node sends each factor the OTHER one (times dout).": lambda a, b, dout: (
            dout * a,
            dout * b,
        ),
        "The upstream gradient is missing: each share is dout times the local derivative.": lambda a, b, dout: (b, a),
    }
    result = None
    for case in ((2.0, -3.0, 0.5), (-1.5, 4.0, -2.0)):
        result = check_function(
            fn,
            _engine_mul,
            *case,
            name="mul_backward",
            outputs=("da", "db"),
            mistakes=mistakes,
            hint="How much does p = a b change when a changes a little and b stays put?",
        )
        if not result:
            return result
    return result


def _engine_tanh(x, dout):
    v = Value(x)
    (v.tanh() * dout).backward()
    return v.grad


def check_tanh_backward(fn):
    """fn(x, dout) -> dx for t = tanh(x), against the engine, on two cases."""
    mistakes = {
        "The local derivative squares x instead of tanh(x): it is 1 - tanh(x)**2.": lambda x, dout: dout * (1 - x * x),
        "The local derivative is tanh(x) itself: differentiate it, 1 - tanh(x)**2.": lambda x, dout: (
            dout * math.tanh(x)
        ),
        "The upstream gradient is missing: multiply the local derivative by dout.": lambda x, dout: (
            1 - math.tanh(x) ** 2
        ),
    }
    result = None
    for case in ((0.8813735870195432, 1.0), (-2.0, 3.0)):
        result = check_function(
            fn,
            _engine_tanh,
            *case,
            name="tanh_backward",
            mistakes=mistakes,
            hint="Upstream times local; the local derivative of tanh is written with tanh itself.",
        )
        if not result:
            return result
    return result


def _sort_graph():
    """A graph where a wrong order gives wrong gradients: u and x are used more than once."""
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    u = (x * w).tanh()
    return (u + 3 * u * x).sigmoid() + u * w


def _order_report(sort):
    """What a sort gives: node counts, misplaced nodes, and the input gradients its reverse leads to."""

    def report(root):
        order = list(sort(root))
        place = {node: i for i, node in enumerate(order)}
        misplaced = sum(any(place.get(p, len(order)) > place[node] for p in node.parents) for node in order)
        root.backward(order=order[::-1])
        return float(len(order)), float(len(place)), float(misplaced), np.array([v.grad for v in root.leaves()])

    return report


def _without_dedup(root):  # every path visited again: shared nodes listed several times
    order = []

    def visit(node):
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order


def _node_before_parents(root):
    order, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            order.append(node)
            for parent in node.parents:
                visit(parent)

    visit(root)
    return order


def check_topological_sort(fn):
    """fn(root) -> every node root depends on and root, each after its parents; judged by the gradients."""
    wrap = _order_report
    return check_function(
        wrap(fn),
        wrap(topological_order),
        _sort_graph(),
        name="topological_sort",
        outputs=("nodes listed", "distinct nodes", "nodes before a parent", "input gradients"),
        mistakes={
            "Nodes are listed more than once: remember the nodes you have visited and skip them.": wrap(_without_dedup),
            "Each node is appended before its parents: append a node only after visiting all of its parents.": wrap(
                _node_before_parents
            ),
            "This is a breadth-first order from the output (reversed): it can put a node before one of its parents.": wrap(
                lambda root: breadth_first_order(root)[::-1]
            ),
            "The order is reversed: the output must come last, after everything it depends on.": wrap(
                lambda root: topological_order(root)[::-1]
            ),
        },
        hint="Depth first: a node joins the list once all of its parents are in it.",
    )


# -- the substantial exercise: a two-layer network of Values ------------------------------------------
def value_mlp_loss(X, y, W1, b1, W2, b2):
    """X: (N, D) numbers, y: (N,) labels, W1: D lists of H Values, b1: H Values, W2: H lists of C Values,
    b2: C Values -> the mean softmax cross-entropy of Dense-ReLU-Dense, as one Value."""
    D, H, C = len(W1), len(b1), len(b2)
    total = 0.0
    for x, label in zip(X, y):
        hidden = [sum((float(x[d]) * W1[d][h] for d in range(D)), b1[h]).relu() for h in range(H)]
        logits = [sum((hidden[h] * W2[h][c] for h in range(H)), b2[c]) for c in range(C)]
        total = total + sum(z.exp() for z in logits).log() - logits[int(label)]  # -log softmax(logits)[label]
    return total / len(X)


def to_values(arr):
    """An array of numbers -> nested lists of leaf Values of the same shape."""
    return [to_values(row) for row in arr] if np.ndim(arr) > 1 else [Value(float(v)) for v in arr]


def grads_of(values, attr="grad"):
    """Nested lists of Values -> an array of their gradients (or, with attr="data", of their data)."""
    return np.array([grads_of(v, attr) if isinstance(v, list) else getattr(v, attr) for v in values])


def array_loss_and_grads(X, y, W1, b1, W2, b2):
    """The same network with the library's layers -> (loss, dW1 (D, H), db1 (H,), dW2 (H, C), db2 (C,))."""
    model = Sequential([Dense(*W1.shape, W=W1, b=b1), ReLU(), Dense(*W2.shape, W=W2, b=b2)], loss=SoftmaxCrossEntropy())
    loss = model.loss(X, y)
    model.backward()
    g = model.grads()
    return float(loss), g["dense1.W"], g["dense1.b"], g["dense2.W"], g["dense2.b"]


def _through_values(fn, backward_twice=False):
    """Run a Value version of the network on Values made from arrays -> the same outputs as the array version."""

    def run(X, y, W1, b1, W2, b2):
        params = [to_values(p) for p in (W1, b1, W2, b2)]
        loss = fn(X, y, *params)
        if not isinstance(loss, Value):
            raise TypeError(f"expected the loss as one Value, got {type(loss).__name__}: return the Value itself")
        loss.backward()
        if backward_twice:
            loss.backward()
        return (loss.data, *(grads_of(p) for p in params))

    return run


def _variant(relu=True, bias=True, mean=True, sign=1.0):
    def wrong(X, y, W1, b1, W2, b2):
        D, H, C = len(W1), len(b1), len(b2)
        total = 0.0
        for x, label in zip(X, y):
            hidden = [sum((float(x[d]) * W1[d][h] for d in range(D)), b1[h] if bias else 0.0) for h in range(H)]
            hidden = [v.relu() for v in hidden] if relu else hidden
            logits = [sum((hidden[h] * W2[h][c] for h in range(H)), b2[c] if bias else 0.0) for c in range(C)]
            total = total + sign * (sum(z.exp() for z in logits).log() - logits[int(label)])
        return total / len(X) if mean else total

    return wrong


def value_mlp_case(N=6, H=4, rng=0):
    """A few CS231n spiral points and small random weights: X (N, 2), y (N,), W1 (2, H), b1 (H,), W2 (H, 3), b2 (3,)."""
    rng = as_rng(rng)
    X, y = spiral(N // 3 + 1, 3, kind="cs231n", rng=rng)
    pick = rng.permutation(len(X))[:N]
    D, C = X.shape[1], 3
    return (
        X[pick],
        y[pick],
        rng.standard_normal((D, H)),
        0.5 * rng.standard_normal(H),
        rng.standard_normal((H, C)),
        0.5 * rng.standard_normal(C),
    )


def check_value_mlp_loss(fn):
    """fn(X, y, W1, b1, W2, b2) on Values -> the loss Value; its value and gradients against the array version."""
    X, y, *params = value_mlp_case()
    mistakes = {
        "The function calls backward itself: the check calls it once more and the gradients add up to twice "
        "the answer. Return the loss; let the caller run backward.": _through_values(
            value_mlp_loss, backward_twice=True
        ),
        "The loss is summed over the samples, not averaged: divide by N.": _through_values(_variant(mean=False)),
        "The hidden layer has no ReLU: apply .relu() to each hidden unit.": _through_values(_variant(relu=False)),
        "The biases are missing: each unit adds its bias to the weighted sum.": _through_values(_variant(bias=False)),
        "The loss has the wrong sign: it is MINUS the log-probability of the right class.": _through_values(
            _variant(sign=-1.0)
        ),
    }
    return check_function(
        _through_values(fn),
        array_loss_and_grads,
        X,
        y,
        *params,
        name="value_mlp_loss",
        outputs=("loss", "dW1", "db1", "dW2", "db2"),
        n_samples=len(X),
        mistakes=mistakes,
        hint=(
            "Per sample: hidden units, then logits, then -log softmax of the right class; "
            "then the mean over the samples."
        ),
    )
