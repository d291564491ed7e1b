"""nbgrader autograding, end to end, for every lab notebook and assignment.

For each assignment ``tools.grade`` builds a throw-away nbgrader course, generates the release
and autogrades four submissions (see ``tools/grade.py``): the instructor version must get full
points; the untouched release 0 on every check and no error outside the exercises; each
submission of plausible wrong answers (``tests/grading/wrong_answers/``) less than full points on
every exercise that carries one. The points tables are printed and written to
``artifacts/grading/``. This executes every notebook four times: it is the slowest part of
``make test`` (marker ``grading``; ``make unit`` leaves it out, ``make grading`` runs it alone).
"""

from __future__ import annotations

import pytest

from tools import grade, grading

# Under pytest-xdist (`make test`) the three gradings start right after the browser tests (the
# root conftest.py), each grading two submissions at once.
pytestmark = pytest.mark.grading

ASSIGNMENTS = [name for name in grading.ASSIGNMENTS if grading.notebooks_of(name)]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograde_gives_full_points_only_to_right_answers(assignment, capsys):
    results = grade.grade(grading.notebooks_of(assignment), jobs=2)
    report = "\n\n".join(result.table() for result in results)
    seconds = ", ".join(f"{s} {t:.0f} s" for s, t in results[0].seconds.items())
    report += f"\n\nautograde wall time per submission ({assignment}): {seconds}\n"
    # tools.grade reports on stderr each notebook it graded again (the known hang, README)
    retries = [line for line in capsys.readouterr().err.splitlines() if "again" in line]
    report += "".join(f"graded again: {line}\n" for line in retries)
    out = grading.ROOT / "artifacts" / "grading"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{assignment}.md").write_text(report, encoding="utf-8")
    with capsys.disabled():
        print(f"\n{report}")
    problems = [problem for result in results for problem in result.problems]
    assert not problems, "\n".join(problems)
