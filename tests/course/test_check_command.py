"""`python -m backprop_lib check NOTEBOOK` (`make check NB=03`): a learner's report, one line per exercise.

Run for real on notebook 03: the instructor version (every exercise passes), its student
version (none attempted) and a student version with answers planted in it (a known wrong
answer, an error in the learner's own cell, a right answer). Bad arguments get a clear message.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from backprop_lib import grading

ROOT = Path(__file__).resolve().parents[2]
NB03 = ROOT / "notebooks" / "03_activations.ipynb"


def check(path, *extra):
    done = subprocess.run([sys.executable, "-m", "backprop_lib", "check", str(path), *extra], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout.splitlines(), done.stderr


def row(lines, name):
    """The report's line for exercise `name`, its columns split."""
    found = [line for line in lines if line.split()[2:3] == [name] or line.split()[3:4] == [name]]
    assert len(found) == 1, f"no single line for {name} in {lines}"
    return found[0]


@pytest.fixture(scope="session")
def student03(build_once):
    """Notebook 03's student version, made once for the whole run (the tests read it, never write it)."""
    spec = importlib.util.spec_from_file_location("make_student", ROOT / "tools" / "make_student.py")
    make_student = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_student)
    out = build_once("student-03", lambda out: make_student.main(["--out", str(out), str(NB03)]))
    return out / NB03.name


def test_the_instructor_version_passes_every_exercise():
    code, lines, err = check(NB03)
    assert code == 0, err
    assert lines[0] == "checking notebooks/03_activations.ipynb ..."
    assert lines[1:] == [
        "✅ passed         tanh_backward        1/1",
        "✅ passed         leaky_relu_backward  1/1",
        "✅ passed         deep_backward        2/2",
        "3 of 3 passed, 0 failed, 0 not attempted; 4/4 points",
    ]


def test_a_student_version_reports_nothing_attempted(student03):
    code, lines, err = check(student03)
    assert code == 1, err
    assert lines[1:] == [
        "⏳ not attempted  tanh_backward        0/1",
        "⏳ not attempted  leaky_relu_backward  0/1",
        "⏳ not attempted  deep_backward        0/2",
        "0 of 3 passed, 0 failed, 3 not attempted; 0/4 points",
    ]


