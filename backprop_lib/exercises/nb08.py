"""Checks for notebook 08 (regression): the 1-25-1 forward pass, the MSE and its gradient, a
sigmoid layer's backward pass, and the whole network's backward pass in the columns-are-samples
layout. Shapes: N samples, D inputs, H hidden units, C outputs."""

import numpy as np

from .. import losses
from .._random import as_rng
from ..activations import Sigmoid, sigmoid
from ..checks import check_function
from ..datasets import sine_regression
from ..layers import Dense
from ..losses import MSE
from ..model import Sequential, mlp


def reference_forward(X, W1, b1, W2, b2):
    """X: (N, D), W1: (D, H), b1: (H,), W2: (H, C), b2: (C,) -> predictions (N, C), by the library."""
    layers = [Dense(*W1.shape, W=W1, b=b1), Sigmoid(), Dense(*W2.shape, W=W2, b=b2)]
    return Sequential(layers, loss=MSE()).forward(X)


def forward_from_a_write_up(X, W1, b1, W2, b2):
    """The buggy forward pass of Exercise 1, as a write-up gave it: X: (N, 1) -> (N, 1)."""
    S = 1 / (1 + np.exp(X @ W1 + b1))  # (N, H)
    return 1 / (1 + np.exp(-(S @ W2 + b2)))  # (N, 1)


def _forward_mistakes():
    def output_sigmoid(X, W1, b1, W2, b2):
        return sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2)

    def flipped_sign(X, W1, b1, W2, b2):
        return (1 / (1 + np.exp(X @ W1 + b1))) @ W2 + b2

    def no_hidden_sigmoid(X, W1, b1, W2, b2):
        return (X @ W1 + b1) @ W2 + b2

    def relu_hidden(X, W1, b1, W2, b2):
        return np.maximum(X @ W1 + b1, 0) @ W2 + b2

    def bias_outside(X, W1, b1, W2, b2):
        return (sigmoid(X @ W1) + b1) @ W2 + b2

    return {
        "It is the write-up's forward pass unchanged: both of its mistakes are still there.": forward_from_a_write_up,
        "The output still has a sigmoid: a regression output needs no activation "
        "(a sigmoid keeps every prediction between 0 and 1, the targets reach ±20).": output_sigmoid,
        "The hidden layer computes 1 / (1 + exp(+z)) = sigmoid(-z): the sign in the exponent "
        "is flipped (sigmoid(z) = 1 / (1 + exp(-z))).": flipped_sign,
        "The hidden layer has no sigmoid: without it the network is a straight line.": no_hidden_sigmoid,
        "The hidden layer uses a ReLU: this network's hidden units are sigmoids.": relu_hidden,
        "The bias b1 is added after the sigmoid: it belongs inside, sigmoid(X @ W1 + b1).": bias_outside,
    }


def check_forward_1_25_1(fn):
    """fn(X, W1, b1, W2, b2) -> predictions (N, 1): on the sine data and an untrained 1-25-1 network,
    then on a batch of 7 with 6 hidden units and weights large enough to reach the sigmoid's flat parts."""
    X, _ = sine_regression()
    params = mlp([1, 25, 1], "sigmoid", loss=MSE(), init="lecun", rng=0).params().values()
    rng = as_rng(8)
    small = (
        rng.uniform(-2, 2, size=(7, 1)),
        4 * rng.standard_normal((1, 6)),
        rng.standard_normal(6),
        3 * rng.standard_normal((6, 1)),
        rng.standard_normal(1),
    )
    result = None
    for case in ((X, *params), small):
        result = check_function(
            fn,
            reference_forward,
            *case,
            name="forward_1_25_1",
            hint="Compare each line with the formula: sigmoid(z) = 1 / (1 + exp(-z)), and what the output layer computes.",
            mistakes=_forward_mistakes(),
        )
        if not result:
            return result
    return result


def reference_mse(pred, y):
    """pred, y: (N, C) -> loss (float), dpred: (N, C)."""
    return losses.mse(pred, y), losses.mse_backward(pred, y)


