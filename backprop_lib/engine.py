"""A tiny reverse-mode automatic differentiation engine on scalars (notebook 07).

Every operation on `Value`s makes a new node that keeps its inputs (`parents`), the local
derivative of its result with respect to each of them (`local`, numbers computed in the forward
pass) and the same derivatives as formulas (`rules`, for display: "{0}" is the first parent's
name, "{out}" the node's own). `backward()` seeds the output's gradient with 1 and visits the
graph in reverse topological order; each node sends `its grad x local` to each parent, and a
parent *adds up* what it receives, one share per path. Reverse topological order makes sure a
node's gradient is complete (every consumer has sent its share) before the node passes it on.

    x = Value(2.0, label="x")
    y = x * x + x            # dy/dx = 2x + 1
    y.backward()
    x.grad                   # 5.0
"""

import math
import numbers
from collections import deque, namedtuple

# One step of the backward pass: `node` sent `grad * local` to each parent; `sent` lists
# (parent, local, amount); `grads` is every node's gradient right after the step.
Step = namedtuple("Step", "node grad sent grads")


def _number(x, where, what="a real number (int or float)"):
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected {what}, got {type(x).__name__}: {x!r:.60}")
    if not math.isfinite(x):
        raise ValueError(f"{where}: expected a finite number, got {x!r}")
    return float(x)


def _lift(x, op):  # a plain number becomes a new leaf
    return x if isinstance(x, Value) else Value(_number(x, f"Value {op} ...", "a Value or a real number"))


