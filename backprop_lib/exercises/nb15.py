"""Checks for notebook 15, recurrent networks: backprop through time, and clipping by global norm."""

import numbers

import numpy as np

from ..checks import FAIL, CheckResult, check_function
from ..clipping import clip_grad_norm
from ..sequence import rnn_backward, rnn_forward

# -- backprop through time ------------------------------------------------------------------------
OUTPUTS = ("dx", "dh0", "dWx", "dWh", "db")


def calls_library(fn, names, name, what):
    """A failed CheckResult if `fn`'s own code calls one of `names` (the library's answer), else None."""
    used = sorted(set(getattr(getattr(fn, "__code__", None), "co_names", ())) & set(names))
    if used:
        return CheckResult(False, f"{FAIL} {name} calls the library's own {', '.join(used)}: the exercise is to write "
                                  f"{what} yourself, from the forward equations.")
    return None


def _cases():
    """(dhs, cache) on shapes where N, T, D and H all differ, then on a single step."""
    cases = []
    for seed, (N, T, D, H) in ((150, (2, 5, 3, 4)), (151, (3, 6, 2, 5)), (152, (2, 1, 3, 4))):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((N, T, D))
        h0 = 0.5 * rng.standard_normal((N, H))
        Wx, Wh, b = rng.standard_normal((D, H)) * 0.6, rng.standard_normal((H, H)) * 0.6, rng.standard_normal(H) * 0.1
        hs, cache = rnn_forward(x, h0, Wx, Wh, b)
        cases.append((rng.standard_normal(hs.shape), cache))
    return cases


def _reference(dhs, cache):
    return rnn_backward(dhs, cache)


def _bptt(dhs, cache, carry=True, prev_for_slope=False, square=True, h_for_dWh="prev", transpose=True,
          accumulate=True):
    """BPTT with one switch per common mistake (all defaults: right)."""
    x, h0, Wx, Wh, hs = cache
    N, T, H = hs.shape
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dh_next = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        dh = dhs[:, t] + (dh_next if carry else 0)
        h_slope = h_prev[:, t] if prev_for_slope else hs[:, t]
        dz = dh * (1 - (h_slope**2 if square else h_slope))
        terms = (x[:, t].T @ dz, (h_prev[:, t] if h_for_dWh == "prev" else hs[:, t]).T @ dz, dz.sum(axis=0))
        if accumulate:
            dWx, dWh, db = dWx + terms[0], dWh + terms[1], db + terms[2]
        else:
            dWx, dWh, db = terms
        dx[:, t] = dz @ Wx.T
        dh_next = dz @ (Wh.T if transpose else Wh)
    return dx, dh_next, dWx, dWh, db


BPTT_MISTAKES = {
    "The gradient of h_t has only its own output's part: h_t also feeds step t + 1, so add what that step "
    "sends back, dh_t = dhs[:, t] + dz_{t+1} @ Wh.T.": lambda dhs, cache: _bptt(dhs, cache, carry=False),
    "dWx, dWh and db hold one step's term only: the weights are shared by every step, so each step adds its "
    "term to the total (+=, not =).": lambda dhs, cache: _bptt(dhs, cache, accumulate=False),
    "dWh pairs dz_t with h_t: the weight Wh multiplies the state that enters step t, h_{t-1} (h0 at the "
    "first step).": lambda dhs, cache: _bptt(dhs, cache, h_for_dWh="same"),
    "The tanh slope uses the previous state: step t's slope is 1 - h_t**2, with h_t the output of that "
    "same step.": lambda dhs, cache: _bptt(dhs, cache, prev_for_slope=True),
    "The tanh slope is 1 - h_t: it is 1 - h_t**2, the square of the step's output.":
        lambda dhs, cache: _bptt(dhs, cache, square=False),
    "The gradient sent to h_{t-1} uses Wh without the transpose: z_t = h_{t-1} @ Wh + ..., so "
    "dh_{t-1} = dz_t @ Wh.T (with a square Wh both run).": lambda dhs, cache: _bptt(dhs, cache, transpose=False),
    "dh0 is zero: the initial state feeds the first step like any other state, so it gets dz_1 @ Wh.T.":
        lambda dhs, cache: (*_bptt(dhs, cache)[:1], np.zeros_like(cache[1]), *_bptt(dhs, cache)[2:]),
}
BPTT_HINT = ("go through the steps from the last to the first; at each step add what the output sends "
             "(dhs[:, t]) to what step t + 1 sent back, multiply by tanh' = 1 - h_t**2, and add the step's "
             "terms to the shared weights' gradients.")


def check_rnn_backward(fn):
    """fn(dhs, cache) -> (dx, dh0, dWx, dWh, db), cache = (x, h0, Wx, Wh, hs)."""
    result = calls_library(fn, ("rnn_backward", "RNN"), getattr(fn, "__name__", "rnn_backward"),
                           "backprop through time")
    if result is not None:
        print(result.message)
        return result
    for dhs, cache in _cases():
        result = check_function(fn, _reference, dhs, cache, name=getattr(fn, "__name__", None), outputs=OUTPUTS,
                                mistakes=BPTT_MISTAKES, hint=BPTT_HINT, quiet=True)
        if not result:
            break
    print(result.message)
    return result


