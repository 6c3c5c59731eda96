"""The course's benchmark suite: `make bench`, or `python -m benchmarks.run --help`.

Every comparison is interleaved and taken as ratios within each round (see
`backprop_lib.timing`), so the numbers mean something on a shared, noisy machine.
Writes a Markdown table to benchmarks/RESULTS.md, copies it into benchmarks/README.md between
the bench markers (unless --no-readme), prints the goals of the library's speed at the
end, and with --json also writes every measurement as JSON. See benchmarks/README.md.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import backprop_lib.timing as T

from .conv import conv_rows
from .nnfs_style import nnfs_step

ROOT = Path(__file__).resolve().parents[1]
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


class Row:
    """One line of the results table: a measured ratio against its goal."""

    def __init__(self, section, what, ratio, spread, goal=None, better="lower", note=""):
        self.section, self.what, self.ratio, self.spread = section, what, ratio, spread
        self.goal, self.better, self.note = goal, better, note

    @property
    def met(self):
        if self.goal is None:
            return None
        return self.ratio <= self.goal if self.better == "lower" else self.ratio > self.goal

    def goal_text(self):
        if self.goal is None:
            return ""
        return f"{'≤' if self.better == 'lower' else '>'} {self.goal:g}"

    def as_dict(self):
        ratio = None if self.ratio != self.ratio else self.ratio  # NaN (not measured) is null in JSON
        return dict(section=self.section, what=self.what, ratio=ratio, spread=self.spread,
                    goal=self.goal, better=self.better, met=self.met, note=self.note)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# -- training steps ------------------------------------------------------------------------
def hidden_passes(X, y, params, reg, lr):
    """The passes over the (N, H) hidden layer that any NumPy step needs beyond the matrix
    products (bias add, ReLU forward, ReLU backward mask, bias gradient) and the W1 update,
    each done in place the fastest way NumPy offers: a lower bound on the step's overhead."""
    W1, b1 = params["dense1.W"].copy(), params["dense1.b"].copy()
    h = X @ W1
    dh = np.ones_like(h)
    ones = np.ones(len(X), dtype=X.dtype)
    dW1 = np.ones_like(W1)

    def step():
        h_, dh_, W1_ = h, dh, W1  # local aliases: `h += b1` would make h a new local name
        h_ += b1
        np.maximum(h_, 0, out=h_)
        np.multiply(dh_, h_ > 0, out=dh_)
        ones @ dh_
        W1_ -= lr * dW1

    step.params = params
    return step


def training_steps(rows, args, N, D, H, C, dtype, label, baseline, goals, rounds, target):
    names = ["library", "hand NumPy", "nnfs classes", "matmul floor"]
    if args.autograd:
        names.append("autograd")
    extra = {"nnfs classes": nnfs_step}
    if baseline == "matmul floor":
        names.append("(N, H) passes alone")
        extra["(N, H) passes alone"] = hidden_passes
    cases = T.training_step_cases(N=N, D=D, H=H, C=C, rng=0, dtype=dtype, lr=0.1, which=names, extra=extra)
    log(f"  {label}: {', '.join(cases)}")
    t = T.compare(cases, baseline=baseline, rounds=rounds, target=target)
    log("    " + repr(t).replace("\n", "\n    "))
    for name in names:
        if name == baseline:
            continue
        note = f"{baseline}: {t.median(baseline) * 1e6:.0f} µs"
        if name == "(N, H) passes alone":
            note = "no NumPy step can add less than this to the floor"
        rows.append(Row(label, f"{name} / {baseline}", t.ratio(name), t.spread(name), goals.get(name), note=note))
    if "(N, H) passes alone" in cases:
        # The bound no NumPy step can beat: the matrix products plus the passes over (N, H).
        bound = 1 + t.ratio("(N, H) passes alone")
        for name in ("library", "hand NumPy"):
            lo, hi = t.spread(name)
            rows.append(Row(label, f"{name} / (matmul floor + (N, H) passes)", t.ratio(name) / bound,
                            (lo / bound, hi / bound), goals.get(name + " / bound")))
    for slow in ("nnfs classes", "autograd"):  # the library ahead of both: a ratio above 1
        if slow in cases:
            rows.append(Row(label, f"{slow} / library", t.ratio(slow, "library"), t.spread(slow, "library"),
                            1, better="higher"))
    return t


# -- softmax backward and the fused gradient -----------------------------------------------
def softmax_forms(rows, rounds):
    t = T.compare(T.softmax_backward_cases(4096, 10), baseline="closed form", rounds=rounds, target=0.05)
    log("    " + repr(t).replace("\n", "\n    "))
    rows.append(Row("softmax backward 4096 x 10", "per-sample loop / closed form", t.ratio("per-sample loop"),
                    t.spread("per-sample loop"), 100, better="higher"))
    rows.append(Row("softmax backward 4096 x 10", "batched einsum / closed form", t.ratio("batched einsum"),
                    t.spread("batched einsum")))
    t = T.compare(T.fused_gradient_cases(4096, 10), baseline="fused (library)", rounds=rounds, target=0.05)
    log("    " + repr(t).replace("\n", "\n    "))
    rows.append(Row("fused gradient 4096 x 10", "range indexing / library", t.ratio("fused, range indexing"),
                    t.spread("fused, range indexing"), 5, better="higher"))
    rows.append(Row("fused gradient 4096 x 10", "separate (Jacobian loop) / library",
                    t.ratio("separate (Jacobian loop)"), t.spread("separate (Jacobian loop)")))
    t = T.compare(T.fused_gradient_cases(3, 3), baseline="fused (library)", rounds=rounds, target=0.02)
    rows.append(Row("fused gradient 3 x 3 (the book's size)", "separate (Jacobian loop) / library",
                    t.ratio("separate (Jacobian loop)"), t.spread("separate (Jacobian loop)"),
                    note="the nnfs book reports about 3.6"))


