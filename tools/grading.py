"""The course's nbgrader plumbing, shared by ``make release``, ``python -m tools.grade`` and tests.

Vocabulary (nbgrader's): an *assignment* is a folder of notebooks (``labs``, ``assignment4``,
``assignment5``); in a notebook, an *answer cell* holds the reference answer between
``### BEGIN SOLUTION`` / ``### END SOLUTION`` and a *check cell* is graded (it has points and may
hold ``### BEGIN HIDDEN TESTS``). Cells of one exercise share the prefix of their ``grade_id``
before the first ``-`` (``ex2-answer``, ``ex2-check``; ``task3-answer`` in the assignments).
"""

from __future__ import annotations

import os
import pathlib
import runpy
import subprocess
import sys
from collections.abc import Iterable

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
GRADING = ROOT / "grading"
CONFIG = GRADING / "nbgrader_config.py"
WRONG_ANSWERS = ROOT / "tests" / "grading" / "wrong_answers"

#: nbgrader assignment -> the folder of instructor sources it is made from.
ASSIGNMENTS: dict[str, pathlib.Path] = {
    "labs": ROOT / "notebooks",
    "assignment4": ROOT / "notebooks" / "assignments" / "assignment4",
    "assignment5": ROOT / "notebooks" / "assignments" / "assignment5",
}

__all__ = [
    "ASSIGNMENTS",
    "GRADING",
    "answer_cells",
    "check_cells",
    "exercise_of",
    "load_wrong_answers",
    "nbgrader",
    "notebooks_of",
    "source",
    "write_course_config",
]


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def _nbgrader_meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def exercise_of(grade_id: str) -> str:
    """``'ex2-check-b'`` -> ``'ex2'``: the exercise (or task) a graded cell belongs to."""
    return grade_id.split("-", 1)[0]


def answer_cells(notebook: dict) -> dict[str, dict]:
    """grade_id -> cell, for every cell that holds a solution (code or written answer)."""
    return {
        _nbgrader_meta(c)["grade_id"]: c
        for c in notebook["cells"]
        if _nbgrader_meta(c).get("solution")
    }


def check_cells(notebook: dict) -> dict[str, float]:
    """grade_id -> points, for every autograded code cell (checks with points)."""
    return {
        _nbgrader_meta(c)["grade_id"]: float(_nbgrader_meta(c).get("points", 0))
        for c in notebook["cells"]
        if _nbgrader_meta(c).get("grade") and c["cell_type"] == "code"
    }


def notebooks_of(assignment: str) -> list[pathlib.Path]:
    """The instructor sources of one assignment (top-level notebooks of its folder)."""
    folder = ASSIGNMENTS[assignment]
    return sorted(folder.glob("*.ipynb")) if folder.is_dir() else []


def load_wrong_answers(notebook: pathlib.Path) -> dict[str, list[tuple[str, str]]]:
    """The plausible wrong answers kept for a notebook (``tests/grading/wrong_answers/``)."""
    path = WRONG_ANSWERS / f"{notebook.stem}.py"
    if not path.is_file():
        return {}
    answers = runpy.run_path(str(path))["WRONG_ANSWERS"]
    if not isinstance(answers, dict):
        raise TypeError(f"{path}: WRONG_ANSWERS must be a dict, got {type(answers).__name__}")
    return answers


def write_course_config(course_root: pathlib.Path) -> pathlib.Path:
    """An nbgrader_config.py for a throw-away course: the course's settings, another root."""
    config = course_root / "nbgrader_config.py"
    config.write_text(
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(CONFIG)!r})  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course_root)!r}\n"
        # Kernels talk over Unix sockets in the course folder, not TCP ports: several gradings
        # (and other Jupyter kernels) starting at once cannot race for the same ports.
        "c.KernelManager.transport = 'ipc'\n"
        f"c.KernelManager.ip = {str(course_root / 'kernel')!r}\n"  # an absolute socket path
        # No cell needs more than about 10 s on a quiet 2-core machine (nbval's slowest under
        # `make test` took 5 s): a hang (tools/grade.py) costs one minute, not the 10 of the
        # course's setting. A cell that a heavily loaded machine slows past it is graded again
        # like a hang.
        "c.Execute.timeout = 60\n",
        encoding="utf-8",
    )
    return config


def nbgrader(args: Iterable[str], course_root: pathlib.Path) -> subprocess.CompletedProcess:
    """Run an nbgrader command in ``course_root``, with this environment's executables on PATH
    (nbgrader starts ``alembic`` by name); ``RuntimeError`` with nbgrader's log on failure."""
    bin_dir = str(pathlib.Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    command = [sys.executable, "-m", "nbgrader", *args]
    completed = subprocess.run(
        command, cwd=course_root, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"`nbgrader {' '.join(args)}` failed in {course_root} "
            f"(exit {completed.returncode}):\n{completed.stdout[-4000:]}{completed.stderr[-4000:]}"
        )
    return completed


def read(path: pathlib.Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)
