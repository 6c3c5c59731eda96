"""`make slides`: every notebook exports to a reveal.js deck that works with no network.

Each deck is opened from disk in headless Chromium with every http(s) request aborted; it
must start reveal.js, have one slide per slide/sub-slide cell, typeset its math, draw the
stored widget states, carry its speaker notes, and log no console error.
"""

import importlib.util
import json
import re
import shutil

import nbformat
import pytest
from browser_support import ARTIFACTS, NOTEBOOKS, REQUIRED, ROOT, launch, unavailable, watch_console

# the decks are exported once for every test here: conftest.py keeps them on one pytest-xdist worker

spec = importlib.util.spec_from_file_location("export_slides", ROOT / "tools" / "export_slides.py")
export_slides = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export_slides)


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def slide_type(cell):
    return cell["metadata"].get("slideshow", {}).get("slide_type")


def expected(path):
    cs = cells(path)
    markdown = "\n".join("".join(c["source"]) for c in cs if c["cell_type"] == "markdown")
    widget_views = sum(
        "application/vnd.jupyter.widget-view+json" in out.get("data", {})
        for c in cs if c["cell_type"] == "code" for out in c["outputs"]
    )
    plots = sum(
        "image/png" in out.get("data", {})
        for c in cs if c["cell_type"] == "code" and slide_type(c) != "skip" for out in c["outputs"]
    )
    return {
        "plots": plots,
        "slides": sum(slide_type(c) in ("slide", "subslide") for c in cs),
        "notes": sum(slide_type(c) == "notes" for c in cs),
        "math": "$" in markdown,
        "widgets": widget_views,
    }


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    if shutil.which("npm") is None and not export_slides.MODULES.exists():
        reason = "npm is needed to install the slide assets; install it with: sudo apt-get install nodejs npm"
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(f"SLIDE TESTS NOT RUN: {reason}")
    out = tmp_path_factory.mktemp("slides")
    export_slides.install_assets()
    export_slides.copy_assets(out)
    return {deck.name.split(".")[0]: deck for deck in export_slides.export(NOTEBOOKS, out)}


def test_every_notebook_exports_a_deck_that_loads_nothing_from_the_network(decks):
    assert sorted(decks) == [p.stem for p in NOTEBOOKS]
    for name, deck in decks.items():
        html = deck.read_text(encoding="utf-8")
        remote = re.findall(r"""(?:src|href)\s*=\s*["'](https?://[^"']+)""", html)
        remote += re.findall(r"""import\s+\w+\s+from\s+["'](https?://[^"']+)""", html)
        assert not remote, f"{name} loads {remote[:3]}"
        assert "assets/reveal.js/dist/reveal.js" in html and "assets/mathjax/MathJax.js" in html


def test_decks_leave_out_the_graders_hidden_tests(decks):
    for name, deck in decks.items():
        html = deck.read_text(encoding="utf-8")
        assert "HIDDEN TESTS" not in html and "checks.require" not in html, name


def test_hidden_tests_come_out_and_the_rest_stays():
    graded = {"nbgrader": {"grade": True, "solution": False, "locked": True, "points": 1, "grade_id": "check-f",
                           "schema_version": 3, "task": False}}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "ex.check_f(f)\n### BEGIN HIDDEN TESTS\nbl.checks.require(ex.check_f, f)\n### END HIDDEN TESTS",
        metadata=graded)])
    assert export_slides.without_hidden_tests(nb).cells[0].source == "ex.check_f(f)"


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Python's playwright is not installed; run make setup")
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_deck_works_offline(path, decks, browser):
    want = expected(path)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    seen = watch_console(page)

    def block(route):
        seen["network"].append(route.request.url)
        route.abort()

    page.route(re.compile(r"^https?://"), block)
    try:
        page.goto(decks[path.stem].as_uri())
        page.wait_for_selector(".reveal.ready", state="attached", timeout=30_000)
        if want["math"]:
            page.wait_for_function(
                "window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
                " && document.querySelectorAll('.MathJax_CHTML').length > 0", timeout=30_000)
        if want["widgets"]:
            page.wait_for_function(
                f"document.querySelectorAll('.jupyter-widgets.widget-container, .jupyter-widgets.widget-inline-hbox,"
                f" .jupyter-widgets.widget-html, .jupyter-widgets.widget-image').length >= {want['widgets']}",
                timeout=30_000)
        page.wait_for_timeout(300)
        slides = page.evaluate("document.querySelectorAll('.reveal .slides section:not(.stack)').length")
        math_errors = page.evaluate("document.querySelectorAll('.MathJax_Error, .noError, merror').length")
        notes = page.evaluate("document.querySelectorAll('aside.notes').length")
        plots = page.evaluate("[...document.querySelectorAll('.reveal img')]"
                              ".filter(i => i.src.startsWith('data:image/png') && i.naturalWidth > 0).length")
        number = page.inner_text(".slide-number") if page.query_selector(".slide-number") else ""
        widget_errors = page.evaluate("[...document.querySelectorAll('.jupyter-widgets')]"
                                      ".filter(e => /Error displaying widget/.test(e.textContent)).length")
        shots = ARTIFACTS / "slides"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{path.stem}.png"))
    finally:
        page.close()
    assert slides == want["slides"], f"{slides} slides in the deck, {want['slides']} slide cells"
    assert re.fullmatch(rf"1\s*/\s*{want['slides']}", number.strip()), f"slide number shows {number!r}"
    assert math_errors == 0
    assert notes == want["notes"]
    assert plots >= want["plots"], f"{plots} plots drawn, {want['plots']} in the notebook"
    assert widget_errors == 0
    assert not seen["network"], f"the deck reached for the network: {seen['network'][:5]}"
    assert not seen["errors"], f"console errors: {seen['errors'][:5]}"
