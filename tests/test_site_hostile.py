"""The hostile corpus (tests/fixtures/hostile/) built into a site: every payload a
notebook output, title or summary carries is rendered inert, and the build says
what cleaning removed, naming notebook and cell.

One non-strict build of a copy of the site with only the hostile notebook and
post (a strict one stops at the first warning); Chromium then opens the
pages and proves nothing ran: no title set by a payload, no request it made.
"""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

import preview

from built_site import build_copy, site_copy
from journal import paths
from journal.site import csp

HOSTILE = paths.TESTS / "fixtures" / "hostile"
POST_URL = "2026/12/01/what-a-notebook-printed/"
NOTEBOOK_URL = "projects/hostile/hostile/"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    root = site_copy(tmp_path_factory.mktemp("repo"), posts=(HOSTILE / "posts").glob("*.md"),
                     projects=[HOSTILE / "projects" / "hostile"])
    result = build_copy(root, root / "out", strict=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return root / "out", result.stderr


def page(site: Path, url: str) -> BeautifulSoup:
    return BeautifulSoup((site / url / "index.html").read_text(), "html.parser")


def test_the_build_names_each_sanitized_cell(hostile_site):
    _, log = hostile_site
    warnings = [line for line in log.splitlines() if line.startswith("WARNING")]
    where = "projects/hostile/hostile.ipynb, code cell"  # from 1, as everywhere
    assert any(f"{where} 1 of 5 (tag html)" in w and "onerror= handler on <img>" in w
               and "<script> element" in w and "javascript: URL in <a href>" in w
               for w in warnings), log[-3000:]
    assert any(f"{where} 2 of " in w and "ontoggle= handler on <details>" in w
               for w in warnings)
    assert any(f"{where} 3 of " in w and "<script> element in SVG" in w for w in warnings)
    assert any(f"{where} 5 of " in w and "application/javascript" in w for w in warnings)
    # ... and nothing in the built pages: the whole-site check warns of none
    assert not [w for w in warnings if "handler:" in w or "not the site's own" in w
                or "javascript: URL:" in w]


def test_every_built_page_is_inert_and_carries_a_policy(hostile_site):
    site, _ = hostile_site
    for html in csp.pages(site):
        soup = BeautifulSoup(html.read_text(), "html.parser")
        assert csp.page_problems(site, html, soup, "/ml-journal/") == [], html
        if soup.head is not None:
            meta = soup.head.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
            assert meta is not None, html
            assert "script-src 'self'" in meta["content"]
            assert "'unsafe-inline'" not in meta["content"].split("script-src")[1] \
                .split(";")[0]
    for url, outputs in ((POST_URL, ".journal-output"),
                         (NOTEBOOK_URL, ".jp-OutputArea-output")):
        article = page(site, url).select_one("article")
        assert article.find(["iframe", "form", "object", "embed"]) is None, url
        # the one script left is mkdocs-jupyter's copy button, shared as a file
        assert [s for s in article.find_all("script")
                if "/assets/notebook/" not in s.get("src", "")] == [], url
        areas = article.select(outputs)
        assert len(areas) >= 2, url  # the HTML and Markdown outputs are shown...
        for area in areas:  # ... as plain markup
            assert area.find(["svg", "math", "style"]) is None, url
            assert not [a for a in area.find_all(True) if "id" in a.attrs], url
        assert "a link" in article.get_text() and "open me" in article.get_text()


def test_printed_snippet_lines_stay_text(hostile_site):
    site, _ = hostile_site
    article = page(site, POST_URL).select_one("article").get_text()
    assert '--8<-- ".git/config"' in article
    assert '--8<-- "mkdocs.yml"' in article
    assert "site_name:" not in article  # mkdocs.yml was not included


def test_titles_and_summaries_are_text(hostile_site):
    site, _ = hostile_site
    projects = page(site, "projects/")
    assert "<img src=x onerror" in projects.get_text()  # shown, not parsed
    assert not projects.select(".md-content img")
    notebook = page(site, NOTEBOOK_URL)
    assert "Outputs that try to run." in notebook.select_one(".journal-summary").get_text()


def test_svg_output_is_an_image_of_a_clean_file(hostile_site):
    site, _ = hostile_site
    for url in (POST_URL, NOTEBOOK_URL):
        svgs = [img["src"] for img in page(site, url).select(".md-content img")
                if img["src"].endswith(".svg")]
        assert svgs, url
        for src in svgs:
            text = (site / url / src).resolve().read_text()
            assert "<rect" in text
            assert "script" not in text and "onload" not in text
            assert "foreignObject" not in text


# Whatever a payload would have done by now has happened: every image has loaded
# or failed (onerror), two frames have been drawn (SMIL's onbegin, CSS animation
# events), and the tasks those queued have run.
SETTLED = """async () => {
  await Promise.all([...document.images].filter(i => !i.complete).map(i => new Promise(
    done => { i.addEventListener('load', done); i.addEventListener('error', done); })));
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  await new Promise(done => setTimeout(done, 0));
}"""


@pytest.mark.browser
def test_nothing_runs_in_chromium(hostile_site, browser):
    site, _ = hostile_site
    with preview.serve(site) as url:
        context = browser.new_context()
        requests, violations = [], []
        context.on("request", lambda r: requests.append(r.url))
        context.add_init_script(
            'document.addEventListener("securitypolicyviolation", '
            '(e) => console.error("CSP violation: " + e.violatedDirective));')
        tab = context.new_page()
        tab.on("console", lambda m: "CSP violation" in m.text
               and violations.append(m.text))
        for path in (POST_URL, NOTEBOOK_URL, "projects/", "notebooks/"):
            tab.goto(url + "/" + path, wait_until="load")
            tab.evaluate(SETTLED)
            for link in tab.locator("details").all():
                link.evaluate("d => { d.open = !d.open; }")  # ontoggle
            if tab.locator("a", has_text="a link").count():
                tab.locator("a", has_text="a link").first.click()
            tab.evaluate(SETTLED)
            assert not tab.title().startswith("PWNED"), (path, tab.title())
            assert not tab.evaluate("document.title").startswith("PWNED")
        context.close()
    assert not [r for r in requests if "pwned" in r.lower()], requests
    assert violations == []
