"""Convolution benchmark: the teaching loops against `im2col`, and `im2col` against PyTorch.

    python -m benchmarks.conv            # prints the ratios
    from benchmarks.conv import conv_rows  # what benchmarks/run.py calls

Every comparison is interleaved (`backprop_lib.timing.compare`), so the ratios hold on a
shared machine. The loops are slow enough that a few rounds are plenty.
"""

import sys

import numpy as np

import backprop_lib.timing as T
from backprop_lib import conv as cv

SIZE = {"N": 16, "C": 3, "H": 16, "W": 16, "F": 8, "K": 3, "stride": 1, "pad": 1}


def conv_data(N, C, H, W, F, K, stride, pad, rng=0):
    """Seeded images, filters, bias and an upstream gradient of the benchmark's size."""
    rng = np.random.default_rng(rng)
    x = rng.standard_normal((N, C, H, W))  # (N, C, H, W)
    Wt = rng.standard_normal((F, C, K, K)) * 0.1  # (F, C, KH, KW)
    b = rng.standard_normal(F)
    out, _ = cv.conv2d_forward(x, Wt, b, stride, pad)
    dout = rng.standard_normal(out.shape)  # (N, F, OH, OW)
    return x, Wt, b, dout


def conv_cases(size=None, rng=0):
    """{"forward": {name: fn}, "backward": {name: fn}}: zero-argument calls, all on the same data."""
    s = dict(SIZE, **(size or {}))
    x, Wt, b, dout = conv_data(**s, rng=rng)
    stride, pad = s["stride"], s["pad"]
    _, loop_cache = cv.conv2d_forward_loop(x, Wt, b, stride, pad)
    _, cols_cache = cv.conv2d_forward(x, Wt, b, stride, pad)
    forward = {
        "im2col": lambda: cv.conv2d_forward(x, Wt, b, stride, pad),
        "loops": lambda: cv.conv2d_forward_loop(x, Wt, b, stride, pad),
    }
    backward = {
        "im2col": lambda: cv.conv2d_backward(dout, cols_cache),
        "loops": lambda: cv.conv2d_backward_loop(dout, loop_cache),
    }
    torch = _torch()
    if torch is not None:
        xt, Wtt, bt = (torch.from_numpy(a) for a in (x, Wt, b))
        forward["torch conv2d"] = lambda: torch.nn.functional.conv2d(xt, Wtt, bt, stride=stride, padding=pad)
        xg, Wg, bg = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, Wt, b))
        outg = torch.nn.functional.conv2d(xg, Wg, bg, stride=stride, padding=pad)
        dt = torch.from_numpy(dout)
        backward["torch conv2d"] = lambda: torch.autograd.grad(outg, (xg, Wg, bg), dt, retain_graph=True)
    return {"forward": forward, "backward": backward}


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)  # a fair reference for single-threaded NumPy loops on a shared machine
    return torch


def describe(size=None):
    s = dict(SIZE, **(size or {}))
    return (f"{s['N']} x {s['C']} x {s['H']} x {s['W']}, {s['F']} filters {s['K']}x{s['K']}, "
            f"stride {s['stride']}, pad {s['pad']}")


def measure(size=None, rounds=7, target=0.05):
    """{"forward": Timings, "backward": Timings}, each with "im2col" as the baseline."""
    return {part: T.compare(cands, baseline="im2col", rounds=rounds, target=target)
            for part, cands in conv_cases(size).items()}


def conv_rows(Row, rounds=7, quick=False):
    """The rows `benchmarks/run.py` adds to its table; `Row` is its row class."""
    size = {"N": 4} if quick else None
    section = f"convolution {describe(size)}"
    timings = measure(size, rounds=3 if quick else rounds, target=0.01 if quick else 0.05)
    rows = []
    for part, goal in (("forward", None), ("backward", 50)):
        t = timings[part]
        rows.append(Row(section, f"{part}: loops / im2col", t.ratio("loops"), t.spread("loops"), goal,
                        better="higher", note=f"im2col: {t.median('im2col') * 1e6:.0f} µs"))
        if "torch conv2d" in t.names:
            rows.append(Row(section, f"{part}: im2col / torch conv2d (1 thread)", t.ratio("im2col", "torch conv2d"),
                            t.spread("im2col", "torch conv2d"), note="PyTorch CPU as a reference"))
    if "torch conv2d" not in timings["forward"].names:
        # one row that says why the reference is missing (ratio NaN, no spread)
        rows.append(Row(section, "im2col / torch conv2d", float("nan"), (0.0, 0.0),
                        note="skipped: PyTorch is not installed"))
    return rows


def main():
    rounds = 3 if "--quick" in sys.argv else 7
    print(f"convolution, {describe()}")
    for part, t in measure(rounds=rounds).items():
        print(f"\n{part}\n{t!r}")
        print(f"loops / im2col = {t.ratio('loops'):.3g}")
    if _torch() is None:
        print("\nPyTorch is not installed: no torch conv2d reference row.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
