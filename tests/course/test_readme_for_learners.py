"""The README leads a learner in: start, the course, checking one's work, in that order, and
every notebook link of the course table opens the learner's copy in student/."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_the_learner_sections_come_first():
    headings = re.findall(r"^## (.+)$", README, flags=re.M)
    assert headings[:3] == ["Start", "The course", "Checking your work"], headings


def test_the_course_table_links_every_notebook_in_student():
    table = README.split("## The course", 1)[1].split("\n## ", 1)[0]
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", table)
    assert links == [f"student/{p.name}" for p in NOTEBOOKS]
    assert "make lab" in table and "notebooks/" in table  # where student/ comes from; where the solutions are


def test_the_check_command_is_given_with_the_courses_python():
    section = README.split("## Checking your work", 1)[1].split("\n## ", 1)[0]
    assert "make check NB=" in section and ".venv/bin/python -m backprop_lib check" in section
    assert not re.search(r"(?<![/\w])python3? -m backprop_lib check", section), "a bare python would lack the packages"


def test_maintainers_detail_lives_elsewhere():
    assert "<!-- bench:start -->" not in README and "| benchmark | ratio |" not in README
    for doc in ("CONTRIBUTING.md", "INSTRUCTORS.md", "docs/library.md", "benchmarks/README.md"):
        assert f"]({doc})" in README and (ROOT / doc).exists(), doc
    assert "make lab-solutions" in README and "lab-solutions:" in (ROOT / "Makefile").read_text()
