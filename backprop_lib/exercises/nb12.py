"""Checks for notebook 12, optimisers: an RMSProp step, the average of a constant gradient, and an Adam step.

Each step check runs one step from non-zero state, then several chained steps with other
hyperparameters, so that a mistake that happens to vanish in one case shows in the other."""

import numpy as np

from ..checks import check_function
from ..optim import Adam, RMSProp


def _inputs(seed, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(shape)
    g = rng.standard_normal(shape) * np.geomspace(1e-3, 2.0, shape[1])  # gradients of very different sizes
    return rng, p, g


def _run(step, p, grads, state, *hyper, t0=None):
    """Chain `step` over the gradients in `grads`, feeding each call the state the last one returned.

    With t0 (Adam), the step number t0, t0 + 1, ... goes after the state."""
    for i, g in enumerate(grads):
        out = step(p, g, *state, *(() if t0 is None else (t0 + i,)), *hyper)
        if not isinstance(out, tuple) or len(out) != 1 + len(state):
            return out  # let the check say what is wrong with the returned value
        p, state = out[0], out[1:]
    return (p, *state)


# -- RMSProp --------------------------------------------------------------------------------------


def _rmsprop_reference(p, g, s, lr, beta, eps):
    opt = RMSProp(lr, beta, eps)
    p, opt.state["p"] = p.copy(), s.copy()
    opt.step({"p": p}, {"p": g})
    return p, opt.state["p"]


def _rmsprop_variant(p, g, s, lr, beta, eps, variant=None):
    sq = g if variant == "not_squared" else g * g
    s_new = (1 - beta) * s + beta * sq if variant == "betas_swapped" else beta * s + (1 - beta) * sq
    s_use = s if variant == "old_s" else s_new
    with np.errstate(invalid="ignore"):  # an unsquared average can go negative over several steps
        if variant == "no_sqrt":
            step = lr * g / (s_use + eps)
        elif variant == "eps_inside":
            step = lr * g / np.sqrt(s_use + eps)
        else:
            step = lr * g / (np.sqrt(s_use) + eps)
    p_new = p + step if variant == "sign" else p - step
    return p_new, (np.sqrt(s_new) if variant == "rms_returned" else s_new)


def _rmsprop_mistake(variant):
    return lambda p, g, s, lr, beta, eps: _rmsprop_variant(p, g, s, lr, beta, eps, variant)


RMSPROP_MISTAKES = {
    "The square root is missing: the step divides by the root mean square, sqrt(s) + eps, not by the "
    "mean square s (which would make the step's size depend on the gradient's size again).": _rmsprop_mistake(
        "no_sqrt"
    ),
    "eps is inside the square root: the step divides by sqrt(s) + eps, not sqrt(s + eps).": _rmsprop_mistake(
        "eps_inside"
    ),
    "The gradient is not squared in the average: s averages g * g, the square of each entry, not g.": _rmsprop_mistake(
        "not_squared"
    ),
    "The average's weights are swapped: the old s keeps the weight beta and the new g² gets 1 - beta, "
    "s = beta * s + (1 - beta) * g * g.": _rmsprop_mistake("betas_swapped"),
    "The step uses s from before this step: update s with the new g² first, then divide by its root.": _rmsprop_mistake(
        "old_s"
    ),
    "The sign is flipped: the step goes against the gradient, p - lr * g / (sqrt(s) + eps).": _rmsprop_mistake("sign"),
    "It returns the root mean square sqrt(s) as the new state; return s itself, the running mean of g², "
    "which the next step continues to average.": _rmsprop_mistake("rms_returned"),
}


def _rmsprop_run_reference(p, grads, s, lr, beta, eps):
    return _run(_rmsprop_reference, p, grads, (s,), lr, beta, eps)


def check_rmsprop_step(fn):
    """fn(p, g, s, lr, beta, eps) -> (p_new, s_new), one RMSProp step, inputs unchanged.

    One step from a non-zero s (eps = 1e-2, so where eps goes shows), then five chained steps
    from s = 0 with other lr and beta."""
    name = getattr(fn, "__name__", "rmsprop_step")
    rng, p, g = _inputs(3)
    s = np.abs(g) + 0.1 * rng.random(p.shape)  # s >= |g|, so that an unsquared average stays positive
    hint = ("update s with the square of the new gradient, s = beta * s + (1 - beta) * g * g, then step by "
            "lr * g / (np.sqrt(s) + eps).")
    result = check_function(fn, _rmsprop_reference, p, g, s, 0.1, 0.9, 1e-2, name=name,
                            outputs=("p_new", "s_new"), hint=hint, mistakes=RMSPROP_MISTAKES)
    if not result:
        return result
    grads = np.random.default_rng(31).standard_normal((5, 2, 3)) * [[1e-2], [3.0]]  # (steps, 2, 3)
    return check_function(
        lambda p, grads, s, lr, beta, eps: _run(fn, p, grads, (s,), lr, beta, eps), _rmsprop_run_reference,
        np.ones((2, 3)), grads, np.zeros((2, 3)), 0.03, 0.5, 1e-6, name=f"five steps of {name} (lr=0.03, beta=0.5)",
        outputs=("p", "s"), hint=hint,
        mistakes={m: (lambda p, grads, s, lr, beta, eps, w=w: _run(w, p, grads, (s,), lr, beta, eps))
                  for m, w in RMSPROP_MISTAKES.items()},
    )


# -- the average of a constant gradient --------------------------------------------------------------


def ema_of_constant_reference(g, beta, t):
    """The answer to exercise 2: m_t = (1 - beta**t) g."""
    return (1 - beta**t) * g


EMA_MISTAKES = {
    "That is g itself: the average must start at m_0 = 0 (as Adam's does) and must not be "
    "bias-corrected here; m_t is the raw average after t steps.": lambda g, beta, t: g,
    "It is one step short: after t updates from m_0 = 0 the old value has been multiplied by beta t "
    "times (m_1 = (1 - beta) g after one step).": lambda g, beta, t: (1 - beta ** (t - 1)) * g,
    "It is one step too many: m_1 = (1 - beta) g after the first update, so after t updates the "
    "power of beta is t.": lambda g, beta, t: (1 - beta ** (t + 1)) * g,
    "The average's weights are swapped: m = beta * m + (1 - beta) * g keeps beta for the old value.":
        lambda g, beta, t: (1 - (1 - beta) ** t) * g,
    "The (1 - beta) in front of g is missing: m = beta * m + (1 - beta) * g, not beta * m + g (that "
    "sum grows towards g / (1 - beta)).": lambda g, beta, t: (1 - beta**t) / (1 - beta) * g,
    "That is the part that is missing, beta**t * g: m_t is what the average has gathered so far, "
    "g minus that.": lambda g, beta, t: beta**t * g,
}

EMA_CASES = ((0.9, 3), (0.5, 1), (0.99, 20), (0.8, 7))  # (beta, t)


def check_ema_of_constant(fn):
    """fn(g, beta, t) -> m_t: the average m = beta * m + (1 - beta) * g after t steps from m_0 = 0."""
    name = getattr(fn, "__name__", "ema_of_constant")
    g = np.array([[2.0, -0.5, 1e-3], [3.0, 0.0, -7.0]])  # (2, 3): any shape, any sign
    result = None
    for beta, t in EMA_CASES:
        result = check_function(fn, ema_of_constant_reference, g, beta, t, name=f"{name}(g, beta={beta}, t={t})",
                                mistakes=EMA_MISTAKES,
                                hint="start from m = np.zeros_like(g) and apply the update t times.")
        if not result:
            return result
    return result


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
    if variant == "eps_inside":
        denom = np.sqrt(v_hat + eps)
    elif variant == "no_sqrt":
        denom = v_hat + eps
    else:
        denom = np.sqrt(v_hat) + eps
    step = lr * m_hat / denom
    p_new = p + step if variant == "sign" else p - step
    if variant == "corrected_returned":
        return p_new, m_hat, v_hat
    return p_new, m_new, v_new


def _adam_mistake(variant):
    return lambda p, g, m, v, t, lr, beta1, beta2, eps: _adam_variant(p, g, m, v, t, lr, beta1, beta2, eps, variant)


ADAM_MISTAKES = {
    "It returns the corrected moments m_hat and v_hat: return the raw m and v. The next step averages "
    "on from them, and corrects them afresh with its own t; stored corrected, they would be corrected "
    "twice.": _adam_mistake("corrected_returned"),
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
    "The square root is missing: the step divides by sqrt(v_hat) + eps, the root mean square, not by "
    "v_hat.": _adam_mistake("no_sqrt"),
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


def _adam_run_reference(p, grads, m, v, lr, beta1, beta2, eps):
    return _run(_adam_reference, p, grads, (m, v), lr, beta1, beta2, eps, t0=1)


def check_adam_step(fn):
    """fn(p, g, m, v, t, lr, beta1, beta2, eps) -> (p_new, m_new, v_new), one Adam step, inputs unchanged.

    The check runs step t = 3 from non-zero moments, with beta2 = 0.99 and eps = 1e-3, so that
    every term (which beta, where eps goes, the bias correction) changes the answer; then four
    chained steps from t = 1 and zero moments with other hyperparameters."""
    name = getattr(fn, "__name__", "adam_step")
    rng, p, g = _inputs(5)
    m = 0.05 * rng.standard_normal(p.shape)
    v = 0.01 * rng.random(p.shape) ** 2
    hint = ("update m and v with the new gradient, divide each by (1 - beta**t), then step by "
            "lr * m_hat / (sqrt(v_hat) + eps); return the uncorrected m and v.")
    result = check_function(fn, _adam_reference, p, g, m, v, 3, 0.1, 0.9, 0.99, 1e-3, name=name,
                            outputs=("p_new", "m_new", "v_new"), hint=hint, mistakes=ADAM_MISTAKES)
    if not result:
        return result
    grads = np.random.default_rng(51).standard_normal((4, 2, 3)) * [[1e-2], [3.0]]  # (steps, 2, 3)
    zeros = np.zeros((2, 3))
    return check_function(
        lambda p, grads, m, v, lr, beta1, beta2, eps: _run(fn, p, grads, (m, v), lr, beta1, beta2, eps, t0=1),
        _adam_run_reference, np.ones((2, 3)), grads, zeros, zeros, 0.05, 0.8, 0.95, 1e-6,
        name=f"four steps of {name} from t = 1 (lr=0.05, beta1=0.8, beta2=0.95)", outputs=("p", "m", "v"), hint=hint,
        mistakes={m: (lambda p, grads, m_, v_, lr, b1, b2, eps, w=w: _run(w, p, grads, (m_, v_), lr, b1, b2, eps, t0=1))
                  for m, w in ADAM_MISTAKES.items()},
    )
