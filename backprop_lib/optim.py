"""Optimisers behind one interface, and learning-rate schedules.

    opt.step(params, grads)

`params` and `grads` are dicts with the same keys (for example `model.params()` and
`model.grads()`) and arrays of matching shapes; every array in `params` is updated in place,
so layers keep seeing their own weights. Optimisers keep their state (velocities, moments)
per key. The update rules, with g the gradient and t the step number (1, 2, ...):

    SGD        p <- p - lr * g
    Momentum   v <- mu * v - lr * g;            p <- p + v
    Nesterov   v <- mu * v - lr * g;            p <- p + mu * v - lr * g   (the look-ahead form)
    RMSProp    s <- beta * s + (1 - beta) * g**2;  p <- p - lr * g / (sqrt(s) + eps)
    Adam       m <- beta1 * m + (1 - beta1) * g;  v <- beta2 * v + (1 - beta2) * g**2
               p <- p - lr * m_hat / (sqrt(v_hat) + eps),
               m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)
    AdamW      p <- p - lr * weight_decay * p, then the Adam step

A schedule is a function of the step number t (1, 2, ...) giving the learning rate for that
step; set `opt.schedule = cosine(...)` and every `step` uses it (and stores it in `opt.lr`).
"""

import math
import numbers

import numpy as np

from ._validate import all_finite, real_number
from .model import TrainingDivergedError


class NonFiniteGradientError(TrainingDivergedError, ValueError):
    """A gradient handed to `step` holds NaN or inf (a `TrainingDivergedError`, so `fit` callers catch it too)."""


def _check_lr(lr, where):
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"{where}: expected a positive learning rate lr, got {lr!r}")
    return float(lr)


def _fraction(value, name, where, low_open=False, high_open=True):
    """A number in [0, 1) (or as the open ends say), for momenta, betas and drops."""
    return real_number(value, name, where, low=0, high=1, low_open=low_open, high_open=high_open)


