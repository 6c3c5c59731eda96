"""`make student`: the student version of every notebook gives no answer away, yet runs.

A student version is nbgrader's release (tests/course/test_grading.py compares it with the
real `nbgrader generate_assignment`): no solution, no hidden test, no output, prose and checks
read-only, the note on checking oneself at the top. Before anything is attempted it runs top
to bottom with no traceback, and every check cell reports "not implemented yet"; generating
twice changes nothing.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
spec = importlib.util.spec_from_file_location("make_student", ROOT / "tools" / "make_student.py")
make_student = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_student)


def solution_lines(nb):
    """The lines inside solution blocks, and every other line of code in the notebook."""
    inside, solution, other = False, [], set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            s = line.strip()
            if s == make_student.BEGIN:
                inside = True
            elif s == make_student.END:
                inside = False
            elif inside:
                solution.append(s)
            else:
                other.add(s)
    return solution, other


@pytest.fixture(scope="session")
def generated(build_once):
    """The student versions, generated once for the whole run (every pytest-xdist worker reads them)."""
    return build_once("student", lambda out: subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_student.py"), "--out", str(out)], check=True, capture_output=True))


def test_generation_is_reproducible(generated, tmp_path):
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_student.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True)
    first = {p.name: p.read_bytes() for p in generated.glob("*.ipynb")}
    second = {p.name: p.read_bytes() for p in tmp_path.glob("*.ipynb")}
    assert first == second
    assert sorted(first) == [p.name for p in NOTEBOOKS]
    # and regenerating over existing files leaves them untouched
    before = {p.name: p.stat().st_mtime_ns for p in generated.glob("*.ipynb")}
    make_student.main(["--out", str(generated)])
    assert before == {p.name: p.stat().st_mtime_ns for p in generated.glob("*.ipynb")}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_text_no_hidden_test_and_no_output(path, generated):
    nb = nbformat.read(path, as_version=4)
    student = nbformat.read(generated / path.name, as_version=4)
    solution, elsewhere = solution_lines(nb)
    assert solution, "no exercise found"
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    assert make_student.BEGIN not in code and make_student.END not in code
    assert make_student.BEGIN_HIDDEN not in code and "bl.checks.require" not in code
    student_lines = {line.strip() for line in code.splitlines()}
    leaked = [s for s in solution if s and s not in elsewhere and s in student_lines]
    assert not leaked, f"solution lines left in the student version: {leaked[:3]}"
    stubs = code.count('raise NotImplementedError("write your answer here, then run the check below")')
    assert stubs == len(solution_block_starts(nb))
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def solution_block_starts(nb):
    return [line for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()
            if line.strip() == make_student.BEGIN]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_note_comes_first_and_prose_and_checks_are_read_only(path, generated):
    student = nbformat.read(generated / path.name, as_version=4)
    note = student.cells[0]
    assert note.id == "student-version-note" and "python -m backprop_lib check" in note.source
    assert student.cells[1].source == nbformat.read(path, as_version=4).cells[0].source  # then the title
    for cell in student.cells[1:]:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" or meta.get("grade"):
            assert meta["locked"] and cell.metadata["editable"] is False, cell.source[:60]
        if meta.get("solution"):
            assert cell.metadata.get("editable", True), cell.source[:60]


def run(path):
    nb = nbformat.read(path, as_version=4)
    # One BLAS thread: this run checks for tracebacks, not numbers, and the other test worker is busy too.
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute(
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_version_runs_without_a_traceback(path, generated):
    nb = run(generated / path.name)  # one notebook per test: pytest-xdist runs two at once
    exercises = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            assert out.output_type != "error", f"cell {i} raised {out.get('ename')}: {out.get('evalue')}"
            assert "Traceback" not in out.get("text", ""), f"cell {i} printed a traceback"
        if "NotImplementedError" in cell.source:
            exercises += 1
            check = next(c for c in nb.cells[i + 1:] if c.cell_type == "code")
            text = "".join(o.get("text", "") for o in check.outputs)
            assert "not implemented yet" in text, f"the check after cell {i} said {text[:200]!r}"
    assert exercises >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_instructors_cells_are_left_out(path, generated):
    """Speaker notes (timing advice, "if time is short", what to put on the board) are not in a student version."""
    from backprop_lib.grading import instructor_only

    nb = nbformat.read(path, as_version=4)
    student = nbformat.read(generated / path.name, as_version=4)
    assert any(instructor_only(c) for c in nb.cells), "expected speaker notes in the instructor version"
    assert [c.id for c in student.cells[1:]] == [c.id for c in nb.cells if not instructor_only(c)]
    for cell in student.cells:
        assert cell.metadata.get("slideshow", {}).get("slide_type") != "notes", cell.source[:80]
        assert not re.search(r"time is short|speaker notes", cell.source, flags=re.I), cell.source[:80]


def test_the_release_leaves_out_notes_and_instructor_cells_but_never_an_exercise():
    from backprop_lib.grading import ClearInstructorCells

    def cell(kind, slide_type, tags=(), nbgrader=None):
        meta = {"slideshow": {"slide_type": slide_type}, "tags": list(tags)}
        if nbgrader:
            meta["nbgrader"] = nbgrader
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        return make(f"{kind} {slide_type} {tags}", metadata=meta)

    nb = nbformat.v4.new_notebook(cells=[
        cell("markdown", "slide"), cell("markdown", "notes"), cell("code", "-", tags=["instructor"]),
        cell("code", "notes", nbgrader={"solution": True, "grade": False, "grade_id": "ex-f"}),
        cell("code", "fragment"), cell("markdown", "notes", tags=["instructor"])])
    out, _ = ClearInstructorCells().preprocess(nb, {})
    assert [c.source for c in out.cells] == ["markdown slide ()", "code notes ()", "code fragment ()"]
