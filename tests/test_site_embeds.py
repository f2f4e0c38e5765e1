"""The built site: embeds in posts, figures as files, stamps, the notebooks page."""

import json
import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin, urlparse

import pytest
from bs4 import BeautifulSoup
from mkdocs.exceptions import PluginError

from conftest import build_site
from journal import paths
from journal.site import hooks

POST_URL = "2026/11/02/i-stopped-reading-and-fitted-four-models/"
NOTEBOOK_URL = "projects/digits-baselines/digits-baselines/"


@pytest.fixture(scope="module")
def site(site_dir):
    return site_dir


def page(site, url) -> BeautifulSoup:
    return BeautifulSoup((site / url / "index.html").read_text(), "html.parser")


def resolve(site, url, href) -> Path:
    target = urlparse(urljoin("/" + url, href)).path.lstrip("/")
    path = site / target
    return path / "index.html" if path.is_dir() else path


def test_post_embeds_code_output_figure_stamp_and_links(site):
    soup = page(site, POST_URL)
    article = soup.select_one("article")
    text = article.get_text()
    # code, as highlighted fenced code (Material adds its copy button to these)
    code_blocks = [b.get_text() for b in article.select("div.highlight")]
    assert any("confusion_matrix_figure(counts" in b for b in code_blocks)
    # text outputs
    assert any(re.search(r"\d+ of 450 test images wrong", b) for b in code_blocks)
    assert any("SVM (RBF kernel)" in b and "0.99" in b for b in code_blocks)
    # the figure is an image file in the site, not inline base64
    images = article.select("img.journal-figure")
    assert images, "no embedded figure"
    for img in images:
        assert not img["src"].startswith("data:")
        file = resolve(site, POST_URL, img["src"])
        assert file.is_file() and file.read_bytes().startswith(b"\x89PNG")
    assert "data:image" not in str(article)
    # after every embed: links to the notebook, and the stamp of its verification
    sources = article.select(".journal-source")
    stamps = article.select("details.journal-check")
    assert len(sources) == len(stamps) == 3  # one per embed in the post
    for source, stamp in zip(sources, stamps):
        summary = stamp.select_one("summary").get_text()
        assert re.match(r"verified \d{4}-\d{2}-\d{2} at \S+ on 1 CPU thread: "
                        r"(\d+)/\1 outputs within tolerance", summary), summary
        details = stamp.get_text()
        assert "Author's run: reproduced on" in details
        assert "re-run with journal run projects/digits-baselines" in details
        hrefs = [a["href"] for a in source.select("a")]
        assert any(h.endswith(".ipynb") for h in hrefs)
        for href in hrefs:
            assert resolve(site, POST_URL, href).is_file(), href
    assert "{%" not in text


def test_notebook_page_has_stamp_and_folded_setup_cell(site):
    soup = page(site, NOTEBOOK_URL)
    stamp = soup.select_one("details.journal-check summary")
    assert stamp is not None and stamp.get_text().startswith("verified ")
    folded = soup.select("details.journal-hidden-input")
    assert len(folded) == 1 and "setup(seed=0)" in folded[0].get_text()
    assert folded[0].get("open") is None


def test_notebooks_page_lists_every_notebook(site):
    soup = page(site, "notebooks/")
    text = soup.select_one("article").get_text()
    for nb in paths.project_notebooks():
        assert nb.stem in text
    assert "verified" in text and "outputs committed" in text
    # the notebooks the report has no entry for say so, visibly
    assert soup.select(".journal-not-verified")
    link = soup.select_one("article h2 a")
    assert resolve(site, "notebooks/", link["href"]).is_file()


def test_unknown_tag_fails_with_post_path_and_line():
    markdown = 'x\n\n{% embed "digits-baselines/digits-baselines.ipynb" tag="nope" %}\n'
    fake = SimpleNamespace(file=SimpleNamespace(src_uri="posts/2026-01-01-demo.md"),
                           url="2026/01/01/demo/")
    with pytest.raises(PluginError, match=r"posts/2026-01-01-demo.md:3: .*'nope'"):
        hooks.on_pre_build({"strict": False})
        hooks.on_page_markdown(markdown, fake, {}, None)


def test_strict_build_refuses_a_missing_report(tmp_path):
    result = build_site(tmp_path / "out", tmp_path / "no-reports", allow_unverified=False)
    assert result.returncode != 0
    assert re.search(r"projects/\S+\.ipynb has no entry in the verification report; "
                     r"run `make test` \(a strict build publishes only notebooks that "
                     r"passed `make test`", result.stderr), result.stderr[-2000:]


def test_strict_build_refuses_a_failed_report(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    failed = {"verdict": "failed", "date": "2026-11-23T10:00:00Z"}
    (reports / "verification.json").write_text(json.dumps({"notebooks": {
        paths.display_path(nb): failed for nb in paths.project_notebooks()}}))
    result = build_site(tmp_path / "out", reports, allow_unverified=False)
    assert result.returncode != 0
    assert "failed verification on 2026-11-23" in result.stderr, result.stderr[-2000:]
