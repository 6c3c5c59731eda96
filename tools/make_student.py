"""Make the student version of every course notebook: `make student` (and `make lab`, first).

    python tools/make_student.py [--out student] [NOTEBOOK ...]
    python tools/make_student.py --clean [--out student]

A student version is what nbgrader's `generate_assignment` releases with the course's
configuration (tools/nbgrader_config.py), byte for byte: this runs nbgrader's own converter
in-process on a temporary course directory assembled as `make grading` does, without a
gradebook, and copies the releases to student/. So in a student version

- every solution (the lines from `### BEGIN SOLUTION` to `### END SOLUTION`) is replaced by
  the course's stub, `# YOUR CODE HERE` and `raise NotImplementedError("write your answer
  here, then run the check below")`, indented like the block;
- the hidden tests (`### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS`) are removed from the
  check cells, which keep their visible check calls;
- the instructor's cells are left out: speaker notes (slide type "notes", where the timing
  advice lives too) and cells tagged `instructor` (backprop_lib.grading.ClearInstructorCells);
- every output is cleared, and prose and checks are read-only (nbgrader's locked cells);
- a note at the top (tools/student_header.ipynb) says how to check one's work.

Later cells never use the learner's answer (they use the library's reference), so a student
version runs top to bottom before anything is attempted, each check saying "not implemented
yet". The output depends only on the input notebooks: running it twice changes nothing.

A learner's work is never overwritten or deleted. student/.generated.json records the SHA-256
of every file this wrote, and of what it was made from. A student notebook whose bytes are no
longer the ones recorded (or that has no record and differs from the new release) is the
learner's: it is left as it is, and the tool says so. One that is still what this wrote is
brought up to date when its notebook, the configuration or nbgrader changed, and otherwise
not touched (nbgrader is not even started). `--clean` (run by `make clean`) deletes only the
student notebooks that are still what this wrote, and lists what it kept.
"""

import argparse
import hashlib
import importlib.metadata
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grading_course  # noqa: E402 - a sibling module in tools/

ROOT = grading_course.ROOT
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
RECORD = ".generated.json"  # in the output folder: what this wrote, file by file
# Everything else a release depends on: the configuration, the note at the top, the code that
# leaves the instructor's cells out, and this file.
MAKERS = (grading_course.CONFIG, grading_course.HEADER, ROOT / "backprop_lib" / "grading.py", Path(__file__).resolve())


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def made_from(notebook):
    """A digest of everything the student version of `notebook` is made from."""
    h = hashlib.sha256()
    for path in (Path(notebook), *MAKERS):
        h.update(path.read_bytes())
    try:
        h.update(importlib.metadata.version("nbgrader").encode())
    except importlib.metadata.PackageNotFoundError:
        pass
    return h.hexdigest()


def read_record(out):
    try:
        record = json.loads((Path(out) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record.get("files", {}) if isinstance(record, dict) else {}


def write_record(out, files):
    path = Path(out) / RECORD
    if not files:
        path.unlink(missing_ok=True)
        return
    text = json.dumps({"about": "written by tools/make_student.py: the SHA-256 of each student notebook it "
                                "wrote; a notebook that no longer matches is the learner's and is never "
                                "overwritten or deleted",
                       "files": dict(sorted(files.items()))}, indent=1) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_bytes(path, text.encode("utf-8"))


def write_bytes(path, data):
    """Write `data` to `path` all at once (a reader never sees half a notebook)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


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
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # the configuration names backprop_lib.grading: this repository's
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


def kept_message(target):
    name = os.path.relpath(target)
    return (f"{name}: kept as it is, your work: it is not the version make student wrote. "
            f"For a fresh copy, rename yours (e.g. to {target.stem}.mine.ipynb) and run make student again.")


def generate(paths, out, quiet=False):
    """Write the student version of each notebook in `paths` to `out`, never over a learner's work."""
    out.mkdir(parents=True, exist_ok=True)
    files = read_record(out)
    todo, kept, up_to_date = [], [], []
    for path in paths:
        target, made = out / path.name, made_from(path)
        entry = files.get(path.name, {})
        if not target.exists():
            todo.append(path)
        elif sha256(target.read_bytes()) != entry.get("sha256"):
            if entry.get("sha256"):
                kept.append(path)  # changed since this wrote it: the learner's
            else:
                todo.append(path)  # no record: the learner's, unless it is byte for byte the new release
        elif entry.get("made_from") != made:
            todo.append(path)  # still what this wrote, from an older notebook: bring it up to date
        else:
            up_to_date.append(path)
    if todo:
        with tempfile.TemporaryDirectory(prefix="make-student-") as workdir:
            released = release(todo, workdir)
            for path in todo:
                target, data = out / path.name, released[path.stem].read_bytes()
                entry = files.get(path.name, {})
                if target.exists():
                    current = target.read_bytes()
                    if current != data and sha256(current) != entry.get("sha256"):
                        kept.append(path)  # recorded as released, so that the next run knows it at once
                        files[path.name] = {"sha256": sha256(data), "made_from": made_from(path)}
                        continue
                    if current == data:
                        up_to_date.append(path)
                    else:
                        write_bytes(target, data)
                else:
                    write_bytes(target, data)
                files[path.name] = {"sha256": sha256(data), "made_from": made_from(path)}
    write_record(out, files)
    for path in paths:
        target = out / path.name
        if path in kept:
            print(kept_message(target))
        elif not quiet:
            n = path.read_text(encoding="utf-8").count(BEGIN)
            state = "up to date" if path in up_to_date else "written"
            print(f"{os.path.relpath(target)}: {state}, {n} solution blocks replaced")
    return kept


def clean(out):
    """Delete the student notebooks in `out` that are still what this wrote; keep and list the rest."""
    out = Path(out)
    if not out.is_dir():
        return []
    files, removed, kept = read_record(out), [], []
    for path in sorted(out.glob("*.ipynb")):
        entry = files.get(path.name, {})
        if sha256(path.read_bytes()) == entry.get("sha256"):
            path.unlink()
            removed.append(path)
            checkpoint = out / ".ipynb_checkpoints" / f"{path.stem}-checkpoint.ipynb"
            if checkpoint.exists() and sha256(checkpoint.read_bytes()) == entry["sha256"]:
                checkpoint.unlink()
        else:
            kept.append(path)
    write_record(out, {})
    for folder in (out / ".ipynb_checkpoints", out):  # only if nothing is left in them
        try:
            folder.rmdir()
        except OSError:
            pass
    others = sorted(p for p in out.rglob("*") if p.is_file() and p not in kept) if out.exists() else []
    for path in kept:
        print(f"kept {os.path.relpath(path)}: your work (it is not the version make student wrote)")
    for path in others:
        print(f"kept {os.path.relpath(path)}: not written by make student")
    print(f"removed {len(removed)} student notebook{'s' if len(removed) != 1 else ''} that make student wrote"
          + (f"; {os.path.relpath(out)}/ stays, with your files" if out.exists() else ""))
    return kept


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    ap.add_argument("--out", type=Path, default=ROOT / "student", help="output folder (default: student/)")
    ap.add_argument("--clean", action="store_true",
                    help="delete the student notebooks that are still what this wrote, and nothing else")
    ap.add_argument("--quiet", action="store_true", help="print only what was kept (make lab)")
    args = ap.parse_args(argv)
    if args.clean:
        clean(args.out)
        return 0
    paths = args.notebooks or grading_course.course_notebooks()
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            ap.error(f"expected a course notebook NN_name.ipynb, got {path}")
    generate(paths, args.out, quiet=args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
