"""What a first visit to each page transfers (bench/weight.py), every page within
its budget. Every page is opened in headless Chromium with an empty cache."""

import base64
import gzip
import os
from pathlib import Path

import pytest
import weight as page_weight  # bench/weight.py

from journal import paths
from sitemap_helpers import source_posts

pytestmark = pytest.mark.browser


def test_every_page_is_within_its_first_visit_budget(browser, site_dir):
    report = page_weight.measure(site_dir, browser)
    assert len(report.of_kind("post")) == len([p for p in source_posts() if not p.draft])
    assert len(report.of_kind("notebook")) == len(paths.project_notebooks())
    assert len(report.pages) == len(list(site_dir.rglob("*.html")))
    # Maths is MathML written at build time: no page fetches a script for it.
    assert report.ok and report.search_index <= report.search_budget, \
        "\n" + report.table()
    for page in report.pages:
        assert page.bytes["html"] > 0 and page.bytes["css"] > 0 and page.bytes["js"] > 0, \
            f"{page.page}: {dict(page.bytes)}"
        assert not page.failed, f"{page.page}: {page.failed}"
        assert not [r for r in page.requested if "mathjax" in r.lower()], page.page


def small_site(root: Path, pages: dict[str, str], files: dict[str, bytes]) -> Path:
    (root / "search").mkdir(parents=True)
    (root / "search" / "search_index.json").write_text("{}")
    for name, html in pages.items():
        (root / name).mkdir(parents=True)
        (root / name / "index.html").write_text(html)
    for name, content in files.items():
        (root / name).write_bytes(content)
    return root


def test_page_weight_flags_a_heavy_page(browser, tmp_path):
    # random text: gzip cannot bring it under the budget
    heavy = base64.b64encode(os.urandom(page_weight.BUDGETS["page"])).decode()
    site = small_site(tmp_path, {"light": "<p>light</p>", "heavy": f"<p>{heavy}</p>"}, {})
    report = page_weight.measure(site, browser)
    assert [p.page for p in report.pages if not p.ok] == ["heavy/"]
    assert not report.ok


def test_page_weight_counts_each_kind_as_sent(browser, tmp_path):
    css, js, png = b"p { color: red; }\n" * 200, b"console.log(1);\n" * 300, b"x" * 5000
    html = ('<link rel="stylesheet" href="../a.css"><script src="../a.js"></script>'
            '<img src="../fig.png">')
    site = small_site(tmp_path, {"post": html}, {"a.css": css, "a.js": js, "fig.png": png})
    [page] = page_weight.measure(site, browser).pages
    sent = lambda data: len(gzip.compress(data, compresslevel=6, mtime=0))  # noqa: E731
    assert dict(page.bytes) == {"html": sent(html.encode()), "css": sent(css),
                                "js": sent(js), "images": len(png)}
    assert page.uncompressed == len(html) + len(css) + len(js) + len(png)
