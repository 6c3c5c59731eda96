"""The benchmark suite measures fair candidates and runs: every training-step candidate computes
the very same step, and `python -m benchmarks.run --quick` prints its table. (No timing is
asserted here: speed goals are checked by `make bench`, never by a timed test.)"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import backprop_lib.timing as T

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from benchmarks.nnfs_style import nnfs_step  # noqa: E402


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_training_step_candidate_computes_the_same_step(dtype):
    cases = T.training_step_cases(N=50, D=4, H=16, C=3, lr=0.5, dtype=dtype, extra={"nnfs classes": nnfs_step})
    for step in cases.values():
        step()
        step()
    reference = cases["hand NumPy"].params
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for name, step in cases.items():
        if name == "matmul floor":
            continue
        for key in T.KEYS:
            got = step.params[key]
            assert got.dtype == dtype, f"{name} changed {key} to {got.dtype}"
            np.testing.assert_allclose(got.ravel(), reference[key].ravel(), rtol=tol, atol=tol, err_msg=name)


def test_softmax_and_fused_cases_agree_with_each_other():
    outs = [np.asarray(f()) for f in T.softmax_backward_cases(64, 5).values()]
    for out in outs[1:]:
        np.testing.assert_allclose(out, outs[0], rtol=1e-12, atol=1e-15)
    outs = [np.asarray(f()) for f in T.fused_gradient_cases(64, 5).values()]
    for out in outs[1:]:
        np.testing.assert_allclose(out, outs[0], rtol=1e-10, atol=1e-15)


def test_compare_reports_ratios_and_explains_bad_input():
    t = T.compare({"a": lambda: sum(range(50)), "b": lambda: sum(range(500))}, baseline="a", rounds=3, target=0.001)
    assert t.ratio("a") == 1.0 and t.ratio("b") > 0 and len(t.rows()) == 2 and "ratio to a" in repr(t)
    with pytest.raises(ValueError, match="expected baseline to be one of"):
        T.compare({"a": lambda: None}, baseline="z")
    with pytest.raises(TypeError, match="expected a callable for 'a'"):
        T.compare({"a": 3})


def test_the_suite_runs_and_prints_its_table():
    out = subprocess.run([sys.executable, "-m", "benchmarks.run", "--quick", "--no-notebooks", "--no-readme"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "| spiral step, float64: library / hand NumPy |" in out.stdout
    assert "| import: import backprop_lib / import numpy" in out.stdout
