"""Re-execute notebooks in place, top to bottom, in the current environment; print wall times.

    python -m tools.run_notebooks notebooks             # every notebook below notebooks/
    python -m tools.run_notebooks notebooks/01_checkpoints.ipynb

Stored outputs are what students and lecturers read on the web, so they must come from one
clean run: this is the command that makes them (``make notebooks``).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

#: The kernelspec JupyterLab writes for this environment's ipykernel (tests check every notebook).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def notebook_paths(targets: list[str]) -> list[pathlib.Path]:
    paths: list[pathlib.Path] = []
    for target in targets:
        path = pathlib.Path(target)
        if path.is_dir():
            paths.extend(
                p for p in sorted(path.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts
            )
        elif path.suffix == ".ipynb" and path.is_file():
            paths.append(path)
        else:
            raise FileNotFoundError(f"{target}: not a notebook or a folder of notebooks")
    return paths


def execute(path: pathlib.Path, timeout: int) -> float:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    # Store the kernelspec as JupyterLab writes it, or an untouched notebook opens "modified".
    notebook.metadata.kernelspec = KERNELSPEC
    nbformat.write(notebook, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="+", help="notebooks or folders")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args(argv)
    for path in notebook_paths(args.targets):
        elapsed = execute(path, args.timeout)
        print(f"{elapsed:7.1f} s  {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
