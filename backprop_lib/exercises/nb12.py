"""Checks for notebook 12, optimisers: one momentum step and one Adam step, written as pure functions."""

import numpy as np

from ..checks import check_function
from ..optim import Adam, Momentum


def _inputs(seed, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(shape)
    g = rng.standard_normal(shape) * np.geomspace(1e-3, 2.0, shape[1])  # gradients of very different sizes
    return rng, p, g


# -- momentum -------------------------------------------------------------------------------------


def _momentum_reference(p, g, v, lr, mu):
    opt = Momentum(lr, mu)
    p, opt.state["p"] = p.copy(), v.copy()
    opt.step({"p": p}, {"p": g})
    return p, opt.state["p"]


MOMENTUM_MISTAKES = {
    "The sign is flipped: the velocity should collect -lr * g (downhill), v = mu * v - lr * g, "
    "and then p = p + v.": lambda p, g, v, lr, mu: (p + mu * v + lr * g, mu * v + lr * g),
    "The step uses the old velocity: update v first, v = mu * v - lr * g, then move p by the new v.": lambda p, g, v, lr, mu: (
        p + v,
        mu * v - lr * g,
    ),
    "The velocity never decays: multiply the old velocity by mu before adding -lr * g.": lambda p, g, v, lr, mu: (
        p + v - lr * g,
        v - lr * g,
    ),
    "lr and mu are swapped: mu multiplies the old velocity, lr the gradient.": lambda p, g, v, lr, mu: (
        p + lr * v - mu * g,
        lr * v - mu * g,
    ),
    "That is the exponential-average convention (v = mu * v + (1 - mu) * g, p = p - lr * v); this "
    "notebook's velocity is v = mu * v - lr * g, p = p + v.": lambda p, g, v, lr, mu: (
        p - lr * (mu * v + (1 - mu) * g),
        mu * v + (1 - mu) * g,
    ),
}


def check_momentum_step(fn):
    """fn(p, g, v, lr, mu) -> (p_new, v_new), one step of SGD with momentum, inputs unchanged."""
    rng, p, g = _inputs(3)
    v = 0.1 * rng.standard_normal(p.shape)
    return check_function(
        fn,
        _momentum_reference,
        p,
        g,
        v,
        0.1,
        0.9,
        name=getattr(fn, "__name__", "momentum_step"),
        outputs=("p_new", "v_new"),
        hint="two lines: the new velocity from the old one and the gradient, then the parameters from the new velocity.",
        mistakes=MOMENTUM_MISTAKES,
    )


# -- Adam -----------------------------------------------------------------------------------------


def _adam_reference(p, g, m, v, t, lr, beta1, beta2, eps):
    opt = Adam(lr, beta1, beta2, eps)
    p, opt.state["p"], opt.t = p.copy(), (m.copy(), v.copy()), t - 1  # step() counts this step as t
    opt.step({"p": p}, {"p": g})
    m_new, v_new = opt.state["p"]
    return p, m_new, v_new


def _adam_variant(p, g, m, v, t, lr, beta1, beta2, eps, variant=None):
    b_m, b_v = (beta2, beta1) if variant == "betas_swapped" else (beta1, beta2)
    if variant == "one_minus_swapped":
        m_new = (1 - b_m) * m + b_m * g
        v_new = (1 - b_v) * v + b_v * g * g
    else:
        m_new = b_m * m + (1 - b_m) * g
        v_new = b_v * v + (1 - b_v) * g * g
    m_use, v_use = (m, v) if variant == "old_moments" else (m_new, v_new)
    m_hat = m_use if variant in ("no_correction", "no_m_correction") else m_use / (1 - b_m**t)
    v_hat = v_use if variant in ("no_correction", "no_v_correction") else v_use / (1 - b_v**t)
    denom = np.sqrt(v_hat + eps) if variant == "eps_inside" else np.sqrt(v_hat) + eps
    step = lr * m_hat / denom
    return (p + step if variant == "sign" else p - step), m_new, v_new


def _adam_mistake(variant):
    return lambda p, g, m, v, t, lr, beta1, beta2, eps: _adam_variant(p, g, m, v, t, lr, beta1, beta2, eps, variant)


ADAM_MISTAKES = {
    "The bias correction is missing: divide m by (1 - beta1**t) and v by (1 - beta2**t) before the "
    "step: m and v both start at 0, so for the first steps they are biased towards 0.": _adam_mistake("no_correction"),
    "Only v is bias-corrected: m needs its own correction, m_hat = m / (1 - beta1**t).": _adam_mistake(
        "no_m_correction"
    ),
    "Only m is bias-corrected: v needs its own correction, v_hat = v / (1 - beta2**t).": _adam_mistake(
        "no_v_correction"
    ),
    "eps is inside the square root: the step divides by sqrt(v_hat) + eps, not sqrt(v_hat + eps).": _adam_mistake(
        "eps_inside"
    ),
    "beta1 and beta2 are swapped: beta1 goes with the first moment m (the mean of g), beta2 with the "
    "second moment v (the mean of g**2), in the averages and in their corrections.": _adam_mistake("betas_swapped"),
    "The averages are the wrong way round: the old moment keeps the weight beta, the new gradient "
    "gets 1 - beta, m = beta1 * m + (1 - beta1) * g.": _adam_mistake("one_minus_swapped"),
    "The step uses the moments from before this step: update m and v with the new gradient first, "
    "then bias-correct them and step.": _adam_mistake("old_moments"),
    "The sign is flipped: the step goes against the gradient, p = p - lr * m_hat / (sqrt(v_hat) + eps).": _adam_mistake(
        "sign"
    ),
}


def check_adam_step(fn):
    """fn(p, g, m, v, t, lr, beta1, beta2, eps) -> (p_new, m_new, v_new), one Adam step, inputs unchanged.

    The check runs step t = 3 from non-zero moments, with beta2 = 0.99 and eps = 1e-3, so that
    every term (which beta, where eps goes, the bias correction) changes the answer."""
    rng, p, g = _inputs(5)
    m = 0.05 * rng.standard_normal(p.shape)
    v = 0.01 * rng.random(p.shape) ** 2
    return check_function(
        fn,
        _adam_reference,
        p,
        g,
        m,
        v,
        3,
        0.1,
        0.9,
        0.99,
        1e-3,
        name=getattr(fn, "__name__", "adam_step"),
        outputs=("p_new", "m_new", "v_new"),
        hint="update m and v with the new gradient, divide each by (1 - beta**t), then step by "
        "lr * m_hat / (sqrt(v_hat) + eps).",
        mistakes=ADAM_MISTAKES,
    )
