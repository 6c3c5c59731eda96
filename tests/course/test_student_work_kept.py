"""A learner's work is never lost: `make student`, `make lab` and `make clean` keep a student
notebook the learner has worked in, and say where it is.

Each test runs the real make target in a copy of the course (the Makefile, tools/, the
library and two notebooks) under a temporary folder, with this environment's Python as the
course's .venv, so nothing in the repository itself is touched.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("00_welcome.ipynb", "02_dense_layer.ipynb")
VENV = Path(sys.prefix)

pytestmark = [
    pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed"),
    pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="needs a virtual environment to stand in for .venv"),
]


def make(course, *args):
    """`make ARGS` in the copy, with this environment as .venv (never rebuilt: -o its stamp)."""
    env = {**os.environ, "PYTHONPATH": str(course)}
    done = subprocess.run(["make", "-s", "-o", str(VENV / ".installed"), *args, f"VENV={VENV}"], cwd=course,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def course(tmp_path):
    """A copy of the course with the student versions of two notebooks written by `make student`."""
    course = tmp_path / "course"
    ignore = shutil.ignore_patterns("__pycache__", "node_modules")
    for folder in ("tools", "backprop_lib"):
        shutil.copytree(ROOT / folder, course / folder, ignore=ignore)
    (course / "notebooks").mkdir()
    for name in NAMES:
        shutil.copy2(ROOT / "notebooks" / name, course / "notebooks" / name)
    shutil.copy2(ROOT / "Makefile", course / "Makefile")
    make(course, "student")
    assert sorted(p.name for p in (course / "student").glob("*.ipynb")) == list(NAMES)
    return course


def work_in(path):
    """Answer the notebook's first exercise, as a learner would, and save; returns the bytes saved."""
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    cell.source = cell.source.replace("raise NotImplementedError", "return None  # my attempt\n    # raise NotImplementedError")
    nbformat.write(nb, path)
    return path.read_bytes()


def change_source(course, name):
    """An instructor's change to notebooks/NAME, so that its student version is due for an update."""
    path = course / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A new closing remark.", id="new-closing-remark"))
    nbformat.write(nb, path)


def test_make_student_keeps_a_notebook_the_learner_worked_in_and_updates_the_others(course):
    mine = work_in(course / "student" / "02_dense_layer.ipynb")
    change_source(course, "02_dense_layer.ipynb")
    change_source(course, "00_welcome.ipynb")
    out = make(course, "student")
    assert (course / "student" / "02_dense_layer.ipynb").read_bytes() == mine
    assert "student/02_dense_layer.ipynb: kept as it is, your work" in out
    assert "A new closing remark." in (course / "student" / "00_welcome.ipynb").read_text()
    # and again: still kept, still said
    out = make(course, "student")
    assert (course / "student" / "02_dense_layer.ipynb").read_bytes() == mine
    assert "student/02_dense_layer.ipynb: kept as it is, your work" in out
    # a learner who wants a fresh copy moves theirs away, as the message says
    (course / "student" / "02_dense_layer.ipynb").rename(course / "student" / "02_dense_layer.mine.ipynb")
    make(course, "student")
    assert "A new closing remark." in (course / "student" / "02_dense_layer.ipynb").read_text()
    assert (course / "student" / "02_dense_layer.mine.ipynb").read_bytes() == mine


def test_make_lab_writes_what_is_missing_and_keeps_the_learners_work(course):
    mine = work_in(course / "student" / "02_dense_layer.ipynb")
    change_source(course, "02_dense_layer.ipynb")
    (course / "student" / "00_welcome.ipynb").unlink()
    out = make(course, "lab", "LAB_ARGS=--version")  # JupyterLab prints its version and exits
    assert (course / "student" / "02_dense_layer.ipynb").read_bytes() == mine
    assert "student/02_dense_layer.ipynb: kept as it is, your work" in out
    assert (course / "student" / "00_welcome.ipynb").exists()


def test_make_clean_deletes_only_what_make_student_wrote(course):
    mine = work_in(course / "student" / "02_dense_layer.ipynb")
    (course / "student" / "my_notes.txt").write_text("dW = ?\n")
    (course / ".venv").mkdir()
    (course / "_build" / "slides").mkdir(parents=True)
    done = subprocess.run(["make", "-s", "clean", f"PYTHON={sys.executable}"], cwd=course, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (course / "student" / "02_dense_layer.ipynb").read_bytes() == mine
    assert (course / "student" / "my_notes.txt").exists()
    assert not (course / "student" / "00_welcome.ipynb").exists()
    assert not (course / ".venv").exists() and not (course / "_build").exists()
    assert "kept student/02_dense_layer.ipynb: your work" in done.stdout
    assert "kept student/my_notes.txt: not written by make student" in done.stdout
    # with nothing of the learner's left, clean removes the folder
    (course / "student" / "02_dense_layer.ipynb").unlink()
    (course / "student" / "my_notes.txt").unlink()
    make(course, "student")
    done = subprocess.run(["make", "-s", "clean", f"PYTHON={sys.executable}"], cwd=course, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and not (course / "student").exists(), done.stdout + done.stderr


def test_a_student_folder_without_a_record_is_adopted_only_where_it_is_the_release(course):
    """A student/ written before the record existed: the untouched notebooks are adopted, the rest kept."""
    (course / "student" / ".generated.json").unlink()
    mine = work_in(course / "student" / "02_dense_layer.ipynb")
    out = make(course, "student")
    assert (course / "student" / "02_dense_layer.ipynb").read_bytes() == mine
    assert "student/02_dense_layer.ipynb: kept as it is, your work" in out
    assert "student/00_welcome.ipynb: up to date" in out  # byte for byte the release: adopted
    change_source(course, "00_welcome.ipynb")
    make(course, "student")
    assert "A new closing remark." in (course / "student" / "00_welcome.ipynb").read_text()
