"""The course as a static website: ``python -m tools.site [--instructor] [--out DIR]`` (make site).

Writes ``build/site/`` (or ``build/site-instructor/``, or DIR): ``index.html`` (what the course
teaches, the notebooks and assignments, the two commands) and one page per notebook
(``notebooks/0*.ipynb`` -> ``01_checkpoints.html``, ``notebooks/assignments/<a>/<n>.ipynb`` ->
``assignments/<a>/<n>.html``) with the notebook's stored outputs, its Mermaid diagrams drawn and
its saved widget state rendered. Nothing is executed.

The pages are made by nbconvert's HTMLExporter with the template in ``tools/site_template/``
(JupyterLab's ``lab`` template, every script served from the site itself). The JavaScript
(require.js, MathJax 3, mermaid, @jupyter-widgets/html-manager) is pinned in ``package.json`` /
``package-lock.json``, installed by ``npm ci`` into ``node_modules/``, and only the files the
pages load are copied to ``<site>/static/``. No page loads anything from another host.

Student edition (default): every exercise looks as in the student release. nbgrader's own
ClearSolutions and ClearHiddenTests, with the settings of ``grading/nbgrader_config.py``, are
applied to the exercise cells only (answer cells: ``nbgrader.solution``; check cells:
``nbgrader.grade``), and those cells' outputs are cleared; every other cell keeps its outputs.
``--instructor`` keeps the reference answers, the hidden tests and their outputs.
"""

from __future__ import annotations

import argparse
import html
import json
import pathlib
import re
import shutil
import sys
import time
from dataclasses import dataclass

import jinja2
import markupsafe
import nbformat
from jinja2 import pass_context
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TEMPLATE_DIR = pathlib.Path(__file__).resolve().with_name("site_template")
NODE_MODULES = ROOT / "node_modules"
NBGRADER_CONFIG = ROOT / "grading" / "nbgrader_config.py"
README = ROOT / "README.md"
TITLE = "Training Patterns"

# What the pages load, copied from node_modules/ into <site>/static/: (target, source glob).
STATIC_FILES = [
    ("require.js", "requirejs/require.js"),
    ("mathjax/tex-chtml-full.js", "mathjax/es5/tex-chtml-full.js"),
    ("mathjax/output/chtml/fonts/woff-v2/", "mathjax/es5/output/chtml/fonts/woff-v2/*.woff"),
    ("mermaid/mermaid.min.js", "mermaid/dist/mermaid.min.js"),
    ("widgets/embed-amd.js", "@jupyter-widgets/html-manager/dist/embed-amd.js"),
    # html-manager's webpack assets (Font Awesome), found through __jupyter_widgets_assets_path__
    ("widgets/", "@jupyter-widgets/html-manager/dist/*.woff2"),
    ("widgets/", "@jupyter-widgets/html-manager/dist/*.woff"),
    ("widgets/", "@jupyter-widgets/html-manager/dist/*.ttf"),
    ("widgets/", "@jupyter-widgets/html-manager/dist/*.eot"),
    ("widgets/", "@jupyter-widgets/html-manager/dist/*.svg"),
]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SOLUTION_MARKERS = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS")
NUMBER_PREFIX = re.compile(r"^(?:assignment\s*)?\d+\s*·\s*", re.IGNORECASE)


@dataclass
class Page:
    """One notebook of the site."""

    source: pathlib.Path  # the .ipynb
    output: pathlib.Path  # the .html, relative to the site root
    kind: str  # "lab" or "assignment"
    number: str  # "01", "Assignment 4"
    title: str  # the notebook's first heading

    @property
    def href(self) -> str:
        return self.output.as_posix()

    @property
    def repo_path(self) -> str:
        """The notebook's path in the repository (notebooks/01_checkpoints.ipynb)."""
        try:
            return self.source.relative_to(ROOT).as_posix()
        except ValueError:
            return self.source.name

    @property
    def heading(self) -> str:
        """The title without its number ("01 · ", "Assignment 4 · ")."""
        return NUMBER_PREFIX.sub("", self.title)

    @property
    def prefix(self) -> str:
        """From this page to the site root: "" or "../../"."""
        return "../" * (len(self.output.parts) - 1)