def check_mse_and_grad(fn):
    """fn(pred, y) -> (loss, dpred), on a batch with one output and a batch with three."""
    rng = as_rng(0)

    def over_n_only(pred, y):
        diff = pred - y
        return float(np.mean(diff**2)), 2 * diff / len(diff)

    def no_two(pred, y):
        diff = pred - y
        return float(np.mean(diff**2)), diff / diff.size

    def loss_over_n_only(pred, y):
        diff = pred - y
        return float(np.sum(diff**2) / len(diff)), 2 * diff / diff.size

    def sum_not_mean(pred, y):
        diff = pred - y
        return float(np.sum(diff**2)), 2 * diff

    def y_minus_pred(pred, y):
        diff = pred - y
        return float(np.mean(diff**2)), 2 * (y - pred) / diff.size

    def half_square(pred, y):
        diff = pred - y
        return float(np.mean(diff**2) / 2), diff / diff.size

    mistakes = {
        "The gradient divides by N only: with C outputs the mean runs over all N * C entries.": over_n_only,
        "The gradient has lost the 2 from differentiating the square.": no_two,
        "The loss divides by N only: the mean runs over all N * C entries.": loss_over_n_only,
        "The loss and the gradient are sums: the loss is a MEAN, so both carry 1 / (N C).": sum_not_mean,
        "The gradient has the wrong sign: it is 2 (pred - y) / (N C); with (y - pred) a descent step "
        "would push a too-high prediction further up.": y_minus_pred,
        "This is the loss with a 1/2 in front (0.5 * mean): the course's MSE has none, so its gradient "
        "keeps the 2.": half_square,
    }
    hint = "The loss is a mean over every entry; differentiate one entry's square, then divide as the mean does."
    result = None
    for N, C in ((20, 1), (5, 3)):
        pred, y = rng.standard_normal((N, C)), rng.standard_normal((N, C))
        result = check_function(
            fn,
            reference_mse,
            pred,
            y,
            name="mse_and_grad",
            outputs=("loss", "dpred"),
            n_samples=N,
            hint=hint,
            mistakes=mistakes,
        )
        if not result:
            return result
    return result


def reference_sigmoid_layer(dout, X, W, b):
    """dout: (N, H), X: (N, D), W: (D, H), b: (H,) -> dX, dW, db, by the library's layers."""
    dense, act = Dense(*W.shape, W=W, b=b), Sigmoid()
    act.forward(dense.forward(X))
    dX = dense.backward(act.backward(dout))
    return dX, dense.grads["W"], dense.grads["b"]


def check_sigmoid_layer_backward(fn):
    """fn(dout, X, W, b) -> (dX, dW, db) for out = sigmoid(X @ W + b)."""
    rng = as_rng(1)
    X, W, b = rng.standard_normal((6, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    dout = rng.standard_normal((6, 4))

    def with_z(dout, X, W, b):  # sigma'(z) written with z instead of sigma(z)
        Z = X @ W + b
        dZ = dout * Z * (1 - Z)
        return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)

    def no_gate(dout, X, W, b):
        return dout @ W.T, X.T @ dout, dout.sum(axis=0)

    def s_only(dout, X, W, b):  # sigma' written as sigma alone
        dZ = dout * sigmoid(X @ W + b)
        return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)

    def db_mean(dout, X, W, b):
        S = sigmoid(X @ W + b)
        dZ = dout * S * (1 - S)
        return dZ @ W.T, X.T @ dZ, dZ.mean(axis=0)

    def dx_without_gate(dout, X, W, b):  # the gate on dW and db, forgotten on dX
        S = sigmoid(X @ W + b)
        dZ = dout * S * (1 - S)
        return dout @ W.T, X.T @ dZ, dZ.sum(axis=0)

    return check_function(
        fn,
        reference_sigmoid_layer,
        dout,
        X,
        W,
        b,
        name="sigmoid_layer_backward",
        outputs=("dX", "dW", "db"),
        n_samples=6,
        hint=(
            "First through the sigmoid (upstream times its local derivative), then through "
            "the dense layer as in notebook 02."
        ),
        mistakes={
            "The sigmoid's derivative is written with z: it is s * (1 - s) with s = sigmoid(z), the layer's output.": with_z,
            "The gradient skips the sigmoid: multiply dout by the sigmoid's local derivative first.": no_gate,
            "The sigmoid's derivative is written as s alone: it is s * (1 - s).": s_only,
            "db is the mean of dZ over the batch: it is the SUM (the loss's 1/N is already inside dout).": db_mean,
            "dX skips the sigmoid: dX = dZ @ W.T, with dZ = dout * s * (1 - s), the same dZ as dW and db.": dx_without_gate,
        },
    )


