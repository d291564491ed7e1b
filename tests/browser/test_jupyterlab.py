"""The course in a real browser: each notebook runs in JupyterLab, renders, its widget responds.

Each notebook is opened in JupyterLab (started as `make course` starts it, see conftest.py),
all its cells are run with a fresh kernel, and the page is checked: no cell raised, every widget
output has a rendered view, every stored plot has a drawn image. In the same page, with the same
kernel, a notebook with a widget then has it moved in the notebook view and again on its slide in
lecture mode (jupyterlab-deck; see widget_driver.py): one run of each notebook serves both checks.
Every request the page makes is intercepted: none may leave the JupyterLab server (no web fonts,
no CDN). nbgrader's Create Assignment panel reads an assignment. Screenshots land in
``artifacts/browser/`` for a human to look at.
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

import pytest

from . import conftest as browser_fixtures
from .conftest import ROOT
from .pages import (
    NOTEBOOKS,
    RENDERED_JS,
    open_notebook,
    run_all_cells,
    show_first,
    stored_expectations,
)
from .widget_driver import check_widget_run, present_and_move


def errors_in(state: dict) -> list[str]:
    """Every error output, and every traceback written to stderr, of a notebook's run."""
    return [
        f"cell {index}: {output['text']}"
        for index, cell in enumerate(state["cells"], start=1)
        for output in cell["outputs"]
        if output["type"] == "error"
        or (output["name"] == "stderr" and "Traceback" in output["text"])
    ]


@pytest.mark.parametrize("relative", NOTEBOOKS, ids=str)
def test_notebook_runs_renders_and_its_widget_responds(browser, lab, artifacts, relative):
    expected = stored_expectations(ROOT / "notebooks" / relative)
    page = browser.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    elsewhere: list[str] = []

    def only_this_server(route):
        url = route.request.url
        if url.startswith(lab.base_url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.route("**/*", only_this_server)
    screenshot = artifacts / relative.with_suffix(".png").as_posix().replace("/", "__")
    shot = False
    widget_run = None
    try:
        open_notebook(page, lab, relative)
        state = run_all_cells(page, relative)
        # Widgets and images render asynchronously (widget models arrive, images decode): wait.
        rendered = page.evaluate(RENDERED_JS, relative.as_posix())
        deadline = time.monotonic() + 30
        while rendered["problems"] and time.monotonic() < deadline:
            page.wait_for_timeout(250)
            rendered = page.evaluate(RENDERED_JS, relative.as_posix())
        show_first(page, ".jp-OutputArea-output .jupyter-widgets")
        page.wait_for_timeout(500)
        page.screenshot(path=str(screenshot))
        shot = True
        if expected["widgets"] and not errors_in(state) and not rendered["problems"]:
            widget_run = present_and_move(page, relative, artifacts)
    finally:
        try:  # also when something failed: the picture shows what the student would see
            if not shot:
                page.screenshot(path=str(screenshot))
        finally:
            page.close()
            lab.shutdown_kernels()

    errors = errors_in(state)
    assert not errors, f"{relative}: errors in JupyterLab:\n" + "\n".join(errors)
    assert not rendered["tracebacks"], f"{relative}: tracebacks shown: {rendered['tracebacks']}"
    counts = [cell["count"] for cell in state["cells"] if not cell["empty"]]
    assert None not in counts, f"{relative}: cells not run: {counts}"
    assert not rendered["problems"], f"{relative}: " + "; ".join(rendered["problems"])
    assert rendered["widgets"] >= expected["widgets"], (
        f"{relative}: {rendered['widgets']} widgets, the stored notebook has {expected['widgets']}"
    )
    assert rendered["images"] >= expected["images"], (
        f"{relative}: {rendered['images']} plots, the stored notebook has {expected['images']}"
    )
    if expected["widgets"]:
        assert widget_run is not None
        check_widget_run(relative, widget_run)
    assert not elsewhere, f"{relative}: requests to other hosts: {elsewhere}"
    assert not page_errors, f"{relative}: JavaScript errors in the page: {page_errors}"
    broken = [m for m in console if "jupyter-widgets" in m or "comm" in m.lower()]
    assert not broken, f"{relative}: widget errors in the browser console: {broken}"


CREATE_ASSIGNMENT_NOTEBOOK = pathlib.Path("assignments/assignment4/multiview_predictor.ipynb")

# Runs in the page: what nbgrader's "Create Assignment" panel shows for the notebook's cells.
CREATE_ASSIGNMENT_JS = """() => {
  const panel = document.querySelector('.nbgrader-CreateAssignmentWidget');
  const cells = [...document.querySelectorAll('.nbgrader-CellWidget')];
  const types = cells.map(c => { const s = c.querySelector('.nbgrader-CellType select');
                                  return s ? s.value : null; });
  const total = document.querySelector('.nbgrader-TotalPointsInput');
  return {panel: !!panel, cells: cells.length, types, total: total ? total.value : null};
}"""


def test_nbgrader_create_assignment_panel_reads_an_assignment(browser, lab, artifacts):
    """The instructor's tool loads: nbgrader's lab extension shows the assignment's cell types."""
    source = json.loads(
        (ROOT / "notebooks" / CREATE_ASSIGNMENT_NOTEBOOK).read_text(encoding="utf-8")
    )
    graded = [c["metadata"]["nbgrader"] for c in source["cells"] if "nbgrader" in c["metadata"]]
    points = sum(meta.get("points", 0) for meta in graded if meta.get("grade"))
    page = browser.new_page()
    try:
        open_notebook(page, lab, CREATE_ASSIGNMENT_NOTEBOOK)
        commands = page.evaluate("() => window.jupyterapp.commands.listCommands()")
        assert "nbgrader:open-create-assignment" in commands, "nbgrader's lab extension is missing"
        page.evaluate("() => window.jupyterapp.commands.execute('nbgrader:open-create-assignment')")
        page.wait_for_selector(".nbgrader-CellWidget", timeout=30_000)
        page.wait_for_timeout(1000)
        shown = page.evaluate(CREATE_ASSIGNMENT_JS)
        page.screenshot(path=str(artifacts / "nbgrader_create_assignment.png"))
    finally:
        page.close()
        lab.shutdown_kernels()
    assert shown["panel"], "the Create Assignment panel did not open"
    assert shown["cells"] == len(source["cells"]), f"{shown['cells']} cell widgets shown"
    kinds = {kind for kind in shown["types"] if kind}
    assert {"solution", "tests"} <= kinds, f"cell types shown: {sorted(kinds)}"
    assert shown["total"] is not None and float(shown["total"]) == points, (
        f"total points shown {shown['total']}, the notebook's checks give {points}"
    )


# Without Chromium or Playwright the browser test skips on a laptop but fails under CI.
def test_missing_chromium_skips_with_instructions(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(browser_fixtures, "chromium_executable", lambda: None)
    with pytest.raises(pytest.skip.Exception, match="sudo apt-get install chromium"):
        browser_fixtures.chromium_path.__wrapped__()


def test_missing_chromium_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(browser_fixtures, "chromium_executable", lambda: None)
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser test"):
        browser_fixtures.chromium_path.__wrapped__()


def test_missing_playwright_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    with pytest.raises(pytest.skip.Exception, match="Playwright"):
        browser_fixtures.chromium_path.__wrapped__()
