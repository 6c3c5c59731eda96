import fcntl
import os
import shutil

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # tests draw off-screen (this process only: notebook kernels keep inline)

SHAPES = [(1, 1, 1), (2, 3, 4), (5, 4, 3), (7, 2, 6)]  # (N, D, H)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def build_once(tmp_path_factory):
    """`build_once(name, build)`: a folder that `build(folder)` filled, built once for the whole
    run however many pytest-xdist workers ask for it. Each worker has a session of its own, so a
    session fixture alone would build once per worker: the first worker to ask builds, under a
    file lock in the run's temporary folder (the parent of every worker's), and the others wait
    for it and reuse the folder. A build that failed is tried again by the next test that asks."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this run, and only this run
    shared = base / "built-once"
    shared.mkdir(exist_ok=True)

    def get(name, build):
        folder, done = shared / name, shared / f"{name}.done"
        with open(shared / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not done.exists():
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                build(folder)
                done.touch()
        return folder

    return get
