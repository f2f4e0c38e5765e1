"""The built site: embeds in posts, figures as files, stamps, the projects and
notebooks pages, notebook pages, the re-run box, links derived from mkdocs.yml."""

import json
import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin, urlparse

import pytest
import yaml
from bs4 import BeautifulSoup
from mkdocs.exceptions import PluginError

from built_site import VERIFIED_NOTEBOOK, LinksAndIds, build_copy, site_copy
from journal import nbfile, paths
from journal.site import repository, stamps
from journal.site.plugin import JournalPlugin

POST_URL = "2026/11/02/i-stopped-reading-and-fitted-four-models/"
NOTEBOOK_URL = "projects/digits-baselines/digits-baselines/"
CONFIG = yaml.safe_load((paths.ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


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
    line = article.select_one(".journal-line").get_text()
    assert re.match(r"✓ \d+ numbers?(,| and) .*re-derived on \d{4}-\d{2}-\d{2} at \S+ · "
                    r"what this means", line), line
    for source, stamp in zip(sources, stamps):
        summary = stamp.select_one("summary").get_text()
        assert summary == "✓Verified: what was checked", summary
        details = stamp.get_text()
        assert "Re-derived by the test suite on " in details
        assert "Author's run: reproduced on" in details
        assert "re-run with journal run projects/digits-baselines" in details
        hrefs = [a["href"] for a in source.select("a")]
        assert any(h.endswith(".ipynb") for h in hrefs)
        for href in hrefs:
            assert resolve(site, POST_URL, href).is_file(), href
    assert "{%" not in text


def test_notebook_page_has_stamp_and_folded_setup_cell(site):
    soup = page(site, NOTEBOOK_URL)
    line = soup.select_one(".journal-line")
    assert line is not None and re.match(r"✓ \d+ outputs re-derived on ", line.get_text())
    assert line.select_one("details.journal-check summary") is not None
    folded = soup.select("details.journal-hidden-input")
    assert len(folded) == 1 and "setup(seed=0)" in folded[0].get_text()
    assert folded[0].get("open") is None


def test_notebook_page_has_its_own_title_summary_and_posts(site):
    meta = nbfile.read(VERIFIED_NOTEBOOK).metadata["journal"]
    soup = page(site, NOTEBOOK_URL)
    article = soup.select_one("article")
    h1 = article.select_one("h1")
    assert h1.get_text().rstrip("¶") == meta["title"]
    assert soup.select_one("title").get_text().startswith(meta["title"])
    assert article.select_one(".journal-summary").get_text() == meta["summary"]
    used = article.select_one(".journal-used-in")
    posts = {a.get_text(): a["href"] for a in used.select("a:not([download])")}
    assert "I stopped reading and fitted four models" in posts
    for href in [*posts.values(), used.select_one("a[download]")["href"]]:
        assert resolve(site, NOTEBOOK_URL, href).is_file(), href


@pytest.mark.parametrize("notebook", paths.project_notebooks(), ids=lambda p: p.stem)
def test_notebook_page_is_light(site, notebook):
    url = notebook.relative_to(paths.ROOT).with_suffix("").as_posix() + "/"
    html = (site / url / "index.html").read_text()
    article = BeautifulSoup(html, "html.parser").select_one("article")
    assert "data:image" not in html, "figures are files, not inline base64"
    assert not article.select("style"), "styles are shared files, not inline"
    assert not article.select(".celltoolbar, .cell-tag"), "tag chips are for authors"
    for link in article.select("link[rel=stylesheet]"):
        assert resolve(site, url, link["href"]).is_file()
    for img in article.select("img"):
        assert resolve(site, url, img["src"]).is_file(), img["src"]


def test_projects_page_lists_every_project(site):
    soup = page(site, "projects/")
    article = soup.select_one("article")
    headings = {h.get_text().rstrip("¶"): h for h in article.select("h2")}
    for notebook in paths.project_notebooks():
        meta = nbfile.read(notebook).metadata["journal"]
        assert meta["title"] in headings, f"projects page has no {meta['title']!r}"
        heading = headings[meta["title"]]
        assert resolve(site, "projects/", heading.select_one("a")["href"]).is_file()
        summary, used = heading.find_next_siblings("p")[:2]
        assert summary.get_text() == meta["summary"]
        assert re.match(r"(Last verified \d{4}-\d{2}-\d{2}|Not verified yet|Changed since)",
                        used.get_text()), used.get_text()
        for link in used.select("a"):
            assert resolve(site, "projects/", link["href"]).is_file(), link["href"]
    verified = headings[nbfile.read(VERIFIED_NOTEBOOK).metadata["journal"]["title"]]
    used = verified.find_next_siblings("p")[1]
    assert used.get_text().startswith("Last verified 20")
    assert "I stopped reading and fitted four models" in used.get_text()


def test_post_ends_with_a_closed_rerun_box(site, reports_dir):
    entry = json.loads((reports_dir / "verification.json").read_text())["notebooks"][
        paths.display_path(VERIFIED_NOTEBOOK)]
    article = page(site, POST_URL).select_one("article")
    boxes = article.select("details.journal-rerun")
    assert len(boxes) == 1 and boxes[0].get("open") is None
    box = boxes[0]
    assert box.find_next_sibling() is None or not box.find_next_sibling().get_text().strip()
    commands = box.select_one("pre").get_text()
    assert commands.splitlines() == [
        f"git clone {CONFIG['repo_url']}.git", "cd ml-journal",
        "make test PYTEST_ARGS=projects/digits-baselines"]
    text = " ".join(box.get_text().split())
    assert "journal run --force projects/digits-baselines" in text
    seconds = entry["seconds"]
    took = f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    assert f"took {took} on {entry['platform']['cpu']}, 1 CPU thread" in text
    assert "no button to open these notebooks on a hosted notebook service" in text
    download = box.select_one("a[download]")["href"]
    assert download.endswith(".ipynb") and resolve(site, POST_URL, download).is_file()


def test_links_to_the_repository_derive_from_mkdocs_yml(site):
    repo = CONFIG["repo_url"].rstrip("/")
    name = repository.folder_name(repo)
    assert "example" not in CONFIG["site_url"] + repo
    article = page(site, POST_URL).select_one("article")
    assert article.select_one(f'a[href="{repo}/blob/main/journal/datasets.py"]')
    assert ("href", f"{repo}/blob/main/journal/datasets.py") in \
        LinksAndIds((site / POST_URL / "index.html").read_text()).urls
    for html_file in site.rglob("*.html"):
        for _, href in LinksAndIds(html_file.read_text()).urls:
            host = urlparse(href).hostname or ""
            assert "example" not in host, f"{html_file}: {href}"
            # Another project on the forge may be cited; this journal's own
            # repository is only ever linked at repo_url.
            if host == "github.com" and f"/{name}" in urlparse(href).path:
                assert href.startswith(repo), f"{html_file}: {href}"


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


def demo_post_markdown(markdown: str) -> str:
    """``markdown`` through the plugin as the post posts/2026-01-01-demo.md."""
    fake = SimpleNamespace(file=SimpleNamespace(src_uri="posts/2026-01-01-demo.md"),
                           url="2026/01/01/demo/")
    plugin = JournalPlugin()
    plugin.load_config({})
    plugin.on_startup(command="build", dirty=False)
    plugin.on_config({"strict": False, "nav": None})
    return plugin.on_page_markdown(markdown, page=fake, config={"repo_url": None},
                                   files=None)


def test_unknown_tag_fails_with_post_path_and_line():
    markdown = 'x\n\n{% embed "digits-baselines/digits-baselines.ipynb" tag="nope" %}\n'
    with pytest.raises(PluginError, match=r"posts/2026-01-01-demo.md:3: .*'nope'"):
        demo_post_markdown(markdown)


@pytest.mark.parametrize("line, message", [
    ('--8<-- "snippets/no_such_module.py:part"', "no such file snippets/no_such_module.py"),
    ('--8<-- ".git/config"', "only files under snippets/ can be quoted"),
])
def test_a_quote_outside_snippets_or_of_a_missing_file_names_post_and_line(line, message):
    with pytest.raises(PluginError, match=rf"posts/2026-01-01-demo.md:3: .*{message}"):
        demo_post_markdown(f"x\n\n{line}\n")


def one_project_site(tmp_path):
    """A copy of the site with one project and no posts: the refusals below
    are about notebooks, and one is enough to show them."""
    return site_copy(tmp_path / "repo", projects=[VERIFIED_NOTEBOOK.parent])


def test_strict_build_refuses_a_missing_report(tmp_path):
    result = build_copy(one_project_site(tmp_path), tmp_path / "out",
                        reports=tmp_path / "no-reports", allow_unverified=False)
    assert result.returncode != 0
    assert re.search(r"projects/\S+\.ipynb has no entry in the verification report; "
                     r"run `make test` \(a strict build publishes only notebooks that "
                     r"passed `make test`", result.stderr), result.stderr[-2000:]


def test_strict_build_refuses_a_failed_report():
    """The same refusal as above, from a report whose verdict is "failed" (the
    build above shows that a strict build stops on it)."""
    nb = nbfile.read(VERIFIED_NOTEBOOK)
    failed = {"verdict": "failed", "date": "2026-11-23T10:00:00Z"}
    report = {"notebooks": {paths.display_path(VERIFIED_NOTEBOOK): failed}}
    rel = VERIFIED_NOTEBOOK.relative_to(paths.PROJECTS).as_posix()
    with pytest.raises(PluginError, match="failed verification on 2026-11-23"):
        stamps.Verification(report, strict=True).stamp(rel, nb)
    shown = stamps.Verification(report, strict=False).stamp(rel, nb)
    assert "journal-not-verified" in shown
    assert "failed verification on 2026-11-23" in shown