def test_a_wrong_answer_is_named_and_an_error_in_the_learners_cell_is_reported_against_it(student03, tmp_path):
    answers = {c.metadata.nbgrader["grade_id"]: c.source for c in nbformat.read(NB03, as_version=4).cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(student03, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "ex-tanh_backward":  # the sigmoid's derivative, a mistake the check knows
            cell.source = answers[grade_id].replace("dout * (1 - out**2)", "dout * out * (1 - out)")
        elif grade_id == "ex-leaky_relu_backward":  # an unfinished line of the learner's own
            cell.source = answers[grade_id] + "\nprint(slope_below_zero)"
        elif grade_id == "ex-deep_backward":
            cell.source = answers[grade_id]
    path = tmp_path / "03_activations.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    code, lines, err = check(path)
    assert code == 1, err
    assert row(lines, "tanh_backward").startswith("❌ failed         tanh_backward        0/1  tanh_backward gives a "
                                                  "known wrong answer. It uses the sigmoid's derivative")
    assert row(lines, "leaky_relu_backward") == (
        "❌ failed         leaky_relu_backward  0/1  the exercise cell raised NameError: "
        "name 'slope_below_zero' is not defined")
    assert row(lines, "deep_backward") == "✅ passed         deep_backward        2/2"
    assert lines[-1] == "1 of 3 passed, 2 failed, 0 not attempted; 2/4 points"
    assert path.read_bytes() == before, "the check changed the learner's file"


def graded_notebook(path, *cells):
    """A small notebook of (source, nbgrader role) cells, role 'solution' or points of a check."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    for i, (source, role) in enumerate(cells):
        meta = {"schema_version": 3, "task": False, "solution": role == "solution", "grade": role != "solution",
                "locked": role != "solution", "grade_id": f"ex-{i}" if role == "solution" else f"check-c{i}"}
        if role != "solution":
            meta["points"] = role
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta}))
    nbformat.write(nb, path)
    return path


def test_a_cell_that_runs_too_long_is_stopped_and_reported(tmp_path):
    path = graded_notebook(tmp_path / "slow.ipynb",
                           ("import time\ndef f():\n    return 1\ntime.sleep(600)", "solution"),
                           ("print('✅ f is correct')", 2),
                           ("def g():\n    return 1", "solution"),
                           ("print('✅ g is correct')", 1))
    code, lines, err = check(path, "--timeout", "2")
    assert code == 1, err
    assert lines[1:] == [
        "❌ failed         c1  0/2  the exercise cell ran for more than 2 s and was stopped (an endless loop?)",
        "✅ passed         c3  1/1",
        "1 of 2 passed, 1 failed, 0 not attempted; 1/3 points",
    ]


def test_a_kernel_that_dies_stops_the_run_and_the_rest_is_reported_not_run(tmp_path):
    path = graded_notebook(tmp_path / "dies.ipynb",
                           ("def f():\n    return 1", "solution"),
                           ("print('✅ f is correct')", 1),
                           ("import os\ndef g():\n    return 1\nos._exit(3)", "solution"),
                           ("print('✅ g is correct')", 1))
    code, lines, err = check(path)
    assert code == 1, err
    assert lines[1:] == [
        "✅ passed         c1  1/1",
        "❌ failed         c3  0/1  not run: the notebook stopped before its check "
        "(the kernel died: a crash, os._exit() or running out of memory)",
        "1 of 2 passed, 1 failed, 0 not attempted; 1/2 points",
    ]


def test_a_check_cell_that_raises_or_prints_nothing_fails():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def f(): pass"),
                nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
                    "error", ename="NameError", evalue="name 'f2' is not defined", traceback=[])]),
                nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output("stream", text="hello\n")])]
    for cell in nb.cells[1:]:
        cell.execution_count = 1
    assert grading.verdict(nb, 0, 1) == ("failed", "the check cell raised NameError: name 'f2' is not defined")
    assert grading.verdict(nb, 0, 2) == ("failed", "the check printed no verdict")


def test_a_number_names_a_course_notebook(tmp_path):
    (tmp_path / "notebooks").mkdir()  # a course folder without student/
    (tmp_path / "notebooks" / NB03.name).symlink_to(NB03)
    nb03 = tmp_path / "notebooks" / NB03.name
    assert grading.find_notebook("3", cwd=tmp_path) == nb03
    assert grading.find_notebook("03", cwd=tmp_path) == nb03
    assert grading.find_notebook("notebooks/03_activations.ipynb", cwd=ROOT) == NB03


@pytest.mark.parametrize("arg, message", [
    ("nope.ipynb", "no such notebook: nope.ipynb (expected a path to a .ipynb file, or a notebook's number)"),
    ("99", "no notebook numbered 99 in notebooks/"),
    ("notebooks", "notebooks is a folder: expected a notebook"),
    ("README.md", "README.md is not a notebook: expected a .ipynb file, got a .md file"),
])
def test_bad_arguments_get_a_clear_message(arg, message, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert grading.main([arg]) == 2
    assert message in capsys.readouterr().err


def test_a_broken_or_ungraded_notebook_gets_a_clear_message(tmp_path, capsys):
    (tmp_path / "broken.ipynb").write_text("{", encoding="utf-8")
    assert grading.main([str(tmp_path / "broken.ipynb")]) == 2
    assert "broken.ipynb is not a readable notebook: NotJSONError" in capsys.readouterr().err
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), tmp_path / "plain.ipynb")
    assert grading.main([str(tmp_path / "plain.ipynb")]) == 2
    assert "plain.ipynb has no graded exercises" in capsys.readouterr().err
    assert grading.main(["--timeout", "0", str(tmp_path / "plain.ipynb")]) == 2
    assert "--timeout must be a positive number of seconds, got 0" in capsys.readouterr().err


def test_the_module_names_its_commands():
    done = subprocess.run([sys.executable, "-m", "backprop_lib", "grade"], capture_output=True, text=True)
    assert done.returncode == 2 and "unknown command 'grade': expected one of check" in done.stderr


# -- the learner's copy, the report's summary, the wrong Python --------------------------------------------------
def test_a_number_checks_the_learners_copy_in_student_and_says_which_file(student03, tmp_path):
    for folder, source in (("notebooks", NB03), ("student", student03)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / NB03.name).write_bytes(source.read_bytes())
    assert grading.find_notebook("03", cwd=tmp_path) == tmp_path / "student" / NB03.name
    done = subprocess.run([sys.executable, "-m", "backprop_lib", "check", "03"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stderr
    assert lines[0] == "checking student/03_activations.ipynb ..."
    assert lines[-1] == "0 of 3 passed, 0 failed, 3 not attempted; 0/4 points"


def test_without_a_student_copy_the_report_says_it_checks_the_version_with_solutions(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / NB03.name).symlink_to(NB03)
    monkeypatch.chdir(tmp_path)
    path = grading.find_notebook("03")
    assert grading.which_file("03", path) == (
        "notebooks/03_activations.ipynb, the version with solutions (there is no student/03_activations.ipynb: "
        "`make lab` or `make student` writes your copy)")
    assert grading.which_file("notebooks/03_activations.ipynb", path) == "notebooks/03_activations.ipynb"


def executed_check(text):
    """A notebook of an exercise cell and a check cell that printed `text`, as after a run."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def f(): pass"),
                nbformat.v4.new_code_cell("ex.check_f(f)", outputs=[nbformat.v4.new_output("stream", text=text)])]
    for cell in nb.cells:
        cell.execution_count = 1
    return nb


