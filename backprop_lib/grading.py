"""Check a notebook's exercises from the command line, and the course's nbgrader feedback step.

    python -m backprop_lib check 03    # student/03_activations.ipynb, or notebooks/ where there is none
    python -m backprop_lib check notebooks/03_activations.ipynb   # or any path

runs the notebook headless, in a fresh kernel, top to bottom (an error does not stop it, a
cell that runs too long is interrupted), without changing the file, then prints one line per
exercise and a total:

    ❌ failed         tanh_backward        0/1  tanh_backward gives a known wrong answer. It uses ...
    ⏳ not attempted  leaky_relu_backward  0/1
    ✅ passed         deep_backward        2/2
    1 of 3 passed, 1 failed, 1 not attempted; 2/4 points

The exercises are the notebook's nbgrader cells (tools/nbgrader_cells.py writes them; student
versions keep them): a solution cell and the graded check cell after it, with its points. An
exercise has passed when its check cell printed only ✅ verdicts and raised nothing; it is not
attempted when the check said "not implemented yet"; otherwise it failed, and the line gives
the check's ❌ verdict with the mistake it names, or the error that the exercise cell or the
check cell raised. The exit
status is 0 only if every exercise passed.

`ShortTracebacks` is an nbconvert preprocessor that the course's nbgrader configuration runs
in `generate_feedback`; `ClearInstructorCells` one that it runs first in `generate_assignment`,
so that a student version has no speaker notes.
"""

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from .checks import FAIL, PASS, TODO

MARKS = {"passed": PASS, "failed": FAIL, "not attempted": TODO}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class UsageError(ValueError):
    """A command-line argument that names no notebook the command can check."""


@dataclass
class Exercise:
    name: str
    points: float
    status: str  # "passed", "failed" or "not attempted"
    why: str = ""  # for a failure: the check's verdict, or the error raised

    @property
    def score(self):
        return self.points if self.status == "passed" else 0


# -- finding the notebook and its exercises ---------------------------------------------------------
def find_notebook(arg, cwd=None):
    """The notebook `arg` names: a path to a .ipynb file, or a number (3 or 03).

    A number names the learner's copy, student/NN_*.ipynb, where there is one (that is where
    `make lab` opens the course), and otherwise the version with solutions in notebooks/.
    """
    cwd = Path(cwd or Path.cwd())
    path = Path(arg)
    if not path.is_absolute():
        path = cwd / path
    if path.is_file():
        if path.suffix != ".ipynb":
            raise UsageError(f"{arg} is not a notebook: expected a .ipynb file, got a {path.suffix or 'plain'} file")
        return path
    if path.is_dir():
        raise UsageError(f"{arg} is a folder: expected a notebook, e.g. {Path(arg) / '03_activations.ipynb'}")
    if re.fullmatch(r"\d{1,2}", str(arg)):
        for folder in ("student", "notebooks"):
            found = sorted((cwd / folder).glob(f"{int(arg):02d}_*.ipynb"))
            if len(found) == 1:
                return found[0]
        where = os.path.relpath(cwd / "notebooks")
        raise UsageError(f"no notebook numbered {int(arg):02d} in {where}/ (nor in student/): run this from the "
                         "course folder, or give the notebook's path (e.g. student/03_activations.ipynb)")
    raise UsageError(f"no such notebook: {arg} (expected a path to a .ipynb file, or a notebook's number)")


def which_file(arg, path):
    """What the first line of the report says about the file it checks."""
    name = os.path.relpath(path)
    if re.fullmatch(r"\d{1,2}", str(arg)) and path.parent.name == "notebooks":
        return (f"{name}, the version with solutions (there is no student/{path.name}: "
                "`make lab` or `make student` writes your copy)")
    return name


def read_notebook(path):
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except Exception as exc:  # not JSON, or not a notebook's JSON
        raise UsageError(f"{path} is not a readable notebook: {type(exc).__name__}: {exc}") from exc


