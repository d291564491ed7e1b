"""``tools.grade`` itself: it must catch a weak check, a release that scores, a broken release.

One small notebook with three exercises, autograded for real with nbgrader (about 20 s):
``ex1`` is sound; ``ex2``'s check accepts anything (its wrong answer gets full points); ``ex3``'s
check does not use the answer, so the untouched release scores on it. A cell after the exercises
uses an answer, so the release fails outside an exercise.
"""

from __future__ import annotations

import nbformat
import pytest

from tools import grade, grading


def _meta(grade_id: str, **fields) -> dict:
    nbgrader = {
        "grade": False,
        "grade_id": grade_id,
        "locked": False,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    nbgrader.update(fields)
    return {"nbgrader": nbgrader}


def _exercise(n: int, answer: str, check: str) -> list:
    return [
        nbformat.v4.new_markdown_cell(
            f"**Exercise {n} (1 point).**", metadata=_meta(f"ex{n}-task", locked=True)
        ),
        nbformat.v4.new_code_cell(
            f"### BEGIN SOLUTION\n{answer}\n### END SOLUTION",
            metadata=_meta(f"ex{n}-answer", solution=True),
        ),
        nbformat.v4.new_code_cell(
            check, metadata=_meta(f"ex{n}-check", grade=True, locked=True, points=1)
        ),
    ]


@pytest.fixture
def toy(tmp_path, monkeypatch):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata.kernelspec = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [
        nbformat.v4.new_code_cell("x = 3"),
        *_exercise(
            1, "one = 2 * x", "### BEGIN HIDDEN TESTS\nassert one == x + x\n### END HIDDEN TESTS"
        ),
        *_exercise(2, "two = x + 1", "assert isinstance(two, int)"),
        *_exercise(3, "three = x - 1", "assert x == 3"),
        nbformat.v4.new_code_cell("print(one)"),
    ]
    path = tmp_path / "toy.ipynb"
    nbformat.write(notebook, path)
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "toy.py").write_text(
        "WRONG_ANSWERS = {\n"
        "    'ex1-answer': [('triples it', 'one = 3 * x')],\n"
        "    'ex2-answer': [('adds two', 'two = x + 2')],\n"
        "    'ex3-answer': [('adds one', 'three = x + 1')],\n"
        "}\n"
    )
    monkeypatch.setattr(grading, "WRONG_ANSWERS", wrong)
    return path


def test_grade_finds_weak_checks_and_a_scoring_release(toy):
    (result,) = grade.grade([toy], jobs=2)

    assert result.max_points == {"ex1": 1, "ex2": 1, "ex3": 1}
    assert result.points["instructor"] == {"ex1": 1, "ex2": 1, "ex3": 1}
    assert result.points["release"] == {"ex1": 0, "ex2": 0, "ex3": 1}
    assert result.points["wrong-1"] == {"ex1": 0, "ex2": 1, "ex3": 1}
    problems = "\n".join(result.problems)
    assert "the untouched release scores on ex3" in problems
    assert "wrong-1 gets full points on ex2 (adds two)" in problems
    assert "wrong-1 gets full points on ex1" not in problems
    assert "fails outside an exercise" in problems and "NameError" in problems
    assert "| total | 3 | 3 | 1 | 2 |" in result.table()


def test_grade_refuses_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such notebook"):
        grade.grade([tmp_path / "missing.ipynb"])


