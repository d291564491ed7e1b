"""nbgrader's configuration for this course: `grading/` is the nbgrader course directory.

The instructor sources stay where the course keeps them (``notebooks/``); nbgrader sees them
through the links in ``grading/source/``:

    grading/source/labs         -> notebooks/               (the seven lab notebooks, 01-07)
    grading/source/assignment4  -> notebooks/assignments/assignment4/
    grading/source/assignment5  -> notebooks/assignments/assignment5/

``make release`` runs ``nbgrader generate_assignment`` for each and commits the student copies to
``grading/release/<assignment>/``. Collected submissions go to
``grading/submitted/<student>/<assignment>/``; ``nbgrader autograde``, ``generate_feedback`` and
``export`` then work as nbgrader's documentation describes (run them from ``grading/``). The
gradebook, submissions, autograded copies and feedback are never committed (.gitignore).
"""

import pathlib

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "training-patterns"
c.CourseDirectory.root = str(pathlib.Path(__file__).resolve().parent)
# notebooks/ holds the assignments' folder too: it is not part of the labs.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "assignments"]

# Stubs the student release puts where the reference answers were.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Training cells take longer than nbgrader's default of 30 s per cell on a 2-core laptop.
c.Execute.timeout = 600
# A notebook's kernel is the environment nbgrader runs in (the course's .venv).
c.Execute.kernel_name = "python3"
