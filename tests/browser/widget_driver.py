"""Drive a notebook's widget as a student and a lecturer would, and time its updates.

Used by ``test_jupyterlab.py`` once a notebook has run in JupyterLab (see conftest.py): one
control of the notebook's first widget is moved as a student would move it (a slider key press, a
dropdown choice plus the button where there is one, a text typed and Enter) and the test waits
until the widget's output changes. The widget cell must then show nothing but its widget: each
update replaces the one output area inside it, no stale plot stays underneath.

Then the notebook is presented as a lecturer presents it (jupyterlab-deck's ``deck:start`` on the
widget's cell), the cell is run again on the slide (Ctrl+Enter) and the new widget is moved the
same way.

How long each output took to change is printed and written to
``artifacts/browser/widget_timings.json`` (not asserted: the machine is shared and its speed
varies by up to 3x), with screenshots before and after each change in ``artifacts/browser/``.
"""

from __future__ import annotations

import json
import os
import pathlib
import time
from dataclasses import dataclass

import pytest

from .pages import FIND_PANEL_JS, WIDGET_MIME

CHANGE_TIMEOUT = 120  # seconds for one widget update (06 trains a model on a shared machine)
SETTLE_SECONDS = 1.0  # the output counts as complete once unchanged this long, kernel idle
TIMINGS_FILE = "widget_timings.json"

# Runs in the page: which code cell (index among all cells) first shows a widget view, and the
# model ids of the views it shows.
WIDGET_CELL_JS = (
    """(path) => {"""
    + FIND_PANEL_JS
    + """
  const cells = panel.content.widgets;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell.model.type !== 'code') { continue; }
    const ids = cell.model.outputs.toJSON()
      .filter(o => o.data && o.data['__WIDGET_MIME__'])
      .map(o => o.data['__WIDGET_MIME__'].model_id);
    if (ids.length) { return {index: i, ids}; }
  }
  return null;
}""".replace("__WIDGET_MIME__", WIDGET_MIME)
)

# Runs in the page: what the widget cell shows. `signature` is the text and pictures of the
# widget's output areas and Image widgets and of the cell's other outputs (not the controls,
# whose readouts change at once); `outside` lists what the cell shows outside its widget views.
CELL_VIEW_JS = (
    """([path, index]) => {"""
    + FIND_PANEL_JS
    + """
  const cell = panel.content.widgets[index];
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const outputs = cell.model.outputs.toJSON();
  const children = [...cell.outputArea.node.children]
    .filter(c => c.classList.contains('jp-OutputArea-child'));
  const parts = [];
  const picture = img => img.src.length + ':' + img.src.slice(-64);
  for (const area of cell.outputArea.node.querySelectorAll('.widget-output')) {
    parts.push(area.innerText);
    area.querySelectorAll('img').forEach(img => parts.push(picture(img)));
  }
  // an ipywidgets.Image redrawn in place (notebook 02): each update is a new picture
  cell.outputArea.node.querySelectorAll('img.widget-image')
    .forEach(img => parts.push(picture(img)));
  const outside = [];
  outputs.forEach((output, j) => {
    const data = output.data || {};
    if ('__WIDGET_MIME__' in data) { return; }
    const node = children[j];
    outside.push(output.output_type + ' ' + Object.keys(data).join(',')
                 + (output.text ? ' ' + String(output.text).slice(0, 80) : ''));
    if (node) {
      parts.push(node.innerText);
      node.querySelectorAll('img').forEach(img => parts.push(picture(img)));
    }
  });
  const view = cell.outputArea.node.querySelector('.jupyter-widgets');
  const rect = view ? view.getBoundingClientRect() : null;
  return {
    signature: parts.join('\\n--\\n'),
    outside,
    rendered: !!view && !cell.outputArea.node.innerText.includes('Error displaying widget'),
    errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
    ids: outputs.filter(o => '__WIDGET_MIME__' in (o.data || {}))
      .map(o => o.data['__WIDGET_MIME__'].model_id),
    busy: !kernel || kernel.status !== 'idle',
    running: cell.promptNode ? cell.promptNode.textContent.includes('*') : false,
    rect: rect ? {top: rect.top, bottom: rect.bottom, height: rect.height} : null,
    viewport: window.innerHeight,
  };
}""".replace("__WIDGET_MIME__", WIDGET_MIME)
)

# Runs in the page: the kinds of controls the widget cell offers, in the order they appear.
CONTROLS_JS = (
    """([path, index]) => {"""
    + FIND_PANEL_JS
    + """
  const node = panel.content.widgets[index].outputArea.node;
  return {
    slider: node.querySelectorAll('.widget-slider .noUi-handle').length,
    dropdown: node.querySelectorAll('.widget-dropdown select').length,
    text: node.querySelectorAll('.widget-text input').length,
    toggle: node.querySelectorAll('.widget-toggle-buttons button').length,
    button: [...node.querySelectorAll('button.jupyter-button')]
      .filter(b => !b.closest('.widget-toggle-buttons')).map(b => b.innerText.trim()),
    description: [...node.querySelectorAll('.widget-label')].map(l => ({
      text: l.innerText, cut: l.scrollWidth > l.clientWidth + 1})),
  };
}"""
)


