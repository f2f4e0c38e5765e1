"""The page-weight measure `make bench` applies to every page (bench/weight.py):
what a first visit transfers, opened in headless Chromium with an empty cache.

The budgets themselves are checked by `make bench`, never here; these tests
show on small made-up sites that the measure counts what it should.
"""

import base64
import gzip
import os
from pathlib import Path

import pytest
import weight as page_weight  # bench/weight.py


pytestmark = pytest.mark.browser

# The made-up pages run no script, so nothing is sent after their load event:
# a short quiet time suffices (real pages get bench/weight.py's QUIET_S).
QUIET_S = 0.2


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
    report = page_weight.measure(site, browser, QUIET_S)
    assert [p.page for p in report.pages if not p.ok] == ["heavy/"]
    assert not report.ok


def test_page_weight_counts_each_kind_as_sent(browser, tmp_path):
    css, js, png = b"p { color: red; }\n" * 200, b"console.log(1);\n" * 300, b"x" * 5000
    html = ('<link rel="stylesheet" href="../a.css"><script src="../a.js"></script>'
            '<img src="../fig.png">')
    site = small_site(tmp_path, {"post": html}, {"a.css": css, "a.js": js, "fig.png": png})
    [page] = page_weight.measure(site, browser, QUIET_S).pages
    sent = lambda data: len(gzip.compress(data, compresslevel=6, mtime=0))  # noqa: E731
    assert dict(page.bytes) == {"html": sent(html.encode()), "css": sent(css),
                                "js": sent(js), "images": len(png)}
    assert page.uncompressed == len(html) + len(css) + len(js) + len(png)
