"""The course in a real browser: every notebook runs in JupyterLab, its widgets and plots render.

Each notebook is opened in JupyterLab (started as `make course` starts it, see conftest.py),
all its cells are run with a fresh kernel, and the page is checked: no cell raised, every widget
output has a rendered view, every stored plot has a drawn image. nbgrader's Create Assignment
panel reads an assignment. Lecture mode (jupyterlab-deck) is tested with the widgets, in
test_widgets.py. Screenshots land in ``artifacts/browser/`` for a human to look at.
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

import pytest

from . import conftest as browser_fixtures
from .conftest import ROOT

NOTEBOOKS = sorted(
    path.relative_to(ROOT / "notebooks")
    for path in (ROOT / "notebooks").rglob("*.ipynb")
    if ".ipynb_checkpoints" not in path.parts
)
RUN_TIMEOUT = 180  # seconds per notebook
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# Runs in the page: the state of the notebook at `path`, read from JupyterLab's own model.
FIND_PANEL_JS = """
  const panel = [...window.jupyterapp.shell.widgets('main')]
    .find(w => w.context && w.context.path === path && w.content && w.sessionContext);
"""
NOTEBOOK_STATE_JS = (
    """(path) => {"""
    + FIND_PANEL_JS
    + """
  if (!panel || !panel.content || !panel.sessionContext) { return null; }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [];
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') { continue; }
    cells.push({
      empty: cell.model.sharedModel.getSource().trim() === '',
      count: cell.model.executionCount,
      running: cell.promptNode ? cell.promptNode.textContent.includes('*') : false,
      outputs: cell.model.outputs.toJSON().map(o => ({
        type: o.output_type,
        name: o.name || null,
        mimes: Object.keys(o.data || {}),
        text: (o.output_type === 'error')
          ? (o.ename + ': ' + o.evalue)
          : (typeof o.text === 'string' ? o.text : (o.text || []).join('')).slice(0, 2000),
      })),
    });
  }
  return {kernel: kernel ? kernel.status : null, cells};
}"""
)

# Runs in the page: what the browser shows for each output of each code cell.
RENDERED_JS = (
    """(path) => {"""
    + FIND_PANEL_JS
    + """
  const result = {widgets: 0, widgetsRendered: 0, images: 0, imagesDrawn: 0, problems: [],
                  tracebacks: []};
  let index = 0;
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') { continue; }
    index += 1;
    const children = [...cell.outputArea.node.children]
      .filter(c => c.classList.contains('jp-OutputArea-child'));
    cell.model.outputs.toJSON().forEach((output, j) => {
      const data = output.data || {};
      const node = children[j];
      const text = node ? node.textContent : '';
      if ('__WIDGET_MIME__' in data) {
        result.widgets += 1;
        if (node && node.querySelector('.jupyter-widgets')
            && !text.includes('Error displaying widget')) {
          result.widgetsRendered += 1;
        } else {
          result.problems.push(`cell ${index}: widget not rendered: ${text.slice(0, 200)}`);
        }
      }
      if ('image/png' in data) {
        result.images += 1;
        const img = node && node.querySelector('img');
        if (img && img.complete && img.naturalWidth > 0) {
          result.imagesDrawn += 1;
        } else {
          result.problems.push(`cell ${index}: plot not drawn`);
        }
      }
      if (node && node.querySelector('[data-mime-type="application/vnd.jupyter.stderr"]')
          && text.includes('Traceback')) {
        result.tracebacks.push(`cell ${index}: ${text.slice(0, 500)}`);
      }
    });
  }
  return result;
}""".replace("__WIDGET_MIME__", WIDGET_MIME)
)


def stored_expectations(path: pathlib.Path) -> dict[str, int]:
    """How many widget views and PNG plots the committed notebook shows (its stored outputs)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    widgets = images = 0
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            widgets += WIDGET_MIME in data
            images += "image/png" in data
    return {"widgets": widgets, "images": images}


