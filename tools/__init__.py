"""Repository tooling (not part of the course package): run with ``python -m tools.<name>``.

- ``tools.run_notebooks``: re-execute notebooks in place (``make notebooks``)
- ``tools.slides``: slide metadata for lecture mode (``make slides``)
- ``tools.student_release``: output-free copies for students (``make student-release``)
"""
