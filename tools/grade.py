"""Autograde notebooks as an instructor would, and prove that wrong answers lose points.

    python -m tools.grade notebooks/01_checkpoints.ipynb [more notebooks ...]
    python -m tools.grade notebooks/assignments/assignment4/multiview_predictor.ipynb --keep /tmp/g

In a throw-away nbgrader course (``grading/nbgrader_config.py``, another root) the notebooks
become one assignment; ``nbgrader generate_assignment`` makes its release, and
``nbgrader autograde`` grades these submissions:

- ``instructor``: the instructor source as committed: full points on every check;
- ``release``: the untouched student release: 0 points on every check, and no error outside the
  exercises' own cells;
- ``wrong-1`` (``wrong-2``): the release with every exercise's first (second) plausible wrong
  answer from ``tests/grading/wrong_answers/<notebook>.py`` and the reference answer elsewhere:
  each exercise that carries a wrong answer gets less than its full points.

It prints a points table per notebook and exits 1 if any of those fails.
``tests/grading/test_autograde.py`` runs the same for every notebook and assignment.
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import nbformat
from nbgrader.api import Gradebook

from tools.grading import (
    answer_cells,
    check_cells,
    exercise_of,
    load_wrong_answers,
    nbgrader,
    write_course_config,
)
from tools.release import clear_run_state

__all__ = ["NotebookGrades", "grade", "main"]

ASSIGNMENT = "check"


@dataclasses.dataclass
class NotebookGrades:
    """Points per exercise and per submission for one notebook, and what went wrong."""

    name: str
    max_points: dict[str, float]  # exercise -> points available
    points: dict[str, dict[str, float]]  # submission -> exercise -> points scored
    wrong: dict[str, dict[str, str]]  # submission -> exercise -> the mistake it carries
    seconds: dict[str, float]  # submission -> autograde wall time (all notebooks together)
    problems: list[str]

    def table(self) -> str:
        submissions = list(self.points)
        header = f"| exercise | max | {' | '.join(submissions)} |"
        lines = [f"{self.name}", header, "|---" * (len(submissions) + 2) + "|"]
        for exercise, available in self.max_points.items():
            cells = []
            for submission in submissions:
                scored = self.points[submission].get(exercise, 0.0)
                mark = "*" if exercise in self.wrong.get(submission, {}) else ""
                cells.append(f"{scored:g}{mark}")
            lines.append(f"| {exercise} | {available:g} | {' | '.join(cells)} |")
        totals = [f"{sum(self.points[s].values()):g}" for s in submissions]
        lines.append(f"| total | {sum(self.max_points.values()):g} | {' | '.join(totals)} |")
        lines.append("(* = the submission carries a wrong answer for this exercise)")
        for submission, mistakes in self.wrong.items():
            for exercise, why in mistakes.items():
                lines.append(f"  {submission} {exercise}: {why}")
        return "\n".join(lines)


def _submission(release: dict, source: dict, wrong: dict[str, str]) -> nbformat.NotebookNode:
    """The release with answer cells filled: a wrong answer where given, else the reference."""
    notebook = nbformat.from_dict(release)
    reference = answer_cells(source)
    for grade_id, cell in answer_cells(notebook).items():
        cell.source = wrong.get(grade_id, reference[grade_id]["source"])
    return notebook


def _errors_outside_exercises(path: pathlib.Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    exercise_cells = set(answer_cells(notebook)) | set(check_cells(notebook))
    found = []
    for index, cell in enumerate(notebook.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or grade_id in exercise_cells:
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}"[:300])
    return found


def _structure_problems(path: pathlib.Path, source: dict, wrong: dict) -> list[str]:
    problems = []
    answers, checks = answer_cells(source), check_cells(source)
    exercises_with_checks = {exercise_of(g) for g in checks}
    for grade_id in answers:
        if (
            source_cell_is_code(answers[grade_id])
            and exercise_of(grade_id) not in exercises_with_checks
        ):
            problems.append(f"{path.name}: answer {grade_id} has no graded check cell")
    for grade_id, points in checks.items():
        if points <= 0:
            problems.append(f"{path.name}: check {grade_id} has no points")
    for grade_id in wrong:
        if grade_id not in answers:
            problems.append(f"{path.name}: wrong answers given for {grade_id}, not an answer cell")
    for grade_id, cell in answers.items():
        if source_cell_is_code(cell) and not wrong.get(grade_id):
            problems.append(f"{path.name}: no wrong answer kept for {grade_id}")
    return problems


def source_cell_is_code(cell: dict) -> bool:
    return cell.get("cell_type") == "code"


def grade(
    notebooks: list[pathlib.Path], keep: pathlib.Path | None = None, jobs: int = 1
) -> list[NotebookGrades]:
    """Autograde ``notebooks`` (instructor sources) in a throw-away course; see the module doc."""
    notebooks = [pathlib.Path(p).resolve() for p in notebooks]
    names = [p.name for p in notebooks]
    if len(set(names)) != len(names):
        raise ValueError(f"notebooks must have distinct file names, got {names}")
    for path in notebooks:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such notebook")
    course = pathlib.Path(tempfile.mkdtemp(prefix="grade-")) if keep is None else keep
    course.mkdir(parents=True, exist_ok=True)
    try:
        return _grade_in(course, notebooks, jobs)
    finally:
        if keep is None:
            shutil.rmtree(course, ignore_errors=True)


def _new_course(course: pathlib.Path, notebooks: list[pathlib.Path]) -> None:
    """An nbgrader course in ``course`` whose one assignment holds ``notebooks``; released."""
    course.mkdir(parents=True, exist_ok=True)
    write_course_config(course)
    source_dir = course / "source" / ASSIGNMENT
    source_dir.mkdir(parents=True, exist_ok=True)
    for path in notebooks:
        shutil.copy(path, source_dir / path.name)
    nbgrader(["generate_assignment", ASSIGNMENT, "--force"], course)
    for path in notebooks:
        clear_run_state(course / "release" / ASSIGNMENT / path.name)


#: Times a notebook is graded again when a cell got no reply from its kernel (see _autograde).
HANG_RETRIES = 2


def _timed_out(autograded: pathlib.Path) -> list[int]:
    """The cells (indices) whose kernel never answered (CellTimeoutError, nbgrader recorded)."""
    notebook = nbformat.read(autograded, as_version=4)
    return [
        index
        for index, cell in enumerate(notebook.cells)
        if any(output.get("ename") == "CellTimeoutError" for output in cell.get("outputs", []))
    ]


def _report_hang(student: str, path: pathlib.Path, cells: list[int]) -> None:
    where = ", ".join(str(index) for index in cells)
    print(
        f"{student}/{path.name}: a cell got no reply (cell {where}); grading again", file=sys.stderr
    )


def _autograde(course: pathlib.Path, student: str, notebooks: list[pathlib.Path]) -> float:
    """Autograde one submission: all its notebooks in one nbgrader process, then retries.

    On this stack (nbgrader 0.9.6, nbclient 0.11, ipykernel 6.31 and 7.4 alike) a cell
    sometimes gets no reply although its kernel sits idle: about once per full grading, early in
    a notebook. No cell of the course needs anywhere near the throw-away course's per-cell
    timeout, so a timed-out cell is that hang, not the student's code: that notebook alone is
    graded again (at most ``HANG_RETRIES`` times), and the retry is reported on stderr. A kernel
    that died ("Kernel died" in nbgrader's log) makes nbgrader drop the whole submission's
    grades: then each notebook is graded again on its own, within the same bound.
    """
    start = time.perf_counter()
    command = ["autograde", ASSIGNMENT, "--create", "--force", f"--student={student}"]
    try:
        nbgrader(command, course)  # one process (one start-up of nbgrader) for every notebook
        hung = {path: _timed_out(_autograded(course, student, path)) for path in notebooks}
        again = [path for path, cells in hung.items() if cells]
        for path in again:
            _report_hang(student, path, hung[path])
    except RuntimeError as error:  # the kernel itself died (seen once, in assignment 5)
        if "Kernel died" not in str(error):
            raise
        print(f"{student}: a kernel died; grading each notebook again", file=sys.stderr)
        again = list(notebooks)
    for path in again:
        _grade_again(course, command, student, path)
    return time.perf_counter() - start


def _grade_again(
    course: pathlib.Path, command: list[str], student: str, path: pathlib.Path
) -> None:
    """Autograde one notebook on its own, up to ``HANG_RETRIES`` times, until it gets replies."""
    for attempt in range(1, HANG_RETRIES + 1):
        try:
            nbgrader([*command, f"--notebook={path.stem}"], course)
        except RuntimeError as error:
            if "Kernel died" not in str(error) or attempt == HANG_RETRIES:
                raise
            print(f"{student}/{path.name}: the kernel died; grading again", file=sys.stderr)
            continue
        cells = _timed_out(_autograded(course, student, path))
        if not cells:
            return
        if attempt < HANG_RETRIES:
            _report_hang(student, path, cells)


def _autograded(course: pathlib.Path, student: str, path: pathlib.Path) -> pathlib.Path:
    return course / "autograded" / student / ASSIGNMENT / path.name


def _grade_in(
    course: pathlib.Path, notebooks: list[pathlib.Path], jobs: int
) -> list[NotebookGrades]:
    sources = {path.name: nbformat.read(path, as_version=4) for path in notebooks}
    wrongs = {path.name: load_wrong_answers(path) for path in notebooks}
    rounds = max((len(v) for w in wrongs.values() for v in w.values()), default=0)
    students = ["instructor", "release", *[f"wrong-{k + 1}" for k in range(min(rounds, 2))]]
    # One course per submission, so that several can be graded at once without sharing a
    # gradebook (SQLite): nbgrader generates the release once, the others are copies of that
    # course with their own root.
    courses = {student: course / student for student in students}
    _new_course(courses[students[0]], notebooks)
    for student in students[1:]:
        shutil.copytree(courses[students[0]], courses[student])
        write_course_config(courses[student])
    releases = {
        name: nbformat.read(course / "release" / "release" / ASSIGNMENT / name, as_version=4)
        for name in sources
    }
    carried: dict[str, dict[str, dict[str, str]]] = {}  # student -> notebook -> exercise -> why
    for student in students:
        folder = courses[student] / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        carried[student] = {}
        for name, source in sources.items():
            if student == "instructor":
                submission = nbformat.from_dict(source)
            elif student == "release":
                submission = nbformat.from_dict(releases[name])
            else:
                k = int(student.split("-")[1]) - 1
                chosen = {g: options[k] for g, options in wrongs[name].items() if len(options) > k}
                submission = _submission(
                    releases[name], source, {g: a for g, (_, a) in chosen.items()}
                )
                carried[student][name] = {exercise_of(g): why for g, (why, _) in chosen.items()}
            nbformat.write(submission, folder / name)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {s: pool.submit(_autograde, courses[s], s, notebooks) for s in students}
        seconds = {s: future.result() for s, future in futures.items()}

    graded_points = {s: _points(courses[s], s) for s in students}
    results = []
    for path in notebooks:
        name = path.name
        checks = check_cells(sources[name])
        max_points: dict[str, float] = {}
        for grade_id, available in checks.items():
            max_points[exercise_of(grade_id)] = max_points.get(exercise_of(grade_id), 0) + available
        points = {s: graded_points[s][path.stem] for s in students}
        problems = _structure_problems(path, sources[name], wrongs[name])
        for exercise, available in max_points.items():
            if points["instructor"].get(exercise, 0.0) < available:
                problems.append(f"{name}: instructor version loses points on {exercise}")
            if points["release"].get(exercise, 0.0) > 0:
                problems.append(f"{name}: the untouched release scores on {exercise}")
        for student in students[2:]:
            for exercise, why in carried[student].get(name, {}).items():
                if points[student].get(exercise, 0.0) >= max_points.get(exercise, 0.0):
                    problems.append(f"{name}: {student} gets full points on {exercise} ({why})")
        autograded = courses["release"] / "autograded" / "release" / ASSIGNMENT / name
        for error in _errors_outside_exercises(autograded):
            problems.append(f"{name}: the untouched release fails outside an exercise: {error}")
        results.append(
            NotebookGrades(
                name=name,
                max_points=max_points,
                points=points,
                wrong={s: carried[s].get(name, {}) for s in students[2:]},
                seconds=seconds,
                problems=problems,
            )
        )
    return results


def _points(course: pathlib.Path, student: str) -> dict[str, dict[str, float]]:
    """notebook -> exercise -> auto-graded points, from one course's gradebook."""
    scored: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        for notebook in submission.notebooks:
            per_exercise = scored.setdefault(notebook.name, {})
            for grade_cell in notebook.grades:
                if grade_cell.cell_type != "code":
                    continue
                exercise = exercise_of(grade_cell.name)
                score = float(grade_cell.auto_score or 0.0)
                per_exercise[exercise] = per_exercise.get(exercise, 0.0) + score
    return scored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=pathlib.Path)
    parser.add_argument("--keep", type=pathlib.Path, help="keep the nbgrader course here")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once")
    args = parser.parse_args(argv)
    results = grade(args.notebooks, keep=args.keep, jobs=args.jobs)
    failed = False
    for result in results:
        print(result.table())
        for problem in result.problems:
            print("PROBLEM:", problem)
            failed = True
        print()
    timings = ", ".join(f"{s} {t:.0f} s" for s, t in results[0].seconds.items())
    print(f"autograde wall time per submission (all notebooks together): {timings}")
    print("FAILED" if failed else "OK: instructor full points, release 0, every wrong answer loses")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
