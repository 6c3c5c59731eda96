"""Grading a class with nbgrader, the whole cycle, with nbgrader's own command line.

On notebooks 03 and 10, in a course directory that tools/grading_course.py assembles (as
`make grading` does): generate_assignment; three submissions in submitted/<student>/<assignment>/
(every answer right; one known wrong answer in each notebook; the release untouched);
autograde; generate_feedback. Scores are read back from nbgrader's gradebook. Also: the
release is byte for byte what `make student` writes, the notebooks' nbgrader metadata is the
one tools/nbgrader_cells.py writes, and the feedback shows none of the hidden tests.
"""

import html
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
# one graded class for every test here: conftest.py keeps them on one pytest-xdist worker


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


nbgrader_cells = load_tool("nbgrader_cells")
grading_course = load_tool("grading_course")
make_student = load_tool("make_student")

# notebook -> (exercise whose answer is planted wrong, text replaced in its solution, wrong text)
PLANTED = {
    # a known mistake the visible check names
    "03_activations": ("tanh_backward", "return dout * (1 - out**2)", "return dout * out * (1 - out)"),
    # an answer that passes the visible check (a batch of 5) but not the hidden case (a batch of 8)
    "10_debugging_backprop": ("fixed_cross_entropy", "N = probs.shape[0]", "N = 5"),
}
STUDENTS = {"ada": "every answer right", "bob": "one wrong answer", "cy": "the release, untouched"}


