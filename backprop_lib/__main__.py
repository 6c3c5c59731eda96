"""`python -m backprop_lib check NOTEBOOK`: run a course notebook headless and report each exercise.

See `backprop_lib.grading` for what the report says.
"""

import sys

COMMANDS = {"check": "run a notebook headless and print one line per exercise: passed, failed and why, "
                     "or not attempted"}


def _nb(argv):
    """The notebook argument of a `check` command line, for the message above (03 if none)."""
    args, rest = [], iter(argv[1:])
    for a in rest:
        if a == "--timeout":
            next(rest, None)
        elif not a.startswith("-"):
            args.append(a)
    return args[0] if args else "03"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m backprop_lib check NOTEBOOK [--timeout SECONDS]\n")
        for name, what in COMMANDS.items():
            print(f"  {name}  {what}")
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        print(f"error: unknown command {argv[0]!r}: expected one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    try:
        from . import grading  # needs nbclient and nbconvert, which the course's requirements install
    except ImportError as exc:
        # Most often a Python other than the course's (the system's python3): installing into it
        # would not help; the course's environment, .venv, has everything.
        print(f"error: `check` needs Jupyter's nbclient and nbconvert, which this Python ({sys.executable}) "
              f"does not have ({exc}).\nRun it with the course's Python, from the course folder: "
              f"`make check NB={_nb(argv)}`, or `.venv/bin/python -m backprop_lib check {_nb(argv)}` "
              "(Windows: `.venv\\Scripts\\python`). `make setup` creates .venv if it is missing.",
              file=sys.stderr)
        return 2
    return grading.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
