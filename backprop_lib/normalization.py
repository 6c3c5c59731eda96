"""Batch normalisation: pure forward/backward functions and a `BatchNorm` class.

x: (N, D), N samples of D features; gamma, beta, and the running statistics: (D,).
Every feature is normalised on its own, with the mean and variance of its column.

Training mode (batch statistics):

    mu = mean(x, axis=0)                     (D,)
    var = mean((x - mu)**2, axis=0)          (D,)   divided by N, not N - 1
    xhat = (x - mu) / sqrt(var + eps)        (N, D)
    out = gamma * xhat + beta                (N, D)

Eval mode uses running averages of mu and var collected during training, so that one
sample's output no longer depends on the rest of its batch.

The backward pass is written twice: `batchnorm_backward_staged` goes back through the graph
node by node (xhat, var, mu), `batchnorm_backward` is the simplified closed form

    dx = (N * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)) / (N * sqrt(var + eps)),

with dxhat = dout * gamma and the sums over the batch (axis 0). Both give the same numbers.
"""

import numbers

import numpy as np

from ._validate import as_float_array, check_2d, check_finite, positive_int, real_number


def _check_eps(eps, where):
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"{where}: expected eps as a small positive number, got {eps!r}")
    return float(eps)


def _check_vector(v, name, D, where):
    v = as_float_array(v, name, where)
    if v.shape != (D,):
        raise ValueError(f"{where}: expected {name} of shape (D,) = ({D},), got {v.shape}")
    check_finite(v, name, where)
    return v


def _check_x(x, where, training):
    x = check_2d(as_float_array(x, "x", where), "x", where)
    if x.shape[0] == 0:
        raise ValueError(f"{where}: expected x with at least one sample, got an empty batch {x.shape}")
    if training and x.shape[0] < 2:
        raise ValueError(
            f"{where}: expected a batch of at least 2 samples in training mode, got {x.shape}; "
            "with one sample x - mean is 0 and there is nothing to normalise (use eval mode for single samples)"
        )
    check_finite(x, "x", where)
    return x


def _check_dout(dout, shape, where):
    dout = as_float_array(dout, "dout", where)
    if dout.shape != shape:
        raise ValueError(f"{where}: expected dout of the output's shape (N, D) = {shape}, got {dout.shape}")
    check_finite(dout, "dout", where)
    return dout


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """x: (N, D), gamma: (D,), beta: (D,) -> out: (N, D), cache. Training mode: batch statistics."""
    where = "batchnorm_forward"
    x = _check_x(x, where, training=True)
    gamma = _check_vector(gamma, "gamma", x.shape[1], where)
    beta = _check_vector(beta, "beta", x.shape[1], where)
    eps = _check_eps(eps, where)
    mu = x.mean(axis=0)  # (D,)
    var = ((x - mu) ** 2).mean(axis=0)  # (D,), the biased variance: divided by N
    xhat = (x - mu) / np.sqrt(var + eps)  # (N, D)
    out = gamma * xhat + beta  # (N, D)
    return out, (x, xhat, mu, var, gamma, eps)


