"""The repository keeps its promises to a new user: two commands, Binder, CI."""

import re
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_gives_the_two_commands_and_the_manual_equivalent():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "python -m venv .venv" in readme and "pip install -r requirements.txt" in readme
    makefile = (ROOT / "Makefile").read_text()
    for target in ("setup:", "lab: setup", "test: setup"):
        assert target in makefile


def test_second_binder_badge_opens_an_existing_notebook():
    readme = (ROOT / "README.md").read_text()
    urls = re.findall(r"https://mybinder\.org/v2/gh/[^)\s]+", readme)
    assert len(urls) == 2
    labpath = urllib.parse.parse_qs(urllib.parse.urlparse(urls[1]).query)["labpath"][0]
    assert labpath == "notebooks/00_welcome.ipynb" and (ROOT / labpath).exists()


def test_first_binder_badge_opens_the_student_version_that_postbuild_makes():
    readme = (ROOT / "README.md").read_text()
    urls = re.findall(r"https://mybinder\.org/v2/gh/[^)\s]+", readme)
    labpath = urllib.parse.parse_qs(urllib.parse.urlparse(urls[0]).query)["labpath"][0]
    assert labpath == "student/00_welcome.ipynb"
    assert "tools/make_student.py" in (ROOT / "binder" / "postBuild").read_text()
    assert (ROOT / "binder" / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"


def test_binder_configuration():
    # `-r` is read relative to the file, `-e` relative to the working directory, which is the
    # repository's root both for repo2docker and for `pip install -r binder/requirements.txt`.
    lines = (ROOT / "binder" / "requirements.txt").read_text().split()
    assert lines == ["-r", "../requirements.txt", "-e", "."]
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    assert not (ROOT / "binder" / "environment.yml").exists()  # it would override both files


def test_requirements_are_pinned():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][0-9A-Za-z.]*", line), line


def test_ci_runs_the_readme_test_command():
    run = (ROOT / ".ci" / "run").read_text()
    commands = [ln.strip() for ln in run.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert commands[-1] == "make test"
