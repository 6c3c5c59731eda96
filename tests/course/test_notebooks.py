"""The course notebooks' structure: what every notebook promises, checked without running it.

nbval (run by the same pytest command) executes every notebook and compares its outputs.
"""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell):
    return "".join(cell["source"])


def slide_type(cell):
    return cell["metadata"].get("slideshow", {}).get("slide_type")


def test_the_first_notebooks_exist_and_are_numbered_in_order():
    names = [p.name for p in NOTEBOOKS]
    assert names[:2] == ["00_welcome.ipynb", "01_one_neuron.ipynb"]
    for i, name in enumerate(names):
        assert re.fullmatch(rf"{i:02d}_[a-z0-9_]+\.ipynb", name), name


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def nb(request):
    return request.param, load(request.param)


def test_kernel_is_python3(nb):
    path, data = nb
    assert data["metadata"]["kernelspec"]["name"] == "python3"


def test_title_with_objectives_and_summary_at_the_end(nb):
    path, data = nb
    first = data["cells"][0]
    assert first["cell_type"] == "markdown" and source(first).lstrip().startswith("# ")
    assert "objective" in source(first).lower() or "you will" in source(first).lower()
    assert slide_type(first) == "slide"
    assert any("summary" in source(c).lower() for c in data["cells"][-3:] if c["cell_type"] == "markdown")


def test_every_cell_has_slide_metadata(nb):
    path, data = nb
    for i, cell in enumerate(data["cells"]):
        assert slide_type(cell) in SLIDE_TYPES, f"cell {i} has slide type {slide_type(cell)!r}"


def test_one_idea_per_slide(nb):
    """A slide or sub-slide holds at most four visible cells; longer material is split."""
    path, data = nb
    count, start = 0, 0
    for i, cell in enumerate(data["cells"]):
        kind = slide_type(cell)
        if kind in ("slide", "subslide"):
            count, start = 1, i
        elif kind in ("-", "fragment"):
            count += 1
            assert count <= 4, f"the slide starting at cell {start} runs on to cell {i}"


def test_executed_with_outputs_and_no_errors(nb):
    path, data = nb
    code = [c for c in data["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] is not None for c in code), "execute and save the notebook"
    assert any(c["outputs"] for c in code)
    for c in code:
        for out in c["outputs"]:
            assert out["output_type"] != "error", source(c)[:80]
            text = "".join(out.get("text", "")) + json.dumps(out.get("data", {}))
            assert not re.search(r"(?<![\w.])/(work|root|home|tmp)/", text), "an absolute path in an output"
            assert "Traceback" not in text


def test_exercises_have_solutions_and_checks(nb):
    path, data = nb
    cells = data["cells"]
    solutions = [i for i, c in enumerate(cells) if "### BEGIN SOLUTION" in source(c)]
    if not path.name.startswith("00"):
        assert len(solutions) >= 2, "at least two exercises from notebook 01 on"
    for i in solutions:
        text = source(cells[i])
        assert cells[i]["cell_type"] == "code"
        assert text.count("### BEGIN SOLUTION") == text.count("### END SOLUTION")
        nxt = next(c for c in cells[i + 1:] if c["cell_type"] == "code")
        assert re.search(r"\bcheck_\w+\(", source(nxt)), f"the cell after exercise cell {i} calls no checker"
        assert "✅" in json.dumps(nxt["outputs"], ensure_ascii=False), f"the check after cell {i} does not pass"


def test_setup_is_one_cell_at_the_top_and_nothing_is_redefined(nb):
    path, data = nb
    code = [source(c) for c in data["cells"] if c["cell_type"] == "code"]
    assert "import backprop_lib" in code[0]
    for text in code:
        assert not re.search(r"^def (rel_error|numerical_gradient|check_\w+)\(", text, re.M)
        assert "np.random.seed" not in text and "nnfs.init()" not in text or "nnfs" in path.name


def test_slides_export_with_a_title_slide(nb):
    from nbconvert import SlidesExporter

    path, data = nb
    body, _ = SlidesExporter().from_notebook_node(__import__("nbformat").reads(path.read_text(), as_version=4))
    slides = sum(slide_type(c) == "slide" for c in data["cells"])
    assert slides >= 5
    assert body.count("<section") >= slides
    first = body[body.index("<section"):]
    assert "<h1" in first[:first.index("</section>")]
