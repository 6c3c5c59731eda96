"""A training step written the way the nnfs book's classes are: one object per layer, each
keeping its inputs, every layer computing its input gradient, the fused softmax + loss
indexing rows with `range`, L2 added inside the layers. Written for the benchmark only,
to measure the library against that familiar design on the same data and weights.
"""

import numpy as np


class DenseLayer:
    def __init__(self, W, b, l2):
        self.weights, self.biases, self.l2 = W, b.reshape(1, -1), l2

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        if self.l2 > 0:
            self.dweights += 2 * self.l2 * self.weights
        self.dinputs = np.dot(dvalues, self.weights.T)  # also for the first layer, where nobody needs it


class ReLULayer:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


class SoftmaxCrossEntropyLayer:
    def forward(self, inputs, y_true):
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exp_values / np.sum(exp_values, axis=1, keepdims=True)
        clipped = np.clip(self.output, 1e-7, 1 - 1e-7)
        return np.mean(-np.log(clipped[range(len(inputs)), y_true]))

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        self.dinputs = dvalues.copy()
        self.dinputs[range(samples), y_true] -= 1
        self.dinputs = self.dinputs / samples


class SGDOptimizer:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate

    def update_params(self, layer):
        layer.weights += -self.learning_rate * layer.dweights
        layer.biases += -self.learning_rate * layer.dbiases


def nnfs_step(X, y, params, reg, lr):
    """params: {'dense1.W': ..., ...} (copied) -> a function doing one step, book style.

    The book's L2 term is lambda * sum(W**2) with gradient 2 lambda W; lambda = reg / 2 here,
    so the step computes the same update as the library's 0.5 * reg * sum(W**2).
    """
    p = {k: v.copy() for k, v in params.items()}
    dense1 = DenseLayer(p["dense1.W"], p["dense1.b"], reg / 2)
    relu = ReLULayer()
    dense2 = DenseLayer(p["dense2.W"], p["dense2.b"], reg / 2)
    loss_act = SoftmaxCrossEntropyLayer()
    opt = SGDOptimizer(lr)

    def step():
        dense1.forward(X)
        relu.forward(dense1.output)
        dense2.forward(relu.output)
        data_loss = loss_act.forward(dense2.output, y)
        reg_loss = dense1.l2 * np.sum(dense1.weights**2) + dense2.l2 * np.sum(dense2.weights**2)
        loss_act.backward(loss_act.output, y)
        dense2.backward(loss_act.dinputs)
        relu.backward(dense2.dinputs)
        dense1.backward(relu.dinputs)
        opt.update_params(dense1)
        opt.update_params(dense2)
        return data_loss + reg_loss

    step.params = p  # the layers hold views of these arrays
    return step