def discover(notebooks: pathlib.Path = NOTEBOOKS) -> list[Page]:
    """The labs (notebooks/0*.ipynb), then every assignment notebook, in order."""
    pages = []
    labs = sorted(notebooks.glob("0*.ipynb"))
    assignments = sorted(notebooks.glob("assignments/*/*.ipynb"))
    for path in labs + assignments:
        relative = path.relative_to(notebooks)
        if path in labs:
            kind, number = "lab", path.name.split("_", 1)[0]
        else:
            folder = relative.parts[1]
            kind = "assignment"
            number = re.sub(r"^assignment[_-]?(\d+)$", r"Assignment \1", folder)
        nb = nbformat.read(path, as_version=4)
        pages.append(Page(path, relative.with_suffix(".html"), kind, number, title_of(nb, path)))
    return pages


def title_of(nb, path: pathlib.Path) -> str:
    """The notebook's first markdown heading, as plain text (or the file name)."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            match = re.match(r"#+\s+(.+)", line.strip())
            if match:
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1))
                return re.sub(r"[`*]", "", text).strip()
    return path.stem


# --- exercises ------------------------------------------------------------------------------


def nbgrader_config(path: pathlib.Path = NBGRADER_CONFIG) -> Config:
    """The course's nbgrader settings (code_stub, text_stub, ...): grading/nbgrader_config.py."""
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


class StudentExercises(Preprocessor):
    """Exercise cells as the student release shows them; every other cell untouched.

    nbgrader's ClearSolutions (answer cells: the reference answer becomes the stub) and
    ClearHiddenTests (check cells: the hidden tests go) run on the cells with nbgrader metadata
    ``solution`` or ``grade`` only, and those cells lose their outputs. Solution or hidden-test
    markers in any other cell are an error, as they are for ``nbgrader generate_assignment``.
    Widget models that only the removed outputs displayed are dropped from the saved state.
    """

    def __init__(self, grader_config: Config | None = None, **kwargs):
        super().__init__(**kwargs)
        from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

        grader_config = grader_config if grader_config is not None else nbgrader_config()
        self.clear_solutions = ClearSolutions(config=grader_config)
        self.clear_hidden_tests = ClearHiddenTests(config=grader_config)

    def preprocess(self, nb, resources):
        language = nb.metadata.get("kernelspec", {}).get("language", "python")
        resources["language"] = language  # what ClearSolutions.preprocess would set
        removed_views = False
        for index, cell in enumerate(nb.cells):
            grader = cell.metadata.get("nbgrader", {})
            if not (grader.get("solution") or grader.get("grade")):
                if any(marker in cell.source for marker in SOLUTION_MARKERS):
                    raise RuntimeError(
                        f"cell {index} has solution or hidden-test markers but no nbgrader "
                        "answer/check metadata (see grading/CONVENTIONS.md)"
                    )
                continue
            self.clear_solutions.preprocess_cell(cell, resources, index)
            self.clear_hidden_tests.preprocess_cell(cell, resources, index)
            if cell.cell_type == "code":
                removed_views |= any(WIDGET_VIEW in o.get("data", {}) for o in cell.outputs)
                cell.outputs = []
                cell.execution_count = None
        if removed_views:
            prune_widget_state(nb)
        return nb, resources


def prune_widget_state(nb) -> None:
    """Keep only the saved widget models that a remaining output displays (and their parts)."""
    widgets = nb.metadata.get("widgets", {}).get(WIDGET_STATE)
    if not widgets:
        return
    state = widgets["state"]
    todo = [
        output["data"][WIDGET_VIEW]["model_id"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if WIDGET_VIEW in output.get("data", {})
    ]
    keep = set()
    while todo:
        model_id = todo.pop()
        if model_id in keep or model_id not in state:
            continue
        keep.add(model_id)
        todo.extend(re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state[model_id])))
    if keep:
        widgets["state"] = {k: v for k, v in state.items() if k in keep}
    else:
        del nb.metadata["widgets"]


