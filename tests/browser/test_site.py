"""The course website (make site) in a real browser, served from 127.0.0.1 only.

The student edition is built into a temporary folder (``tools.site.build``) and served by
Python's http.server on a free port of 127.0.0.1. Chromium (conftest.py's ``browser``) opens the
index and every notebook page; every request the page makes to any other host is aborted and
recorded. Each page must show: every Mermaid diagram as an SVG, one rendered widget per saved
widget view, every image loaded (naturalWidth > 0), every same-site link answering 200, no
failed request, no script error and no external request. Screenshots (and summary.json with the
counts) land in ``artifacts/site/``.

Needs node_modules/ (``npm ci``; ``make test`` runs it first): without it the test skips, except
under CI, where it fails, the same rule as for Chromium.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request

import nbformat
import pytest

from .conftest import ROOT

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
SETTLE_TIMEOUT = 60_000  # ms: mermaid (5 MB) and the widget manager load, then draw


def _site_tool():
    from tools import site

    return site


PAGES = _site_tool().discover()


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    """A snapshot of notebooks/: the site and the expected counts come from the same notebooks."""
    copy = tmp_path_factory.mktemp("course") / "notebooks"
    shutil.copytree(ROOT / "notebooks", copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return copy


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory, chromium_path, notebooks):
    """The student edition, built from the snapshot into a temporary folder."""
    if not (ROOT / "node_modules").is_dir():
        reason = "node_modules/ is missing: run `npm ci --no-audit --no-fund` (make test does)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the website test", pytrace=False)
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("site") / "site"
    _site_tool().build(out, notebooks=notebooks)
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
        pass


@pytest.fixture(scope="module")
def server(site_dir):
    """http.server on 127.0.0.1 and a free port, serving the site, in a thread."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def site_artifacts(artifacts):
    folder = artifacts.parent / "site"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def summary(site_artifacts):
    """Counts per page, written to artifacts/site/summary.json at the end."""
    rows: dict[str, dict] = {}
    yield rows
    (site_artifacts / "summary.json").write_text(json.dumps(rows, indent=2, sort_keys=True))


def expected(notebooks, page) -> dict:
    """What the page must show, read from the notebook as the student edition publishes it."""
    site = _site_tool()
    nb = nbformat.read(notebooks / page.source.relative_to(site.NOTEBOOKS), as_version=4)
    nb, _ = site.StudentExercises().preprocess(nb, {})
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    return {
        "diagrams": sum(
            len(re.findall(r"^\s*```+\s*mermaid", c.source, re.MULTILINE))
            for c in nb.cells
            if c.cell_type == "markdown"
        ),
        "widgets": sum(
            1
            for o in outputs
            if WIDGET_VIEW in o.get("data", {}) and o["data"][WIDGET_VIEW]["model_id"] in state
        ),
        "images": sum(1 for o in outputs if any(m in o.get("data", {}) for m in IMAGE_MIMES)),
    }


class PageWatch:
    """Aborts and records requests to other hosts; records failed requests and script errors."""

    def __init__(self, page, base: str):
        self.base = base
        self.external: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        page.route("**/*", self._route)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("requestfailed", lambda r: self._failed(r.url, r.failure))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))

    def _local(self, url: str) -> bool:
        return url.startswith(self.base) or url.split(":", 1)[0] in ("data", "blob", "about")

    def _route(self, route):
        if self._local(route.request.url):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def _failed(self, url, failure):
        if self._local(url):
            self.failed.append(f"{failure} {url}")


def check_links(page, base: str) -> int:
    """Every same-site link (fragment removed) answers 200; returns how many were checked."""
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    targets = sorted({h.split("#", 1)[0] for h in hrefs if h.startswith(base)})
    broken = []
    for target in targets:
        try:
            with urllib.request.urlopen(target, timeout=10) as response:
                if response.status != 200:
                    broken.append(f"{response.status} {target}")
        except urllib.error.HTTPError as error:
            broken.append(f"{error.code} {target}")
    assert not broken, f"links that do not resolve: {broken}"
    return len(targets)


