"""A tiny reverse-mode automatic differentiation engine on scalars (notebook 07).

Every operation on `Value`s makes a new node that remembers its inputs (`_parents`) and the
local derivative of its result with respect to each of them (`_local`), computed during the
forward pass. `backward()` seeds the output's gradient with 1 and visits the graph in reverse
topological order; each node sends `its grad x local derivative` to each parent, and a
parent *adds up* what it receives, one share per path. Reverse topological order makes sure
a node's gradient is complete (every consumer has sent its share) before the node passes it on.

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


def _number(x, where):
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected a real number (int or float), got {type(x).__name__}: {x!r:.60}")
    return float(x)


class Value:
    """A scalar in a computation graph: `data` (float), `grad` (d output / d this), and how it was made."""

    def __init__(self, data, _parents=(), op="", label=""):
        self.data = _number(data, "Value")
        self.grad = 0.0
        self._parents = tuple(_parents)
        for p in self._parents:
            if not isinstance(p, Value):
                raise TypeError(f"Value: expected parents that are Values, got {type(p).__name__}")
        self._local = (1.0,) * len(self._parents)  # each op below sets the real local derivatives
        self.op = op
        self.label = label

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    @property
    def parents(self):
        """The Values this one was computed from (empty for an input)."""
        return self._parents

    @staticmethod
    def _new(data, parents, local, op):
        out = Value(data, parents, op)
        out._local = tuple(float(d) for d in local)
        return out

    # -- arithmetic: each op returns its result and records d result / d each input -----------
    def __add__(self, other):
        other = _lift(other, "+")
        return Value._new(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __sub__(self, other):
        other = _lift(other, "-")
        return Value._new(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __mul__(self, other):
        other = _lift(other, "*")
        return Value._new(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __truediv__(self, other):
        other = _lift(other, "/")
        a, b = self.data, other.data
        if b == 0:
            raise ZeroDivisionError(f"Value division: {a:g} / 0")
        return Value._new(a / b, (self, other), (1.0 / b, -a / (b * b)), "/")

    def __pow__(self, k):
        if isinstance(k, Value):
            raise TypeError("Value ** Value is not supported: the exponent must be a number, e.g. x ** 2")
        k, a = _number(k, "Value ** k"), self.data
        if a < 0 and not k.is_integer():
            raise ValueError(f"Value ** {k:g}: a negative base ({a:g}) needs a whole-number exponent")
        if a == 0 and 0 < k < 1 or a == 0 and k < 0:
            raise ZeroDivisionError(f"Value ** {k:g}: the derivative at 0 is infinite")
        local = k * a ** (k - 1) if k != 0 else 0.0
        return Value._new(a**k, (self,), (local,), f"**{k:g}")

    def __neg__(self):
        return Value._new(-self.data, (self,), (-1.0,), "neg")

    def __radd__(self, other):  # 2 + v
        return _lift(other, "+") + self

    def __rsub__(self, other):  # 2 - v
        return _lift(other, "-") - self

    def __rmul__(self, other):  # 2 * v
        return _lift(other, "*") * self

    def __rtruediv__(self, other):  # 2 / v
        return _lift(other, "/") / self

    # -- functions of one input ---------------------------------------------------------------
    def tanh(self):
        t = math.tanh(self.data)
        return Value._new(t, (self,), (1.0 - t * t,), "tanh")

    def relu(self):
        return Value._new(max(self.data, 0.0), (self,), (1.0 if self.data > 0 else 0.0,), "relu")

    def exp(self):
        e = math.exp(self.data)
        return Value._new(e, (self,), (e,), "exp")

    def log(self):
        if self.data <= 0:
            raise ValueError(f"Value.log: expected a positive number, got {self.data:g}")
        return Value._new(math.log(self.data), (self,), (1.0 / self.data,), "log")

    def sigmoid(self):
        a = self.data
        # two forms, so exp never overflows: exp(-a) for a >= 0, exp(a) for a < 0
        s = 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))
        return Value._new(s, (self,), (s * (1.0 - s),), "sigmoid")

    # -- the graph ----------------------------------------------------------------------------
    def topological_order(self):
        """Every node this value depends on, and itself last; each node after all of its parents."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # depth first, with a stack instead of recursion: long chains are fine
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((p, False) for p in reversed(node._parents))
        return order

    def leaves(self):
        """The inputs of the graph (nodes made by `Value(...)`, not by an operation), in order."""
        return [n for n in self.topological_order() if not n._parents]

    def zero_grad(self):
        """Set the gradient of this value and of every node it depends on to 0."""
        for node in self.topological_order():
            node.grad = 0.0

    def _send(self, accumulate=True):
        """Pass this node's gradient to its parents; returns what each one received."""
        sent = []
        for parent, local in zip(self._parents, self._local):
            amount = self.grad * local  # chain rule: upstream x local
            parent.grad = parent.grad + amount if accumulate else amount
            sent.append(amount)
        return sent

    def backward(self, accumulate=True, order=None):
        """Fill `.grad` of every node with d self / d node.

        Intermediate nodes start again from 0 on every call; inputs (leaves) *add* to the
        gradient they already hold, as parameters do when gradients are summed over several
        batches: call `zero_grad()` between passes that should not add up.

        For teaching what goes wrong: accumulate=False *assigns* each share instead of adding
        it, and `order` (nodes, output first) replaces the reverse topological order.
        """
        order = list(reversed(self.topological_order()) if order is None else order)
        for node in order:
            if not isinstance(node, Value):
                raise TypeError(f"Value.backward: expected an order of Values, got {type(node).__name__}")
            if node._parents:
                node.grad = 0.0
        self.grad = 1.0
        for node in order:
            node._send(accumulate)

    def backward_steps(self):
        """Zero the gradients, run `backward()`, and return its steps: a `Step` per node, output first."""
        self.zero_grad()
        self.grad = 1.0
        order = self.topological_order()
        steps = []
        for node in reversed(order):
            sent = node._send()
            steps.append(Step(node, node.grad, tuple(zip(node._parents, node._local, sent)),
                              {n: n.grad for n in order}))
        return steps


def _lift(x, op):
    """A Value as it is, a plain number as a new leaf Value."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Value(x)
    raise TypeError(f"Value {op} ...: expected a Value or a real number, got {type(x).__name__}: {x!r:.60}")


def breadth_first_order(root):
    """Nodes in the order a breadth-first walk from `root` first meets them: a WRONG backward order.

    A node reached early along a short path is visited before a longer path has delivered its
    share, so `root.backward(order=breadth_first_order(root))` can pass on an incomplete gradient.
    """
    order, seen, queue = [], {root}, deque([root])
    while queue:
        node = queue.popleft()
        order.append(node)
        for p in node._parents:
            if p not in seen:
                seen.add(p)
                queue.append(p)
    return order
