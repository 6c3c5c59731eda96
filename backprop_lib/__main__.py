"""`python -m backprop_lib check NOTEBOOK`: run a course notebook headless and report each exercise.

See `backprop_lib.grading` for what the report says.
"""

import sys

COMMANDS = {"check": "run a notebook headless and print one line per exercise: passed, failed and why, "
                     "or not attempted"}


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
        print(f"error: `check` needs Jupyter's nbclient and nbconvert ({exc}); pip install -r requirements.txt",
              file=sys.stderr)
        return 2
    return grading.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