# -- clipping by global norm ----------------------------------------------------------------------
def _grads(seed, scale):
    rng = np.random.default_rng(seed)
    return {"Wx": scale * rng.standard_normal((3, 5)), "Wh": scale * rng.standard_normal((5, 5)),
            "b": scale * rng.standard_normal(5)}


def _flat(fn):
    """fn(grads, max_norm) -> (dict, norm) as one tuple (grads in the input's key order..., norm)."""
    def call(grads, max_norm):
        out = fn(grads, max_norm)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise _Shape(f"should return (a dict of clipped gradients, the norm before clipping), got "
                         f"{type(out).__name__}{'' if not isinstance(out, tuple) else f' of {len(out)}'}")
        if not isinstance(out[0], dict):
            raise _Shape(f"should return a dict of clipped gradients first, got {type(out[0]).__name__} "
                         "(the order is: the dict, then the norm)")
        if not isinstance(out[1], numbers.Real):
            raise _Shape(f"should return the norm second, as a float, got {type(out[1]).__name__} "
                         "(float(...) turns a 0-d array into one)")
        clipped, norm = out
        if clipped.keys() != grads.keys():
            raise _Shape(f"returned a dict with keys {sorted(clipped)}, expected the same keys as grads, "
                         f"{sorted(grads)}")
        return (*(clipped[k] for k in grads), float(norm))

    call.__name__ = getattr(fn, "__name__", "clip_grad_norm")
    return call


class _Shape(Exception):
    pass


def _norm(grads):
    return float(np.sqrt(sum((g * g).sum() for g in grads.values())))


def _scaled(grads, s):
    return {k: g * s for k, g in grads.items()}


CLIP_MISTAKES = {
    "Each array is clipped by its own norm: clipping by global norm scales every gradient by one number, "
    "min(1, max_norm / norm), with the norm of all of them together, so the update keeps its direction.":
        lambda grads, m: ({k: g * min(1.0, m / np.linalg.norm(g)) for k, g in grads.items()}, _norm(grads)),
    "The entries are clipped one by one (np.clip): that changes the update's direction; scale every "
    "gradient by min(1, max_norm / norm) instead.":
        lambda grads, m: ({k: np.clip(g, -m, m) for k, g in grads.items()}, _norm(grads)),
    "Gradients shorter than max_norm are stretched up to it: the scale is min(1, max_norm / norm); a short "
    "step stays as it is.": lambda grads, m: (_scaled(grads, m / _norm(grads)), _norm(grads)),
    "The norm is the sum of squares without the square root: norm = sqrt(sum of every g**2).":
        lambda grads, m: (_scaled(grads, min(1.0, m / _norm(grads) ** 2)), _norm(grads) ** 2),
    "The norm returned is the one after clipping: return the norm before clipping (it is what a training "
    "log plots, to see how often clipping acts).":
        lambda grads, m: (_scaled(grads, min(1.0, m / _norm(grads))), min(_norm(grads), m)),
    "max_norm is not used: the answer is right for max_norm = 1 only; scale by min(1, max_norm / norm).":
        lambda grads, m: (_scaled(grads, min(1.0, 1.0 / _norm(grads))), _norm(grads)),
}
CLIP_HINT = "norm = sqrt(sum of (g * g).sum() over every array); scale = min(1, max_norm / norm); new arrays."


def check_clip_grad_norm(fn):
    """fn(grads, max_norm) -> (clipped grads, norm before clipping): a long and a short gradient, two max_norms."""
    name = getattr(fn, "__name__", "clip_grad_norm")
    result = calls_library(fn, ("clip_grad_norm", "global_norm"), name, "the clipping")
    if result is not None:
        print(result.message)
        return result
    cases = [(_grads(153, 1.0), 1.0), (_grads(154, 0.05), 1.0), (_grads(155, 2.0), 0.5),
             (_grads(156, 0.5), 5.0), (_grads(157, 1.2), 5.0),  # norm about 3 (kept) and about 7 (clipped)
             (_scaled(_grads(158, 1.0), 1.2 / _norm(_grads(158, 1.0))), 1.0),  # just above max_norm
             ({k: np.zeros_like(g) for k, g in _grads(159, 1.0).items()}, 1.0)]  # no gradient at all
    for grads, max_norm in cases:
        given = {k: g.copy() for k, g in grads.items()}
        try:
            out = fn(given, max_norm)
        except Exception:
            out = None  # check_function below reports it
        if isinstance(out, tuple) and out and out[0] is given:
            result = CheckResult(False, f"{FAIL} {name} returned the dict it was given: build a new dict of new "
                                        "arrays, so that the caller's gradients stay as they were.")
            print(result.message)
            return result
        try:
            result = check_function(_flat(fn), _flat(clip_grad_norm), grads, max_norm, name=name,
                                    outputs=(*(f"grads[{k!r}]" for k in grads), "norm"), mistakes=_flat_mistakes(),
                                    hint=CLIP_HINT, quiet=True)
        except _Shape as exc:  # only the reference's own call raises here; the learner's is caught inside
            result = CheckResult(False, f"{FAIL} {name} {exc}")
        if "raised _Shape: " in result.message:
            result = CheckResult(False, result.message.replace("raised _Shape: ", ""))
        if not result:
            break
    print(result.message)
    return result


def _flat_mistakes():
    return {message: _flat(wrong) for message, wrong in CLIP_MISTAKES.items()}
