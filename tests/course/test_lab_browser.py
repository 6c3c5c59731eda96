"""Every notebook as a learner sees it: opened in real JupyterLab, in headless Chromium.

For each notebook: restart the kernel, run all cells, and require that the run finishes,
no cell raised or printed a traceback, every widget view rendered (no "Error displaying
widget"), and the page logged no console error. Every widget with a slider must redraw when
its slider moves: the smoke test, the neuron explorer, the depth explorer, the softmax
widget (04), the trainer (06), the backward stepper and the snapshot slider. A screenshot of
each notebook and the timings are written to _build/test-artifacts/lab/. Each pytest-xdist
worker starts its own server and browser and takes some of the notebooks.
"""

import fcntl
import json
import shutil
import time

import pytest
from browser_support import ARTIFACTS, NOTEBOOKS, Lab, launch, unavailable, watch_console

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
CONTROLS = {
    "sliders": ".widget-slider",
    "dropdowns": ".widget-dropdown",
    "buttons": ".widget-button",
    "toggle buttons": ".widget-toggle-buttons",
    "progress bars": ".widget-hprogress, .widget-vprogress",
    "images": ".widget-image",
    "html views": ".widget-html",
}
# Messages Lab logs on a machine with no network or a fresh profile; none is about the course.
# (the debugger one comes from restarting the kernel while Lab probes it for a debugger).
BENIGN = ("Failed to fetch the announcements", "Could not restore the debugger state")
VIEW = ".jp-OutputArea-output:has(> .jupyter-widgets)"  # an output area holding a rendered widget


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Python's playwright is not installed; run make setup")
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copytree(NOTEBOOKS[0].parent, root / "notebooks")  # learners' runs never touch the repository
    server = Lab(root, tmp_path_factory.mktemp("lab-state"))
    try:
        with sync_playwright() as p:
            browser = launch(p)
            yield server, browser
            browser.close()
    finally:
        server.stop()
        if RESULTS:
            save_timings(RESULTS)


RESULTS = {}


def save_timings(results):
    """Add this worker's notebooks to timings.json: each pytest-xdist worker runs its own
    server and browser on some of the notebooks, and both write here at the end."""
    timings = ARTIFACTS / "lab" / "timings.json"
    timings.parent.mkdir(parents=True, exist_ok=True)
    with open(timings.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            known = json.loads(timings.read_text())
        except (OSError, ValueError):
            known = {}
        known.update(results)
        timings.write_text(json.dumps(dict(sorted(known.items())), indent=2))

RUN_ALL = """async () => {
    const panel = window.jupyterapp.shell.currentWidget;
    await panel.sessionContext.ready;
    const kernel = () => panel.sessionContext.session.kernel;
    // let Lab finish talking to the new kernel (subshells, debugger) before restarting it
    while (kernel().status !== 'idle') await new Promise(r => setTimeout(r, 100));
    await new Promise(r => setTimeout(r, 1000));
    await panel.sessionContext.restartKernel();
    await panel.sessionContext.ready;
    return await window.jupyterapp.commands.execute('notebook:run-all-cells');
}"""

OUTPUTS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.model.cells;
    const result = [];
    for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        result.push({index: i, count: cell.executionCount, outputs: cell.outputs.toJSON()});
    }
    return result;
}"""


def open_notebook(page, server, name):
    page.goto(f"{server.url}/lab/tree/notebooks/{name}?reset")  # a fresh layout: only this notebook open
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel", timeout=60_000)


def widget_views(page):
    return page.locator(VIEW)


def view_state(output):
    """What a widget shows: its images' sources and its HTML text."""
    return output.evaluate("e => [...e.querySelectorAll('img')].map(i => i.src).join('|') + e.innerText")


def move_a_slider(page, output, key, presses):
    handle = output.locator(".noUi-handle").first
    handle.focus()
    for _ in range(presses):
        page.keyboard.press(key)
    button = output.locator(".widget-button", has_text="Train")
    if button.count() and not output.locator(".widget-checkbox input").first.is_checked():
        button.first.click()


def responds(page, output):
    """Move the first slider of a widget (left, or right if it sits at its minimum) and wait
    for its view to change."""
    output.scroll_into_view_if_needed()
    before = view_state(output)
    for key, presses, wait in (("ArrowLeft", 2, 20), ("ArrowRight", 4, 60)):
        move_a_slider(page, output, key, presses)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if view_state(output) != before:
                return True
            page.wait_for_timeout(200)
    return False


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_jupyterlab(path, lab):
    server, browser = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    seen = watch_console(page)
    record = RESULTS.setdefault(path.stem, {})
    try:
        start = time.monotonic()
        open_notebook(page, server, path.name)
        ok = page.evaluate(RUN_ALL)
        page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
            timeout=180_000)
        record["run all (s)"] = round(time.monotonic() - start, 1)
        cells = page.evaluate(OUTPUTS)
        expected_views = sum(WIDGET_MIME in o.get("data", {}) for c in cells for o in c["outputs"])
        if expected_views:
            page.wait_for_function(f"() => document.querySelectorAll('{VIEW}').length >= {expected_views}",
                                   timeout=60_000)
        page.wait_for_timeout(1000)  # let the views draw their images
        views = widget_views(page)
        record["widget views"] = views.count()
        record.update({k: page.locator(", ".join(f".jp-OutputArea-output {one.strip()}" for one in sel.split(","))).count()
                       for k, sel in CONTROLS.items()})
        broken = page.locator(".jp-OutputArea-output", has_text="Error displaying widget").count()

        sliding = [views.nth(i) for i in range(views.count()) if views.nth(i).locator(".noUi-handle").count()]
        responded = [responds(page, v) for v in sliding]
        record["widgets that redrew when a slider moved"] = f"{sum(responded)} of {len(responded)}"
        if record["widget views"]:
            views.nth(record["widget views"] - 1).scroll_into_view_if_needed()
        shots = ARTIFACTS / "lab"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{path.stem}.png"))
        record["total (s)"] = round(time.monotonic() - start, 1)
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    finally:
        page.close()

    assert ok is not False, "run all cells reported a failure"
    for c in cells:
        assert c["count"] is not None, f"cell {c['index']} never ran"
        for out in c["outputs"]:
            assert out["output_type"] != "error", f"cell {c['index']}: {out.get('ename')}: {out.get('evalue')}"
            if out.get("name") == "stderr":
                assert "Traceback" not in "".join(out["text"]), f"cell {c['index']} printed a traceback"
    assert record["widget views"] >= expected_views, "not every widget view rendered"
    assert broken == 0, "a widget failed to display"
    assert all(responded), f"a widget did not redraw when its slider moved ({record['widgets that redrew when a slider moved']})"
    errors = [e for e in seen["errors"] if not e.startswith(BENIGN)]
    assert not errors, f"console errors: {errors[:5]}"