def nbgrader(course, *args):
    """Run nbgrader's command line in `course`, as an instructor would; returns its log."""
    env = {**os.environ,
           # nbgrader runs alembic (the gradebook's migrations) from PATH: the venv's bin, as when it is activated
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",  # this checkout's backprop_lib
           "JUPYTER_CONFIG_DIR": str(course / ".jupyter"),  # no user-wide nbgrader config
           "JUPYTER_DATA_DIR": str(course / ".jupyter-data")}
    env.pop("MPLBACKEND", None)
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def solutions(nb):
    return {c.metadata.nbgrader["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def submission(release, source, wrong=None):
    """The release with the source's answers written in; `wrong` = (exercise, old, new) plants one mistake."""
    nb = nbformat.read(release, as_version=4)
    answers = solutions(nbformat.read(source, as_version=4))
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
            if wrong and grade_id == f"ex-{wrong[0]}":
                assert wrong[1] in cell.source, f"{wrong[1]!r} is not in the solution of {wrong[0]}"
                cell.source = cell.source.replace(wrong[1], wrong[2])
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A graded class: the course directory after autograde and generate_feedback."""
    course = tmp_path_factory.mktemp("course")
    notebooks = [ROOT / "notebooks" / f"{name}.ipynb" for name in PLANTED]
    assert grading_course.assemble(course, notebooks) == list(PLANTED)
    for name in PLANTED:
        nbgrader(course, "generate_assignment", name)
    for name, wrong in PLANTED.items():
        release, source = course / "release" / name / f"{name}.ipynb", course / "source" / name / f"{name}.ipynb"
        for student, nb in (("ada", submission(release, source)), ("bob", submission(release, source, wrong)),
                            ("cy", nbformat.read(release, as_version=4))):
            target = course / "submitted" / student / name / f"{name}.ipynb"
            target.parent.mkdir(parents=True)
            nbformat.write(nb, target)
    for name in PLANTED:
        nbgrader(course, "autograde", name)
        nbgrader(course, "generate_feedback", name)
    return course


def grades(course, name, student):
    """{check cell's grade id: (score, max score)} of one graded submission, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(name, name, student)
        return {g.name: (g.score, g.max_score) for g in notebook.grades}


def test_the_course_directory_has_one_assignment_per_notebook_and_the_config(tmp_path):
    assert grading_course.assemble(tmp_path) == [p.stem for p in grading_course.course_notebooks()]
    assert (tmp_path / "nbgrader_config.py").read_bytes() == (TOOLS / "nbgrader_config.py").read_bytes()
    for path in grading_course.course_notebooks():
        assert (tmp_path / "source" / path.stem / path.name).read_bytes() == path.read_bytes()
    with pytest.raises(FileNotFoundError, match="expected a course notebook"):
        grading_course.assemble(tmp_path, [tmp_path / "nope.ipynb"])


@pytest.mark.parametrize("name", PLANTED)
def test_the_release_is_what_make_student_writes(course, name, tmp_path):
    make_student.main(["--out", str(tmp_path), str(ROOT / "notebooks" / f"{name}.ipynb")])
    assert (tmp_path / f"{name}.ipynb").read_bytes() == (course / "release" / name / f"{name}.ipynb").read_bytes()


@pytest.mark.parametrize("name", PLANTED)
def test_every_answer_right_scores_full_marks(course, name):
    points = nbgrader_cells.POINTS[name]
    got = grades(course, name, "ada")
    assert got == {f"check-{ex}": (float(p), float(p)) for ex, p in points.items()}


@pytest.mark.parametrize("name", PLANTED)
def test_one_wrong_answer_loses_exactly_its_points(course, name):
    wrong = PLANTED[name][0]
    got = grades(course, name, "bob")
    for exercise, points in nbgrader_cells.POINTS[name].items():
        assert got[f"check-{exercise}"] == (0.0 if exercise == wrong else float(points), float(points)), exercise


@pytest.mark.parametrize("name", PLANTED)
def test_the_untouched_release_scores_zero_and_runs_to_the_end(course, name):
    got = grades(course, name, "cy")
    assert got and all(score == 0 for score, _ in got.values())
    graded = nbformat.read(course / "autograded" / "cy" / name / f"{name}.ipynb", as_version=4)
    assert all(c.execution_count is not None for c in graded.cells if c.cell_type == "code"), "a cell did not run"
    for cell in graded.cells:  # only the hidden tests raise; every check printed "not implemented yet"
        if cell.metadata.get("nbgrader", {}).get("grade"):
            assert [o.ename for o in cell.outputs if o.output_type == "error"] == ["AssertionError"]
            assert "not implemented yet" in "".join(o.get("text", "") for o in cell.outputs)


def test_the_hidden_case_catches_an_answer_fitted_to_the_visible_check(course):
    name = "10_debugging_backprop"
    graded = nbformat.read(course / "autograded" / "bob" / name / f"{name}.ipynb", as_version=4)
    cell = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "check-fixed_cross_entropy")
    assert "✅ fixed_cross_entropy is correct" in "".join(o.get("text", "") for o in cell.outputs)
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert errors and "fixed_cross_entropy on a batch of 8 raised IndexError" in errors[0].evalue


def hidden_lines(source_nb):
    """Every line of every hidden-test block of a source notebook, stripped."""
    lines = set()
    for cell in source_nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if nbgrader_cells.BEGIN_HIDDEN in line:
                inside = True
            elif nbgrader_cells.END_HIDDEN in line:
                inside = False
            elif inside and line.strip() not in ("", ")"):
                lines.add(line.strip())
    return lines


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("name", PLANTED)
def test_feedback_gives_the_score_and_the_verdicts_and_no_hidden_test(course, name, student):
    page = html.unescape(re.sub(r"<[^>]+>", "", (course / "feedback" / student / name / f"{name}.html").read_text()))
    hidden = hidden_lines(nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4))
    assert len(hidden) >= len(nbgrader_cells.POINTS[name])
    shown = {line.strip() for line in page.splitlines()}
    assert not hidden & shown, f"hidden tests in the feedback: {sorted(hidden & shown)[:3]}"
    assert "HIDDEN TESTS" not in page and "bl.checks.require" not in page and "Traceback (most recent call last)" not in page
    total = sum(nbgrader_cells.POINTS[name].values())
    wrong = PLANTED[name][0]
    score = {"ada": total, "bob": total - nbgrader_cells.POINTS[name][wrong], "cy": 0}[student]
    assert re.search(rf"Score: {score:.1f} / {total:.1f}", page)
    if student == "bob":  # the wrong answer's verdict, as the learner saw it in the notebook
        why = {"03_activations": "uses the sigmoid's derivative",
               "10_debugging_backprop": "AssertionError: ❌ fixed_cross_entropy on a batch of 8 raised IndexError"}
        assert why[name] in page


def test_the_notebooks_metadata_is_what_the_tool_writes():
    assert nbgrader_cells.main(["--check"]) == 0


def test_the_metadata_is_valid_for_nbgrader_and_matches_the_points_table():
    from nbgrader.nbgraderformat import MetadataValidator

    assert sorted(nbgrader_cells.POINTS) == [p.stem for p in grading_course.course_notebooks()]
    for path in grading_course.course_notebooks():
        nb = nbformat.read(path, as_version=4)
        MetadataValidator().validate_nb(nb)
        checks = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"] for c in nb.cells
                  if c.metadata.get("nbgrader", {}).get("grade")}
        assert checks == {f"check-{ex}": p for ex, p in nbgrader_cells.POINTS[path.stem].items()}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                assert cell.source.rstrip().endswith(nbgrader_cells.END_HIDDEN) and meta["locked"]
            if cell.cell_type == "markdown":
                assert meta["locked"] and not meta["grade"] and not meta["solution"]


