"""Shared page helpers for the browser tests: open a notebook in JupyterLab, run it, read it.

The JavaScript snippets run in the page and read JupyterLab's own notebook model through
``window.jupyterapp`` (exposed by ``--expose-app-in-browser``, see conftest.py).
"""

from __future__ import annotations

import json
import pathlib
import time

import pytest

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
        # Playwright's own wait, not time.sleep: it keeps handling the page's events (the test's
        # request filter runs in this process) while the kernel works
        page.wait_for_timeout(250)
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
