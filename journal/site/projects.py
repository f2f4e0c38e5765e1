"""The projects as a reader meets them: the posts that use each notebook, their
reading order, and a place in the site's navigation.

A project's title and summary come from its notebook (`journal.project_info`).
The posts that use a notebook are the published posts whose ``{% embed %}`` or
``{% value %}`` (or ``claim``, ``runs``) markers name it, in the order they were
written.
"""

import posixpath
from dataclasses import dataclass
from pathlib import Path

import yaml

from journal import embed, markdown_source, paths

INDEX = "projects/index.md"  # the projects index page, listed in mkdocs.yml's nav


@dataclass(frozen=True)
class Post:
    src_uri: str  # "posts/2026-11-02-stop-theorising.md"
    title: str


def source_url(rel: str) -> str:
    """Site path of the notebook file next to its page (mkdocs-jupyter's include_source)."""
    stem = posixpath.splitext(rel)[0]
    return f"projects/{stem}/{posixpath.basename(rel)}"


def notebooks_named(markdown: str, source: str, line_offset: int = 0) -> list[str]:
    """Notebooks (relative to projects/) a post's markers name (all but ``literal``),
    in order."""
    named = []
    for _, marker in embed.parse(markdown, source, line_offset):
        rel = posixpath.normpath(marker.notebook)
        if marker.kind != "literal" and rel not in named:
            named.append(rel)
    return named


def quoted_by(path: Path) -> tuple[Post, list[str]] | None:
    """A published post and the notebooks it quotes, in order (None: a draft)."""
    front, body, offset = markdown_source.split_front_matter(
        path.read_text(encoding="utf-8"))
    if (yaml.safe_load(front or "") or {}).get("draft"):
        return None  # not published
    source = f"posts/{path.name}"
    post = Post(source, markdown_source.first_heading(body) or path.stem)
    return post, notebooks_named(body, source, offset)


def posts_using(folder: Path = paths.POSTS, quoted=quoted_by) -> dict[str, list[Post]]:
    """{notebook path relative to projects/: published posts that quote it}.

    Notebooks come in the order the posts first use them (posts by date).
    ``quoted`` reads one post (`quoted_by`, or the build cache's).
    """
    used: dict[str, list[Post]] = {}
    for path in sorted(folder.glob("*.md")):
        found = quoted(path)
        if found is not None:
            post, rels = found
            for rel in rels:
                used.setdefault(rel, []).append(post)
    return used


def in_reading_order(notebooks, used: dict[str, list[Post]]):
    """Notebooks in the order posts first use them (`posts_using`'s), unused ones last."""
    first = {rel: i for i, rel in enumerate(used)}
    return sorted(notebooks, key=lambda item: (first.get(item[0], len(first)), item[0]))


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