# --- pages ----------------------------------------------------------------------------------

MERMAID_BLOCK = re.compile(
    r'(<div class="jp-Mermaid"><pre class="mermaid">\n)(.*?)(\n</pre></div>)', re.DOTALL
)
NOTEBOOK_HREF = re.compile(r'href="(?![a-zA-Z][a-zA-Z0-9+.-]*:|/|#)([^"#?]*)\.ipynb((?:#[^"]*)?)"')


def postprocess(page_html: str) -> str:
    """Links to notebooks (``02_....ipynb#part``) point to their pages (``02_....html#part``)."""
    return NOTEBOOK_HREF.sub(lambda m: f'href="{m.group(1)}.html{m.group(2)}"', page_html)


class SiteExporter(HTMLExporter):
    """nbconvert's HTMLExporter, with the source of each Mermaid diagram HTML-escaped.

    nbconvert writes a ```mermaid block raw into ``<pre class="mermaid">`` and then re-parses the
    whole page with BeautifulSoup, which turns ``<<interface>>`` into an ``<interface>`` element;
    escaped, the diagram's text reaches mermaid intact.
    """

    @pass_context
    def markdown2html(self, context, source):
        rendered = super().markdown2html(context, source)
        return MERMAID_BLOCK.sub(
            lambda m: m.group(1) + html.escape(m.group(2), quote=False) + m.group(3), rendered
        )


def make_exporter() -> HTMLExporter:
    config = Config()
    config.HTMLExporter.extra_template_basedirs = [str(TEMPLATE_DIR.parent)]
    config.HTMLExporter.template_name = TEMPLATE_DIR.name
    config.HTMLExporter.embed_images = True  # images in markdown cells travel inside the page
    return SiteExporter(config=config)


def render_page(exporter: HTMLExporter, page: Page, pages: list[Page], edition: str, grader):
    nb = nbformat.read(page.source, as_version=4)
    if edition == "student":
        nb, _ = StudentExercises(grader_config=grader).preprocess(nb, {})
    nb.metadata["title"] = page.title
    prefix = page.prefix
    static = f"{prefix}static/"
    exporter.require_js_url = static + "require.js"
    exporter.mathjax_url = static + "mathjax/tex-chtml-full.js"
    exporter.mermaid_js_url = static + "mermaid/mermaid.min.js"
    exporter.widget_renderer_url = static + "widgets/embed-amd.js"
    index = pages.index(page)

    def neighbour(other: Page | None):
        if other is None:
            return None
        return {"href": prefix + other.href, "title": other.title}

    site = {
        "prefix": prefix,
        "edition": edition,
        "prev": neighbour(pages[index - 1] if index > 0 else None),
        "next": neighbour(pages[index + 1] if index + 1 < len(pages) else None),
    }
    resources = {
        "metadata": {"name": page.source.stem, "path": str(page.source.parent)},
        "site": site,
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return postprocess(body)


def readme_intro(readme: pathlib.Path = README) -> str:
    """The README's opening (title to the first ``##``) as HTML: what the course teaches."""
    if not readme.exists():
        return ""
    text = readme.read_text(encoding="utf-8")
    text = re.sub(r"\A#\s[^\n]*\n", "", text)  # the title: the index has its own
    return markdown2html_mistune(text.split("\n## ", 1)[0].strip())


def render_index(pages: list[Page], edition: str, command: str) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True, keep_trailing_newline=True
    )
    return environment.get_template("site_index.html.j2").render(
        title=TITLE,
        edition=edition,
        intro=markupsafe.Markup(readme_intro()),  # the README's opening, already HTML
        pages=pages,
        labs=[p for p in pages if p.kind == "lab"],
        assignments=[p for p in pages if p.kind == "assignment"],
        command=command,
    )


