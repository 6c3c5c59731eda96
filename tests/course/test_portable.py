"""The stored outputs hold on other learners' machines, not only on this one.

A learner's laptop runs other CPU kernels than the machine that stored the outputs: OpenBLAS
picks its matrix-product kernels by processor (AVX-512, AVX2, plain AVX), NumPy dispatches
its loops by the CPU features it finds, and a one-core pod runs one BLAS thread. Each of
those can move a result by a rounding error, and a chaotic computation can turn that into a
different printed number. So strict nbval runs every notebook again under settings a
typical AVX2 laptop and an older AVX-only processor would have, set up here through the
environment variables that OpenBLAS and NumPy read, with one BLAS thread. A setting this
machine cannot take (an OpenBLAS that ignores OPENBLAS_CORETYPE, a CPU without AVX2, a NumPy
that cannot dispatch differently) is skipped with the reason.

The full nbval runs of `make test`, and what each proves:
- the main run (pytest's own, `notebooks/`): this machine's kernels and BLAS threads, the
  course's environment;
- the Binder run (test_binder.py): the environment built only from binder/requirements.txt,
  with no network (test_offline.py), one BLAS thread as on a one-core pod, and the AVX2
  laptop's kernels: one run for all four, each a setting of its own;
- the older AVX processor's run, here: OpenBLAS's Sandybridge kernels, one BLAS thread.
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
# Every run under a setting uses one BLAS thread, as a one-core pod would, and so that two
# pytest-xdist workers share two cores without OpenBLAS threads spinning against each other;
# the main nbval run of `make test` keeps the default threads.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


class NotTaken(Exception):
    """This machine cannot take a CPU setting; the message says why."""


def probe(env, code, python=sys.executable):
    out = subprocess.run([str(python), "-c", code], env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise NotTaken(f"this NumPy does not start under these settings: {out.stderr.strip()[-300:]}")
    return out.stdout.strip()


def cpu_environment(name, base=None, python=sys.executable):
    """The environment of a run under setting `name` (one BLAS thread), after checking with
    `python` that OpenBLAS and NumPy really take the setting; NotTaken where they cannot."""
    setting = SETTINGS[name]
    base = os.environ if base is None else base
    if "OPENBLAS_CORETYPE" in setting and "OPENBLAS_CORETYPE" in base:
        raise NotTaken(f"{name}: this machine pins OPENBLAS_CORETYPE={base['OPENBLAS_CORETYPE']} "
                       "(its processor needs it), so it is not overridden here")
    env = {k: v for k, v in base.items() if k != "MPLBACKEND"}
    env.update(ONE_THREAD)
    env.update(setting)
    if platform.machine().lower() not in ("x86_64", "amd64"):
        raise NotTaken(f"{name}: the x86 kernel settings do not apply to a {platform.machine()} processor")
    features = probe({k: v for k, v in env.items() if k != "NPY_DISABLE_CPU_FEATURES"}, FEATURES, python).split()
    if "AVX2" not in features:
        raise NotTaken(f"{name}: this processor has no AVX2, so it cannot run these kernels")
    got = probe(env, CORENAME, python)
    if got != setting["OPENBLAS_CORETYPE"].lower():
        raise NotTaken(f"{name}: this NumPy's OpenBLAS ignores OPENBLAS_CORETYPE (it runs {got!r} kernels)")
    if "NPY_DISABLE_CPU_FEATURES" in setting:
        features = probe(env, FEATURES, python).split()
        if "X86_V4" in features or "AVX512_ICL" in features:
            raise NotTaken(f"{name}: NumPy kept its AVX-512 loops despite NPY_DISABLE_CPU_FEATURES")
    return env


def environment(name):
    try:
        return cpu_environment(name)
    except NotTaken as why:
        pytest.skip(str(why))


def describe(name):
    return f"{name} ({' '.join(f'{k}={v}' for k, v in SETTINGS[name].items())}, one BLAS thread)"


@pytest.mark.parametrize("name", ["older AVX processor"])  # the AVX2 laptop's run is the Binder run
def test_strict_nbval_holds_under_other_cpu_kernels(name):
    env = environment(name)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         "--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
         "-n", "2", "--dist", "loadfile", "notebooks"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, f"{describe(name)}:\n{out.stdout[-6000:]}{out.stderr[-2000:]}"
    print(f"{describe(name)}: {out.stdout.strip().splitlines()[-1]}")


def test_the_avx2_laptop_setting_is_taken():
    """The Binder run uses it where this machine takes it; where not, this says why."""
    environment("AVX2 laptop")


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