def check_images(page) -> int:
    """Every <img> (plots, drawings inside widgets) has loaded; returns how many."""
    page.wait_for_function(
        "() => [...document.images].every(img => img.complete)", timeout=SETTLE_TIMEOUT
    )
    images = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => ({w: i.naturalWidth, src: i.src.slice(0, 80)}))"
    )
    empty = [i["src"] for i in images if i["w"] <= 0]
    assert not empty, f"images that did not load: {empty}"
    return len(images)


def test_index(browser, server, notebooks, site_artifacts, summary):
    page = browser.new_page()
    watch = PageWatch(page, server)
    try:
        page.goto(server + "index.html", wait_until="load")
        for notebook in _site_tool().discover(notebooks):
            link = page.locator(f'a[href="{notebook.href}"]').first
            assert link.count() == 1, f"the index does not link {notebook.href}"
            assert notebook.heading in page.inner_text("main")
        assert "make course" in page.inner_text("main") and "make test" in page.inner_text("main")
        links = check_links(page, server)
        page.screenshot(path=str(site_artifacts / "index.png"), full_page=True)
        assert not watch.external, f"requests to other hosts: {watch.external}"
        assert not watch.failed, f"failed requests: {watch.failed}"
        assert not watch.errors, f"script errors: {watch.errors}"
        summary["index.html"] = {"links": links, "external_requests": len(watch.external)}
    finally:
        page.close()


@pytest.mark.parametrize("notebook", PAGES, ids=[p.href for p in PAGES])
def test_notebook_page(browser, server, notebooks, site_artifacts, summary, notebook):
    want = expected(notebooks, notebook)
    page = browser.new_page()
    watch = PageWatch(page, server)
    stem = notebook.href.replace("/", "__").removesuffix(".html")
    try:
        page.goto(server + notebook.href, wait_until="load")

        # Mermaid: every ```mermaid block is drawn as an SVG, none failed.
        page.wait_for_function(
            "() => ['done', 'none', 'error'].includes(document.body.dataset.mermaid)",
            timeout=SETTLE_TIMEOUT,
        )
        assert page.evaluate("document.body.dataset.mermaid") in ("done", "none")
        blocks = page.locator(".jp-Mermaid").count()
        svgs = page.locator(".jp-Mermaid > figure.site-mermaid > svg").count()
        assert blocks == want["diagrams"], f"{blocks} Mermaid blocks, notebook has {want}"
        assert svgs == want["diagrams"], f"{svgs} of {blocks} Mermaid diagrams are SVGs"
        for index in range(svgs):
            box = page.locator(".site-mermaid > svg").nth(index).bounding_box()
            assert box and box["width"] > 50 and box["height"] > 50, f"diagram {index}: {box}"

        # Widgets: one rendered view per saved widget view.
        rendered = ".widget-subarea > .jupyter-widgets"
        if want["widgets"]:
            page.wait_for_function(
                f"n => document.querySelectorAll({json.dumps(rendered)}).length >= n",
                arg=want["widgets"],
                timeout=SETTLE_TIMEOUT,
            )
        views = page.locator(rendered).count()
        assert views == want["widgets"], f"{views} widgets rendered, {want['widgets']} saved"
        assert "Error rendering Jupyter widget" not in page.inner_text("body")
        assert page.locator(".widget-subarea .widget-error, mjx-merror").count() == 0

        images = check_images(page)
        assert images >= want["images"], f"{images} images on the page, {want['images']} stored"
        links = check_links(page, server)

        page.screenshot(path=str(site_artifacts / f"{stem}.png"))
        if svgs:
            page.locator(".site-mermaid").first.screenshot(
                path=str(site_artifacts / f"{stem}-diagram.png")
            )
        if views:
            page.locator(rendered).first.screenshot(path=str(site_artifacts / f"{stem}-widget.png"))

        assert not watch.external, f"requests to other hosts: {watch.external}"
        assert not watch.failed, f"failed requests: {watch.failed}"
        assert not watch.errors, f"script errors: {watch.errors}"
        summary[notebook.href] = {
            "diagrams_svg": svgs,
            "widgets_rendered": views,
            "images_loaded": images,
            "links_ok": links,
            "external_requests": len(watch.external),
        }
    finally:
        page.close()