@dataclass
class Change:
    """One widget update: what was done, how long the output took to change and to settle."""

    action: str
    seconds_to_change: float
    seconds_to_settle: float


def widget_cell(page, relative: pathlib.Path) -> dict:
    found = page.evaluate(WIDGET_CELL_JS, relative.as_posix())
    assert found, f"{relative}: no cell shows a widget after running the notebook"
    return found


def cell_view(page, relative: pathlib.Path, index: int) -> dict:
    return page.evaluate(CELL_VIEW_JS, [relative.as_posix(), index])


def wait_rendered(page, relative: pathlib.Path, index: int, timeout: float = 60) -> dict:
    """Wait until the widget cell shows a rendered widget and the kernel is idle."""
    deadline = time.monotonic() + timeout
    view = cell_view(page, relative, index)
    while not view["rendered"] or view["busy"] or view["running"]:
        assert not view["errors"], f"{relative}: the widget cell raised {view['errors']}"
        assert time.monotonic() < deadline, f"{relative}: widget not rendered within {timeout} s"
        page.wait_for_timeout(200)
        view = cell_view(page, relative, index)
    # the output areas fill in after the views render: let them settle
    return wait_settled(page, relative, index, view["signature"], time.monotonic())[0]


def wait_settled(page, relative, index, signature, since) -> tuple[dict, float]:
    """Wait until the kernel is idle and the signature has not changed for SETTLE_SECONDS."""
    deadline = time.monotonic() + CHANGE_TIMEOUT
    last_change = since
    while True:
        page.wait_for_timeout(100)
        view = cell_view(page, relative, index)
        now = time.monotonic()
        if view["signature"] != signature:
            signature, last_change = view["signature"], now
        if not view["busy"] and not view["running"] and now - last_change >= SETTLE_SECONDS:
            return view, last_change - since
        assert now < deadline, f"{relative}: the widget output kept changing for {CHANGE_TIMEOUT} s"


def move_control(page, relative: pathlib.Path, index: int, round_: int) -> tuple[str, float]:
    """Change one control the way a student would; return what was done and when it ended."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    controls = page.evaluate(CONTROLS_JS, [relative.as_posix(), index])
    if controls["slider"]:
        handle = cell.locator(".widget-slider .noUi-handle").first
        handle.focus()
        at_max = handle.evaluate(
            "h => +h.getAttribute('aria-valuenow') >= +h.getAttribute('aria-valuemax')"
        )
        key = "ArrowLeft" if at_max else "ArrowRight"
        handle.press(key)
        action = f"slider: {key}"
    elif controls["dropdown"]:
        select = cell.locator(".widget-dropdown select").first
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.options[s.selectedIndex].text")
        choice = [o for o in options if o != current][round_ % (len(options) - 1)]
        select.select_option(label=choice)
        action = f"dropdown: {current} -> {choice}"
    elif controls["text"]:
        field = cell.locator(".widget-text input").first
        text = ["the staff were rude and the room was dirty", "a superb and friendly stay"][round_]
        field.fill(text)
        field.press("Enter")
        action = f"text: {text!r} + Enter"
    elif controls["toggle"]:
        other = cell.locator(".widget-toggle-buttons button:not(.mod-active)").first
        action = f"toggle buttons: {other.inner_text()}"
        other.click()
    else:
        pytest.fail(f"{relative}: the widget has no slider, dropdown, text or toggle: {controls}")
    if controls["button"]:  # a manual interact: the choice applies when the button is pressed
        page.wait_for_timeout(300)
        cell.locator("button.jupyter-button", has_text=controls["button"][0]).first.click()
        action += f" + button {controls['button'][0]!r}"
    return action, time.monotonic()


def change_and_time(
    page, relative, index, round_, shot_prefix: pathlib.Path, before: dict | None = None
) -> Change:
    """Move a control, wait for the output to change and settle, take screenshots around it.

    ``before``: the cell's view, already settled (``wait_rendered``); else it is waited for.
    """
    if before is None:
        before = wait_settled(
            page, relative, index, cell_view(page, relative, index)["signature"], time.monotonic()
        )[0]
    page.screenshot(path=f"{shot_prefix}_before.png")
    action, start = move_control(page, relative, index, round_)
    deadline = start + CHANGE_TIMEOUT
    view = cell_view(page, relative, index)
    while view["signature"] == before["signature"]:
        assert not view["errors"], f"{relative}: the update raised {view['errors']}"
        assert time.monotonic() < deadline, (
            f"{relative}: output unchanged {CHANGE_TIMEOUT} s after {action}"
        )
        page.wait_for_timeout(50)
        view = cell_view(page, relative, index)
    changed = time.monotonic() - start
    view, later = wait_settled(page, relative, index, view["signature"], time.monotonic())
    settled = changed + later  # when the output last changed (a plot, then its printed line)
    page.screenshot(path=f"{shot_prefix}_after.png")
    assert not view["errors"], f"{relative}: the update raised {view['errors']}"
    assert view["signature"].strip(), f"{relative}: the output is empty after {action}"
    assert not view["outside"], (
        f"{relative}: besides its widget the cell shows {view['outside']}: updates must replace "
        "the one output area inside the widget, not leave a stale one underneath"
    )
    return Change(action, round(changed, 3), round(settled, 3))


def record(artifacts: pathlib.Path, relative: pathlib.Path, entry: dict) -> None:
    path = artifacts / TIMINGS_FILE
    try:
        timings = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        timings = {}
    timings.setdefault("notebooks", {})[relative.as_posix()] = entry
    timings["machine"] = (
        f"{os.cpu_count()} CPUs, shared with other work; load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} when last written"
    )
    timings["note"] = "seconds from the control's change to the output's; not a benchmark"
    path.write_text(json.dumps(timings, indent=2, sort_keys=True) + "\n")


@dataclass
class WidgetRun:
    """What moving one notebook's widget showed, in the notebook view and on its slide."""

    notebook_change: Change
    slide_change: Change
    controls: dict
    on_slide: dict
    still_presenting: str | None


