"""The checks of notebook 08 pass the reference, name every common wrong answer, and say "todo" for a stub."""

import numpy as np
from exercise_suite import standard_tests

from backprop_lib.activations import sigmoid
from backprop_lib.exercises import nb08 as ex


def todo(*args):
    raise NotImplementedError


def forward(X, W1, b1, W2, b2):
    return sigmoid(X @ W1 + b1) @ W2 + b2


def mse_and_grad(pred, y):
    diff = pred - y
    return float(np.mean(diff**2)), 2 * diff / diff.size


def sigmoid_layer_backward(dout, X, W, b):
    S = sigmoid(X @ W + b)
    dZ = dout * S * (1 - S)
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def mse_backward_columns(Xc, yc, W1c, b1c, W2c, b2c):
    Sc = sigmoid(W1c @ Xc + b1c)
    predc = W2c @ Sc + b2c
    dpredc = 2 * (predc - yc) / predc.size
    dZ1c = (W2c.T @ dpredc) * Sc * (1 - Sc)
    return dZ1c @ Xc.T, dZ1c.sum(axis=1, keepdims=True), dpredc @ Sc.T, dpredc.sum(axis=1, keepdims=True)


CASES = {
    "forward": (
        ex.check_forward_1_25_1,
        forward,
        {
            "still has a sigmoid": lambda X, W1, b1, W2, b2: sigmoid(forward(X, W1, b1, W2, b2)),
            "has no sigmoid": lambda X, W1, b1, W2, b2: (X @ W1 + b1) @ W2 + b2,
            "the sign in the exponent is flipped": lambda X, W1, b1, W2, b2: (1 / (1 + np.exp(X @ W1 + b1))) @ W2 + b2,
            "write-up's forward pass unchanged": lambda X, W1, b1, W2, b2: ex.forward_from_a_write_up(
                X, W1, b1, W2, b2
            ),
            "uses a ReLU": lambda X, W1, b1, W2, b2: np.maximum(X @ W1 + b1, 0) @ W2 + b2,
            "added after the sigmoid": lambda X, W1, b1, W2, b2: (sigmoid(X @ W1) + b1) @ W2 + b2,
        },
    ),
    "mse": (
        ex.check_mse_and_grad,
        mse_and_grad,
        {
            "divides by N only": lambda p, y: (float(np.mean((p - y) ** 2)), 2 * (p - y) / len(p)),
            "lost the 2": lambda p, y: (float(np.mean((p - y) ** 2)), (p - y) / p.size),
            "The loss divides by N only": lambda p, y: (float(np.sum((p - y) ** 2) / len(p)), 2 * (p - y) / p.size),
            "are sums": lambda p, y: (float(np.sum((p - y) ** 2)), 2 * (p - y)),
            "wrong sign": lambda p, y: (float(np.mean((p - y) ** 2)), 2 * (y - p) / p.size),
            "with a 1/2 in front": lambda p, y: (float(np.mean((p - y) ** 2) / 2), (p - y) / p.size),
        },
    ),
    "sigmoid layer": (
        ex.check_sigmoid_layer_backward,
        sigmoid_layer_backward,
        {
            "written with z": lambda dout, X, W, b: (
                (dout * (X @ W + b) * (1 - (X @ W + b))) @ W.T,
                X.T @ (dout * (X @ W + b) * (1 - (X @ W + b))),
                (dout * (X @ W + b) * (1 - (X @ W + b))).sum(axis=0),
            ),
            "skips the sigmoid": lambda dout, X, W, b: (dout @ W.T, X.T @ dout, dout.sum(axis=0)),
            "written as s alone": lambda dout, X, W, b: sigmoid_layer_backward(
                dout * sigmoid(X @ W + b) / (sigmoid(X @ W + b) * (1 - sigmoid(X @ W + b))), X, W, b
            ),
            "db is the mean": lambda dout, X, W, b: (
                *sigmoid_layer_backward(dout, X, W, b)[:2],
                sigmoid_layer_backward(dout, X, W, b)[2] / len(X),
            ),
            "dX skips the sigmoid": lambda dout, X, W, b: (dout @ W.T, *sigmoid_layer_backward(dout, X, W, b)[1:]),
        },
    ),
}