# --- the site -------------------------------------------------------------------------------


def copy_static(out: pathlib.Path, node_modules: pathlib.Path = NODE_MODULES) -> int:
    """Copy site.css and the JavaScript the pages load into ``out/static``; returns bytes."""
    static = out / "static"
    static.mkdir(parents=True, exist_ok=True)
    shutil.copy2(TEMPLATE_DIR / "static" / "site.css", static / "site.css")
    if not node_modules.is_dir():
        raise SystemExit(
            f"{node_modules} is missing: run `npm ci --no-audit --no-fund` first (make site does)"
        )
    total = 0
    for target, pattern in STATIC_FILES:
        sources = sorted(node_modules.glob(pattern))
        if not sources:
            raise SystemExit(f"node_modules/{pattern} not found: run `npm ci` (package-lock.json)")
        for source in sources:
            destination = static / target
            if target.endswith("/"):
                destination = destination / source.name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
            total += destination.stat().st_size
    return total


def _clear(out: pathlib.Path) -> None:
    """Empty ``out`` if it is a site this command built (or empty); refuse anything else."""
    if not out.exists():
        return
    if any(out.iterdir()) and not (out / "static" / "site.css").exists():
        raise SystemExit(
            f"{out} is not empty and is not a site built by tools.site: not touching it"
        )
    shutil.rmtree(out)


def build(
    out: pathlib.Path,
    instructor: bool = False,
    with_static: bool = True,
    notebooks: pathlib.Path = NOTEBOOKS,
) -> list[pathlib.Path]:
    """Build the site into ``out``; returns the HTML files written (index first).

    ``with_static=False`` skips the JavaScript from node_modules/ (for tests that only read the
    HTML); the pages still reference it.
    """
    out = pathlib.Path(out)
    edition = "instructor" if instructor else "student"
    _clear(out)
    out.mkdir(parents=True)
    if with_static:
        copy_static(out)
    else:
        (out / "static").mkdir()
        shutil.copy2(TEMPLATE_DIR / "static" / "site.css", out / "static" / "site.css")
    pages = discover(notebooks)
    exporter = make_exporter()
    grader = nbgrader_config() if edition == "student" else None
    written = [out / "index.html"]
    command = "make site-instructor" if instructor else "make site"
    written[0].write_text(render_index(pages, edition, command), encoding="utf-8")
    for page in pages:
        target = out / page.output
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_page(exporter, page, pages, edition, grader), encoding="utf-8")
        written.append(target)
    for problem in broken_links(out, written):
        print(f"warning: {problem}", file=sys.stderr)
    return written


HREF_OR_SRC = re.compile(r'\b(?:href|src)="([^"]*)"')


def broken_links(out: pathlib.Path, files: list[pathlib.Path]) -> list[str]:
    """Relative links and sources in the pages whose target is not in the site."""
    problems = []
    for file in files:
        for target in HREF_OR_SRC.findall(file.read_text(encoding="utf-8")):
            if not target or re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:|#|//", target):
                continue
            path = html.unescape(target).split("#", 1)[0].split("?", 1)[0]
            if path and not (file.parent / path).exists():
                problems.append(f"{file.relative_to(out)} links to {target}: not in the site")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.site",
        description="Build the course website: build/site/ (make site) or build/site-instructor/.",
    )
    parser.add_argument(
        "--instructor", action="store_true", help="show reference answers and hidden tests"
    )
    parser.add_argument("--out", type=pathlib.Path, help="build/site or build/site-instructor")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "build" / ("site-instructor" if args.instructor else "site")
    start = time.perf_counter()
    written = build(out, instructor=args.instructor)
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(
        f"{out}: {len(written)} pages (index + {len(written) - 1} notebooks), "
        f"{size / 1e6:.1f} MB, {seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
