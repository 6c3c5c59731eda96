"""Timing candidates fairly, for the notebooks' live speed tables and for `make bench`.

A shared machine is noisy, so every comparison here is *interleaved*: each round times
every candidate once, in a rotating order, and a ratio is taken inside each round before
the median over rounds is taken. Ratios measured this way survive a neighbour stealing a
core far better than absolute times do; print ratios, not microseconds.

    t = compare({"loop": slow, "closed form": fast}, baseline="closed form")
    t                      # a table: median time, spread, ratio to the baseline
    t.speedup("loop", "closed form")   # median over rounds of time(loop) / time(closed form)
    t.best_ratio("loop", "closed form")  # fastest round of each: what a claim in a notebook uses

Another program on the machine only ever adds time, so the fastest round of a candidate is
the measurement least disturbed by it: claims printed in a notebook ("more than 20 times
faster") compare fastest rounds, with a margin far below the ratio measured on an idle machine.
"""

import gc
import time

import numpy as np

from ._random import as_rng


def _calibrate(fn, target):
    """How many calls of fn take about `target` seconds (at least one)."""
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= target or number >= 1 << 20:
            return max(1, int(number * target / max(elapsed, 1e-9)))
        number *= 2 if elapsed > target / 10 else 10


def _run(fn, number):
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


class Timings:
    """Per-call times of several candidates measured in the same rounds.

    times[name] is an array with one per-call time (seconds) per round.
    """

    def __init__(self, times, baseline):
        self.times = {k: np.asarray(v) for k, v in times.items()}
        self.baseline = baseline

    @property
    def names(self):
        return list(self.times)

    def median(self, name):
        """Median per-call time of `name`, in seconds."""
        return float(np.median(self.times[name]))

    def fastest(self, name):
        """Per-call time of `name` in its fastest round, in seconds: the least disturbed by other programs."""
        return float(np.min(self.times[name]))

    def best_ratio(self, slow, fast=None):
        """fastest(slow) / fastest(fast); fast defaults to the baseline. Use this for printed claims."""
        return self.fastest(slow) / self.fastest(fast or self.baseline)

    def ratios(self, a, b):
        """time(a) / time(b), one value per round."""
        return self.times[a] / self.times[b]

    def ratio(self, a, b=None):
        """Median over rounds of time(a) / time(b); b defaults to the baseline."""
        return float(np.median(self.ratios(a, b or self.baseline)))

    def speedup(self, slow, fast):
        """How many times faster `fast` is than `slow` (median over rounds)."""
        return self.ratio(slow, fast)

    def spread(self, a, b=None):
        """(25th, 75th) percentile of time(a) / time(b) over rounds."""
        q1, q3 = np.percentile(self.ratios(a, b or self.baseline), [25, 75])
        return float(q1), float(q3)

    def rows(self):
        """One dict per candidate: name, median_us, q1_us, q3_us, ratio, ratio_q1, ratio_q3."""
        out = []
        for name, t in self.times.items():
            q1, q3 = np.percentile(t, [25, 75])
            r1, r3 = self.spread(name)
            out.append({"name": name, "median_us": 1e6 * self.median(name), "q1_us": 1e6 * q1, "q3_us": 1e6 * q3,
                        "ratio": self.ratio(name), "ratio_q1": r1, "ratio_q3": r3})
        return out

    def to_dict(self):
        return {"baseline": self.baseline, "rounds": len(next(iter(self.times.values()))), "rows": self.rows()}

    def __repr__(self):
        rows = self.rows()
        width = max(len(r["name"]) for r in rows)
        lines = [f"{'candidate':<{width}}  {'median':>11}  {'ratio to ' + self.baseline:>24}"]
        for r in rows:
            spread = f"[{r['ratio_q1']:.3g}, {r['ratio_q3']:.3g}]"
            lines.append(f"{r['name']:<{width}}  {_fmt_time(r['median_us']):>11}  {r['ratio']:>8.3g} {spread:>15}")
        return "\n".join(lines)

    def _repr_html_(self):
        head = (f"<tr><th style='text-align:left'>candidate</th><th>median time</th>"
                f"<th>ratio to {self.baseline}</th><th>middle half of the ratios</th></tr>")
        body = "".join(
            f"<tr><td style='text-align:left'>{r['name']}</td><td>{_fmt_time(r['median_us'])}</td>"
            f"<td><b>{r['ratio']:.3g}</b></td><td>{r['ratio_q1']:.3g} to {r['ratio_q3']:.3g}</td></tr>"
            for r in self.rows()
        )
        return f"<table>{head}{body}</table>"


