"""Checks for notebook 13, batch normalisation and dropout.

    from backprop_lib.exercises import nb13 as ex
    ex.check_batchnorm_backward(batchnorm_backward)   # fn(dout, cache) -> (dx, dgamma, dbeta)
    ex.check_dropout_backward(dropout_backward)       # fn(dout, cache) -> dx, cache = (mask, p)
    ex.check_batchnorm_eval_forward(batchnorm_eval)   # fn(x, gamma, beta, running_mean, running_var, eps) -> out

Each builds its own seeded inputs and runs two cases, reporting the first that fails. The
batch-norm inputs have one feature with a tiny variance (about 1e-4), so that leaving eps out of
sqrt(var + eps) changes the answer by a few per cent instead of hiding below the tolerance; the
second case is a wide batch (N = 3 samples of D = 7 features), so that sums over the wrong axis
give the wrong shape. The dropout cases use p = 0.25 and p = 0.6, where 1 - p, 1 / (1 - p), p and
1 / p all differ, and a backward that draws a new mask is named as such.
"""


import numpy as np

from ..checks import PASS, CheckResult, check_cases
from ..dropout import dropout_backward, dropout_forward
from ..normalization import batchnorm_backward, batchnorm_eval_forward, batchnorm_forward

BN_OUTPUTS = ("dx", "dgamma", "dbeta")


def _run_cases(fn, cases, reference, quiet, explain=None, **options):
    """`check_cases` on every (label, args) case until one fails; prints and returns one verdict."""
    name = getattr(fn, "__name__", "your function")
    label, result = check_cases(fn, reference, cases, explain, **options)[-1]
    if not result and result.status != "todo":
        result = CheckResult(False, f"{result.message}\n(in the case {label})", result.status)
    elif result:
        labels = "; ".join(label for label, _ in cases)
        every = "both cases" if len(cases) == 2 else f"all {len(cases)} cases"
        result = CheckResult(True, f"{PASS} {name} is correct in {every}: {labels}.")
    if not quiet:
        print(result.message)
    return result


def batchnorm_inputs(N=8, D=4, seed=13):
    """x: (N, D) with column spreads 0.01 ... 5 and non-zero means, gamma (some negative), beta, dout."""
    rng = np.random.default_rng(seed)
    spread = np.geomspace(0.01, 5, D)  # (D,)
    x = rng.standard_normal((N, D)) * spread + rng.uniform(-3, 3, D)  # (N, D)
    gamma = rng.uniform(0.5, 2, D) * np.where(np.arange(D) % 2, -1, 1)  # (D,)
    beta = rng.standard_normal(D)  # (D,)
    dout = rng.standard_normal((N, D))  # (N, D)
    return x, gamma, beta, dout


# -- known wrong answers of the batch-norm backward, each with the reference's signature -------

def _parts(dout, cache):
    x, xhat, mu, var, gamma, eps = cache
    return dout * gamma, xhat, np.sqrt(var + eps), x.shape[0]


def _with_dx(dx, dout, cache):
    xhat = cache[1]
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def _constant_statistics(dout, cache):
    dxhat, xhat, std, N = _parts(dout, cache)
    return _with_dx(dxhat / std, dout, cache)


def _no_variance_path(dout, cache):
    dxhat, xhat, std, N = _parts(dout, cache)
    return _with_dx((dxhat - dxhat.mean(axis=0)) / std, dout, cache)


def _no_mean_path(dout, cache):
    dxhat, xhat, std, N = _parts(dout, cache)
    return _with_dx((dxhat - xhat * (dxhat * xhat).mean(axis=0)) / std, dout, cache)


def _n_minus_1_in_variance(dout, cache):
    dxhat, xhat, std, N = _parts(dout, cache)
    return _with_dx(dxhat / std - dxhat.sum(axis=0) / (N * std) - xhat * (dxhat * xhat).sum(axis=0) / ((N - 1) * std),
                    dout, cache)


def _n_minus_1_everywhere(dout, cache):
    dxhat, xhat, std, N = _parts(dout, cache)
    return _with_dx((dxhat - dxhat.sum(axis=0) / (N - 1) - xhat * (dxhat * xhat).sum(axis=0) / (N - 1)) / std,
                    dout, cache)


def _no_eps(dout, cache):
    x, xhat, mu, var, gamma, eps = cache
    return batchnorm_backward(dout, (x, xhat, mu, var, gamma, 0.0))


def _sign_of_variance_term(dout, cache):
    dxhat, xhat, std, N = _parts(dout, cache)
    return _with_dx((N * dxhat - dxhat.sum(axis=0) + xhat * (dxhat * xhat).sum(axis=0)) / (N * std), dout, cache)


