"""The scalar engine of notebook 07: values and gradients against autograd, the reference neuron,
accumulation, topological order, zero_grad, the recorded steps, bad inputs, drawing and the stepper."""

import math

import autograd.numpy as anp
import matplotlib.pyplot as plt
import numpy as np
import pytest
from autograd import grad

import backprop_lib as bl
from backprop_lib.engine import Value, breadth_first_order


def tanh_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n}


def test_tanh_neuron_reference_numbers():
    o, v = tanh_neuron()
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert o.data == pytest.approx(math.sqrt(0.5), abs=1e-12)
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5, "n": 0.5}
    for name, g in expected.items():
        assert v[name].grad == pytest.approx(g, abs=1e-12), name
    assert v["w2"].grad == 0.0  # x2 = 0 exactly: w2 gets nothing
    assert o.grad == 1.0


# Each case: (engine expression, autograd expression, inputs). Inputs avoid kinks (relu at 0).
def _sig(t):
    return 1 / (1 + anp.exp(-t))


OPS = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, (1.5, -0.7)),
    "radd": (lambda a, b: 2.5 + a * b, lambda a, b: 2.5 + a * b, (1.5, -0.7)),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, (1.5, -0.7)),
    "rsub": (lambda a, b: 3.0 - a * b, lambda a, b: 3.0 - a * b, (1.5, -0.7)),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, (1.5, -0.7)),
    "rmul": (lambda a, b: 4 * a + b * 0.5, lambda a, b: 4 * a + b * 0.5, (1.5, -0.7)),
    "div": (lambda a, b: a / b, lambda a, b: a / b, (1.5, -0.7)),
    "rtruediv": (lambda a, b: 2.0 / (a * b), lambda a, b: 2.0 / (a * b), (1.5, -0.7)),
    "pow int": (lambda a, b: a**3 * b**2, lambda a, b: a**3 * b**2, (1.5, -0.7)),
    "pow negative": (lambda a, b: a**-2 + b, lambda a, b: a**-2.0 + b, (1.5, -0.7)),
    "pow fractional": (lambda a, b: a**0.5 * b, lambda a, b: a**0.5 * b, (1.5, -0.7)),
    "neg": (lambda a, b: -a * b, lambda a, b: -a * b, (1.5, -0.7)),
    "tanh": (lambda a, b: (a * b).tanh(), lambda a, b: anp.tanh(a * b), (1.5, -0.7)),
    "relu on": (lambda a, b: (a + b).relu(), lambda a, b: anp.maximum(a + b, 0.0), (1.5, -0.7)),
    "relu off": (lambda a, b: (a * b).relu(), lambda a, b: anp.maximum(a * b, 0.0), (1.5, -0.7)),
    "exp": (lambda a, b: (a * b).exp(), lambda a, b: anp.exp(a * b), (1.5, -0.7)),
    "log": (lambda a, b: (a - b).log(), lambda a, b: anp.log(a - b), (1.5, -0.7)),
    "sigmoid positive": (lambda a, b: (a * b + 3).sigmoid(), lambda a, b: _sig(a * b + 3), (1.5, -0.7)),
    "sigmoid negative": (lambda a, b: (a * b).sigmoid(), lambda a, b: _sig(a * b), (1.5, -0.7)),
    "shared input": (lambda a, b: a * a + a / b - a, lambda a, b: a * a + a / b - a, (1.5, -0.7)),
    "composite": (
        lambda a, b: ((a * b).tanh() + (a / 2).exp() * b**2).sigmoid() - (a * a + 1).log(),
        lambda a, b: _sig(anp.tanh(a * b) + anp.exp(a / 2) * b**2) - anp.log(a * a + 1),
        (0.8, -1.3),
    ),
}


