"""The checks of notebook 07 pass the reference, name every common wrong answer, and say "todo" for a stub."""

import math

import pytest
from exercise_suite import standard_tests

from backprop_lib.engine import Value, breadth_first_order, topological_order
from backprop_lib.exercises import nb07 as ex


def todo(*args):
    raise NotImplementedError


def topological_sort(root):
    order, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            for parent in node.parents:
                visit(parent)
            order.append(node)

    visit(root)
    return order


def every_path(root):
    order = []

    def visit(node):
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order


def preorder(root):
    order, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            order.append(node)
            for parent in node.parents:
                visit(parent)

    visit(root)
    return order


def mlp_loss(X, y, W1, b1, W2, b2, relu=True, bias=True, mean=True, sign=1, backward=False):
    """A learner's Value network, written out plainly, with switches for the usual slips."""
    D, H, C = len(W1), len(b1), len(b2)
    losses = []
    for x, label in zip(X, y):
        hidden = []
        for h in range(H):
            z = b1[h] if bias else Value(0.0)
            for d in range(D):
                z = z + x[d] * W1[d][h]
            hidden.append(z.relu() if relu else z)
        logits = []
        for c in range(C):
            z = b2[c] if bias else Value(0.0)
            for h in range(H):
                z = z + hidden[h] * W2[h][c]
            logits.append(z)
        norm = logits[0].exp()
        for z in logits[1:]:
            norm = norm + z.exp()
        losses.append(sign * (norm.log() - logits[label]))
    loss = losses[0]
    for term in losses[1:]:
        loss = loss + term
    loss = loss / len(X) if mean else loss
    if backward:
        loss.backward()
    return loss


CASES = {
    "mul": (
        ex.check_mul_backward,
        lambda a, b, dout: (dout * b, dout * a),
        {
            "Each factor got its own value": lambda a, b, dout: (dout * a, dout * b),
            "The upstream gradient is missing": lambda a, b, dout: (b, a),
        },
    ),
    "tanh": (
        ex.check_tanh_backward,
        lambda x, dout: dout * (1 - math.tanh(x) ** 2),
        {
            "squares x instead of tanh(x)": lambda x, dout: dout * (1 - x**2),
            "is tanh(x) itself": lambda x, dout: dout * math.tanh(x),
            "The upstream gradient is missing": lambda x, dout: 1 - math.tanh(x) ** 2,
        },
    ),
    "topological sort": (
        ex.check_topological_sort,
        topological_sort,
        {
            "listed more than once": every_path,
            "appended before its parents": preorder,
            "breadth-first order": lambda root: list(reversed(breadth_first_order(root))),
            "The order is reversed": lambda root: topological_order(root)[::-1],
        },
    ),
    "value mlp": (
        ex.check_value_mlp_loss,
        mlp_loss,
        {
            "calls backward itself": lambda *a: mlp_loss(*a, backward=True),
            "summed over the samples": lambda *a: mlp_loss(*a, mean=False),
            "has no ReLU": lambda *a: mlp_loss(*a, relu=False),
            "The biases are missing": lambda *a: mlp_loss(*a, bias=False),
            "the wrong sign": lambda *a: mlp_loss(*a, sign=-1),
        },
    ),
}


test_the_reference_passes, test_each_common_mistake_is_named, test_a_stub_is_todo = standard_tests(CASES, todo)


def test_the_value_network_must_return_a_value():
    result = ex.check_value_mlp_loss(lambda *a: 0.5)
    assert not result and "expected the loss as one Value, got float" in result.message


def test_the_library_value_network_matches_the_array_version():
    X, y, *params = ex.value_mlp_case(N=9, H=5, rng=3)
    values = [ex.to_values(p) for p in params]
    loss = ex.value_mlp_loss(X, y, *values)
    loss.backward()
    want = ex.array_loss_and_grads(X, y, *params)
    assert loss.data == pytest.approx(want[0], rel=1e-12)
    for got, expected in zip(values, want[1:]):
        assert ex.grads_of(got) == pytest.approx(expected, rel=1e-10, abs=1e-14)