def test_the_summary_keeps_the_mistake_the_check_names():
    named = ("❌ dense_backward_loop: dW does not match the reference.\n"
             "It is 2 times the answer: a factor 2 is off (the 2 from differentiating a square).\n"
             "  shape:              (3, 3) (both)\n"
             "  largest abs error:  3.94 at index (2, 2)\n"
             "  got (corner):       [[ 5.29969, -2.60681, -3.82157]]\n"
             "Hint: for every entry, add up dout[m, h] times the local derivative.\n")
    assert grading.verdict(executed_check(named), 0, 1) == (
        "failed", "dense_backward_loop: dW does not match the reference. It is 2 times the answer: a factor 2 is "
                  "off (the 2 from differentiating a square).")
    unnamed = ("❌ f: dW does not match the reference.\n  shape:              (3, 3) (both)\n"
               "  largest abs error:  0.5 at index (0, 1)\n  largest rel error:  0.1\nHint: look again.\n")
    assert grading.verdict(executed_check(unnamed), 0, 1) == (
        "failed", "f: dW does not match the reference. (largest abs error: 0.5 at index (0, 1))")
    several = "❌ f: wrong: dW1, dW2; right: dh1\nIt is the right answer transposed.\n  details\n❌ f: dW2 is wrong.\n"
    assert grading.verdict(executed_check(several), 0, 1) == (
        "failed", "f: wrong: dW1, dW2; right: dh1 It is the right answer transposed. (and 1 more ❌ in the check cell)")


def test_a_python_without_nbconvert_is_sent_to_the_courses_python_not_to_pip():
    code = ("import sys, runpy; sys.modules['nbconvert'] = sys.modules['nbclient'] = None; "
            "sys.argv = ['backprop_lib', 'check', '02']; runpy.run_module('backprop_lib', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "`make check NB=02`" in done.stderr and "`.venv/bin/python -m backprop_lib check 02`" in done.stderr
    assert "pip install" not in done.stderr
