"""How `make test` spreads one pytest run over pytest-xdist's processes.

`make test` runs ``tests/`` and every notebook under nbval in one run, on ``-n 2 --dist loadgroup
--no-loadscope-reorder``. Two rules, both here:

- **What must share a process.** Under nbval a notebook's cells are its tests and share one
  kernel, so they run in order in one process; the browser tests (``tests/browser/``) share one
  JupyterLab and one Chromium, so they too run in one process. pytest-xdist's own way to say so,
  the ``xdist_group`` marker, silently stopped working with pytest 9.2 (pytest-dev/pytest-xdist
  #1386: xdist marks a group by rewriting each test's id, which pytest 9.2 no longer reads), so
  ``CourseScheduling`` finds these groups from the tests' paths instead; any ``xdist_group``
  marker still counts once xdist works again.
- **One module, one process.** Every other test module is handed out whole, so that its
  module-scoped fixtures are built once: split over two processes, ``tests/test_site.py`` built
  both editions of the website in each (81 s for the module, against 12 s whole; the unit tests
  without browser and grading, 2 processes). The one exception is
  ``tests/grading/test_autograde.py``, whose three gradings each take minutes.
- **Longest first.** With ``--no-loadscope-reorder`` the work is handed out in collection order,
  which ``pytest_collection_modifyitems`` sets: the browser tests, then the three nbgrader
  gradings (the labs grade seven notebooks, assignment 5 trains more than assignment 4), then
  the longest modules (``LONG_MODULES``), the notebooks, and everything else. The many short unit
  tests come last and fill the gaps, instead of a long test running alone at the end while the
  other process idles. (pytest-xdist gives each process a second piece of work up front when its
  first holds at most two tests: the browser tests come first so that they never wait behind a
  grading.)
"""

from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent
BROWSER = "tests/browser/"
GRADINGS_FIRST = ["labs", "assignment5", "assignment4"]
#: Handed out test by test: each of its tests takes minutes.
ONE_TEST_AT_A_TIME = {"tests/grading/test_autograde.py"}
#: The modules that take longest, longest first: about 55 s and 50 s on a 2-core machine (each
#: module whole, ``--durations=0``, 2026-11-30); the next take 25 s or less.
LONG_MODULES = [
    "tests/transfer/test_pretrained.py",
    "tests/distribution/test_launch.py",
]


def module_of(nodeid: str) -> str:
    """The path of the file a test comes from: a test module or a notebook."""
    return nodeid.split("::", 1)[0]


def shared_process(nodeid: str) -> str | None:
    """The group a test must share a process with (a notebook's path, or "browser"), or None."""
    path = module_of(nodeid)
    if path.endswith(".ipynb"):
        return path
    if path.startswith(BROWSER):
        return "browser"
    return None


def _rank(item: pytest.Item) -> int:
    group = shared_process(item.nodeid)
    if group == "browser":
        return 0
    if "test_autograde.py" in item.nodeid:
        for position, name in enumerate(GRADINGS_FIRST, start=1):
            if f"[{name}]" in item.nodeid:
                return position
    rest = len(GRADINGS_FIRST) + 1
    path = module_of(item.nodeid)
    if path in LONG_MODULES:
        return rest + LONG_MODULES.index(path)
    rest += len(LONG_MODULES)
    if group is not None:
        return rest
    return rest + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: within a rank every test keeps its place


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Under ``--dist loadgroup``, `CourseScheduling`; any other ``--dist``, pytest-xdist's own."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class CourseScheduling(LoadGroupScheduling):
        """pytest-xdist's loadgroup; each notebook, the browser tests and each module one group."""

        def _split_scope(self, nodeid: str) -> str:
            group = shared_process(nodeid)
            if group is not None:
                return group
            scope = super()._split_scope(nodeid)  # an xdist_group marker's group, else nodeid
            path = module_of(nodeid)
            if scope != nodeid or path in ONE_TEST_AT_A_TIME:
                return scope
            return path

    return CourseScheduling(config, log)
