"""Binder is ready: repo2docker accepts the repository, and the environment it would build
(only binder/requirements.txt, then binder/postBuild) runs every notebook under nbval.

This is the second full nbval run of `make test` (the first is the main run), on two
pytest-xdist workers with --dist loadfile, so a notebook's cells stay on one kernel. It is
also the offline run and the one-core pod's: the notebooks run with no network
(test_offline.py), one BLAS thread, and the AVX2 laptop's CPU kernels where this machine
takes them (test_portable.py), as a small cloud pod or a learner's laptop would.
"""

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from test_offline import assert_offline, isolation
from test_portable import ONE_THREAD, NotTaken, cpu_environment, describe

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "_build" / "tools"  # ignored by git; reused between runs
REPO2DOCKER = "jupyter-repo2docker==2026.4.0"


def tool_venv(name, requirement):
    """A virtual environment of its own for a tool, so its dependencies never meet the course's."""
    path = TOOLS / name
    stamp = path / f".installed-{requirement}"
    if not stamp.exists():
        shutil.rmtree(path, ignore_errors=True)
        venv.create(path, with_pip=True)
        subprocess.run([path / "bin" / "python", "-m", "pip", "install", "-q", requirement], check=True)
        stamp.touch()
    return path / "bin"


def clean_copy(dest):
    """The files Binder would see: tracked or new, never ignored ones (.venv, _build, ...)."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def test_repo2docker_plans_the_expected_image():
    r2d = tool_venv("repo2docker", REPO2DOCKER)
    out = subprocess.run([r2d / "repo2docker", "--no-build", "--debug", "."], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    assert "python=3.11" in log, "runtime.txt should select Python 3.11"
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in log
    assert "binder/postBuild" in log


# the environment is built once for the tests here: conftest.py keeps them on one pytest-xdist worker


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory):
    repo = clean_copy(tmp_path_factory.mktemp("binder-repo"))
    env_dir = tmp_path_factory.mktemp("binder-venv")
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # as repo2docker does: from the repository's root, only binder/requirements.txt
    # (--no-compile: the byte code is written when a module is first imported, not for every file up front)
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-compile", "-r", "binder/requirements.txt"], cwd=repo,
                   check=True)
    env = {**os.environ, "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("MPLBACKEND", None)
    subprocess.run(["bash", "binder/postBuild"], cwd=repo, check=True, env=env)
    return repo, py, env


def test_postbuild_makes_the_student_versions(binder_env):
    repo, _, _ = binder_env
    made = sorted(p.name for p in (repo / "student").glob("*.ipynb"))
    assert made == sorted(p.name for p in (repo / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_every_notebook_passes_nbval_in_the_binder_environment_offline_on_one_core(binder_env, tmp_path):
    repo, py, env = binder_env
    try:
        env, cpu = cpu_environment("AVX2 laptop", env, py), describe("AVX2 laptop")
    except NotTaken as why:  # test_portable.py reports it as a skip
        env, cpu = {**env, **ONE_THREAD}, f"this machine's own CPU kernels, one BLAS thread ({why})"
    prefix, env, how = isolation(tmp_path, env)
    assert_offline(prefix, env, how, py)
    out = subprocess.run(
        [*prefix, py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--nbval",
         "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-n", "2", "--dist", "loadfile",
         "notebooks"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, f"under {how}, {cpu}:\n{out.stdout[-5000:]}{out.stderr[-2000:]}"
    assert " passed" in out.stdout and "failed" not in out.stdout.splitlines()[-1]
    sys.stdout.write(f"Binder environment under {how}, {cpu}: {out.stdout.splitlines()[-1]}\n")
