"""Give every notebook cell slide metadata, by simple rules, so a lecturer can present it.

    python -m tools.slides notebooks                 # update every notebook below notebooks/
    python -m tools.slides notebooks/01_checkpoints.ipynb
    python -m tools.slides --check notebooks         # exit 1 if a notebook is not up to date

The lecture-mode presenter, ``jupyterlab-deck`` (README, "Presenting a notebook"), reads
``cell.metadata.slideshow.slide_type``, as nbconvert and ``jupyterlab-rise`` do. The rules:

- the first cell (the title) starts the deck: ``slide``;
- a markdown cell whose first line is a ``#`` or ``##`` heading starts a new ``slide``;
- a markdown cell whose first line is a ``###`` heading is a ``subslide`` (reached downwards);
- the setup cell (``from course_utils.notebook import setup``) and cells that only import are
  ``skip``: the audience does not need them;
- a code cell longer than ``LONG_CELL_LINES`` lines gets its own ``subslide``;
- everything else continues the current slide (``-``): its ``slideshow`` carries no
  ``slide_type``, which nbformat, nbconvert and RISE read as ``-``. jupyterlab-deck 0.2.0 knows
  only the missing value: a cell marked ``"-"`` explicitly is never shown on its slides.

Only cell metadata changes; sources and outputs are left as they are. Running the command twice
changes nothing the second time. Stored outputs survive ``tools/run_notebooks.py`` as well.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys

import nbformat

from tools.run_notebooks import notebook_paths

__all__ = [
    "LONG_CELL_LINES",
    "CONTINUE",
    "SETUP_IMPORT",
    "SLIDE_TYPES",
    "apply_rules",
    "is_import_only",
    "main",
    "slide_type",
    "stored_slide_type",
]

SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
CONTINUE = "-"  # continue the current slide: written as no ``slide_type`` at all
SETUP_IMPORT = "from course_utils.notebook import setup"
LONG_CELL_LINES = 25

_SLIDE_HEADING = re.compile(r"^#{1,2}\s")
_SUBSLIDE_HEADING = re.compile(r"^###\s")


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()
    return ""


def is_import_only(source: str) -> bool:
    """True when a code cell holds nothing but imports (IPython ``%``/``!`` lines ignored)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return False
    return bool(tree.body) and all(
        isinstance(node, ast.Import | ast.ImportFrom) for node in tree.body
    )


def slide_type(cell: dict, index: int) -> str:
    """The slide type the rules give to ``cell``, the ``index``-th cell of its notebook."""
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(source)
    if index == 0:
        return "slide"
    if cell.get("cell_type") == "markdown":
        first = _first_line(source)
        if _SLIDE_HEADING.match(first):
            return "slide"
        if _SUBSLIDE_HEADING.match(first):
            return "subslide"
        return "-"
    if cell.get("cell_type") == "code":
        if SETUP_IMPORT in source or is_import_only(source):
            return "skip"
        if len(source.splitlines()) > LONG_CELL_LINES:
            return "subslide"
    return "-"


def stored_slide_type(cell: dict) -> str:
    """The slide type ``cell`` carries: its ``slideshow.slide_type``, ``-`` when it has none."""
    slideshow = cell.get("metadata", {}).get("slideshow")
    if not isinstance(slideshow, dict):
        return CONTINUE
    return slideshow.get("slide_type", CONTINUE)


def apply_rules(notebook: dict) -> int:
    """Write every cell's slide type into ``metadata.slideshow``; return how many cells changed.

    Every cell gets a ``slideshow`` entry; a cell that continues its slide gets no
    ``slide_type`` in it (see the module's docstring), an explicit ``"-"`` is removed.
    """
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise TypeError("apply_rules expects a notebook (a dict with a 'cells' list)")
    changed = 0
    for index, cell in enumerate(notebook["cells"]):
        wanted = slide_type(cell, index)
        metadata = cell.setdefault("metadata", {})
        slideshow = metadata.get("slideshow")
        if not isinstance(slideshow, dict):
            slideshow = {}
        if wanted == CONTINUE:
            updated = {key: value for key, value in slideshow.items() if key != "slide_type"}
        else:
            updated = {**slideshow, "slide_type": wanted}
        if metadata.get("slideshow") != updated:
            metadata["slideshow"] = updated
            changed += 1
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="+", help="notebooks or folders of notebooks")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a notebook needs updating"
    )
    args = parser.parse_args(argv)
    outdated = 0
    for path in notebook_paths(args.targets):
        notebook = nbformat.read(path, as_version=4)
        changed = apply_rules(notebook)
        counts: dict[str, int] = {}
        for cell in notebook.cells:
            kind = stored_slide_type(cell)
            counts[kind] = counts.get(kind, 0) + 1
        summary = ", ".join(f"{counts[k]} {k}" for k in SLIDE_TYPES if k in counts)
        if changed and args.check:
            outdated += 1
            print(f"{path}: {changed} cells need slide metadata (run tools/slides.py)")
        elif changed:
            nbformat.write(notebook, path)
            print(f"{path}: updated {changed} cells ({summary})")
        else:
            print(f"{path}: up to date ({summary})")
    return 1 if outdated else 0


if __name__ == "__main__":
    sys.exit(main())