def _columns_case(rng=0, N=7, D=2, H=5, C=3):
    """A columns-are-samples problem: Xc (D, N), yc (C, N), W1c (H, D), b1c (H, 1), W2c (C, H), b2c (C, 1)."""
    rng = as_rng(rng)
    return (
        rng.standard_normal((D, N)),
        rng.standard_normal((C, N)),
        rng.standard_normal((H, D)),
        rng.standard_normal((H, 1)),
        rng.standard_normal((C, H)),
        rng.standard_normal((C, 1)),
    )


def reference_mse_backward_columns(Xc, yc, W1c, b1c, W2c, b2c):
    """Columns are samples -> (dW1c (H, D), db1c (H, 1), dW2c (C, H), db2c (C, 1)), by our rows layout."""
    H, D = W1c.shape
    model = Sequential(
        [Dense(D, H, W=W1c.T, b=b1c[:, 0]), Sigmoid(), Dense(H, len(W2c), W=W2c.T, b=b2c[:, 0])], loss=MSE()
    )
    model.loss(Xc.T, yc.T)
    model.backward()
    g = model.grads()
    return g["dense1.W"].T, g["dense1.b"][:, None], g["dense2.W"].T, g["dense2.b"][:, None]


def _columns(dpred_scale=2.0, gate="s", bias_axis=1, keepdims=True, rows_products=False):
    """The columns-layout backward pass with one deliberate change (for the known mistakes)."""

    def backward(Xc, yc, W1c, b1c, W2c, b2c):
        Sc = sigmoid(W1c @ Xc + b1c)  # (H, N)
        predc = W2c @ Sc + b2c  # (C, N)
        dpredc = dpred_scale * (predc - yc) / predc.size  # (C, N)
        dSc = W2c.T @ dpredc  # (H, N)
        local = {"s": Sc * (1 - Sc), "z": (W1c @ Xc + b1c) * (1 - (W1c @ Xc + b1c)), "none": 1.0}[gate]
        dZ1c = dSc * local  # (H, N)
        if rows_products:  # our layout's products, X.T @ dZ, applied to the column arrays
            dW1c, dW2c = Xc @ dZ1c.T, Sc @ dpredc.T
        else:
            dW1c, dW2c = dZ1c @ Xc.T, dpredc @ Sc.T
        return (dW1c, dZ1c.sum(axis=bias_axis, keepdims=keepdims), dW2c, dpredc.sum(axis=bias_axis, keepdims=keepdims))

    return backward


COLUMNS_MISTAKES = {
    "The weight gradients are transposed: in this layout a layer computes W @ X, so dW = dZ @ X.T.": _columns(
        rows_products=True
    ),
    "The bias gradients sum over the wrong axis: samples are columns here, so sum over axis 1.": _columns(bias_axis=0),
    "The bias gradients lost their column shape: sum with keepdims=True, so db has the shape of b, (H, 1).": _columns(
        keepdims=False
    ),
    "The output gradient lost the 2 from differentiating the square: dpred = 2 (pred - y) / (N C).": _columns(
        dpred_scale=1.0
    ),
    "The sigmoid's derivative is written with z: it is S * (1 - S) with S the hidden layer's output.": _columns(
        gate="z"
    ),
    "The hidden gradient skips the sigmoid: multiply by S * (1 - S) before the first layer.": _columns(gate="none"),
}


def check_mse_backward_columns(fn):
    """fn(Xc, yc, W1c, b1c, W2c, b2c) -> (dW1c, db1c, dW2c, db2c) against ours, on N=7, D=2, H=5, C=3."""
    return check_function(
        fn,
        reference_mse_backward_columns,
        *_columns_case(),
        name="mse_backward_columns",
        outputs=("dW1c", "db1c", "dW2c", "db2c"),
        mistakes=COLUMNS_MISTAKES,
        hint=(
            "Every array is the transpose of ours: transpose each line of our backward pass "
            "and swap the order of each product."
        ),
    )