def test_check_finds_a_stale_notebook(tmp_path, capsys):
    path = tmp_path / "03_activations.ipynb"
    nb = nbformat.read(ROOT / "notebooks" / path.name, as_version=4)
    check = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    check.source = check.source.split(nbgrader_cells.BEGIN_HIDDEN)[0]  # a hidden block lost
    check.metadata.nbgrader["points"] = 5
    nbformat.write(nb, path)
    assert nbgrader_cells.main(["--check", str(path)]) == 1
    assert "hidden tests out of date in 1 check cell(s), nbgrader metadata in 1 cell(s)" in capsys.readouterr().err
    assert nbgrader_cells.main([str(path)]) == 0  # writing puts both back
    assert nbgrader_cells.main(["--check", str(path)]) == 0
    assert path.read_bytes() == (ROOT / "notebooks" / path.name).read_bytes()


def test_an_exercise_missing_from_the_points_table_is_an_error(tmp_path, capsys):
    path = tmp_path / "99_new.ipynb"
    nbformat.write(nbformat.read(ROOT / "notebooks" / "03_activations.ipynb", as_version=4), path)
    assert nbgrader_cells.main(["--check", str(path)]) == 2
    assert "99_new: not in POINTS" in capsys.readouterr().err


def test_hidden_require_lines_follow_the_visible_calls():
    calls = nbgrader_cells.check_calls("ex.check_tanh_backward(tanh_backward);\nx = 1", "test")
    assert [nbgrader_cells.require_line(call) for _, call in calls] == [
        "bl.checks.require(ex.check_tanh_backward, tanh_backward)"]
    assert nbgrader_cells.exercise_name(calls, "test") == "tanh_backward"
    calls = nbgrader_cells.check_calls("check_function(row_normalise, ref, A, hint='h' * 3)", "test")
    assert nbgrader_cells.exercise_name(calls, "test") == "row_normalise"
    assert nbgrader_cells.require_line(calls[0][1]) == (
        "bl.checks.require(check_function, row_normalise, ref, A, hint='h' * 3)")
    assert nbgrader_cells.without_semicolons("ex.check_x(f, hint='é');  ", calls=nbgrader_cells.check_calls(
        "ex.check_x(f, hint='é');  ", "test")) == "ex.check_x(f, hint='é')"
    with pytest.raises(nbgrader_cells.NotebookError, match="calls no check"):
        nbgrader_cells.check_calls("print(1)", "test")
