"""Give every notebook cell RISE slide metadata, by simple rules, so a lecturer can present it.

    python -m tools.slides notebooks                 # update every notebook below notebooks/
    python -m tools.slides notebooks/01_checkpoints.ipynb
    python -m tools.slides --check notebooks         # exit 1 if a notebook is not up to date

The rules (JupyterLab's RISE extension, ``jupyterlab-rise``, reads
``cell.metadata.slideshow.slide_type``):

- the first cell (the title) starts the deck: ``slide``;
- a markdown cell whose first line is a ``#`` or ``##`` heading starts a new ``slide``;
- a markdown cell whose first line is a ``###`` heading is a ``subslide`` (reached downwards);
- the setup cell (``from course_utils.notebook import setup``) and cells that only import are
  ``skip``: the audience does not need them;
- a code cell longer than ``LONG_CELL_LINES`` lines gets its own ``subslide``;
- everything else continues the current slide (``-``).

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
    "SETUP_IMPORT",
    "SLIDE_TYPES",
    "apply_rules",
    "is_import_only",
    "main",
    "slide_type",
]

SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
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


def apply_rules(notebook: dict) -> int:
    """Set ``metadata.slideshow.slide_type`` on every cell; return how many cells changed."""
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise TypeError("apply_rules expects a notebook (a dict with a 'cells' list)")
    changed = 0
    for index, cell in enumerate(notebook["cells"]):
        wanted = slide_type(cell, index)
        metadata = cell.setdefault("metadata", {})
        slideshow = metadata.get("slideshow")
        if not isinstance(slideshow, dict) or slideshow.get("slide_type") != wanted:
            metadata["slideshow"] = {**(slideshow or {}), "slide_type": wanted}
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
            kind = cell.metadata["slideshow"]["slide_type"]
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
