"""The stored outputs hold on other learners' machines, not only on this one.

A learner's laptop runs other CPU kernels than the machine that stored the outputs: OpenBLAS
picks its matrix-product kernels by processor (AVX-512, AVX2, plain AVX), NumPy dispatches
its loops by the CPU features it finds, and a one-core pod runs one BLAS thread. Each of
those can move a result by a rounding error, and a chaotic computation can turn that into a
different printed number. So strict nbval runs every notebook again under settings a
typical AVX2 laptop and an older AVX-only processor would have (test_offline.py adds a one-core pod), set up here
through the environment variables that OpenBLAS and NumPy read. A setting this machine
cannot take (an OpenBLAS that ignores OPENBLAS_CORETYPE, a CPU without AVX2, a NumPy that
cannot dispatch differently) is skipped with the reason.
"""

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What each setting asks for, and a probe run under it that prints what it really got.
CORENAME = """
import ctypes, glob, os, numpy
libs = glob.glob(os.path.join(os.path.dirname(numpy.__path__[0]), "numpy.libs", "*openblas*"))
name = b"unknown"
for path in libs:
    lib = ctypes.CDLL(path)
    for symbol in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_",
                   "openblas_get_corename"):
        fn = getattr(lib, symbol, None)
        if fn is not None:
            fn.restype = ctypes.c_char_p
            name = fn()
            break
print(name.decode().lower())
"""
FEATURES = """
from numpy._core._multiarray_umath import __cpu_features__ as f
print(" ".join(sorted(k for k, v in f.items() if v)))
"""
AVX2_ONLY = "X86_V4 AVX512_ICL AVX512_SPR"

SETTINGS = {
    "AVX2 laptop": {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": AVX2_ONLY},
    "older AVX processor": {"OPENBLAS_CORETYPE": "Sandybridge"},
}
# The one-core pod (one BLAS thread) is the setting of the offline run, test_offline.py. The
# runs here use one BLAS thread per pytest-xdist worker too, so that two workers share two
# cores without OpenBLAS threads spinning against each other; the main nbval run of `make
# test` and the Binder run keep the default threads.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def probe(env, code):
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        pytest.skip(f"this NumPy does not start under these settings: {out.stderr.strip()[-300:]}")
    return out.stdout.strip()


def environment(name):
    """The environment of the run, after checking that OpenBLAS and NumPy really take the setting."""
    setting = SETTINGS[name]
    if "OPENBLAS_CORETYPE" in setting and "OPENBLAS_CORETYPE" in os.environ:
        pytest.skip(f"{name}: this machine pins OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} "
                    "(its processor needs it), so it is not overridden here")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(ONE_THREAD)
    env.update(setting)
    if "OPENBLAS_CORETYPE" in setting or "NPY_DISABLE_CPU_FEATURES" in setting:
        if platform.machine().lower() not in ("x86_64", "amd64"):
            pytest.skip(f"{name}: the x86 kernel settings do not apply to a {platform.machine()} processor")
        features = probe({k: v for k, v in env.items() if k != "NPY_DISABLE_CPU_FEATURES"}, FEATURES).split()
        if "AVX2" not in features:
            pytest.skip(f"{name}: this processor has no AVX2, so it cannot run these kernels")
    if "OPENBLAS_CORETYPE" in setting:
        got = probe(env, CORENAME)
        if got != setting["OPENBLAS_CORETYPE"].lower():
            pytest.skip(f"{name}: this NumPy's OpenBLAS ignores OPENBLAS_CORETYPE (it runs {got!r} kernels)")
    if "NPY_DISABLE_CPU_FEATURES" in setting:
        features = probe(env, FEATURES).split()
        if "X86_V4" in features or "AVX512_ICL" in features:
            pytest.skip(f"{name}: NumPy kept its AVX-512 loops despite NPY_DISABLE_CPU_FEATURES")
    return env


@pytest.mark.parametrize("name", list(SETTINGS))
def test_strict_nbval_holds_under_other_cpu_kernels(name):
    env = environment(name)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         "--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
         "-n", "2", "--dist", "loadfile", "notebooks"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    settings = " ".join(f"{k}={v}" for k, v in SETTINGS[name].items())
    assert out.returncode == 0, f"{name} ({settings}):\n{out.stdout[-6000:]}{out.stderr[-2000:]}"
    print(f"{name} ({settings}): {out.stdout.strip().splitlines()[-1]}")


def test_the_settings_really_change_the_kernels():
    """The probes are not vacuous: on this machine, at least one setting changes what runs."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("x86 only")
    if "OPENBLAS_CORETYPE" in os.environ:
        pytest.skip("this machine pins OPENBLAS_CORETYPE; it is not overridden here")
    base = dict(os.environ)
    default = probe(base, CORENAME)
    forced = probe({**base, "OPENBLAS_CORETYPE": "Sandybridge"}, CORENAME)
    if forced != "sandybridge":
        pytest.skip(f"this OpenBLAS ignores OPENBLAS_CORETYPE (it runs {default!r} kernels)")
    assert default != "unknown"