class Value:
    def __init__(self, data, parents=(), local=(), rules=(), op="", label=""):
        if parents and isinstance(data, float) and not math.isfinite(data):
            raise OverflowError(f"Value {op}: the result is {data} (it overflowed a float, whose largest "
                                "value is about 1.8e308); scale the inputs down")
        self.data, self.grad = _number(data, "Value"), 0.0
        self.parents = tuple(parents)
        for p in self.parents:
            if not isinstance(p, Value):
                raise TypeError(f"Value: expected parents that are Values, got {type(p).__name__}")
        self.local = tuple(_number(d, "Value: local derivative") for d in local) or (1.0,) * len(self.parents)
        self.rules = tuple(rules) or ("1",) * len(self.parents)
        if not len(self.local) == len(self.rules) == len(self.parents):
            raise ValueError(
                f"Value: expected one local derivative and one rule per parent "
                f"({len(self.parents)}), got {len(self.local)} and {len(self.rules)}"
            )
        self.op, self.label = op, label

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # -- operations: the result, d result / d each input, and that derivative as a formula -------
    def __add__(self, other):
        other = _lift(other, "+")
        return Value(self.data + other.data, (self, other), (1.0, 1.0), ("1", "1"), "+")

    def __sub__(self, other):
        other = _lift(other, "-")
        return Value(self.data - other.data, (self, other), (1.0, -1.0), ("1", "−1"), "-")

    def __mul__(self, other):
        other = _lift(other, "*")
        return Value(self.data * other.data, (self, other), (other.data, self.data), ("{1}", "{0}"), "*")

    def __truediv__(self, other):
        other = _lift(other, "/")
        a, b = self.data, other.data
        if b == 0:
            raise ZeroDivisionError(f"Value division: {a:g} / 0")
        return Value(a / b, (self, other), (1.0 / b, -a / (b * b)), ("1/{1}", "−{0}/{1}²"), "/")

    def __pow__(self, k):
        if isinstance(k, Value):
            raise TypeError("Value ** Value is not supported: the exponent must be a number, e.g. x ** 2")
        k, a = _number(k, "Value ** k"), self.data
        if a < 0 and not k.is_integer():
            raise ValueError(f"Value ** {k:g}: a negative base ({a:g}) needs a whole-number exponent")
        if a == 0 and k < 1 and k != 0:
            raise ZeroDivisionError(f"Value ** {k:g}: the derivative at 0 is infinite")
        local = k * a ** (k - 1) if k != 0 else 0.0  # 0 ** -1 would raise for the constant x ** 0
        try:
            result = a**k
        except OverflowError:
            raise OverflowError(f"Value ** {k:g}: {a:g} ** {k:g} overflows a float; scale the input down") from None
        return Value(result, (self,), (local,), (f"{k:g}·{{0}}^({k:g} − 1)",), f"**{k:g}")

    def __neg__(self):
        return Value(-self.data, (self,), (-1.0,), ("−1",), "neg")

    def __radd__(self, other):  # 2 + v
        return _lift(other, "+") + self

    def __rsub__(self, other):  # 2 - v
        return _lift(other, "-") - self

    def __rmul__(self, other):  # 2 * v
        return _lift(other, "*") * self

    def __rtruediv__(self, other):  # 2 / v
        return _lift(other, "/") / self

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,), ("(1 − {out}²)",), "tanh")

    def relu(self):
        return Value(max(self.data, 0.0), (self,), (float(self.data > 0),), ("1[{0} > 0]",), "relu")

    def exp(self):
        if self.data > 709.78:  # math.exp would raise a bare "math range error"
            raise OverflowError(f"Value.exp: exp({self.data:g}) overflows a float (the largest exponent is "
                                "about 709.78); scale the input down")
        e = math.exp(self.data)
        return Value(e, (self,), (e,), ("{out}",), "exp")

    def log(self):
        if self.data <= 0:
            raise ValueError(f"Value.log: expected a positive number, got {self.data:g}")
        return Value(math.log(self.data), (self,), (1.0 / self.data,), ("1/{0}",), "log")

    def sigmoid(self):
        a = self.data
        # two forms, so exp never overflows: exp(-a) for a >= 0, exp(a) for a < 0
        s = 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))
        return Value(s, (self,), (s * (1.0 - s),), ("{out}·(1 − {out})",), "sigmoid")

    # -- the graph and the backward pass ----------------------------------------------------------
    def topological_order(self):
        return topological_order(self)

    def leaves(self):
        return [n for n in self.topological_order() if not n.parents]

    def zero_grad(self):
        for node in self.topological_order():
            node.grad = 0.0

    def backward(self, accumulate=True, order=None, on_step=None):
        # Intermediate nodes restart from 0; leaves (the parameters) add to what they hold, as
        # when gradients are summed over several batches. accumulate=False (assign, not add) and
        # `order` (output first) exist to show what goes wrong; on_step(node, sent) records steps.
        order = list(reversed(self.topological_order()) if order is None else order)
        for node in order:
            if not isinstance(node, Value):
                raise TypeError(f"Value.backward: expected an order of Values, got {type(node).__name__}")
            if node.parents:
                node.grad = 0.0
        if on_step is not None and not callable(on_step):
            raise TypeError(f"Value.backward: expected a callable on_step, got {type(on_step).__name__}")
        self.grad = 1.0
        for node in order:
            sent = []
            for parent, local in zip(node.parents, node.local):
                amount = node.grad * local  # chain rule: upstream x local
                parent.grad = parent.grad + amount if accumulate else amount
                sent.append((parent, local, amount))
            if on_step is not None:
                on_step(node, tuple(sent))

    def backward_steps(self):
        self.zero_grad()
        order, steps = self.topological_order(), []
        self.backward(on_step=lambda node, sent: steps.append(Step(node, node.grad, sent, {n: n.grad for n in order})))
        return steps


def topological_order(root):
    # depth first, with a stack instead of recursion so that long chains are fine; works on
    # anything with `.parents`, such as the notebook's own Node
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node.parents))
    return order


def breadth_first_order(root):
    # a WRONG backward order, for the notebook: a node reached early along a short path is
    # visited before a longer path has delivered its share
    order, seen, queue = [], {root}, deque([root])
    while queue:
        node = queue.popleft()
        order.append(node)
        for p in node.parents:
            if p not in seen:
                seen.add(p)
                queue.append(p)
    return order