def _fmt_time(us):
    if us >= 1e6:
        return f"{us / 1e6:.3g} s"
    if us >= 1e3:
        return f"{us / 1e3:.3g} ms"
    return f"{us:.3g} µs"


def compare(candidates, baseline=None, rounds=15, warmup=1, target=0.01):
    """Time zero-argument callables against each other, interleaved, and return `Timings`.

    candidates: {name: fn}; baseline: the name ratios are taken to (default: the first).
    Each of `rounds` rounds times every candidate over about `target` seconds of calls,
    the order rotating from round to round; the garbage collector is paused while timing.
    """
    if not candidates:
        raise ValueError("compare: expected at least one candidate, got none")
    names = list(candidates)
    baseline = names[0] if baseline is None else baseline
    if baseline not in candidates:
        raise ValueError(f"compare: expected baseline to be one of {names}, got {baseline!r}")
    for name in names:
        if not callable(candidates[name]):
            raise TypeError(f"compare: expected a callable for {name!r}, got {type(candidates[name]).__name__}")
    for _ in range(warmup):
        for name in names:
            candidates[name]()
    number = {name: _calibrate(candidates[name], target) for name in names}
    times = {name: [] for name in names}
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(rounds):
            for name in names[r % len(names):] + names[: r % len(names)]:
                times[name].append(_run(candidates[name], number[name]))
    finally:
        if was_enabled:
            gc.enable()
    return Timings(times, baseline)


def sweep(make_candidates, sizes, baseline=None, **kwargs):
    """Run `compare(make_candidates(size), baseline)` for every size -> [(size, Timings)]."""
    return [(size, compare(make_candidates(size), baseline=baseline, **kwargs)) for size in sizes]


