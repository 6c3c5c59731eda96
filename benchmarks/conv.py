"""Convolution benchmark: the teaching loops against `im2col`, and `im2col` against PyTorch.

    python -m benchmarks.conv [--quick]  # prints the ratios
    from benchmarks.conv import conv_rows  # what benchmarks/run.py calls

Every comparison is interleaved (`backprop_lib.timing.compare`), so the ratios hold on a
shared machine. The loops are slow enough that a few rounds are plenty.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import backprop_lib.timing as T
from backprop_lib import conv as cv

ROOT = Path(__file__).resolve().parents[1]
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
    return (
        f"{s['N']} x {s['C']} x {s['H']} x {s['W']}, {s['F']} filters {s['K']}x{s['K']}, "
        f"stride {s['stride']}, pad {s['pad']}"
    )


def measure(size=None, rounds=7, target=0.05):
    """{"forward": Timings, "backward": Timings}, each with "im2col" as the baseline."""
    return {
        part: T.compare(cands, baseline="im2col", rounds=rounds, target=target)
        for part, cands in conv_cases(size).items()
    }


ONE_THREAD = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


def _summary(timings):
    """What `conv_rows` needs from `measure`, as plain numbers (it crosses a process boundary)."""
    out = {}
    for part, t in timings.items():
        out[part] = {"loops": [t.ratio("loops"), *t.spread("loops")], "im2col_us": t.median("im2col") * 1e6}
        if "torch conv2d" in t.names:
            out[part]["torch"] = [t.ratio("im2col", "torch conv2d"), *t.spread("im2col", "torch conv2d")]
    return out


def measure_one_thread(size=None, rounds=7, target=0.05):
    """`measure` in a fresh interpreter whose BLAS runs one thread -> `_summary` of it.

    The loops are single-threaded, and on a busy machine a second BLAS thread that spins
    between the small products slows the im2col pass by ten times or more. Pinning BLAS to one
    thread (only possible before NumPy loads, hence the subprocess) compares like with like.
    """
    args = json.dumps({"size": size, "rounds": rounds, "target": target})
    code = f"import json, benchmarks.conv as b; a = json.loads({args!r}); print(json.dumps(b._summary(b.measure(**a))))"
    env = {**os.environ, **ONE_THREAD}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def conv_rows(Row, rounds=7, quick=False):
    """The rows `benchmarks/run.py` adds to its table; `Row` is its row class."""
    size = {"N": 4} if quick else None
    section = f"convolution {describe(size)}, one BLAS thread"
    summary = measure_one_thread(size, rounds=3 if quick else rounds, target=0.01 if quick else 0.05)
    rows = []
    for part, goal in (("forward", None), ("backward", 50)):
        ratio, lo, hi = summary[part]["loops"]
        rows.append(
            Row(
                section,
                f"{part}: loops / im2col",
                ratio,
                (lo, hi),
                goal,
                better="higher",
                note=f"im2col: {summary[part]['im2col_us']:.0f} µs",
            )
        )
        if "torch" in summary[part]:
            ratio, lo, hi = summary[part]["torch"]
            rows.append(
                Row(
                    section,
                    f"{part}: im2col / torch conv2d",
                    ratio,
                    (lo, hi),
                    note="PyTorch CPU (one thread) as a reference",
                )
            )
    if "torch" not in summary["forward"]:
        # one row that says why the reference is missing (ratio NaN, no spread)
        rows.append(
            Row(section, "im2col / torch conv2d", float("nan"), (0.0, 0.0), note="skipped: PyTorch is not installed")
        )
    return rows


def main():
    quick = "--quick" in sys.argv
    size = {"N": 4} if quick else None
    print(f"convolution, {describe(size)}")
    timings = measure(size, rounds=3 if quick else 7)
    for part, t in timings.items():
        print(f"\n{part}\n{t!r}")
    print(
        "\nloops / im2col with this process's BLAS threads: "
        + ", ".join(f"{part} {t.ratio('loops'):.3g}" for part, t in timings.items())
    )
    one = measure_one_thread(size, rounds=3 if quick else 7)
    print(
        "loops / im2col with one BLAS thread:           "
        + ", ".join(f"{part} {v['loops'][0]:.3g}" for part, v in one.items())
    )
    if _torch() is None:
        print("PyTorch is not installed: no torch conv2d reference row.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
