"""Figures stay inline in the notebooks whatever MPLBACKEND the shell has.

ipykernel draws inline unless MPLBACKEND says otherwise, and a kernel inherits the
environment of whatever starts it: with MPLBACKEND=Agg (common on servers and CI runners)
every figure would silently vanish from the outputs. The root conftest.py drops it for the
tests, and `make lab` for JupyterLab.
"""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def test_a_kernel_started_by_the_tests_draws_inline():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert any("image/png" in o.get("data", {}) for o in outputs), f"no inline figure; outputs: {outputs}"


def test_mplbackend_agg_in_the_environment_does_not_hide_the_figures():
    env = {**os.environ, "MPLBACKEND": "Agg"}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         "tests/course/test_inline_figures.py::test_a_kernel_started_by_the_tests_draws_inline"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-1000:]


def test_make_lab_drops_mplbackend_too():
    makefile = (ROOT / "Makefile").read_text()
    lab = makefile[makefile.index("\nlab:"):].split("\n\n")[0]
    command = makefile[makefile.index("\nLAB "):].split("\n")[1] if "$(LAB)" in lab else lab
    assert "$(LAB)" in lab and "env -u MPLBACKEND" in command