@pytest.mark.parametrize("name", list(OPS))
def test_value_and_gradient_match_autograd(name):
    f_engine, f_autograd, (a0, b0) = OPS[name]
    a, b = Value(a0), Value(b0)
    out = f_engine(a, b)
    out.backward()
    assert out.data == pytest.approx(f_autograd(a0, b0), rel=1e-12, abs=1e-14)
    assert a.grad == pytest.approx(grad(f_autograd, 0)(a0, b0), rel=1e-12, abs=1e-14)
    assert b.grad == pytest.approx(grad(f_autograd, 1)(a0, b0), rel=1e-12, abs=1e-14)


def test_sigmoid_is_stable_far_from_zero():
    for a in (-800.0, 800.0):
        v = Value(a)
        s = v.sigmoid()
        s.backward()
        assert s.data == (0.0 if a < 0 else 1.0) and v.grad == 0.0


def test_a_plus_a_accumulates_and_assignment_does_not():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    a = Value(3.0)
    (a + a).backward(accumulate=False)
    assert a.grad == 1.0  # the bug the notebook shows: the second share overwrites the first
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_diamond_accumulates_over_both_paths():
    x = Value(1.5)
    u = x * 2.0
    top, bottom = u.tanh(), u * 3.0  # two paths from u to the output
    out = top + bottom
    out.backward()
    expected = 2.0 * (1 - math.tanh(3.0) ** 2) + 6.0
    assert x.grad == pytest.approx(expected, rel=1e-14)
    assert u.grad == pytest.approx(expected / 2, rel=1e-14)


def test_breadth_first_order_gives_a_wrong_gradient_where_paths_differ_in_length():
    x = Value(1.0)
    u = 2 * x
    v = 3 * u
    out = u + v  # out = 8 x
    out.backward(order=breadth_first_order(out))
    assert x.grad == 2.0  # u passed its gradient on before v had sent its share
    out.zero_grad()
    out.backward()
    assert x.grad == 8.0


def assert_topological(order):
    place = {id(n): i for i, n in enumerate(order)}
    assert len(place) == len(order), "a node appears twice"
    for node in order:
        for p in node.parents:
            assert place[id(p)] < place[id(node)], "a node comes before one of its parents"


def test_topological_order_puts_every_node_after_its_parents():
    o, v = tanh_neuron()
    order = o.topological_order()
    assert_topological(order)
    assert order[-1] is o and len(order) == 10
    assert set(map(id, o.leaves())) == {id(v[k]) for k in ("x1", "x2", "w1", "w2", "b")}
    a = Value(0.3)
    z = a
    for i in range(3000):  # deeper than the recursion limit: the order is built without recursion
        z = z * 1.0 + a if i % 2 else z.tanh()
    order = z.topological_order()
    assert_topological(order)
    assert order[0] is a and order[-1] is z


def test_zero_grad_and_a_second_backward():
    o, v = tanh_neuron()
    o.backward()
    o.backward()  # gradients add up: everything below the output doubles
    assert v["x1"].grad == pytest.approx(-3.0) and v["w1"].grad == pytest.approx(2.0)
    o.zero_grad()
    assert all(n.grad == 0.0 for n in o.topological_order())
    o.backward()
    assert v["x1"].grad == pytest.approx(-1.5)


def test_backward_steps_record_the_same_pass():
    o, _ = tanh_neuron()
    o.backward()
    want = {n: n.grad for n in o.topological_order()}
    o.backward()  # dirty the gradients: backward_steps starts from zero
    steps = o.backward_steps()
    order = o.topological_order()
    assert [s.node for s in steps] == order[::-1]
    assert all(n.grad == pytest.approx(want[n], abs=1e-15) for n in order)
    for i, s in enumerate(steps):
        assert s.grad == want[s.node]
        assert len(s.sent) == len(s.node.parents)
        for _parent, local, amount in s.sent:
            assert amount == s.grad * local
        before = steps[i - 1].grads if i else {n: float(n is o) for n in order}
        for n in order:  # each step changes exactly the parents' gradients, by what it sent
            added = sum(amount for parent, _, amount in s.sent if parent is n)
            assert s.grads[n] == pytest.approx(before[n] + added, abs=1e-15)
    assert steps[0].sent[0][1] == pytest.approx(0.5)  # tanh: 1 - o^2 = 0.5
    assert steps[-1].grads == {n: n.grad for n in order}


