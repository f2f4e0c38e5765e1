"""Reading the built site from disk: post pages by title, every HTML page."""

from pathlib import Path

from bs4 import BeautifulSoup

POST_MARKERS = ('class="md-post__back"', "md-post__meta")


def heading_text(tag) -> str:
    """A heading's text without MkDocs' permalink anchor."""
    for link in tag.select("a.headerlink"):
        link.decompose()
    return " ".join(tag.get_text(" ").split())


def post_pages(site_dir: Path) -> dict[str, str]:
    """{title: site path} for every blog post page in the built site."""
    found = {}
    for html_file in sorted(site_dir.rglob("index.html")):
        html = html_file.read_text(encoding="utf-8")
        if not all(marker in html for marker in POST_MARKERS):
            continue
        h1 = BeautifulSoup(html, "html.parser").select_one("article h1")
        if h1 is not None:
            found[heading_text(h1)] = html_file.relative_to(site_dir).parent.as_posix() + "/"
    return found


def html_pages(site_dir: Path) -> list[str]:
    """Site path of every HTML page."""
    pages = []
    for html_file in sorted(site_dir.rglob("*.html")):
        rel = html_file.relative_to(site_dir).as_posix()
        pages.append(rel[: -len("index.html")] if rel.endswith("index.html") else rel)
    return pages
