"""The course website's HTML (tools/site.py, make site), without a browser.

Both editions are built into temporary folders (without the JavaScript from node_modules/, which
these checks do not need). The student pages must not contain any reference answer (the code
between ``### BEGIN SOLUTION`` and ``### END SOLUTION``) or hidden test, and the exercise cells
show no outputs; the instructor pages must contain them all. No page may load a script, style
sheet, image or frame from another host, and every link between pages must resolve.
"""

from __future__ import annotations

import html
import pathlib
import re
import shutil

import nbformat
import pytest

from tools import site

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = site.discover()
EXERCISE_PAGES = [
    page
    for page in PAGES
    if any("nbgrader" in cell.metadata for cell in nbformat.read(page.source, as_version=4).cells)
]
REGION = re.compile(
    r"^[ \t]*#+[ \t]*BEGIN (SOLUTION|HIDDEN TESTS)[^\n]*\n(.*?)^[ \t]*#+[ \t]*END \1[^\n]*$",
    re.MULTILINE | re.DOTALL,
)
# An element that makes the browser fetch something, pointing at another host.
EXTERNAL_LOAD = re.compile(
    r"<(?:script|link|img|iframe|source|video|audio|embed|object|track)\b[^>]*?"
    r"\b(?:src|href|data|srcset)\s*=\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)
EXTERNAL_CSS = re.compile(r"(?:url\(\s*[\"']?|@import\s+[\"'])\s*(?:https?:)?//", re.IGNORECASE)
EXTERNAL_IMPORT = re.compile(r"\bimport\(\s*[\"'](?:https?:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> pathlib.Path:
    """A snapshot of notebooks/: both editions and the checks read the same notebooks."""
    copy = tmp_path_factory.mktemp("course") / "notebooks"
    shutil.copytree(ROOT / "notebooks", copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return copy


@pytest.fixture(scope="module")
def student(tmp_path_factory, notebooks) -> pathlib.Path:
    out = tmp_path_factory.mktemp("site") / "site"
    site.build(out, with_static=False, notebooks=notebooks)
    return out


@pytest.fixture(scope="module")
def instructor(tmp_path_factory, notebooks) -> pathlib.Path:
    out = tmp_path_factory.mktemp("site") / "site-instructor"
    site.build(out, instructor=True, with_static=False, notebooks=notebooks)
    return out


def snapshot_of(page, notebooks: pathlib.Path):
    """The page as discovered in the snapshot (the same href)."""
    return next(p for p in site.discover(notebooks) if p.href == page.href)


def page_text(path: pathlib.Path) -> str:
    """What a reader sees: the page without its tags, entities decoded."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.DOTALL | re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def secret_lines(page) -> list[str]:
    """The lines only the reference answers and hidden tests contain (read without nbgrader)."""
    nb = nbformat.read(page.source, as_version=4)
    secret, public = [], []
    for cell in nb.cells:
        secret += [line.strip() for m in REGION.finditer(cell.source) for line in m[2].splitlines()]
        public.append(REGION.sub("", cell.source))
    public_text = "\n".join(public)
    return [line for line in dict.fromkeys(secret) if len(line) >= 8 and line not in public_text]


def test_the_site_has_every_notebook(student, instructor, notebooks):
    pages = site.discover(notebooks)
    assert pages, "no notebooks found"
    labs = sorted(p.name for p in notebooks.glob("0*.ipynb"))
    assert [p.source.name for p in pages if p.kind == "lab"] == labs
    for out in (student, instructor):
        index = (out / "index.html").read_text(encoding="utf-8")
        for page in pages:
            assert (out / page.output).is_file()
            assert f'href="{page.href}"' in index, f"the index does not link {page.href}"
            assert html.escape(page.heading, quote=False) in index


@pytest.mark.parametrize("page", EXERCISE_PAGES, ids=[p.href for p in EXERCISE_PAGES])
def test_student_pages_hide_solutions_instructor_pages_show_them(
    student, instructor, notebooks, page
):
    page = snapshot_of(page, notebooks)
    secrets = secret_lines(page)
    assert secrets, f"{page.source.name} has nbgrader cells but no solution lines were found"
    student_text = page_text(student / page.output)
    instructor_text = page_text(instructor / page.output)
    student_raw = html.unescape((student / page.output).read_text(encoding="utf-8"))
    leaked = [line for line in secrets if line in student_text or line in student_raw]
    assert not leaked, f"reference answers or hidden tests on the student page: {leaked[:5]}"
    missing = [line for line in secrets if line not in instructor_text]
    assert not missing, f"the instructor page lacks: {missing[:5]}"
    # The answer cells show nbgrader's stub, as the student release does.
    answers = sum(
        1
        for cell in nbformat.read(page.source, as_version=4).cells
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")
    )
    assert student_text.count("raise NotImplementedError()") >= answers
    assert "BEGIN SOLUTION" not in student_text and "BEGIN HIDDEN TESTS" not in student_text


@pytest.mark.parametrize("page", EXERCISE_PAGES, ids=[p.href for p in EXERCISE_PAGES])
def test_exercise_cells_have_no_outputs_on_student_pages(student, notebooks, page):
    page = snapshot_of(page, notebooks)
    cell_after_label = re.compile(
        r'<div class="site-exercise-label">[^<]*</div>\s*<div [^>]*class="jp-Cell jp-CodeCell'
        r'[^"]*"'
    )
    student_cells = cell_after_label.findall((student / page.output).read_text(encoding="utf-8"))
    assert student_cells, "no exercise cells found on the page"
    assert all("jp-mod-noOutputs" in c for c in student_cells), "an exercise cell kept outputs"
    # Every other code cell keeps its stored outputs.
    nb = nbformat.read(page.source, as_version=4)
    with_outputs = sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        and cell.outputs
        and not cell.metadata.get("nbgrader", {}).get("solution")
        and not cell.metadata.get("nbgrader", {}).get("grade")
    )
    code_cells = re.findall(
        r'class="jp-Cell jp-CodeCell jp-Notebook-cell([^"]*)"',
        (student / page.output).read_text(encoding="utf-8"),
    )
    assert sum("jp-mod-noOutputs" not in c for c in code_cells) == with_outputs


def test_no_page_loads_anything_from_another_host(student, instructor):
    for out in (student, instructor):
        for path in sorted(out.rglob("*.html")):
            text = path.read_text(encoding="utf-8")
            where = path.relative_to(out.parent)
            for pattern in (EXTERNAL_LOAD, EXTERNAL_CSS, EXTERNAL_IMPORT):
                found = [m.group(0)[:120] for m in pattern.finditer(text)]
                assert not found, f"{where} loads from another host: {found}"


def test_links_between_pages_resolve(student):
    pages = sorted(student.rglob("*.html"))
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'href="(?!https?:)[^"]*\.ipynb', text), f"{path.name}: .ipynb link"
        for target in re.findall(r'href="([^":#]+\.html)(?:#[^"]*)?"', text):
            assert (path.parent / target).resolve().is_file(), f"{path.name} -> {target}"