def test_a_notebook_whose_kernel_never_answered_is_graded_again(tmp_path, monkeypatch, capsys):
    """A cell with no reply (CellTimeoutError) is the stack's hang: grade that notebook again."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("x = 1")]
    autograded = tmp_path / "autograded" / "instructor" / grade.ASSIGNMENT / "hangs.ipynb"
    autograded.parent.mkdir(parents=True)
    calls = []

    def fake_nbgrader(args, course_root):
        calls.append(list(args))
        written = nbformat.from_dict(notebook)
        if len(calls) == 1:  # the first run hangs in its only cell
            written.cells[0].outputs = [
                nbformat.v4.new_output("error", ename="CellTimeoutError", evalue="", traceback=[])
            ]
        nbformat.write(written, autograded)

    monkeypatch.setattr(grade, "nbgrader", fake_nbgrader)
    grade._autograde(tmp_path, "instructor", [tmp_path / "hangs.ipynb"])

    # first every notebook in one nbgrader process, then the one that hung on its own
    assert len(calls) == 2 and not any(a.startswith("--notebook") for a in calls[0])
    assert "--notebook=hangs" in calls[1]
    assert not grade._timed_out(autograded)
    assert "instructor/hangs.ipynb: a cell got no reply" in capsys.readouterr().err


def test_one_process_grades_every_notebook_and_only_the_one_that_hung_again(tmp_path, monkeypatch):
    folder = tmp_path / "autograded" / "s" / grade.ASSIGNMENT
    folder.mkdir(parents=True)
    names = ["fine.ipynb", "hangs.ipynb", "also_fine.ipynb"]
    calls = []

    def fake_nbgrader(args, course_root):
        calls.append(list(args))
        chosen = [a.split("=", 1)[1] + ".ipynb" for a in args if a.startswith("--notebook=")]
        for name in chosen or names:
            written = nbformat.v4.new_notebook()
            written.cells = [nbformat.v4.new_code_cell("x = 1")]
            if name == "hangs.ipynb" and len(calls) == 1:
                written.cells[0].outputs = [
                    nbformat.v4.new_output("error", ename="CellTimeoutError", evalue="")
                ]
            nbformat.write(written, folder / name)

    monkeypatch.setattr(grade, "nbgrader", fake_nbgrader)
    grade._autograde(tmp_path, "s", [tmp_path / name for name in names])
    assert [c for call in calls for c in call if c.startswith("--notebook")] == ["--notebook=hangs"]
    assert not any(grade._timed_out(folder / name) for name in names)


def test_a_notebook_that_always_times_out_is_retried_a_bounded_number_of_times(
    tmp_path, monkeypatch
):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("while True: pass")]
    notebook.cells[0].outputs = [
        nbformat.v4.new_output("error", ename="CellTimeoutError", evalue="", traceback=[])
    ]
    autograded = tmp_path / "autograded" / "s" / grade.ASSIGNMENT / "loops.ipynb"
    autograded.parent.mkdir(parents=True)
    calls = []

    def fake_nbgrader(args, course_root):
        calls.append(args)
        nbformat.write(notebook, autograded)

    monkeypatch.setattr(grade, "nbgrader", fake_nbgrader)
    grade._autograde(tmp_path, "s", [tmp_path / "loops.ipynb"])
    assert len(calls) == grade.HANG_RETRIES + 1 and grade._timed_out(autograded)


def test_a_dead_kernel_is_graded_again_and_other_failures_are_not(tmp_path, monkeypatch, capsys):
    notebook = nbformat.v4.new_notebook()
    autograded = tmp_path / "autograded" / "s" / grade.ASSIGNMENT / "dies.ipynb"
    autograded.parent.mkdir(parents=True)
    calls = []

    def dies_once(args, course_root):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("nbgrader failed: [AutogradeApp | ERROR] Kernel died while waiting")
        nbformat.write(notebook, autograded)

    monkeypatch.setattr(grade, "nbgrader", dies_once)
    grade._autograde(tmp_path, "s", [tmp_path / "dies.ipynb"])
    assert len(calls) == 2 and "s: a kernel died; grading each notebook" in capsys.readouterr().err
    assert "--notebook=dies" in calls[1]  # nbgrader dropped the submission: each graded alone

    def fails_with(message):
        def fake_nbgrader(args, course_root):
            calls.append(args)
            raise RuntimeError(message)

        return fake_nbgrader

    for message, expected_calls in [
        ("Kernel died", grade.HANG_RETRIES + 1),  # every time: bounded retries, then the error
        ("nbgrader: no such assignment", 1),  # not a dead kernel: no retry
    ]:
        calls.clear()
        monkeypatch.setattr(grade, "nbgrader", fails_with(message))
        with pytest.raises(RuntimeError, match=message):
            grade._autograde(tmp_path, "s", [tmp_path / "dies.ipynb"])
        assert len(calls) == expected_calls, message
