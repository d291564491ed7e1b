"""Make the student release: the notebooks with every output cleared, ready to hand out.

    python -m tools.student_release                      # notebooks/ -> build/student/
    python -m tools.student_release notebooks --out /tmp/release

Students then run each notebook themselves and see every result appear for the first time. The
committed notebooks (with their stored outputs, read on the web) are left untouched: the copies
are written to ``--out``, keeping the folder layout. Cleared: outputs, execution counts, the
saved widget state and per-cell execution timings. Kept: sources, markdown, slide metadata and
the ``NBVAL_CHECK_OUTPUT`` markers (harmless for students).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import nbformat

__all__ = ["clear_outputs", "main", "release"]

ROOT = pathlib.Path(__file__).resolve().parents[1]


def clear_outputs(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs, execution counts, widget state and timings from ``notebook`` (in place)."""
    if not isinstance(notebook, dict) or "cells" not in notebook:
        raise TypeError("clear_outputs expects a notebook read with nbformat")
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def release(source: pathlib.Path, out: pathlib.Path) -> list[pathlib.Path]:
    """Write output-free copies of every notebook below ``source`` to ``out``; return them."""
    source, out = pathlib.Path(source), pathlib.Path(out)
    if not source.is_dir():
        raise FileNotFoundError(f"{source}: not a folder of notebooks")
    if out.resolve() == source.resolve() or source.resolve() in out.resolve().parents:
        raise ValueError(f"--out {out} is inside {source}: choose a folder outside it")
    written = []
    for path in sorted(source.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        target = out / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(clear_outputs(nbformat.read(path, as_version=4)), target)
        written.append(target)
    if not written:
        raise FileNotFoundError(f"{source}: no notebooks found")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", default=str(ROOT / "notebooks"))
    parser.add_argument("--out", default=str(ROOT / "build" / "student"))
    args = parser.parse_args(argv)
    for path in release(pathlib.Path(args.source), pathlib.Path(args.out)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
