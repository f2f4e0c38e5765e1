"""The projects as a reader meets them: a title, a one-line summary, the posts
that use each, and a place in the site's navigation.

A project's title and summary are written by its author in the notebook's
metadata, beside the provenance stamp that `journal run` keeps there (in
Jupyter: Edit, Notebook Metadata)::

    "metadata": {"journal": {"title": "Baselines on 8×8 digits",
                             "summary": "Four off-the-shelf classifiers ...", ...}}

Metadata is not code, so editing it needs no re-run (the notebook's checksum
changes, so the next `make test` verifies it again). A notebook without a
title is shown under its first heading, or its file name; the test suite asks
every project for both.

The posts that use a notebook are the published posts whose ``{% embed %}`` or
``{% value %}`` markers name it, in the order they were written.
"""

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from journal import embed, markdown_source, paths, provenance

INDEX = "projects/index.md"  # the projects index page, listed in mkdocs.yml's nav
HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Post:
    src_uri: str  # "posts/2026-11-02-stop-theorising.md"
    title: str


def first_heading(markdown: str) -> str | None:
    """The text of the first ``# Heading`` outside code, or None."""
    found = HEADING.search(markdown_source.blank_code(markdown))
    return markdown[found.start(1):found.end(1)] if found else None


def title(nb, rel: str) -> str:
    """The project's title: its metadata, else its first heading, else its name."""
    given = provenance.recorded(nb).get("title")
    if given:
        return given
    for cell in nb.cells:
        heading = first_heading(cell.source) if cell.cell_type == "markdown" else None
        if heading:
            return heading
    return posixpath.basename(rel).removesuffix(".ipynb").replace("-", " ").capitalize()


def summary(nb) -> str:
    return provenance.recorded(nb).get("summary", "")


def source_url(rel: str) -> str:
    """Site path of the notebook file next to its page (mkdocs-jupyter's include_source)."""
    stem = posixpath.splitext(rel)[0]
    return f"projects/{stem}/{posixpath.basename(rel)}"


def notebooks_named(markdown: str, source: str, line_offset: int = 0) -> list[str]:
    """Notebooks (relative to projects/) a post's embed and value markers name, in order."""
    named = []
    for _, marker in embed.parse(markdown, source, line_offset):
        rel = posixpath.normpath(marker.notebook)
        if marker.kind in ("embed", "value") and rel not in named:
            named.append(rel)
    return named


def posts_using(folder: Path = paths.POSTS) -> dict[str, list[Post]]:
    """{notebook path relative to projects/: published posts that quote it}."""
    used: dict[str, list[Post]] = {}
    for path in sorted(folder.glob("*.md")):
        front, body, offset = markdown_source.split_front_matter(
            path.read_text(encoding="utf-8"))
        if (yaml.safe_load(front or "") or {}).get("draft"):
            continue  # not published
        source = f"posts/{path.name}"
        post = Post(source, first_heading(body) or path.stem)
        for rel in notebooks_named(body, source, offset):
            used.setdefault(rel, []).append(post)
    return used


def in_reading_order(notebooks, used: dict[str, list[Post]]):
    """Notebooks ordered by the first post that uses them (unused ones last)."""
    def first_use(item):
        posts = used.get(item[0])
        return (posts[0].src_uri if posts else "~", item[0])
    return sorted(notebooks, key=first_use)


def add_to_nav(nav: list, notebooks) -> bool:
    """Put every notebook page after the projects index in ``nav`` (mkdocs.yml's).

    ``notebooks`` is ``[(path relative to projects/, title)]``. Returns whether
    the index was found; a notebook the nav already lists is left where it is.
    """
    def listed(items):
        for item in items:
            if isinstance(item, dict):
                yield from (v for value in item.values()
                            for v in ([value] if isinstance(value, str) else listed(value)))
            else:
                yield item

    def section_with_index(items):
        if any(item == INDEX or isinstance(item, dict) and INDEX in item.values()
               for item in items):
            return items
        for item in items:
            for value in (item.values() if isinstance(item, dict) else ()):
                if isinstance(value, list) and (found := section_with_index(value)):
                    return found
        return None

    section = section_with_index(nav)
    if section is None:
        return False
    present = set(listed(nav))
    section += [{name: f"projects/{rel}"} for rel, name in notebooks
                if f"projects/{rel}" not in present]
    return True
