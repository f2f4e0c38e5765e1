"""What the site should contain (read from the sources), and reading the built
site from disk: post pages by title, every HTML page."""

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

from journal import markdown_source, paths

POST_MARKERS = ('class="md-post__back"', "md-post__meta")


def heading_text(tag) -> str:
    """A heading's text without MkDocs' permalink anchor."""
    for link in tag.select("a.headerlink"):
        link.decompose()
    return " ".join(tag.get_text(" ").split())


def post_pages(site_dir: Path) -> dict[str, str]:
    """{title: site path} for every blog post page in the built site."""
    pages = sorted(Path(site_dir).rglob("index.html"))
    # Parsed once per process for as long as no page changes: several modules ask.
    stats = (page.stat() for page in pages)
    return dict(_post_pages(Path(site_dir), tuple(
        (page, stat.st_mtime_ns, stat.st_size) for page, stat in zip(pages, stats))))


@functools.cache
def _post_pages(site_dir: Path, pages: tuple) -> tuple[tuple[str, str], ...]:
    found = []
    for html_file, _, _ in pages:
        html = html_file.read_text(encoding="utf-8")
        if not all(marker in html for marker in POST_MARKERS):
            continue
        # The first <h1> in an <article>: what comes after it cannot change which.
        start = html.find("<article")
        end = html.find("</h1>", start) if start >= 0 else -1
        h1 = None if end < 0 else BeautifulSoup(
            html[start:end + len("</h1>")], "html.parser").select_one("article h1")
        if h1 is not None:
            found.append((heading_text(h1),
                          html_file.relative_to(site_dir).parent.as_posix() + "/"))
    return tuple(found)


def html_pages(site_dir: Path) -> list[str]:
    """Site path of every HTML page."""
    pages = []
    for html_file in sorted(site_dir.rglob("*.html")):
        rel = html_file.relative_to(site_dir).as_posix()
        pages.append(rel[: -len("index.html")] if rel.endswith("index.html") else rel)
    return pages


@dataclass(frozen=True)
class SourcePost:
    """A post as written in ``posts/``: what its built page must show."""

    path: Path
    title: str
    excerpt: str  # plain text of the excerpt (Markdown syntax stripped)
    has_code: bool  # fenced code, snippet includes or embedded cells
    draft: bool


def _plain_text(markdown: str) -> str:
    """Markdown to plain text, good enough to compare words with a rendered page."""
    text = re.sub(r"\{%.*?%\}", " ", markdown)  # markers expand to other text
    text = re.sub(r"\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)|\$[^$\n]+\$", " ", text,
                  flags=re.S)  # maths is typeset into other characters
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)|!?\[([^\]]*)\]\[[^\]]*\]", r"\1\2", text)
    text = re.sub(r"[*_`#>]", " ", text)
    return " ".join(text.split())


def source_posts(folder: Path = paths.POSTS) -> list[SourcePost]:
    """Every post in ``posts/`` with the facts the site tests check."""
    posts = []
    for path in sorted(folder.glob("*.md")):
        front, body, _ = markdown_source.split_front_matter(
            path.read_text(encoding="utf-8"))
        meta = yaml.safe_load(front or "") or {}
        title = re.search(r"^#\s+(.+?)\s*$", body, re.M)
        if title is None:
            raise ValueError(f"{paths.display_path(path)}: no '# Title' line")
        after_title = body[title.end():]
        excerpt = after_title.split("<!-- more -->", 1)[0]
        posts.append(SourcePost(
            path=path,
            title=title.group(1).strip(),
            excerpt=_plain_text(excerpt),
            has_code=bool(markdown_source.fenced_spans(body) or any(
                m.group(1) == "embed" for m in markdown_source.MARKER.finditer(body))),
            draft=bool(meta.get("draft", False)),
        ))
    return posts


def notebook_url(notebook: Path) -> str:
    """Site path of a project notebook's page (mkdocs-jupyter's layout)."""
    rel = notebook.relative_to(paths.ROOT).with_suffix("")
    return rel.as_posix() + "/"
