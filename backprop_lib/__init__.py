"""backprop_lib: the small library behind the course *Backpropagation from scratch*.

Shapes use the same letters everywhere:

    N  samples in a batch (rows are samples)
    D  input features
    H  hidden units
    C  classes (or outputs)

Images are (N, C, H, W): channels, height and width; filters are (F, C, KH, KW).

Pure functions do the maths (`dense_forward`, `softmax_backward`, ...); thin classes
(`Dense`, `ReLU`, `SoftmaxCrossEntropy`, `Sequential`, `SGD`, ...) make a friendly API on
top. Nothing here changes NumPy's global state, and everything random takes an `rng`.

`plotting`, `graph` and `widgets` load matplotlib and ipywidgets only when first used, and
`engine`, `metrics` and `timing` load on first use too, so that importing the library costs
little more than importing NumPy.
"""

import importlib

from . import (
    activations,
    checks,
    clipping,
    conv,
    datasets,
    dropout,
    gradcheck,
    init,
    layers,
    losses,
    model,
    neuron,
    normalization,
    optim,
    sequence,
    transformer,
)
from .activations import (
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    softmax,
    softmax_backward,
    softmax_backward_einsum,
    softmax_backward_loop,
    softmax_jacobian,
    softmax_jacobian_batched,
)
from .clipping import clip_grad_norm, global_norm
from .conv import Conv2D, Flatten, MaxPool2D, conv2d_backward, conv2d_forward, maxpool_backward, maxpool_forward
from .dropout import Dropout, dropout_backward, dropout_forward
from .gradcheck import (
    check_forward_backward,
    check_layer,
    check_loss,
    check_model,
    numerical_gradient,
    numerical_gradient_array,
    rel_error,
)
from .layers import Dense, dense_backward, dense_forward
from .losses import (
    MSE,
    BinaryCrossEntropy,
    CrossEntropy,
    SoftmaxCrossEntropy,
    cross_entropy,
    one_hot,
    softmax_cross_entropy,
)
from .model import History, Sequential, TrainingDivergedError, mlp
from .normalization import (
    BatchNorm,
    batchnorm_backward,
    batchnorm_backward_staged,
    batchnorm_eval_backward,
    batchnorm_eval_forward,
    batchnorm_forward,
)
from .optim import SGD, Adam, AdamW, Momentum, Nesterov, RMSProp
from .sequence import (
    RNN,
    Embedding,
    PerPosition,
    PositionalEmbedding,
    SequenceCrossEntropy,
    embedding_backward,
    embedding_forward,
    rnn_backward,
    rnn_forward,
    sequence_cross_entropy,
)
from .transformer import (
    LayerNorm,
    SelfAttention,
    TransformerBlock,
    attention_backward,
    attention_forward,
    layernorm_backward,
    layernorm_forward,
)

__version__ = "0.1.0"

_LAZY = ("plotting", "widgets", "graph", "engine", "metrics", "timing", "exercises")

__all__ = [
    # layers and activations
    "Dense", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax",
    "BatchNorm", "Dropout", "Conv2D", "MaxPool2D", "Flatten",
    "Embedding", "PositionalEmbedding", "RNN", "LayerNorm", "SelfAttention", "TransformerBlock", "PerPosition",
    # losses
    "SoftmaxCrossEntropy", "CrossEntropy", "MSE", "BinaryCrossEntropy", "SequenceCrossEntropy",
    # models and optimisers
    "Sequential", "mlp", "History", "TrainingDivergedError", "SGD", "Momentum", "Adam", "RMSProp", "Nesterov", "AdamW",
    # pure functions
    "dense_forward", "dense_backward", "softmax", "softmax_backward", "softmax_backward_einsum",
    "softmax_backward_loop", "softmax_jacobian", "softmax_jacobian_batched", "cross_entropy",
    "softmax_cross_entropy", "one_hot", "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_staged",
    "batchnorm_eval_forward", "batchnorm_eval_backward", "dropout_forward", "dropout_backward",
    "conv2d_forward", "conv2d_backward", "maxpool_forward", "maxpool_backward",
    "embedding_forward", "embedding_backward", "rnn_forward", "rnn_backward", "layernorm_forward",
    "layernorm_backward", "attention_forward", "attention_backward", "sequence_cross_entropy",
    "clip_grad_norm", "global_norm",
    # gradient checking
    "check_layer", "check_loss", "check_model", "check_forward_backward", "numerical_gradient",
    "numerical_gradient_array", "rel_error",
    # modules
    "activations", "checks", "clipping", "conv", "datasets", "dropout", "gradcheck", "init", "layers", "losses",
    "model", "neuron", "normalization", "optim", "sequence", "transformer",
    *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'backprop_lib' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