@pytest.mark.parametrize(
    "bad, match",
    [
        ("x", r"Value: expected a real number \(int or float\), got str: 'x'"),
        ([1.0], r"got list"),
        (None, r"got NoneType"),
        (True, r"got bool"),
        (1 + 2j, r"got complex"),
    ],
)
def test_bad_data_says_what_came(bad, match):
    with pytest.raises(TypeError, match=match):
        Value(bad)


def test_bad_operands_and_domains():
    a = Value(2.0)
    with pytest.raises(TypeError, match=r"Value \+ \.\.\.: expected a Value or a real number, got str"):
        a + "1"
    with pytest.raises(TypeError, match="got str"):
        "1" * a
    with pytest.raises(TypeError, match="exponent must be a number"):
        a ** Value(2.0)
    with pytest.raises(ValueError, match="expected a positive number, got -2"):
        (-a).log()
    with pytest.raises(ValueError, match="whole-number exponent"):
        (-a) ** 0.5
    with pytest.raises(ZeroDivisionError):
        a / Value(0.0)
    with pytest.raises(TypeError, match="expected an order of Values"):
        (a * a).backward(order=[a, "b"])
    assert (np.float64(2.0) * a).data == 4.0 and isinstance(np.float32(2.0) * a, Value)
    assert (Value(0.0) ** 0).data == 1.0 and (Value(0.0) ** 2).data == 0.0


def test_repr_and_numbers_are_floats():
    v = Value(3, label="v")
    assert isinstance(v.data, float) and repr(v) == "Value(v: data=3, grad=0)"


def test_layout_points_every_edge_right_and_avoids_boxes():
    from backprop_lib.graph import layout

    x = Value(1.0, label="x")
    u = 2 * x
    out = u + 3 * u  # u feeds a node two columns on: that edge gets a waypoint
    pos, routes = layout(out)
    for node in out.topological_order():
        for p in node.parents:
            assert pos[p][0] < pos[node][0]
    assert len(routes[(u, out)]) == 1
    spots = {tuple(p) for p in pos.values()}
    assert len(spots) == len(pos)  # no two boxes on one spot
    assert not spots & {tuple(w) for w in routes[(u, out)]}


def test_draw_graph_draws_every_node():
    o, v = tanh_neuron()
    o.backward()
    ax = bl.graph.draw_graph(o, highlight=v["n"], title="neuron")
    texts = [t.get_text() for t in ax.texts]
    for name in ("x1", "w1", "x2", "w2", "b", "n", "o", "data 0.7071", "grad -1.5000", "tanh", "×"):
        assert name in texts, name
    assert "← 0.5" in texts  # the highlighted node's shares
    assert ax.get_title() == "neuron"
    _, ax2 = plt.subplots()
    assert bl.graph.draw_graph(o, ax=ax2, grads={v["x1"]: None}, caption=False) is ax2
    assert "grad ?" in [t.get_text() for t in ax2.texts]
    with pytest.raises(TypeError, match="expected a Value"):
        bl.graph.draw_graph(1.0)
    plt.close("all")


def test_backward_stepper_steps_through_the_pass():
    o, v = tanh_neuron()
    box = bl.widgets.backward_stepper(o)
    slider, prev, nxt = box.controls["step"], box.controls["previous"], box.controls["next"]
    assert slider.value == slider.max == 5 and nxt.disabled
    assert "All gradients are now final" in box.text.value
    assert box.view.value[:4] == b"\x89PNG"
    assert v["x1"].grad == pytest.approx(-1.5)  # the stepper ran the backward pass
    last = box.view.value
    slider.value = 0
    assert prev.disabled and "starts at the output" in box.text.value and box.view.value != last
    nxt.click()
    assert slider.value == 1 and "(1 − o²) = 1 × 0.5" in box.text.value and "to <b>n</b>" in box.text.value
    first = box.view.value
    nxt.click()
    assert slider.value == 2 and box.view.value != first
    prev.click()
    assert slider.value == 1 and box.view.value == first
    with pytest.raises(TypeError, match="expected a Value"):
        bl.widgets.backward_stepper(0.5)
    plt.close("all")


