"""The course website (``neurolab docs``) as a reader meets it: built from executed
notebooks, served from 127.0.0.1, opened in headless Chromium.

The lessons (and ``02_stdp_window``, a research notebook with a slider explorer) are run
once through the pipeline's runner (``neurolab.lab.runner.execute``, what ``neurolab
reproduce`` runs) into a temporary results folder; ``build_docs`` makes the site from
those copies with ``sphinx-build -W --keep-going -n``. Then, in Chromium, with every
request recorded:

- every page of the site loads with no page error and no failed request, and every image
  on it decodes;
- every lesson page shows each figure its executed notebook holds (the explorer's too,
  from its static copy), and MathJax typesets every equation of the page (each ``.math``
  element holds a rendered ``mjx-container``, none holds an error);
- no request leaves 127.0.0.1 (MathJax, fonts, theme assets: all served by the site).

Needs the system's ``chromium`` and the dev extra (playwright, sphinx, myst-nb, furo,
django-static-mathjax). Without chromium this test FAILS, saying so; deselect it on purpose
with ``-m "not browser"``. About a minute on 2 cores with numba's cache warm.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser_harness import (
    ROOT,
    _playwright_acquire,
    _playwright_release,
    chromium_path,
    require_tools,
)

pytestmark = pytest.mark.browser

LESSONS = sorted(p.stem for p in (ROOT / "notebooks" / "course").glob("*.ipynb"))
NOTEBOOKS = ["02_stdp_window"]          # a research notebook whose explorer has an Output


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site: (html folder, results folder with the executed copies)."""
    require_tools()
    from neurolab.lab.docs import build_docs
    from neurolab.lab.notebooks import find_notebook
    from neurolab.lab.runner import execute

    tmp = tmp_path_factory.mktemp("docs-site")
    stage = tmp / "stage"
    for name in LESSONS + NOTEBOOKS:
        execute(find_notebook(name, ROOT), {}, stage, root=ROOT, timeout=600,
                progress_bar=False)
    log = []
    html = build_docs(LESSONS + NOTEBOOKS, root=ROOT, out=tmp / "build",
                      results=stage / "results", log=log.append)
    assert (html / "index.html").is_file(), "\n".join(log)
    return html, stage / "results"


@pytest.fixture(scope="module")
def server(site):
    html, _ = site

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(html)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    pw = _playwright_acquire()          # one Playwright per process, shared with the others
    try:
        chromium = pw.chromium.launch(
            executable_path=chromium_path(),
            args=["--no-sandbox",
                  # any name but the local ones fails to resolve: nothing is fetched
                  ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, "
                   "EXCLUDE 127.0.0.1")])
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        _playwright_release()


class Visit:
    """One page opened in a fresh context, with every request, failed request, HTTP
    error and page error it caused recorded."""

    def __init__(self, browser, url: str):
        self.requests, self.failed, self.errors = [], [], []
        self.context = browser.new_context(viewport={"width": 1300, "height": 1000})
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.context.on("requestfailed", lambda r: self.failed.append(
            f"{r.url} ({r.failure})"))
        self.context.on("response", lambda r: self.failed.append(f"{r.url} (HTTP {r.status})")
                        if r.status >= 400 else None)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(url, wait_until="load", timeout=60_000)

    def typeset(self) -> dict:
        """Wait for MathJax (when the page loads it) and count its work."""
        page = self.page
        if page.evaluate("() => !!document.querySelector('script[src*=\"mathjax\"]')"):
            from playwright.sync_api import TimeoutError as PlaywrightTimeout

            try:
                page.wait_for_function("() => window.MathJax && MathJax.startup && "
                                       "MathJax.startup.promise", timeout=60_000)
            except PlaywrightTimeout:
                raise AssertionError(f"{page.url}: MathJax never started; requests: "
                                     f"{self.requests}; failed: {self.failed}") from None
            page.evaluate("() => MathJax.startup.promise")
        return page.evaluate("""() => {
            const math = [...document.querySelectorAll('.math')];
            return {math: math.length,
                    typeset: math.filter(m => m.querySelector('mjx-container')).length,
                    containers: document.querySelectorAll('mjx-container').length,
                    errors: document.querySelectorAll('mjx-merror').length};
        }""")

    def images(self) -> list[dict]:
        self.page.evaluate("""() => Promise.all([...document.images].map(i => i.decode()
                                                   .catch(() => null)))""")
        return self.page.evaluate("""() => [...document.images].map(i => ({
            src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0,
            output: !!i.closest('.cell_output')}))""")

    def close(self):
        self.context.close()


