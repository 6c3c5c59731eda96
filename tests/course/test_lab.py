"""`make lab` really opens the course: JupyterLab starts, serves the notebooks and has the widget extension."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_support import free_port

ROOT = Path(__file__).resolve().parents[2]


def get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, r.read().decode()


def lab_command(port, tmp_path):
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --allow-root --IdentityProvider.token= "
            f"--ServerApp.password= --LabApp.news_url=None "
            f"--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate "
            f"--LabApp.workspaces_dir={tmp_path}")
    venv_python = ROOT / ".venv" / "bin" / "python"
    up_to_date = shutil.which("make") and subprocess.run(
        ["make", "-q", "setup"], cwd=ROOT, capture_output=True).returncode == 0
    if up_to_date and Path(sys.executable).resolve() == venv_python.resolve():
        return ["make", "-s", "lab", f"LAB_ARGS={args}"]  # the README's own command
    return [sys.executable, "-m", "jupyterlab", "--ServerApp.root_dir=.", *args.split()]


def test_lab_serves_the_course(tmp_path):
    port = free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    proc = subprocess.Popen(lab_command(port, tmp_path), cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                get(f"{base}/api/status")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start: {proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.3)
        status, body = get(f"{base}/api/contents/notebooks")
        names = {item["name"] for item in json.loads(body)["content"]}
        assert {"00_welcome.ipynb", "01_one_neuron.ipynb"} <= names
        status, body = get(f"{base}/lab/tree/notebooks/00_welcome.ipynb")
        assert status == 200 and "@jupyter-widgets/jupyterlab-manager" in body
        status, body = get(f"{base}/api/kernelspecs")
        assert "python3" in json.loads(body)["kernelspecs"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and make, started above in their own group
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")
def test_make_lab_opens_the_student_version_and_lab_solutions_the_notebooks():
    """`make lab` writes student/ first (what is missing or out of date) and opens student/00;
    `make lab-solutions` opens notebooks/00, the version with solutions (a dry run: nothing starts)."""
    def dry_run(target):
        done = subprocess.run(["make", "-n", target, "LAB_ARGS=--no-browser"], cwd=ROOT, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr
        return [line for line in done.stdout.splitlines() if "make_student.py" in line or "jupyter lab" in line]

    lab = dry_run("lab")
    assert "tools/make_student.py" in lab[0] and "--LabApp.default_url=/lab/tree/student/00_welcome.ipynb" in lab[1]
    assert lab[1].endswith("--no-browser")
    solutions = dry_run("lab-solutions")
    assert len(solutions) == 1 and "--LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb" in solutions[0]