class Optimizer:
    def __init__(self, lr):
        self.lr = _check_lr(lr, type(self).__name__)
        self.t = 0  # steps taken
        self.state = {}
        self.schedule = None  # a function t -> lr, or None for a constant lr

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr:g})"

    @property
    def schedule(self):
        """A function t -> lr used by every `step`, or None for a constant lr."""
        return self._schedule

    @schedule.setter
    def schedule(self, schedule):
        if schedule is not None and not callable(schedule):
            raise TypeError(f"{self}.schedule: expected a function of the step t such as bl.optim.cosine(0.1, 100), "
                            f"or None, got {type(schedule).__name__}: {schedule!r:.60}; for a fixed rate set opt.lr")
        self._schedule = schedule

    def step(self, params, grads):
        """Update every array in `params` in place from the matching array in `grads`."""
        self._check(params, grads)
        self.t += 1
        if self.schedule is not None:
            self.lr = _check_lr(self.schedule(self.t), f"{self}.step: the schedule at step {self.t}")
        for key, p in params.items():
            self.update(key, p, grads[key])

    def _check(self, params, grads):
        if not isinstance(params, dict) or not isinstance(grads, dict):
            raise TypeError(
                f"{self}.step: expected params and grads as dicts name -> array, "
                f"got {type(params).__name__} and {type(grads).__name__}"
            )
        if params.keys() != grads.keys():
            missing = params.keys() - grads.keys()
            if missing:
                raise KeyError(f"{self}.step: no gradient for {sorted(missing)}; call backward first")
            raise KeyError(f"{self}.step: gradients for {sorted(grads.keys() - params.keys())} "
                           "have no matching parameter")
        for key, p in params.items():
            g = grads[key]
            if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
                raise TypeError(
                    f"{self}.step: expected parameter {key!r} as a float ndarray (it is updated "
                    f"in place), got {type(p).__name__}{'' if not hasattr(p, 'dtype') else f' of dtype {p.dtype}'}"
                )
            if not isinstance(g, np.ndarray) or g.dtype.kind not in "fiu":
                got = f"ndarray of dtype {g.dtype}" if isinstance(g, np.ndarray) else type(g).__name__
                raise TypeError(f"{self}.step: expected gradient {key!r} as a numeric ndarray, got {got}")
            if g.shape != p.shape:
                raise ValueError(
                    f"{self}.step: gradient {key!r} has shape {g.shape}, but the parameter has shape {p.shape}"
                )
            if not all_finite(g):  # even inside fit: an inf gradient can leave the next loss finite
                raise NonFiniteGradientError(
                    f"{self}.step: gradient {key!r} contains NaN or inf; the loss has probably "
                    "diverged (try a smaller learning rate)"
                )

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
        self.momentum = _fraction(momentum, "momentum", type(self).__name__)

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr:g}, momentum={self.momentum:g})"

    def velocity(self, key, p, g):
        """The parameter's velocity after this step, v <- mu * v - lr * g (kept in `state`)."""
        v = self.state.get(key)
        if v is None:
            v = self.state[key] = np.zeros_like(p)
        v *= self.momentum
        v -= self.lr * g
        return v

    def update(self, key, p, g):
        p += self.velocity(key, p, g)


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with bias-corrected first and second moments."""

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        self.beta1 = _fraction(beta1, "beta1", "Adam")
        self.beta2 = _fraction(beta2, "beta2", "Adam")
        self.eps = real_number(eps, "eps", "Adam")
        if self.eps <= 0:
            raise ValueError(f"Adam: expected eps > 0, got {eps!r}")

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
        m_hat = m / (1 - self.beta1**self.t)
        v_hat = v / (1 - self.beta2**self.t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


# -- learning-rate schedules: functions of the step number t = 1, 2, ... ------------------------


def _check_steps(n, name, where):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{where}: expected {name} as a positive integer, got {n!r}")
    return int(n)


def constant(lr):
    """t -> lr at every step."""
    lr = _check_lr(lr, "constant")
    return lambda t: lr


def step_decay(lr, drop=0.5, every=100):
    """t -> lr * drop**((t - 1) // every): multiply by `drop` every `every` steps."""
    lr = _check_lr(lr, "step_decay")
    every = _check_steps(every, "every", "step_decay")
    drop = _fraction(drop, "drop", "step_decay", low_open=True, high_open=False)
    return lambda t: lr * drop ** ((t - 1) // every)


def cosine(lr, total, lr_min=0.0):
    """t -> lr_min + (lr - lr_min) * (1 + cos(pi * (t - 1) / total)) / 2, then lr_min after `total` steps.

    The learning rate falls from `lr` at t = 1 along half a cosine wave; `lr_min` must be > 0
    if the schedule runs past `total` (an optimiser needs a positive step)."""
    lr = _check_lr(lr, "cosine")
    total = _check_steps(total, "total", "cosine")
    lr_min = real_number(lr_min, "lr_min", "cosine", low=0)
    if not lr_min < lr:
        raise ValueError(f"cosine: expected 0 <= lr_min < lr = {lr:g}, got {lr_min!r}")

    def schedule(t):
        s = min(t - 1, total) / total
        return lr_min + (lr - lr_min) * 0.5 * (1 + math.cos(math.pi * s))

    return schedule


def warmup(schedule, steps):
    """t -> schedule(t) * t / steps for the first `steps` steps, schedule(t) afterwards: a linear ramp up."""
    if not callable(schedule):
        raise TypeError(f"warmup: expected a schedule (a function of t), got {type(schedule).__name__}")
    steps = _check_steps(steps, "steps", "warmup")
    return lambda t: schedule(t) * min(1.0, t / steps)


SCHEDULES = {"constant": constant, "step_decay": step_decay, "cosine": cosine}


# -- RMSProp, Nesterov momentum and AdamW ----------------------------------------------------------
#
# Two ways of writing momentum are in use. This library (like CS231n and Sutskever et al., 2013)
# keeps a velocity in parameter units, v <- mu * v - lr * g; p <- p + v. PyTorch keeps a buffer in
# gradient units, b <- mu * b + g; p <- p - lr * b. With a constant learning rate the two give the
# same parameters at every step (v = -lr * b). When the learning rate changes (a schedule), they
# part: here the velocity keeps the steps taken at the old learning rate and decays them; PyTorch
# multiplies the whole buffer, old gradients included, by the new learning rate.


class RMSProp(Optimizer):
    """RMSProp (Hinton, lecture 6e, 2012): divide each step by a running root-mean-square of the gradient.

        s <- beta * s + (1 - beta) * g**2;   p <- p - lr * g / (sqrt(s) + eps)

    `beta` is PyTorch's `alpha` and Keras's `rho`. eps is added outside the square root, as in
    PyTorch and in Adam below. Adam is RMSProp plus momentum (its m) and bias correction."""

    def __init__(self, lr=1e-3, beta=0.9, eps=1e-8):
        super().__init__(lr)
        self.beta = _fraction(beta, "beta", "RMSProp")
        self.eps = real_number(eps, "eps", "RMSProp", low=0, low_open=True)

    def __repr__(self):
        return f"RMSProp(lr={self.lr:g}, beta={self.beta:g})"

    def update(self, key, p, g):
        s = self.state.get(key)
        if s is None:
            s = self.state[key] = np.zeros_like(p)
        s *= self.beta
        s += (1 - self.beta) * g * g
        p -= self.lr * g / (np.sqrt(s) + self.eps)


class Nesterov(Momentum):
    """Nesterov momentum in this library's velocity form (as `Momentum`; see the note above `RMSProp`):

        v_prev = v;   v <- mu * v - lr * g;   p <- p - mu * v_prev + (1 + mu) * v

    This is Nesterov's "look ahead, then take the gradient" (Sutskever et al., 2013, with the
    parameters stored at the look-ahead point, as in CS231n), so `step` needs only the gradient
    at the current parameters. The step equals p <- p + mu * v - lr * g: the new velocity once
    more, plus the plain gradient step. PyTorch's `SGD(nesterov=True)` writes the same update in
    its buffer form, b <- mu * b + g; p <- p - lr * (g + mu * b), and agrees with this one while
    the learning rate is constant."""

    def update(self, key, p, g):
        v = self.velocity(key, p, g)
        p += self.momentum * v - self.lr * g  # = -mu * v_prev + (1 + mu) * v


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as PyTorch's `AdamW`:

        p <- p - lr * weight_decay * p,   then the Adam step of `Adam` with the same gradient g.

    The decay shrinks the weights directly, outside Adam's division by sqrt(v_hat). Adding an
    L2 penalty weight_decay * p to the gradient instead (`Adam` on the penalised loss) divides
    the decay by sqrt(v_hat) too, so weights with large gradients would hardly decay. The decay
    is multiplied by lr, as in PyTorch (the paper writes lr = alpha * eta_t and decays by
    eta_t * lambda). It applies to every array handed to `step`: leave out the ones (biases,
    say) that should not decay."""

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        super().__init__(lr, beta1, beta2, eps)
        self.weight_decay = real_number(weight_decay, "weight_decay", "AdamW", low=0)

    def __repr__(self):
        return (f"AdamW(lr={self.lr:g}, beta1={self.beta1:g}, beta2={self.beta2:g}, "
                f"weight_decay={self.weight_decay:g})")

    def update(self, key, p, g):
        p *= 1 - self.lr * self.weight_decay
        super().update(key, p, g)