def open_notebook(page, lab, relative: pathlib.Path) -> None:
    """Open one notebook in a reset workspace (no other tabs) and wait for its idle kernel."""
    page.goto(lab.url(f"/lab/tree/{relative.as_posix()}?reset"), wait_until="domcontentloaded")
    page.wait_for_function(
        "(path) => { if (!window.jupyterapp) { return false; }"
        + FIND_PANEL_JS
        + """ if (!panel) { return false; }
              window.jupyterapp.shell.activateById(panel.id);
              const session = panel.sessionContext.session;
              return !!(session && session.kernel && session.kernel.status === 'idle'); }""",
        arg=relative.as_posix(),
        timeout=90_000,
    )


def run_all_cells(page, relative: pathlib.Path) -> dict:
    """Run every cell (the kernel is fresh) and wait until all ran or one raised."""
    page.evaluate(
        "(path) => {"
        + FIND_PANEL_JS
        + """ window.jupyterapp.shell.activateById(panel.id);
              // Clear the stored outputs first: what is checked afterwards comes from this run.
              return window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')
                .then(() => window.jupyterapp.commands.execute('notebook:run-all-cells')); }""",
        relative.as_posix(),
    )
    deadline = time.monotonic() + RUN_TIMEOUT
    state = None
    while time.monotonic() < deadline:
        time.sleep(1.0)
        state = page.evaluate(NOTEBOOK_STATE_JS, relative.as_posix())
        if state is None:
            continue
        failed = any(o["type"] == "error" for cell in state["cells"] for o in cell["outputs"])
        finished = all(
            (c["count"] is not None or c["empty"]) and not c["running"] for c in state["cells"]
        )
        if failed or (finished and state["kernel"] == "idle"):
            return state
    cells = state["cells"] if state else []
    pending = [
        i for i, cell in enumerate(cells, start=1) if cell["count"] is None and not cell["empty"]
    ]
    pytest.fail(
        f"{relative}: not finished after {RUN_TIMEOUT} s: kernel "
        f"{state and state['kernel']}, code cells {pending[:1]}..{pending[-1:]} of "
        f"{len(cells)} not run yet (a slow machine? other load?)"
    )


def show_first(page, selector: str) -> None:
    """Scroll the first element matching ``selector`` into view, for the screenshot."""
    page.evaluate(
        "(s) => { const e = document.querySelector(s); if (e) e.scrollIntoView(); }", selector
    )


@pytest.mark.parametrize("relative", NOTEBOOKS, ids=str)
def test_notebook_runs_and_renders_in_jupyterlab(browser, lab, artifacts, relative):
    expected = stored_expectations(ROOT / "notebooks" / relative)
    page = browser.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    screenshot = artifacts / relative.with_suffix(".png").as_posix().replace("/", "__")
    try:
        open_notebook(page, lab, relative)
        state = run_all_cells(page, relative)
        # Widgets and images render asynchronously (widget models arrive, images decode): wait.
        rendered = page.evaluate(RENDERED_JS, relative.as_posix())
        deadline = time.monotonic() + 30
        while rendered["problems"] and time.monotonic() < deadline:
            page.wait_for_timeout(1000)
            rendered = page.evaluate(RENDERED_JS, relative.as_posix())
        show_first(page, ".jp-OutputArea-output .jupyter-widgets")
        page.wait_for_timeout(500)
    finally:
        try:  # also when something failed: the picture shows what the student would see
            page.screenshot(path=str(screenshot))
        finally:
            page.close()
            lab.shutdown_kernels()

    errors = [
        f"cell {index}: {output['text']}"
        for index, cell in enumerate(state["cells"], start=1)
        for output in cell["outputs"]
        if output["type"] == "error"
        or (output["name"] == "stderr" and "Traceback" in output["text"])
    ]
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
    assert not page_errors, f"{relative}: JavaScript errors in the page: {page_errors}"


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