def plot_sweep(results, slow, fast, ax=None, xlabel="size", label=None):
    """Plot the speed-up time(slow) / time(fast), with its spread, against the swept size."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    sizes = [s for s, _ in results]
    mid = [t.ratio(slow, fast) for _, t in results]
    lo, hi = zip(*(t.spread(slow, fast) for _, t in results))
    ax.plot(sizes, mid, "o-", label=label or f"{slow} / {fast}")
    ax.fill_between(sizes, lo, hi, alpha=0.25)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("speed-up (times faster)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return ax


# -- the candidates the notebooks and the benchmark suite share ------------------------------
def _softmax_data(N, C, rng, dtype=np.float64):
    rng = as_rng(rng)
    logits = rng.standard_normal((N, C)).astype(dtype)
    y = rng.integers(0, C, size=N)
    return logits, y


def softmax_backward_cases(N=4096, C=10, rng=0, dtype=np.float64):
    """The three forms of the softmax backward pass on the same (N, C) batch.

    Returns {name: fn}: 'per-sample loop', 'batched einsum', 'closed form'.
    """
    from .activations import softmax, softmax_backward, softmax_backward_einsum, softmax_backward_loop

    logits, _ = _softmax_data(N, C, rng, dtype)
    probs = softmax(logits)
    dout = as_rng(rng).standard_normal((N, C)).astype(dtype)
    return {
        "per-sample loop": lambda: softmax_backward_loop(dout, probs),
        "batched einsum": lambda: softmax_backward_einsum(dout, probs),
        "closed form": lambda: softmax_backward(dout, probs),
    }


def fused_gradient_cases(N=4096, C=10, rng=0, dtype=np.float64):
    """The gradient of softmax + cross-entropy with respect to the logits, three ways.

    'separate (Jacobian loop)': cross-entropy backward, then the per-sample softmax
    Jacobian loop, as two separate layers compute it;
    'fused, range indexing': copy probs, subtract 1 at [range(N), y], divide by N;
    'fused (library)': the library's `softmax_cross_entropy_backward`.
    """
    from .activations import softmax, softmax_backward_loop
    from .losses import cross_entropy_backward, softmax_cross_entropy_backward

    logits, y = _softmax_data(N, C, rng, dtype)
    probs = softmax(logits)

    def separate():
        return softmax_backward_loop(cross_entropy_backward(probs, y), probs)

    def range_indexing():
        d = probs.copy()
        d[range(N), y] -= 1
        return d / N

    return {
        "separate (Jacobian loop)": separate,
        "fused, range indexing": range_indexing,
        "fused (library)": lambda: softmax_cross_entropy_backward(probs, y),
    }


KEYS = ("dense1.W", "dense1.b", "dense2.W", "dense2.b")


def training_step_cases(N=300, D=2, H=100, C=3, reg=1e-3, lr=1.0, rng=0, dtype=np.float64, which=None,
                        extra=None):
    """One SGD step of Dense-ReLU-Dense + softmax cross-entropy + L2, several ways, on the same data.

    Returns {name: fn}, each fn doing one full step (forward, backward, update) on its own
    copy of the same starting weights, and exposing them as `fn.params` (a dict keyed like
    `model.params()`) so that a test can confirm every candidate computes the same step:
      'library'          the public API: `mlp(...)`, `Sequential.train_step`, `SGD`;
      'hand NumPy'       hand-written, fused gradient, in-place updates: the clean reference;
      'autograd'         the loss in `autograd.numpy`, gradients from `autograd.grad`;
      'matmul floor'     only the five matrix products every step needs: no step is faster.
    `which` picks a subset by name; `extra` adds {name: make(X, y, params, reg, lr) -> fn}.
    """
    from .model import mlp

    gen = as_rng(rng, "training_step_cases")
    X = gen.standard_normal((N, D)).astype(dtype)
    y = gen.integers(0, C, size=N)
    model = mlp([D, H, C], activation="relu", reg=reg, rng=gen, dtype=dtype)
    start = {k: v.copy() for k, v in model.params().items()}
    makers = {
        "library": lambda *a: _library_step(model, *a),
        "hand NumPy": _hand_step,
        "matmul floor": _floor,
        "autograd": _autograd_step,
        **(extra or {}),
    }
    if which is not None:
        unknown = set(which) - set(makers)
        if unknown:
            raise ValueError(f"training_step_cases: expected names from {sorted(makers)}, got {sorted(unknown)}")
        makers = {k: v for k, v in makers.items() if k in which}
    return {name: make(X, y, start, reg, lr) for name, make in makers.items()}


def _library_step(model, X, y, start, reg, lr):
    from .optim import SGD

    opt = SGD(lr)
    params = model.params()

    def step():
        return model.train_step(X, y, opt)

    step.params = params
    return step


def _hand_step(X, y, start, reg, lr):
    P = {k: start[k].copy() for k in KEYS}
    arrays = tuple(P[k] for k in KEYS)
    N = X.shape[0]
    rows = np.arange(N)

    def step():
        W1, b1, W2, b2 = arrays
        h = X @ W1  # (N, H)
        h += b1
        np.maximum(h, 0, out=h)
        p = h @ W2  # (N, C)
        p += b2
        p -= p.max(axis=1, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[rows, y]).mean() + 0.5 * reg * ((W1 * W1).sum() + (W2 * W2).sum())
        p[rows, y] -= 1  # p is now N * dlogits
        p /= N
        dW2 = h.T @ p
        dW2 += reg * W2
        db2 = p.sum(axis=0)
        dh = p @ W2.T  # (N, H)
        dh *= h > 0  # multiplying by the mask beats masked assignment, which branches per entry
        dW1 = X.T @ dh
        dW1 += reg * W1
        db1 = dh.sum(axis=0)
        W1 -= lr * dW1
        b1 -= lr * db1
        W2 -= lr * dW2
        b2 -= lr * db2
        return float(loss)

    step.params = P
    return step


def _floor(X, y, start, reg, lr):
    W1, b1, W2 = start["dense1.W"], start["dense1.b"], start["dense2.W"]
    h0 = np.maximum(X @ W1 + b1, 0)
    d0 = np.ones((X.shape[0], W2.shape[1]), dtype=X.dtype)

    def step():
        h = X @ W1
        h @ W2
        h0.T @ d0
        dh = d0 @ W2.T
        X.T @ dh

    step.params = start
    return step


def _autograd_step(X, y, start, reg, lr):
    import autograd.numpy as anp
    from autograd import grad

    rows = np.arange(X.shape[0])
    P = {k: start[k].copy() for k in KEYS}
    params = [P[k] for k in KEYS]

    def loss(ps):
        W1, b1, W2, b2 = ps
        h = anp.maximum(anp.dot(X, W1) + b1, 0)
        z = anp.dot(h, W2) + b2
        z = z - anp.max(z, axis=1, keepdims=True)
        logp = z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
        return -anp.mean(logp[rows, y]) + 0.5 * reg * (anp.sum(W1 * W1) + anp.sum(W2 * W2))

    g = grad(loss)

    def step():
        for p, d in zip(params, g(params)):
            p -= lr * d

    step.params = P
    return step
