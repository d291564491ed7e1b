"""Lecture mode: every notebook carries slide metadata a lecturer can present from.

The metadata is written by ``python -m tools.slides notebooks``; these tests check that each
notebook has it (every cell has a ``slideshow`` entry, the title and every ``## `` section start a
slide, the setup cell is hidden, no cell is marked ``"-"``, which jupyterlab-deck would never
show) and that the tool's rules do what its documentation says.
"""

from __future__ import annotations

import copy
import json
import pathlib

import nbformat
import pytest

from tools import slides

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    path for path in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts
)
FIX = "run `python -m tools.slides notebooks` (make slides) to update it"


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _slide_type(cell: dict) -> str:
    return slides.stored_slide_type(cell)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_can_be_presented_as_slides(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    missing = [i for i, cell in enumerate(cells) if "slideshow" not in cell.get("metadata", {})]
    assert not missing, f"{path.name}: cells {missing} have no slide metadata: {FIX}"
    # jupyterlab-deck shows a cell that continues its slide only when it has no slide_type.
    dashes = [
        i
        for i, cell in enumerate(cells)
        if cell.get("metadata", {}).get("slideshow", {}).get("slide_type") == slides.CONTINUE
    ]
    assert not dashes, f"{path.name}: cells {dashes} are marked '-' and never shown: {FIX}"
    unknown = {_slide_type(c) for c in cells} - set(slides.SLIDE_TYPES)
    assert not unknown, f"{path.name}: unknown slide types {unknown}; use {slides.SLIDE_TYPES}"
    assert _slide_type(cells[0]) == "slide", f"{path.name}: the title cell must start a slide"
    for index, cell in enumerate(cells):
        source = _source(cell).lstrip()
        if cell["cell_type"] == "markdown" and source.startswith("## "):
            heading = source.splitlines()[0]
            assert _slide_type(cell) == "slide", f"{path.name}: {heading!r} must start a slide"
        if cell["cell_type"] == "code" and slides.SETUP_IMPORT in _source(cell):
            assert _slide_type(cell) == "skip", f"{path.name}: cell {index} (setup) must be skipped"


def _notebook(*cells) -> dict:
    notebook = nbformat.v4.new_notebook()
    for kind, source in cells:
        maker = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        notebook.cells.append(maker(source))
    return notebook


def _types(notebook) -> list[str]:
    return [slides.stored_slide_type(cell) for cell in notebook.cells]


def test_rules_give_each_kind_of_cell_its_slide_type():
    long_code = "\n".join(f"x{i} = {i}" for i in range(slides.LONG_CELL_LINES + 1))
    notebook = _notebook(
        ("md", "# 01 · Title\n\nWhat the notebook is about."),
        ("md", "## Setup"),
        ("code", "from course_utils.notebook import setup\n\ninfo = setup(seed=42)\nprint(info)"),
        ("code", "import numpy as np\nfrom pathlib import Path\n%matplotlib inline"),
        ("md", "\n## 1. A section"),
        ("md", "### 1.1 A sub-section"),
        ("md", "Some prose with a #hashtag"),
        ("code", "print(1)"),
        ("code", long_code),
        ("md", "#### a minor heading"),
    )
    assert slides.apply_rules(notebook) == len(notebook.cells)
    assert all("slideshow" in cell.metadata for cell in notebook.cells)
    assert _types(notebook) == [
        "slide",
        "slide",
        "skip",
        "skip",
        "slide",
        "subslide",
        "-",
        "-",
        "subslide",
        "-",
    ]


def test_rules_are_idempotent_and_keep_other_metadata():
    notebook = _notebook(("md", "# Title"), ("code", "print(1)"))
    notebook.cells[1].metadata["tags"] = ["keep-me"]
    slides.apply_rules(notebook)
    once = copy.deepcopy(notebook)
    assert slides.apply_rules(notebook) == 0
    assert notebook == once
    assert notebook.cells[1].metadata["tags"] == ["keep-me"]


def test_rules_correct_a_wrong_slide_type():
    notebook = _notebook(("md", "# Title"), ("md", "## Section"))
    notebook.cells[1].metadata["slideshow"] = {"slide_type": "skip"}
    assert slides.apply_rules(notebook) == 2
    assert _types(notebook) == ["slide", "slide"]


def test_a_continuing_cell_carries_no_slide_type():
    """An explicit "-" (RISE's and JupyterLab's property inspector's spelling) is removed."""
    notebook = _notebook(("md", "# Title"), ("code", "print(1)"), ("code", "print(2)"))
    notebook.cells[1].metadata["slideshow"] = {"slide_type": "-", "keep": 1}
    notebook.cells[2].metadata["slideshow"] = {"slide_type": "slide"}
    assert slides.apply_rules(notebook) == 3
    assert notebook.cells[1].metadata["slideshow"] == {"keep": 1}
    assert notebook.cells[2].metadata["slideshow"] == {}
    assert _types(notebook) == ["slide", "-", "-"]


def test_import_only_detection():
    assert slides.is_import_only("import os\nfrom pathlib import Path  # comment\n")
    assert not slides.is_import_only("import os\nprint(os.getcwd())")
    assert not slides.is_import_only("")
    assert not slides.is_import_only("import (")  # not Python: left alone


def test_command_updates_then_reports_up_to_date(tmp_path, capsys):
    path = tmp_path / "deck.ipynb"
    nbformat.write(_notebook(("md", "# Title"), ("code", "print(1)")), path)
    assert slides.main(["--check", str(tmp_path)]) == 1
    assert slides.main([str(tmp_path)]) == 0
    assert slides.main(["--check", str(path)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert _types(nbformat.read(path, as_version=4)) == ["slide", "-"]


def test_bad_inputs_are_rejected(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a notebook"):
        slides.main([str(tmp_path / "missing.ipynb")])
    with pytest.raises(TypeError, match="cells"):
        slides.apply_rules({"no": "cells"})