def test_backward_stepper_shows_accumulation():
    a = Value(1.5, label="a")
    c = a + a
    box = bl.widgets.backward_stepper(c)
    assert "which now holds 1<" in box.text.value and "which now holds 2<" in box.text.value


def test_backward_stepper_on_a_single_input():
    box = bl.widgets.backward_stepper(Value(2.0, label="x"))
    assert box.controls["step"].max == 0 and "starts at the output" in box.text.value
    plt.close("all")


def test_parents_must_be_values():
    with pytest.raises(TypeError, match="expected parents that are Values, got float"):
        Value(1.0, (2.0,))


def test_parents_and_local_are_public_and_match_the_op():
    a, b = Value(1.5, label="a"), Value(-0.7, label="b")
    p = a * b
    assert p.parents == (a, b) and p.local == (-0.7, 1.5) and p.op == "*"
    assert a.parents == () and a.local == () and a.rules == ()


@pytest.mark.parametrize(
    "make, rules",
    [
        (lambda a, b: a + b, ["1", "1"]),
        (lambda a, b: a - b, ["1", "−1"]),
        (lambda a, b: a * b, ["b", "a"]),
        (lambda a, b: a / b, ["1/b", "−a/b²"]),
        (lambda a, b: a**3, ["3·a^(3 − 1)"]),
        (lambda a, b: -a, ["−1"]),
        (lambda a, b: a.tanh(), ["(1 − out²)"]),
        (lambda a, b: a.relu(), ["1[a > 0]"]),
        (lambda a, b: a.exp(), ["out"]),
        (lambda a, b: a.log(), ["1/a"]),
        (lambda a, b: a.sigmoid(), ["out·(1 − out)"]),
    ],
)
def test_each_op_stores_its_derivative_formula(make, rules):
    from backprop_lib.widgets.engine import _rule

    a, b = Value(1.5, label="a"), Value(-0.7, label="b")
    out = make(a, b)
    out.label = "out"
    names = {a: "a", b: "b", out: "out"}
    assert [_rule(out, i, names) for i in range(len(out.parents))] == rules


def test_backward_steps_reuse_the_one_backward_loop(monkeypatch):
    calls = []
    original = Value.backward

    def counting(self, *args, **kwargs):
        calls.append(kwargs.get("on_step"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Value, "backward", counting)
    o, _ = tanh_neuron()
    steps = o.backward_steps()
    assert len(calls) == 1 and callable(calls[0]) and len(steps) == len(o.topological_order())


def test_on_step_sees_every_node_output_first():
    o, _ = tanh_neuron()
    seen = []
    o.backward(on_step=lambda node, sent: seen.append((node, [amount for _, _, amount in sent])))
    assert [n for n, _ in seen] == o.topological_order()[::-1]
    assert seen[0][1] == [pytest.approx(0.5)]
    with pytest.raises(TypeError, match="expected a callable on_step, got int"):
        o.backward(on_step=3)


def test_topological_order_works_on_anything_with_parents():
    class Node:
        def __init__(self, *parents):
            self.parents = parents

    a = Node()
    b = Node(a)
    c = Node(a, b)
    assert bl.engine.topological_order(c) == [a, b, c]


def test_local_derivatives_and_rules_must_match_the_parents():
    a = Value(1.0)
    with pytest.raises(ValueError, match=r"one local derivative and one rule per parent \(2\), got 1 and 2"):
        Value(2.0, (a, a), (1.0,), ("1", "1"))
    with pytest.raises(TypeError, match="local derivative: expected a real number"):
        Value(2.0, (a,), ("x",))