def batchnorm_backward(dout, cache):
    """dout: (N, D) -> dx: (N, D), dgamma: (D,), dbeta: (D,), by the simplified closed form."""
    x, xhat, mu, var, gamma, eps = cache
    dout = _check_dout(dout, x.shape, "batchnorm_backward")
    N = x.shape[0]
    dbeta = dout.sum(axis=0)  # (D,)
    dgamma = (dout * xhat).sum(axis=0)  # (D,)
    dxhat = dout * gamma  # (N, D)
    dx = (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (N * np.sqrt(var + eps))  # (N, D)
    return dx, dgamma, dbeta


def batchnorm_backward_staged(dout, cache):
    """dout: (N, D) -> dx: (N, D), dgamma: (D,), dbeta: (D,), node by node through the staged graph.

    The teaching reference for `batchnorm_backward`: x reaches the output along three paths
    (directly through xhat, through var, through mu), and dx adds them up.
    """
    x, xhat, mu, var, gamma, eps = cache
    dout = _check_dout(dout, x.shape, "batchnorm_backward_staged")
    N = x.shape[0]
    std = np.sqrt(var + eps)  # (D,)
    # out = gamma * xhat + beta
    dbeta = dout.sum(axis=0)  # (D,)
    dgamma = (dout * xhat).sum(axis=0)  # (D,)
    dxhat = dout * gamma  # (N, D)
    # xhat = (x - mu) * (var + eps) ** -0.5
    dvar = (dxhat * (x - mu)).sum(axis=0) * -0.5 * std**-3  # (D,)
    # var = mean((x - mu) ** 2): mu reaches the output through xhat and through var
    dmu = (-dxhat / std).sum(axis=0) + dvar * (-2 * (x - mu)).mean(axis=0)  # (D,); the second term is 0
    # mu = mean(x): x reaches the output through xhat, var and mu
    dx = dxhat / std + dvar * 2 * (x - mu) / N + dmu / N  # (N, D)
    return dx, dgamma, dbeta


def batchnorm_eval_forward(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """x: (N, D), gamma, beta, running_mean, running_var: (D,) -> out: (N, D), cache. Eval mode.

    The statistics are fixed numbers here, so every sample is normalised on its own and any
    batch size works, one sample included.
    """
    where = "batchnorm_eval_forward"
    x = _check_x(x, where, training=False)
    D = x.shape[1]
    gamma, beta = _check_vector(gamma, "gamma", D, where), _check_vector(beta, "beta", D, where)
    running_mean = _check_vector(running_mean, "running_mean", D, where)
    running_var = _check_vector(running_var, "running_var", D, where)
    if (running_var < 0).any():
        raise ValueError(f"{where}: expected running_var >= 0, got a minimum of {running_var.min():.3g}")
    eps = _check_eps(eps, where)
    std = np.sqrt(running_var + eps)  # (D,)
    xhat = (x - running_mean) / std  # (N, D)
    out = gamma * xhat + beta  # (N, D)
    return out, (xhat, std, gamma)


def batchnorm_eval_backward(dout, cache):
    """dout: (N, D) -> dx: (N, D), dgamma: (D,), dbeta: (D,). An affine map per feature: no batch paths."""
    xhat, std, gamma = cache
    dout = _check_dout(dout, xhat.shape, "batchnorm_eval_backward")
    dx = dout * gamma / std  # (N, D)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


class BatchNorm:
    """Batch normalisation of D features, with a learned scale `gamma` and shift `beta`.

    `params` holds gamma (ones) and beta (zeros). The running statistics `running_mean` and
    `running_var` are not parameters: no gradient reaches them. Each training-mode forward
    updates them as

        running = momentum * running + (1 - momentum) * batch statistic,

    and eval mode (`training = False`, set by `Sequential.eval()`) normalises with them.
    """

    def __init__(self, D, momentum=0.9, eps=1e-5):
        self.D = positive_int(D, "D", "BatchNorm")
        self.momentum = real_number(momentum, "momentum", "BatchNorm", low=0, high=1, high_open=True)
        self.eps = _check_eps(eps, "BatchNorm")
        self.params = {"gamma": np.ones(self.D), "beta": np.zeros(self.D)}
        self.grads = {"gamma": np.zeros(self.D), "beta": np.zeros(self.D)}
        self.running_mean = np.zeros(self.D)
        self.running_var = np.ones(self.D)
        self.training = True
        self.cache = None
        self._cache_mode = None  # "train" or "eval": which backward the cache belongs to

    def __repr__(self):
        return f"BatchNorm({self.D})"

    def forward(self, x):
        """x: (N, D) -> out: (N, D); batch statistics when training, running statistics in eval mode."""
        where = f"{self}.forward"
        x = _check_x(x, where, training=self.training)
        if x.shape[1] != self.D:
            raise ValueError(f"{where}: expected x with {self.D} columns (N, {self.D}), got {x.shape}")
        gamma, beta = self.params["gamma"], self.params["beta"]
        if not self.training:
            out, self.cache = batchnorm_eval_forward(x, gamma, beta, self.running_mean, self.running_var, self.eps)
            self._cache_mode = "eval"
            return out
        out, self.cache = batchnorm_forward(x, gamma, beta, self.eps)
        _, _, mu, var, _, _ = self.cache
        m = self.momentum
        self.running_mean = m * self.running_mean + (1 - m) * mu  # new arrays: a caller's copy stays as it was
        self.running_var = m * self.running_var + (1 - m) * var
        self._cache_mode = "train"
        return out

    def backward(self, dout, input_grad=True):
        """dout: (N, D) -> dx: (N, D) (None if not input_grad); stores dgamma, dbeta in `self.grads`."""
        where = f"{self}.backward"
        if self.cache is None:
            raise RuntimeError(f"{where}: call forward before backward")
        shape = self.cache[0].shape  # x in training mode, xhat in eval mode: (N, D) both
        dout = _check_dout(dout, shape, where)
        backward = batchnorm_backward if self._cache_mode == "train" else batchnorm_eval_backward
        dx, self.grads["gamma"], self.grads["beta"] = backward(dout, self.cache)
        return dx if input_grad else None