def _sign_of_mean_term(dout, cache):
    dxhat, xhat, std, N = _parts(dout, cache)
    return _with_dx((N * dxhat + dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (N * std), dout, cache)


def _no_gamma(dout, cache):
    x, xhat, mu, var, gamma, eps = cache
    dx, dgamma, dbeta = batchnorm_backward(dout, (x, xhat, mu, var, np.ones_like(gamma), eps))
    return dx, dgamma, dbeta


def _unsummed(which):
    def wrong(dout, cache):
        dx, dgamma, dbeta = batchnorm_backward(dout, cache)
        xhat = cache[1]
        return dx, dout * xhat if "gamma" in which else dgamma, dout if "beta" in which else dbeta
    return wrong


def _means_not_sums(dout, cache):
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    return dx, dgamma / len(dout), dbeta / len(dout)


def _dgamma_with_x(dout, cache):
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    return dx, (dout * cache[0]).sum(axis=0), dbeta


def _wrong_axis_params(dout, cache):
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    return dx, (dout * cache[1]).sum(axis=1), dout.sum(axis=1)


def _wrong_axis_dx(dout, cache):
    dxhat, xhat, std, N = _parts(dout, cache)
    sum_1 = dxhat.sum(axis=1, keepdims=True)  # (N, 1): a sum over the features, not the batch
    sum_xhat = (dxhat * xhat).sum(axis=1, keepdims=True)
    return _with_dx((N * dxhat - sum_1 - xhat * sum_xhat) / (N * std), dout, cache)


BN_MISTAKES = {
    "dx treats the mean and the variance as constants (dx = dout * gamma / std): both depend on x, "
    "and each adds a path from x to the output.": _constant_statistics,
    "dx misses the path through the variance: var depends on x, so dvar * dvar/dx adds "
    "the term - xhat * mean(dxhat * xhat) / std.": _no_variance_path,
    "dx misses the path through the mean: mu depends on x, so dmu / N adds the term - mean(dxhat) / std.":
        _no_mean_path,
    "The variance term divides by N - 1: the forward pass divides by N (the biased variance), "
    "so its derivative 2 (x - mu) / N does too.": _n_minus_1_in_variance,
    "dx divides by N - 1: the forward pass's mean and variance both divide by N.": _n_minus_1_everywhere,
    "The backward uses sqrt(var) without eps: the forward divided by sqrt(var + eps), so must the backward "
    "(it matters for features with a small variance).": _no_eps,
    "The sign of the variance term is flipped: it is - xhat * sum(dxhat * xhat) (check the -1/2 in "
    "d(var + eps)^(-1/2)).": _sign_of_variance_term,
    "The sign of the mean term is flipped: it is - sum(dxhat), since xhat contains x - mu.": _sign_of_mean_term,
    "dx leaves out gamma: the gradient reaching xhat is dxhat = dout * gamma.": _no_gamma,
    "dgamma and dbeta are not summed over the batch: gamma and beta serve all N samples, "
    "so their gradients are sums over axis 0, of shape (D,).": _unsummed("gamma beta"),
    "dgamma is not summed over the batch: it is (dout * xhat).sum(axis=0), of shape (D,).": _unsummed("gamma"),
    "dbeta is not summed over the batch: it is dout.sum(axis=0), of shape (D,).": _unsummed("beta"),
    "dgamma and dbeta are means over the batch: they are sums (any 1/N is already inside dout).": _means_not_sums,
    "dgamma uses x instead of xhat: gamma multiplies the normalised xhat.": _dgamma_with_x,
    "dgamma and dbeta are summed over the wrong axis (axis 1, the features): gamma[d] and beta[d] serve "
    "every sample of feature d, so sum over the batch, axis 0, leaving shape (D,).": _wrong_axis_params,
    "dx takes its sums over the features (axis 1, as layer norm would): batch norm's mean and variance "
    "are taken over the batch, so the sums of dxhat and dxhat * xhat run over axis 0, one per feature.":
        _wrong_axis_dx,
    "dgamma and dbeta are swapped: return (dx, dgamma, dbeta), in the order of the inputs x, gamma, beta.":
        lambda dout, cache: (lambda dx, dgamma, dbeta: (dx, dbeta, dgamma))(*batchnorm_backward(dout, cache)),
}


BN_CASES = (("a batch of N = 8, D = 4", 8, 4, 13, 1e-5), ("a wide batch of N = 3, D = 7", 3, 7, 31, 1e-5),
            ("a batch of N = 5, D = 2 with eps = 0.5", 5, 2, 47, 0.5))  # an eps written in fails the last


def check_batchnorm_backward(fn, quiet=False):
    """fn(dout, cache) -> (dx, dgamma, dbeta) for cache = (x, xhat, mu, var, gamma, eps) from `batchnorm_forward`."""
    cases = []
    for label, N, D, seed, eps in BN_CASES:
        x, gamma, beta, dout = batchnorm_inputs(N, D, seed)
        cases.append((label, (dout, batchnorm_forward(x, gamma, beta, eps)[1])))
    return _run_cases(
        fn, cases, batchnorm_backward, quiet, outputs=BN_OUTPUTS, mistakes=BN_MISTAKES,
        hint="dxhat = dout * gamma; x reaches the output through xhat, var and mu; dgamma and dbeta sum over axis 0.",
    )


# -- dropout backward ---------------------------------------------------------------------------

DROPOUT_P = 0.25  # 1 - p, 1 / (1 - p), p and 1 / p all differ, so every wrong scale is told apart

DROPOUT_MISTAKES = {
    "The kept entries are not scaled: the forward multiplied them by 1 / (1 - p), so the backward must too.":
        lambda dout, cache: dout * cache[0],
    "The scale is 1 / p: p is the probability of dropping, a unit is kept with probability 1 - p.":
        lambda dout, cache: dout * cache[0] / cache[1],
    "The gradient is multiplied by (1 - p): inverted dropout divides by it, in both passes.":
        lambda dout, cache: dout * cache[0] * (1 - cache[1]),
    "The mask is inverted: it is True where a unit is kept, and the gradient flows only there.":
        lambda dout, cache: dout * ~cache[0] / (1 - cache[1]),
    "dout comes back unchanged: a dropped unit had no effect on the output, so its gradient is 0.":
        lambda dout, cache: dout,
    "The mask is missing: only the scale is applied, so dropped units receive a gradient.":
        lambda dout, cache: dout / (1 - cache[1]),
}


def dropout_inputs(shape=(6, 5), p=DROPOUT_P, seed=13):
    """dout: (N, H) and the cache (mask, p) of a seeded `dropout_forward`."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    _, cache = dropout_forward(x, p, rng)
    return rng.standard_normal(shape), cache


def _explain_dropout(got, args):
    """Name a backward that drew a new mask: zeros and dout / (1 - p) in a pattern other than the mask's."""
    dout, (mask, p) = args
    got = np.asarray(got, dtype=float)
    if got.shape != dout.shape:
        return None
    kept = np.isclose(got, dout / (1 - p), rtol=1e-9, atol=1e-12)
    dropped = got == 0
    if (kept | dropped).all() and (kept != mask).any():
        return (
            "the gradient uses a new random mask: dx has the right values (0 or dout / (1 - p)) in the wrong "
            f"places ({int((kept != mask).sum())} of {mask.size} differ from the forward pass's mask). Use the "
            "mask stored in the cache (never draw a new one): a unit the forward pass dropped had no effect "
            "on the loss."
        )
    return None


DROPOUT_CASES = (("(6, 5), p = 0.25", (6, 5), DROPOUT_P, 13), ("(4, 9), p = 0.6", (4, 9), 0.6, 17))


def check_dropout_backward(fn, quiet=False):
    """fn(dout, cache) -> dx for cache = (mask, p): mask (N, H) booleans, True where kept, p the drop probability."""
    cases = [(label, dropout_inputs(shape, p, seed)) for label, shape, p, seed in DROPOUT_CASES]
    return _run_cases(
        fn, cases, dropout_backward, quiet, explain=_explain_dropout, mistakes=DROPOUT_MISTAKES,
        hint="use the mask stored in the cache (never draw a new one) and the same scale as the forward pass.",
    )


# -- the eval-mode forward ----------------------------------------------------------------------

def _eval_reference(x, gamma, beta, running_mean, running_var, eps):
    return batchnorm_eval_forward(x, gamma, beta, running_mean, running_var, eps)[0]


EVAL_MISTAKES = {
    "It uses the batch's own mean and variance: in eval mode the running statistics replace them, "
    "so a sample's output does not depend on its batch.":
        lambda x, g, b, m, v, eps: batchnorm_forward(x, g, b, eps)[0],
    "eps is missing: divide by sqrt(running_var + eps).":
        lambda x, g, b, m, v, eps: g * (x - m) / np.sqrt(v) + b,
    "It divides by the variance: divide by the standard deviation sqrt(running_var + eps).":
        lambda x, g, b, m, v, eps: g * (x - m) / (v + eps) + b,
    "gamma and beta are missing: after normalising, scale by gamma and shift by beta.":
        lambda x, g, b, m, v, eps: (x - m) / np.sqrt(v + eps),
    "beta is inside the scaling: out = gamma * xhat + beta, not gamma * (xhat + beta).":
        lambda x, g, b, m, v, eps: g * ((x - m) / np.sqrt(v + eps) + b),
}


def eval_inputs(N=5, D=3, seed=31):
    """x: (N, D), gamma, beta, running_mean, running_var (D,) unlike x's own statistics, and eps."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * 2 + 1
    gamma, beta = rng.uniform(0.5, 2, D), rng.standard_normal(D)
    running_mean, running_var = rng.uniform(-1, 1, D), rng.uniform(0.01, 3, D)
    return x, gamma, beta, running_mean, running_var, 1e-3


EVAL_CASES = (("x (5, 3)", 5, 3, 31), ("x (2, 6)", 2, 6, 37))


def check_batchnorm_eval_forward(fn, quiet=False):
    """fn(x, gamma, beta, running_mean, running_var, eps) -> out: (N, D)."""
    cases = [(label, eval_inputs(N, D, seed)) for label, N, D, seed in EVAL_CASES]
    return _run_cases(
        fn, cases, _eval_reference, quiet, mistakes=EVAL_MISTAKES,
        hint="each feature is standardised with the running statistics, then scaled and shifted; "
        "nothing about x itself (its mean or variance) enters.",
    )