def columns_with(change):
    """The learner's columns backward pass with one typical slip, written the way a learner would."""

    def backward(Xc, yc, W1c, b1c, W2c, b2c):
        Sc = sigmoid(W1c @ Xc + b1c)
        predc = W2c @ Sc + b2c
        dpredc = (1 if change == "no 2" else 2) * (predc - yc) / predc.size
        dSc = W2c.T @ dpredc
        if change == "z":
            Z = W1c @ Xc + b1c
            dZ1c = dSc * Z * (1 - Z)
        elif change == "no gate":
            dZ1c = dSc
        else:
            dZ1c = dSc * Sc * (1 - Sc)
        if change == "transposed":
            return Xc @ dZ1c.T, dZ1c.sum(axis=1, keepdims=True), Sc @ dpredc.T, dpredc.sum(axis=1, keepdims=True)
        axis, keep = (0, True) if change == "axis" else (1, change != "keepdims")
        return dZ1c @ Xc.T, dZ1c.sum(axis=axis, keepdims=keep), dpredc @ Sc.T, dpredc.sum(axis=axis, keepdims=keep)

    return backward


CASES["columns"] = (
    ex.check_mse_backward_columns,
    mse_backward_columns,
    {
        "weight gradients are transposed": columns_with("transposed"),
        "sum over the wrong axis": columns_with("axis"),
        "lost their column shape": columns_with("keepdims"),
        "lost the 2": columns_with("no 2"),
        "written with z": columns_with("z"),
        "skips the sigmoid": columns_with("no gate"),
    },
)


test_the_reference_passes, test_each_common_mistake_is_named, test_a_stub_is_todo = standard_tests(CASES, todo)


def test_an_unknown_wrong_answer_still_fails_with_the_hint():
    result = ex.check_mse_backward_columns(
        lambda *a: tuple(np.zeros_like(x) for x in ex.reference_mse_backward_columns(*a))
    )
    assert not result and "Hint:" in result.message


def test_other_wrong_answers_fail_with_a_named_reason():
    """Wrong answers outside the known list still fail, each with a message that names what is off."""
    cases = [
        # a forward pass that works only for one batch size: it hard-codes N = 100
        (ex.check_forward_1_25_1, lambda X, W1, b1, W2, b2: forward(X, W1, b1, W2, b2).reshape(100, 1), "raised"),
        # the loss returned as a (1,)-array instead of a float passes only if the value is right: a wrong
        # value in an array still fails, here 1/N applied twice
        (
            ex.check_mse_and_grad,
            lambda p, y: (float(np.mean((p - y) ** 2)), 2 * (p - y) / p.size / len(p)),
            "times too small",
        ),
        # dW transposed: (H, D) instead of (D, H) on the non-square W (3, 4)
        (
            ex.check_sigmoid_layer_backward,
            lambda dout, X, W, b: (lambda r: (r[0], r[1].T, r[2]))(sigmoid_layer_backward(dout, X, W, b)),
            "transposed",
        ),
        # returns a list instead of a tuple
        (ex.check_mse_backward_columns, lambda *a: list(mse_backward_columns(*a)), "as a tuple"),
    ]
    for check, wrong, words in cases:
        result = check(wrong)
        assert not result and words in result.message, result.message


def test_the_columns_check_tells_inputs_from_outputs():
    """D = 2 and C = 3 differ, so a mean over N * D instead of N * C fails (it would pass with D = C)."""

    def over_n_d(Xc, yc, W1c, b1c, W2c, b2c):
        scale = yc.size / Xc.size  # turns / (N C) into / (N D)
        return tuple(g * scale for g in mse_backward_columns(Xc, yc, W1c, b1c, W2c, b2c))

    result = ex.check_mse_backward_columns(over_n_d)
    assert not result and "times the answer" in result.message
