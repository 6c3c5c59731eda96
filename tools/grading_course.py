"""Assemble the course's nbgrader course directory: `make grading`.

    python tools/grading_course.py [--out _build/grading] [NOTEBOOK ...]

writes, from notebooks/NN_*.ipynb (which carry their nbgrader metadata and hidden tests, see
tools/nbgrader_cells.py):

    _build/grading/nbgrader_config.py              the course's configuration (tools/nbgrader_config.py)
    _build/grading/student_header.ipynb            the note at the top of every student version
    _build/grading/source/NN_name/NN_name.ipynb    one assignment per notebook, named like it

In that directory an instructor runs nbgrader's own commands unchanged (`nbgrader
generate_assignment 03_activations`, `nbgrader autograde 03_activations`, `nbgrader
generate_feedback 03_activations`; INSTRUCTORS.md walks through a class). Running this again
refreshes those files only: release/, submitted/, autograded/, feedback/ and gradebook.db stay.
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(__file__).resolve().parent
CONFIG = TOOLS / "nbgrader_config.py"
HEADER = TOOLS / "student_header.ipynb"


def course_notebooks():
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _copy(src, dest):
    """Copy src to dest unless dest already holds the same bytes (so nothing changes twice)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not dest.exists() or dest.read_bytes() != src.read_bytes():
        shutil.copyfile(src, dest)


def assemble(out, notebooks=None):
    """Write the course directory `out`; returns the assignment ids (the notebooks' stems)."""
    notebooks = [Path(p) for p in (notebooks or course_notebooks())]
    for path in notebooks:
        if path.suffix != ".ipynb" or not path.is_file():
            raise FileNotFoundError(f"expected a course notebook NN_name.ipynb, got {path}")
    out = Path(out)
    _copy(CONFIG, out / "nbgrader_config.py")
    _copy(HEADER, out / HEADER.name)
    for path in notebooks:
        _copy(path, out / "source" / path.stem / path.name)
    return [path.stem for path in notebooks]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    ap.add_argument("--out", type=Path, default=ROOT / "_build" / "grading", help="default: _build/grading")
    args = ap.parse_args(argv)
    try:
        assignments = assemble(args.out, args.notebooks)
    except FileNotFoundError as exc:
        ap.error(str(exc))
    print(f"{os.path.relpath(args.out)}: nbgrader course directory with {len(assignments)} assignments "
          f"({assignments[0]} ... {assignments[-1]})")
    print(f"next: cd {os.path.relpath(args.out)} && nbgrader generate_assignment {assignments[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
