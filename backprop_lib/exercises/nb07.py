"""Checks for notebook 07 (autograd and the scalar engine): a division node's and a softplus node's
backward, a topological sort, and a two-layer network built from `Value`s whose gradients must
match the array version. Shapes: N samples, D inputs, H hidden units, C classes."""

import math

import numpy as np

from .._random import as_rng
from ..activations import ReLU
from ..checks import FAIL, CheckResult, check_function
from ..datasets import spiral
from ..engine import Value, breadth_first_order, topological_order
from ..layers import Dense
from ..losses import SoftmaxCrossEntropy
from ..model import Sequential


def summarised(fn, reference, args, name, outputs, quiet=False, **kwargs):
    """check_function for a tuple result named by `outputs`; the shared check gives one summary line
    ("wrong: dW1, dW2; right: db1") and the first wrong output in detail."""
    return check_function(fn, reference, *args, name=name, outputs=outputs, quiet=quiet, **kwargs)


def _one_verdict(fn, name, cases, *, reference, outputs, **kwargs):
    """The check on each case in turn, quietly; print one verdict: the first failure, or the pass."""
    result = None
    for i, case in enumerate(cases):
        result = summarised(fn, reference, case, name, outputs, quiet=True, **kwargs)
        if not result:
            if i and result.status == "failed":
                result = CheckResult(False, f"{result.message}\nIt was right for the first {i} case(s) and wrong for "
                                     f"{case}: does the answer use every input, or was a number written in?")
            break
    print(result.message)
    return result


def _engine_div(a, b, dout):
    va, vb = Value(a), Value(b)
    (va / vb * dout).backward()  # d(dout a / b)/da = dout * d(a / b)/da
    return va.grad, vb.grad


DIV_MISTAKES = {
    "The sign of db is lost: q = a / b falls as b grows, so dq/db = -a / b**2 is negative for a, b > 0.": (
        lambda a, b, dout: (dout / b, dout * a / b**2)),
    "db misses a factor 1/b: d(a / b)/db = -a / b**2, the derivative of b**-1 is -b**-2.": (
        lambda a, b, dout: (dout / b, -dout * a / b)),
    "These are the multiply node's gradients (each factor gets the other one): for a / b the factor is "
    "1 / b, not b.": lambda a, b, dout: (dout * b, dout * a),
    "The upstream gradient is missing: each share is dout times the local derivative.": (
        lambda a, b, dout: (1 / b, -a / b**2)),
    "da is a / b instead of 1 / b: the derivative of a / b with respect to a is the constant 1 / b.": (
        lambda a, b, dout: (dout * a / b, -dout * a / b**2)),
    "da and db are swapped.": lambda a, b, dout: (-dout * a / b**2, dout / b),
}


def check_div_backward(fn):
    """fn(a, b, dout) -> (da, db) for q = a / b, against the engine; one verdict for all cases."""
    cases = ((3.0, 2.0, 0.5), (-1.5, 4.0, -2.0), (2.0, -0.25, 1.0), (2.0, 2.0, 3.0))  # the last with a = b
    return _one_verdict(fn, "div_backward", cases, reference=_engine_div, outputs=("da", "db"),
                        mistakes=DIV_MISTAKES,
                        hint="Write q = a * b**-1: differentiate once with b fixed, once with a fixed.")


def _softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def softplus_backward_reference(x, dout):
    """x: a number, dout: dL/dy for y = log(1 + e^x) -> dx = dout * sigmoid(x), with no overflow."""
    return dout * Value(x).sigmoid().data


SOFTPLUS_MISTAKES = {
    "This is e^x, the derivative of the exp inside, without the 1 / (1 + e^x) from the log.": (
        lambda x, dout: dout * math.exp(x)),
    "This is 1 / (1 + e^x): the log's derivative alone, without the e^x of the inner function.": (
        lambda x, dout: dout / (1 + math.exp(x))),
    "This returns the node's value log(1 + e^x), not its derivative.": (
        lambda x, dout: dout * (max(x, 0.0) + math.log1p(math.exp(-abs(x))))),
    "The upstream gradient is missing: multiply the local derivative by dout.": (
        lambda x, dout: softplus_backward_reference(x, 1.0)),
    "This is the sigmoid's derivative s (1 - s): the derivative of log(1 + e^x) is the sigmoid itself, "
    "differentiate only once.": lambda x, dout: dout * Value(x).sigmoid().data * (1 - Value(x).sigmoid().data),
}


def _softplus_extremes(fn):
    """Name an answer that is right for ordinary x but overflows, or is not finite, at x = +-800."""
    for x in (800.0, -800.0):
        try:
            got = float(fn(x, 2.0))
        except OverflowError:
            got = math.inf
        except Exception:  # noqa: BLE001 (any other error: the full check reports it)
            return None
        if not math.isfinite(got):
            return (f"{FAIL} softplus_backward overflows at x = {x:g}: math.exp({abs(x):g}) is too large for a "
                    "float. e^x / (1 + e^x) equals 1 / (1 + e^-x): use the form whose exp has a negative argument.")
    return None


def check_softplus_backward(fn):
    """fn(x, dout) -> dx for y = log(1 + e^x); ordinary x first, then x = +-800; one verdict."""
    hint = "Chain rule: the log's derivative at 1 + e^x, times the derivative of e^x."
    cases = ((0.5, 1.0), (-2.0, 3.0), (3.0, -0.5), (0.0, 1.5))
    result = None
    for i, case in enumerate(cases):
        result = check_function(fn, softplus_backward_reference, *case, name="softplus_backward",
                                mistakes=SOFTPLUS_MISTAKES, hint=hint, quiet=True)
        if not result:
            if i and result.status == "failed":
                result = CheckResult(False, f"{result.message}\nIt was right for the first {i} case(s) and wrong for "
                                     f"x = {case[0]:g}: does the answer use x and dout, or was a number written in?")
            break
    if result:
        problem = _softplus_extremes(fn)
        if problem:
            result = CheckResult(False, problem)
        else:
            for case in ((800.0, 2.0), (-800.0, 2.0)):
                result = check_function(fn, softplus_backward_reference, *case, name="softplus_backward",
                                        hint=hint, quiet=True)
                if not result:
                    break
    print(result.message)
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
    return summarised(
        wrap(fn),
        wrap(topological_order),
        (_sort_graph(),),
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
            "The root itself is missing: the list ends with the node you were given.": wrap(
                lambda root: topological_order(root)[:-1]
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
    return summarised(
        _through_values(fn),
        array_loss_and_grads,
        (X, y, *params),
        name="value_mlp_loss",
        outputs=("loss", "dW1", "db1", "dW2", "db2"),
        n_samples=len(X),
        mistakes=mistakes,
        hint=(
            "Per sample: hidden units, then logits, then -log softmax of the right class; "
            "then the mean over the samples."
        ),
    )