def graded_cells(nb):
    """[(name, points, solution cell index or None, check cell index)] from the nbgrader metadata."""
    found, solution = [], None
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("solution"):
            solution = i
        elif meta.get("grade"):
            grade_id = meta.get("grade_id", f"cell-{i}")
            found.append((grade_id.removeprefix("check-"), float(meta.get("points", 0)), solution, i))
            solution = None
    return found


# -- running it ---------------------------------------------------------------------------------------
def execute(nb, cwd, timeout):
    """Run every cell of `nb` in place, errors included; returns None, or why the run stopped early."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    stopped = {"ename": "CellTimeoutError", "evalue": f"the cell ran for more than {timeout:g} s and was stopped",
               "traceback": []}
    client = NotebookClient(nb, timeout=timeout, kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
                            allow_errors=True, interrupt_on_timeout=True, error_on_timeout=stopped,
                            resources={"metadata": {"path": str(cwd)}})
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # figures go inline, as in Jupyter; a GUI backend would open windows
    try:
        client.execute(env=env, stderr=subprocess.DEVNULL)  # the kernel's own log is noise here
    except DeadKernelError:
        return "the kernel died: a crash, os._exit() or running out of memory"
    except CellTimeoutError as exc:
        return f"a cell timed out ({(str(exc).strip().splitlines() or [''])[0]})"
    return None


def _errors(cell):
    return [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def _unmarked(text):
    """A verdict without its leading mark."""
    for mark in (PASS, FAIL, TODO):
        text = text.removeprefix(mark)
    return text.strip()


STOPPED = ("KeyboardInterrupt", "CellTimeoutError")  # what a cell interrupted after the timeout shows


def _error_line(out):
    first = ANSI.sub("", str(out.get("evalue", ""))).strip().splitlines()
    return f"{out.get('ename', 'Error')}: {_unmarked(first[0]) if first else ''}".strip()


def _raised(where, out, timeout):
    if out.get("ename") in STOPPED:
        return f"the {where} ran for more than {timeout:g} s and was stopped (an endless loop?)"
    return f"the {where} raised {_error_line(out)}"


def _failure(lines, i):
    """The ❌ verdict at lines[i], with what the cell says about it.

    That is the lines after it up to the next verdict that are not indented details or a hint:
    the named mistake ("It is 2 times the answer: ..."). Where there is none, the first detail
    that measures the error ("largest abs error: ..."). Further ❌ verdicts are counted.
    """
    why, said, measured = _unmarked(lines[i]), [], ""
    block = lines[i + 1:]
    for j, line in enumerate(block):
        if line.startswith((PASS, FAIL, TODO)):
            block = block[j:]
            break
        if line[0].isspace():
            if not measured and "error" in line:
                measured = " ".join(line.split())
        elif not line.startswith("Hint") and len(said) < 3:
            said.append(line.strip())
    else:
        block = []
    if said:
        why += " " + " ".join(said)
    elif measured:
        why += f" ({measured})"
    more = sum(line.startswith(FAIL) for line in block)
    if more:
        why += f" (and {more} more ❌ in the check cell)"
    return why


def verdict(nb, solution, check, stopped=None, timeout=300):
    """(status, why) of one exercise of an executed notebook."""
    cell = nb.cells[check]
    if cell.get("execution_count") is None and not cell.get("outputs"):
        return "failed", f"not run: the notebook stopped before its check ({stopped or 'no reason given'})"
    if solution is not None:
        for out in _errors(nb.cells[solution]):
            if out.get("ename") == "NotImplementedError":
                return "not attempted", ""
            return "failed", _raised("exercise cell", out, timeout)
    text = "".join(out.get("text", "") for out in cell.outputs if out.get("output_type") == "stream")
    lines = [line for line in ANSI.sub("", text).splitlines() if line.strip()]
    failures = [i for i, line in enumerate(lines) if line.startswith(FAIL)]
    if failures:
        return "failed", _failure(lines, failures[0])
    if any(line.startswith(TODO) for line in lines):
        return "not attempted", ""
    errors = _errors(cell)
    if errors:
        return "failed", _raised("check cell", errors[0], timeout)
    if any(line.startswith(PASS) for line in lines):
        return "passed", ""
    return "failed", "the check printed no verdict"


def check_notebook(path, timeout=300):
    """Execute the notebook at `path` (left unchanged on disk) and return its Exercises."""
    path = Path(path)
    nb = read_notebook(path)
    cells = graded_cells(nb)
    if not cells:
        raise UsageError(f"{path} has no graded exercises: expected a course notebook (notebooks/ or student/), "
                         "whose exercise and check cells carry nbgrader metadata")
    stopped = execute(nb, path.parent, timeout)
    return [Exercise(name, points, *verdict(nb, solution, check, stopped, timeout))
            for name, points, solution, check in cells]


# -- reporting ----------------------------------------------------------------------------------------
def report_lines(exercises):
    width = max(len(e.name) for e in exercises)
    lines = []
    for e in exercises:
        line = f"{MARKS[e.status]} {e.status:<14} {e.name:<{width}}  {e.score:g}/{e.points:g}"
        lines.append(f"{line}  {e.why}" if e.why else line)
    return lines


def summary(exercises):
    counts = {status: sum(e.status == status for e in exercises) for status in MARKS}
    score, total = sum(e.score for e in exercises), sum(e.points for e in exercises)
    return (f"{counts['passed']} of {len(exercises)} passed, {counts['failed']} failed, "
            f"{counts['not attempted']} not attempted; {score:g}/{total:g} points")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m backprop_lib check",
                                 description="Run a course notebook headless and report each exercise.")
    ap.add_argument("notebook", help="a notebook's number (03: your copy in student/, or notebooks/ if there is "
                                     "none) or its path (student/03_activations.ipynb, notebooks/...)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds one cell may run (default: 300)")
    args = ap.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # a terminal without the marks' characters still gets the text
    try:
        if args.timeout <= 0:
            raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
        path = find_notebook(args.notebook)
        read_notebook(path)  # a clear error before anything runs
        print(f"checking {which_file(args.notebook, path)} ...", flush=True)
        exercises = check_notebook(path, args.timeout)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in report_lines(exercises):
        print(line)
    print(summary(exercises))
    return 0 if all(e.status == "passed" for e in exercises) else 1


# -- nbgrader release and feedback ----------------------------------------------------------------------------------
def instructor_only(cell):
    """Whether `cell` is for the instructor: speaker notes (slide type "notes") or tagged `instructor`.

    An exercise or check cell is never instructor-only, whatever its slide type.
    """
    if cell.metadata.get("nbgrader", {}).get("solution") or cell.metadata.get("nbgrader", {}).get("grade"):
        return False
    return (cell.metadata.get("slideshow", {}).get("slide_type") == "notes"
            or "instructor" in cell.metadata.get("tags", []))


class ClearInstructorCells(Preprocessor):
    """Leave the instructor's cells out of a student version: speaker notes and timing advice.

    The notebooks keep what is said to the room (where to slow down, what to leave out if time
    is short, what to write on the board) in speaker notes; a learner working alone reads the
    notebook, not the talk, and the notes may name an answer the room is asked for.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells if not instructor_only(cell)]
        return nb, resources


class ShortTracebacks(Preprocessor):
    """In graded cells, show an error as its one-line message: `AssertionError: <the check's verdict>`.

    A traceback quotes the lines around the failing one, which in a graded cell are the hidden
    tests that autograde restored; nbgrader's generate_feedback would show them to the learner.
    """

    enabled = Bool(True).tag(config=True)  # nbconvert's preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for out in _errors(cell):
                out["traceback"] = [f"{out.get('ename', 'Error')}: {ANSI.sub('', str(out.get('evalue', '')))}"]
        return cell, resources


if __name__ == "__main__":
    sys.exit(main())
