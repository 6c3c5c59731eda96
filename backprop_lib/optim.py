"""Optimisers behind one interface.

    opt.step(params, grads)

`params` and `grads` are dicts with the same keys (for example `model.params()` and
`model.grads()`); every array in `params` is updated in place, so layers keep seeing
their own weights. Optimisers keep their state (velocities, moments) per key.
"""

import numpy as np


class Optimizer:
    def __init__(self, lr):
        if not np.isscalar(lr) or not np.isfinite(lr) or lr <= 0:
            raise ValueError(f"{type(self).__name__}: expected a positive learning rate lr, got {lr!r}")
        self.lr = float(lr)
        self.t = 0  # steps taken
        self.state = {}

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr:g})"

    def step(self, params, grads):
        """Update every array in `params` in place from the matching array in `grads`."""
        missing = params.keys() - grads.keys()
        if missing:
            raise KeyError(f"{self}.step: no gradient for {sorted(missing)}; call backward first")
        self.t += 1
        for key, p in params.items():
            self.update(key, p, grads[key])

    def update(self, key, p, g):
        raise NotImplementedError


class SGD(Optimizer):
    """Plain gradient descent: p -= lr * g."""

    def update(self, key, p, g):
        p -= self.lr * g


class Momentum(Optimizer):
    """SGD with momentum: v = mu * v - lr * g; p += v."""

    def __init__(self, lr, momentum=0.9):
        super().__init__(lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"Momentum: expected momentum in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)

    def __repr__(self):
        return f"Momentum(lr={self.lr:g}, momentum={self.momentum:g})"

    def update(self, key, p, g):
        v = self.state.get(key)
        if v is None:
            v = self.state[key] = np.zeros_like(p)
        v *= self.momentum
        v -= self.lr * g
        p += v


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with bias-corrected first and second moments."""

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= beta < 1:
                raise ValueError(f"Adam: expected {name} in [0, 1), got {beta!r}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def __repr__(self):
        return f"Adam(lr={self.lr:g}, beta1={self.beta1:g}, beta2={self.beta2:g})"

    def update(self, key, p, g):
        if key not in self.state:
            self.state[key] = (np.zeros_like(p), np.zeros_like(p))
        m, v = self.state[key]
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        m_hat_scale = 1 / (1 - self.beta1**self.t)
        v_hat_scale = 1 / (1 - self.beta2**self.t)
        p -= self.lr * m_hat_scale * m / (np.sqrt(v_hat_scale * v) + self.eps)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
