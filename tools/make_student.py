"""Make the student version of every course notebook: `make student`.

    python tools/make_student.py [--out student] [NOTEBOOK ...]

In a student version, every solution (the lines from `### BEGIN SOLUTION` to
`### END SOLUTION`, inside an exercise function) becomes a stub that raises
`NotImplementedError` with a short prompt, and the outputs of each exercise cell and of
the check cell after it are cleared. Nothing else changes: later cells never use the
learner's answer (they use the library's reference), so a student version runs top to
bottom before anything is attempted, each check saying "not implemented yet".
The output depends only on the input notebooks, so running it twice changes nothing.
"""

import argparse
import os
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
DEF = re.compile(r"^\s*def\s+(\w+)\s*\(")
NOTE = (
    "> **Student version.** Each exercise below raises `NotImplementedError` until you write it; "
    "run the check cell after it to see whether your answer is right. The rest of the notebook "
    "runs without your answers, using the library's own version."
)


def stub_source(source, where):
    """Replace every solution block in a cell's source by a `raise NotImplementedError(...)` stub."""
    out, inside, func, indent = [], False, None, ""
    for number, line in enumerate(source.splitlines(), 1):
        match = DEF.match(line)
        if match and not inside:
            func = match.group(1)
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"{where}, line {number}: {BEGIN} inside another solution block")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            prompt = f"Exercise: write the body of {func}()" if func else "Exercise: write your answer here"
            out.append(f'{indent}raise NotImplementedError("{prompt}, then run the check below")')
        elif stripped == END:
            if not inside:
                raise ValueError(f"{where}, line {number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {BEGIN} is never closed by {END}")
    return "\n".join(out)


def is_exercise(cell):
    return cell.cell_type == "code" and BEGIN in cell.source


def student_version(nb, name):
    """A student copy of the notebook `nb` (which is left untouched)."""
    student = nbformat.reads(nbformat.writes(nb), as_version=4)  # a deep copy
    cells = student.cells
    clear_next_code = False
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        if is_exercise(cell):
            cell.source = stub_source(cell.source, f"{name}, cell {i}")
            clear_next_code = True
            _clear(cell)
        elif clear_next_code:  # the check cell that follows an exercise
            clear_next_code = False
            _clear(cell)
    note = nbformat.v4.new_markdown_cell(NOTE, metadata={"slideshow": {"slide_type": "-"}})
    note["id"] = "student-version-note"  # fixed, so that generating twice gives the same file
    cells.insert(1, note)
    return student


def _clear(cell):
    cell.outputs = []
    cell.execution_count = None
    cell.metadata.pop("execution", None)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    ap.add_argument("--out", type=Path, default=ROOT / "student", help="output folder (default: student/)")
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    args.out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        student = student_version(nb, path.name)
        text = nbformat.writes(student) + "\n"
        target = args.out / path.name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        n = sum(is_exercise(c) for c in nb.cells)
        print(f"{os.path.relpath(target)}: {n} exercises stubbed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
