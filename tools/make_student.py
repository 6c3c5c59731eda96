"""Make the student version of every course notebook: `make student`.

    python tools/make_student.py [--out student] [NOTEBOOK ...]

A student version is what nbgrader's `generate_assignment` releases with the course's
configuration (tools/nbgrader_config.py), byte for byte: this runs nbgrader's own converter
in-process on a temporary course directory assembled as `make grading` does, without a
gradebook, and copies the releases to student/. So in a student version

- every solution (the lines from `### BEGIN SOLUTION` to `### END SOLUTION`) is replaced by
  the course's stub, `# YOUR CODE HERE` and `raise NotImplementedError("write your answer
  here, then run the check below")`, indented like the block;
- the hidden tests (`### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS`) are removed from the
  check cells, which keep their visible check calls;
- every output is cleared, and prose and checks are read-only (nbgrader's locked cells);
- a note at the top (tools/student_header.ipynb) says how to check one's work.

Later cells never use the learner's answer (they use the library's reference), so a student
version runs top to bottom before anything is attempted, each check saying "not implemented
yet". The output depends only on the input notebooks: running it twice changes nothing.
"""

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grading_course  # noqa: E402 - a sibling module in tools/

ROOT = grading_course.ROOT
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def course_config(root):
    """The course's nbgrader configuration, for a course directory at `root`, without a gradebook."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(grading_course.CONFIG.name, path=str(grading_course.TOOLS)).load_config()
    config.CourseDirectory.root = str(root)
    config.SaveCells.enabled = False  # what `nbgrader generate_assignment --no-db` sets
    config.GenerateAssignment.no_database = True
    return config


def release(notebooks, workdir):
    """Run nbgrader's GenerateAssignment on `notebooks`; returns {stem: released notebook path}."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    stems = grading_course.assemble(workdir, notebooks)
    config = course_config(workdir)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = "*"
    log = logging.getLogger("make_student")
    log.addHandler(logging.StreamHandler(sys.stderr))
    log.setLevel(logging.WARNING)  # nbgrader's errors and warnings, not its progress
    GenerateAssignment(coursedir=coursedir, config=config, log=log).start()
    released = {stem: Path(workdir) / "release" / stem / f"{stem}.ipynb" for stem in stems}
    missing = [stem for stem, path in released.items() if not path.exists()]
    if missing:
        raise RuntimeError(f"nbgrader released no student version of {', '.join(missing)} (see its log above)")
    return released


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    ap.add_argument("--out", type=Path, default=ROOT / "student", help="output folder (default: student/)")
    args = ap.parse_args(argv)
    paths = args.notebooks or grading_course.course_notebooks()
    with tempfile.TemporaryDirectory(prefix="make-student-") as workdir:
        try:
            released = release(paths, workdir)
        except FileNotFoundError as exc:
            ap.error(str(exc))
        args.out.mkdir(parents=True, exist_ok=True)
        for path in paths:
            source, target = released[path.stem], args.out / path.name
            if not target.exists() or target.read_bytes() != source.read_bytes():
                shutil.copyfile(source, target)
            n = path.read_text(encoding="utf-8").count(BEGIN)
            print(f"{os.path.relpath(target)}: {n} solution blocks replaced")
    return 0


if __name__ == "__main__":
    sys.exit(main())