# -- import time -----------------------------------------------------------------------------
def import_time(rows, runs):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    cmds = {"python": "pass", "numpy": "import numpy", "backprop_lib": "import backprop_lib"}
    times = {k: [] for k in cmds}
    for _ in range(runs):
        for name, code in cmds.items():
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
            times[name].append(time.perf_counter() - t0)
    ratio = [b / n for b, n in zip(times["backprop_lib"], times["numpy"])]
    net = [(b - p) / (n - p) for b, n, p in zip(times["backprop_lib"], times["numpy"], times["python"])]
    q = lambda v: tuple(float(x) for x in np.percentile(v, [25, 75]))  # noqa: E731
    rows.append(Row("import", "import backprop_lib / import numpy (whole interpreter)", statistics.median(ratio),
                    q(ratio), 1.3, note=f"numpy: {statistics.median(times['numpy']) * 1e3:.0f} ms"))
    rows.append(Row("import", "the same, interpreter start-up subtracted", statistics.median(net), q(net)))


# -- notebooks -------------------------------------------------------------------------------
def notebooks(rows):
    import nbformat
    from nbclient import NotebookClient

    total = 0.0
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        t0 = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        dt = time.perf_counter() - t0
        total += dt
        log(f"    {path.name}: {dt:.1f} s")
        rows.append(Row("notebooks (seconds, kernel start included)", path.stem, dt, (dt, dt)))
    rows.append(Row("notebooks (seconds, kernel start included)", "all notebooks", total, (total, total), 120))


# -- report ----------------------------------------------------------------------------------
def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = "unknown BLAS"
    try:
        cfg = np.show_config(mode="dicts")
        dep = cfg["Build Dependencies"]["blas"]
        blas = f"{dep.get('name', 'blas')} {dep.get('version', '')}".strip()
    except Exception:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, NumPy {np.__version__} "
            f"with {blas}; {datetime.date.today().isoformat()}")


def markdown(rows, where):
    out = [f"Measured on {where}. Ratios are medians over interleaved rounds; "
           "the bracket is the middle half of the per-round ratios.", "",
           "| benchmark | ratio | spread | goal | met | note |", "|---|---|---|---|---|---|"]
    for r in rows:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        lo, hi = r.spread
        spread = "" if lo == hi else f"{lo:.3g} to {hi:.3g}"
        out.append(f"| {r.section}: {r.what} | {r.ratio:.3g} | {spread} | {r.goal_text()} | {met} | {r.note} |")
    return "\n".join(out) + "\n"


def update_readme(table):
    readme = ROOT / "benchmarks" / "README.md"
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        log("benchmarks/README.md has no bench markers; left unchanged")
        return
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{table}{README_END}{tail}", encoding="utf-8")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="few rounds, small sizes only: a smoke test")
    ap.add_argument("--no-notebooks", dest="notebooks", action="store_false", help="skip timing the notebooks")
    ap.add_argument("--no-autograd", dest="autograd", action="store_false", help="leave autograd out")
    ap.add_argument("--json", metavar="FILE", help="also write every row as JSON to FILE")
    ap.add_argument("--out", metavar="FILE", default=str(ROOT / "benchmarks" / "RESULTS.md"),
                    help="where to write the Markdown table (default benchmarks/RESULTS.md)")
    ap.add_argument("--no-readme", dest="readme", action="store_false",
                    help="do not copy the table into benchmarks/README.md")
    args = ap.parse_args(argv)

    rounds = 5 if args.quick else 31
    rows = []
    log("training step, spiral size (300 x 2 -> 100 -> 3)")
    spiral_goals = {"library": 1.3}
    training_steps(rows, args, 300, 2, 100, 3, np.float64, "spiral step, float64", "hand NumPy", spiral_goals,
                   rounds, 0.01 if args.quick else 0.05)
    if not args.quick:
        for dtype in (np.float64, np.float32):
            name = np.dtype(dtype).name
            log(f"training step, 4096 x 784 -> 256 -> 10, {name}")
            training_steps(rows, args, 4096, 784, 256, 10, dtype, f"large step, {name}", "matmul floor",
                           {"library / bound": 1.15}, 15, 0.05)
    log("softmax backward and the fused gradient")
    softmax_forms(rows, rounds)
    log("convolution: loops against im2col, one BLAS thread")
    rows.extend(conv_rows(Row, quick=args.quick))
    log("import time")
    import_time(rows, 5 if args.quick else 25)
    if args.notebooks:
        log("notebooks")
        notebooks(rows)

    table = markdown(rows, machine())
    print(table)
    if not args.quick:
        Path(args.out).write_text("# Benchmark results\n\nWritten by `make bench`.\n\n" + table, encoding="utf-8")
        if args.readme:
            update_readme(table)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "rows": [r.as_dict() for r in rows]}, indent=2))
    goals = [r for r in rows if r.goal is not None and (r.section.startswith(("spiral", "large")))]
    print("The library's speed goals:")
    for r in goals:
        print(f"  {r.section}: {r.what} = {r.ratio:.3g} (goal {r.goal_text()}): {'met' if r.met else 'MISSED'}")
    missed = [r for r in rows if r.met is False]
    for r in missed:
        log(f"goal missed: {r.section}: {r.what} = {r.ratio:.3g}, goal {r.goal_text()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