def present_and_move(page, relative: pathlib.Path, artifacts: pathlib.Path) -> WidgetRun:
    """Move the widget of a notebook that has just run, then again on its slide (lecture mode).

    The page must show ``relative`` with every cell run. Lecture mode is always stopped again
    (deck remembers "active" in the user settings), also when something failed.
    """
    stem = "widget_" + relative.with_suffix("").as_posix().replace("/", "__")
    index = widget_cell(page, relative)["index"]
    page.evaluate(
        "([path, index]) => {"
        + FIND_PANEL_JS
        + """
           panel.content.activeCellIndex = index;
           panel.content.mode = 'command';
           panel.content.scrollToItem(index, 'start'); }""",
        [relative.as_posix(), index],
    )
    settled = wait_rendered(page, relative, index)
    # the screenshots show the widget and its output, as a student scrolled to it sees them
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(
        ".jp-OutputArea-output .jupyter-widgets"
    ).first.evaluate("node => node.scrollIntoView({block: 'start'})")
    controls = page.evaluate(CONTROLS_JS, [relative.as_posix(), index])
    notebook_change = change_and_time(
        page, relative, index, 0, artifacts / f"{stem}_notebook", before=settled
    )

    # Lecture mode: present from the widget's cell, run it again there, move the new widget.
    first_ids = cell_view(page, relative, index)["ids"]
    page.evaluate("() => window.jupyterapp.commands.execute('deck:start')")
    try:
        page.wait_for_function(
            "() => document.body.dataset.jpDeckMode === 'presenting'", timeout=30_000
        )
        page.wait_for_function(
            "(index) => { const cells = document.querySelectorAll('.jp-Notebook .jp-Cell');"
            " return cells[index] && cells[index].classList.contains('jp-deck-mod-visible'); }",
            arg=index,
            timeout=30_000,
        )
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell')")
        deadline = time.monotonic() + CHANGE_TIMEOUT
        while cell_view(page, relative, index)["ids"] in ([], first_ids):
            assert time.monotonic() < deadline, f"{relative}: the cell did not re-run on the slide"
            page.wait_for_timeout(200)
        settled = wait_rendered(page, relative, index)
        slide_change = change_and_time(
            page, relative, index, 1, artifacts / f"{stem}_slide", before=settled
        )
        on_slide = cell_view(page, relative, index)
        still_presenting = page.evaluate("() => document.body.dataset.jpDeckMode")
    finally:
        page.evaluate("() => window.jupyterapp.commands.execute('deck:stop')")
        page.wait_for_timeout(500)
    run = WidgetRun(notebook_change, slide_change, controls, on_slide, still_presenting)
    record(
        artifacts,
        relative,
        {
            "notebook view": notebook_change.__dict__,
            "lecture mode (jupyterlab-deck)": slide_change.__dict__,
        },
    )
    print(
        f"\n{relative}: notebook view {notebook_change.action}: output changed after "
        f"{notebook_change.seconds_to_change:.2f} s, complete after "
        f"{notebook_change.seconds_to_settle:.2f} s; lecture mode {slide_change.action}: "
        f"{slide_change.seconds_to_change:.2f} s / {slide_change.seconds_to_settle:.2f} s "
        f"(shared machine, load {os.getloadavg()[0]:.1f})"
    )
    return run


def check_widget_run(relative: pathlib.Path, run: WidgetRun) -> None:
    """The widget's labels fit, and it stayed visible on a slide that stayed presenting."""
    cut = [label["text"] for label in run.controls["description"] if label["cut"]]
    assert not cut, f"{relative}: control labels cut short: {cut}"
    assert run.still_presenting == "presenting", f"{relative}: lecture mode ended by itself"
    rect = run.on_slide["rect"]
    assert rect and rect["height"] > 0, f"{relative}: the widget is not shown on the slide"
    assert rect["top"] < run.on_slide["viewport"], f"{relative}: the widget is below the slide"
