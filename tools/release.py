"""Make the student release of every assignment with nbgrader (``make release``).

    python -m tools.release                 # labs, assignment4, assignment5 -> grading/release/
    python -m tools.release labs            # one assignment
    python -m tools.release --check         # exit 1 if the committed release is out of date

For each assignment this runs ``nbgrader generate_assignment`` in the course directory
``grading/`` (see ``grading/nbgrader_config.py``): reference answers become stubs
(``raise NotImplementedError()``), hidden tests are removed, outputs are cleared and the graded
cells are locked and check-summed; slide metadata is kept. Then the saved widget state and
per-cell timings, which nbgrader leaves in place, are cleared too. The release is committed so
that an instructor can hand it out as it is; ``tests/grading/test_release.py`` fails when it is
out of date with its source.
"""

from __future__ import annotations

import argparse
import filecmp
import pathlib
import shutil
import sys
import tempfile

import nbformat

from tools.grading import ASSIGNMENTS, GRADING, nbgrader, notebooks_of, write_course_config

__all__ = ["clear_run_state", "generate", "main", "stale_files"]


def clear_run_state(path: pathlib.Path) -> None:
    """Remove what a run leaves behind that nbgrader keeps: widget state, cell timings."""
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, path)


def generate(assignment: str, course_root: pathlib.Path = GRADING) -> list[pathlib.Path]:
    """Generate ``course_root/release/<assignment>/`` from its source; return the notebooks."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; choose one of {sorted(ASSIGNMENTS)}")
    if not notebooks_of(assignment):
        raise FileNotFoundError(f"{ASSIGNMENTS[assignment]}: no notebooks to release")
    source = course_root / "source" / assignment
    if not source.exists():  # a throw-away course: point it at the real sources
        source.parent.mkdir(parents=True, exist_ok=True)
        source.symlink_to(ASSIGNMENTS[assignment], target_is_directory=True)
    release = course_root / "release" / assignment
    if release.exists():
        shutil.rmtree(release)
    nbgrader(["generate_assignment", assignment, "--force"], course_root)
    written = sorted(release.glob("*.ipynb"))
    for path in written:
        clear_run_state(path)
    return written


def stale_files(assignments: list[str]) -> list[str]:
    """Regenerate in a temporary course and list committed release files that differ from it."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
        course = pathlib.Path(tmp)
        write_course_config(course)
        for assignment in assignments:
            generate(assignment, course)
            fresh, committed = course / "release" / assignment, GRADING / "release" / assignment
            fresh_names = {p.name for p in fresh.rglob("*") if p.is_file()}
            committed_names = (
                {p.name for p in committed.rglob("*") if p.is_file()}
                if committed.is_dir()
                else set()
            )
            for name in sorted(fresh_names - committed_names):
                problems.append(f"grading/release/{assignment}/{name} is missing")
            for name in sorted(committed_names - fresh_names):
                problems.append(f"grading/release/{assignment}/{name} has no source any more")
            for name in sorted(fresh_names & committed_names):
                if not filecmp.cmp(fresh / name, committed / name, shallow=False):
                    problems.append(f"grading/release/{assignment}/{name} is out of date")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help=f"default: {' '.join(ASSIGNMENTS)}")
    parser.add_argument("--check", action="store_true", help="only report a stale release")
    args = parser.parse_args(argv)
    chosen = args.assignments or [name for name in ASSIGNMENTS if notebooks_of(name)]
    if args.check:
        problems = stale_files(chosen)
        for problem in problems:
            print(problem)
        if problems:
            print("run `make release` and commit grading/release/")
        return 1 if problems else 0
    for assignment in chosen:
        for path in generate(assignment):
            print(path.relative_to(GRADING.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
