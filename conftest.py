"""Settings for every test run from the project's root, notebooks included.

A MPLBACKEND in the environment (Agg is common on servers and CI runners) would be inherited
by the notebook kernels that nbval starts, and would replace their inline backend: every
figure would vanish from the outputs. The notebooks choose their own backend, so it goes.

The suite runs on two pytest-xdist workers (`-n 2 --dist loadscope`, pyproject.toml), with the
scheduler below: the tests of one file in ONE_WORKER, and the cells of one notebook (nbval runs
them in one kernel), run on one worker, one after another; every other test goes to whichever
worker is free. The longest tests are handed out first, so that the last minutes are not one
worker finishing a long test while the other waits.
"""

import os
import re

import pytest

os.environ.pop("MPLBACKEND", None)

# Modules whose tests share something costly that a module fixture builds once: the Binder
# environment, the graded class, the exported decks.
ONE_WORKER = ("tests/course/test_binder.py", "tests/course/test_grading.py", "tests/course/test_slides.py")

# Handed out first, longest first: each of these runs for a minute or more (a full nbval run
# of every notebook, a virtual environment, nbgrader's cycle, every notebook in JupyterLab).
LONG_FIRST = [
    "tests/course/test_binder.py",
    "tests/course/test_portable.py",
    "tests/course/test_grading.py",
    "tests/course/test_lab_browser.py",
    "tests/course/test_student.py",
    "tests/course/test_slides.py",
    "tests/course/test_check_command.py",
    "notebooks/",
]


def scope(nodeid):
    """The unit of work that a test is handed out in: its file, or the test alone."""
    path = nodeid.split("::")[0]
    return path if path.endswith(".ipynb") or path in ONE_WORKER else nodeid


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: without xdist, nothing to schedule
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class CourseScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return scope(nodeid)

    return CourseScheduling(config, log)


def rank(item):
    path = item.nodeid.split("::")[0]
    return next((i for i, prefix in enumerate(LONG_FIRST) if path.startswith(prefix)), len(LONG_FIRST))


def pytest_collection_modifyitems(config, items):
    items.sort(key=rank)  # a stable sort: within a rank, the collection order stays


ADDRESS = re.compile(r" at 0x[0-9a-fA-F]*")


def stable(make_id):
    """An `ids=` callable whose ids carry no memory address (a repr such as `<function f at
    0x7f...>`): each pytest-xdist worker collects the tests itself, and they must agree on
    every test's name."""

    def make(value):
        got = make_id(value)
        return ADDRESS.sub("", got) if isinstance(got, str) else got

    make.stable = True
    return make


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc):
    for mark in metafunc.definition.iter_markers("parametrize"):
        ids = mark.kwargs.get("ids")
        if callable(ids) and not getattr(ids, "stable", False):
            mark.kwargs["ids"] = stable(ids)