def _pages(html: Path) -> list[str]:
    return sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html")
                  if not p.relative_to(html).parts[0].startswith("_"))


def _figures_in(notebook: Path) -> int:
    """Figures the page of an executed notebook must show: its image outputs, plus the
    figures its explorers' static copies add (as ``static_widgets`` makes them)."""
    from neurolab.lab.docs import static_widgets

    nb = json.loads(notebook.read_text(encoding="utf-8"))
    static_widgets(nb)
    return sum(1 for c in nb["cells"] for o in c.get("outputs", [])
               if "image/png" in o.get("data", {}))


def test_every_page_loads_offline(site, server, browser):
    html, _ = site
    pages = _pages(html)
    assert {"index.html", "rules.html", "api.html", "teaching.html",
            "benchmarks/README.html", "course/index.html"} <= set(pages)
    foreign, problems = [], []
    for rel in pages:
        visit = Visit(browser, f"{server}/{rel}")
        try:
            math = visit.typeset()
            broken = [i["src"] for i in visit.images() if not i["ok"]]
            problems += [f"{rel}: {what}" for what in visit.failed + visit.errors]
            problems += [f"{rel}: image {src} does not decode" for src in broken]
            if math["errors"]:
                problems.append(f"{rel}: {math['errors']} MathJax errors")
            foreign += [u for u in visit.requests
                        if urlsplit(u).scheme not in ("data", "blob", "about")
                        and urlsplit(u).hostname != "127.0.0.1"]
        finally:
            visit.close()
    assert not foreign, f"requests that left 127.0.0.1: {foreign}"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", LESSONS + NOTEBOOKS)
def test_lesson_page_shows_figures_and_equations(site, server, browser, name):
    _, results = site
    section = "course" if name in LESSONS else "notebooks"
    visit = Visit(browser, f"{server}/{section}/{name}.html")
    try:
        math = visit.typeset()
        images = [i for i in visit.images() if i["output"]]
        expected = _figures_in(results / "notebooks" / f"{name}.ipynb")
        assert expected >= 1, f"{name}: the executed notebook holds no figure"
        assert len(images) == expected, (f"{name}: {len(images)} figures on the page, "
                                         f"{expected} in the executed notebook")
        assert all(i["ok"] for i in images), f"{name}: a figure does not decode: {images}"
        assert math["math"] > 0, f"{name}: no equation on the page"
        assert math["typeset"] == math["math"], (
            f"{name}: MathJax typeset {math['typeset']} of {math['math']} equations")
        assert math["errors"] == 0, f"{name}: {math['errors']} MathJax errors"
        assert not visit.errors, visit.errors
        foreign = [u for u in visit.requests if urlsplit(u).hostname not in
                   (None, "127.0.0.1")]
        assert not foreign, f"{name}: requests that left 127.0.0.1: {foreign}"
    finally:
        visit.close()


def test_explorer_is_shown_as_it_ran(site, server, browser):
    """A slider explorer's page shows its static copy: the note naming the sliders'
    values, then the figure the explorer drew, and loads no widget JavaScript."""
    visit = Visit(browser, f"{server}/course/lesson4_explorer.html")
    try:
        note = visit.page.locator(".nl-widget-static").first
        text = note.inner_text()
        assert "A_plus" in text and "=" in text, text
        assert not any("widget" in u or "require" in u for u in visit.requests), \
            visit.requests
    finally:
        visit.close()
