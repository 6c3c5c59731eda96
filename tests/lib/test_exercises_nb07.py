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
    "div": (
        ex.check_div_backward,
        lambda a, b, dout: (dout / b, -dout * a / b**2),
        {
            "The sign of db is lost": lambda a, b, dout: (dout / b, dout * a / b**2),
            "db misses a factor 1/b": lambda a, b, dout: (dout / b, -dout * a / b),
            "multiply node's gradients": lambda a, b, dout: (dout * b, dout * a),
            "The upstream gradient is missing": lambda a, b, dout: (1 / b, -a / b**2),
            "da is a / b": lambda a, b, dout: (dout * a / b, -dout * a / b**2),
            "swapped": lambda a, b, dout: (-dout * a / b**2, dout / b),
        },
    ),
    "softplus": (
        ex.check_softplus_backward,
        lambda x, dout: dout / (1 + math.exp(-x)) if x >= 0 else dout * math.exp(x) / (1 + math.exp(x)),
        {
            "This is e^x": lambda x, dout: dout * math.exp(x),
            "the log's derivative alone": lambda x, dout: dout / (1 + math.exp(x)),
            "not its derivative": lambda x, dout: dout * math.log1p(math.exp(x)),
            "The upstream gradient is missing": lambda x, dout: 1 / (1 + math.exp(-x)),
            "differentiate only once": lambda x, dout: dout * math.exp(-x) / (1 + math.exp(-x)) ** 2,
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
            "The root itself is missing": lambda root: topological_order(root)[:-1],
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


def test_softplus_that_overflows_at_800_is_named():
    def overflowing(x, dout):
        return dout * math.exp(x) / (1 + math.exp(x))

    result = ex.check_softplus_backward(overflowing)
    assert not result and "overflows at x = 800" in result.message


def test_a_hard_coded_answer_gets_one_verdict(capsys):
    result = ex.check_div_backward(lambda a, b, dout: (0.5 / 2, -0.5 * 3 / 4))  # right for the first case only
    out = capsys.readouterr().out
    assert not result and "✅" not in out and out.count("❌") == 1 and "written in" in out
    result = ex.check_softplus_backward(lambda x, dout: 0.6224593312018546)  # right for x = 0.5 only
    out = capsys.readouterr().out
    assert not result and "✅" not in out and out.count("❌") == 1 and "written in" in out


def test_a_network_wrong_in_several_gradients_gets_one_summary_line(capsys):
    def no_second_bias_and_w2_doubled(X, y, W1, b1, W2, b2):  # wrong in db2 and dW2 and more, not a named mistake
        for row in W2:
            for v in row:
                v.data *= 1.0  # nothing changed: the inputs must stay as they were
        loss = mlp_loss(X, y, W1, b1, W2, b2)
        return loss + 0.1 * sum(v * v for row in W2 for v in row) + 0.3 * sum(b2, Value(0.0))

    result = ex.check_value_mlp_loss(no_second_bias_and_w2_doubled)
    out = capsys.readouterr().out
    assert not result
    first = out.splitlines()[0]
    assert "wrong: loss, dW2, db2; right: dW1, db1" in first
    assert out.count("❌") == 1  # one verdict: the summary, then the first wrong output in detail
    assert "loss does not match" in out


def test_a_sort_wrong_in_several_ways_gets_one_summary_line(capsys):
    def shuffled(root):  # every node once, but in a bad order: the root first
        order = topological_order(root)
        return [order[-1]] + order[:-1]

    result = ex.check_topological_sort(shuffled)
    out = capsys.readouterr().out
    assert not result and out.count("❌") == 1
    assert out.startswith("❌ topological_sort: wrong: nodes before a parent, input gradients; right: nodes listed")
