"""What a rebuild under ``mkdocs serve --dirty`` (``make serve``) must redo.

Before each rebuild `plan` compares the files MkDocs watches with the last
build. If only posts changed and each shows the same on the views that list it,
the rebuild stays dirty: MkDocs rebuilds those posts, `keep_views` keeps the
blog's views and the search index replaces the posts' entries
(`journal.site.search`). Otherwise the output folder is emptied first, so every
page is rebuilt. ``mkdocs build`` and a plain ``mkdocs serve`` never build
dirty: `Rebuild.whole` stays true. Why: pages/site.md, "Cost: what changed,
not what the journal holds".
"""

import logging
import os
from pathlib import Path

import markdown
from mkdocs.utils import clean_directory

from journal import markdown_source, paths
from journal.errors import JournalError
from journal.site import cache, internals

log = logging.getLogger("mkdocs.plugins.journal")


class _DirtyWarning(logging.Filter):
    """MkDocs warns on every dirty build; `Rebuild.plan` makes them safe."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "A 'dirty' build is being performed" not in record.getMessage()


def _ignored(path: Path) -> bool:
    """Editor backups, bytecode and hidden files: MkDocs builds nothing from them."""
    return any(part.startswith(".") or part == "__pycache__" for part in path.parts) \
        or path.name.endswith(("~", ".pyc", ".tmp"))


def watched_files(config) -> dict[str, tuple[int, int]]:
    """Every file MkDocs watches (docs, configuration, ``watch:``), with its stat."""
    found = {}
    for root in (Path(r) for r in (config.docs_dir, config.config_file_path,
                                   *config.watch) if r):
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file() and not _ignored(path.relative_to(root.parent)):
                stat = path.stat()
                found[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return found


def _is_post(path: str) -> bool:
    return path.endswith(".md") and Path(path).is_relative_to(paths.POSTS)


def rendered(path: Path, config, render) -> str:
    """A post's HTML as the build will make it, links aside (for its reading time)."""
    source = "posts/" + path.relative_to(paths.POSTS).as_posix()
    _, body, offset = markdown_source.split_front_matter(
        path.read_text(encoding="utf-8-sig"))
    return markdown.Markdown(extensions=config.markdown_extensions,
                             extension_configs=config.mdx_configs).convert(
        render(body, source, offset))


class Rebuild:
    """What the last builds of one ``mkdocs serve --dirty`` saw, and what the
    next one must redo. ``stored`` is the build cache (for reading times)."""

    def __init__(self, stored: cache.BuildCache):
        self.stored = stored
        self.serving_dirty = False
        self.whole = True  # this build makes every page (false: a dirty rebuild of posts)
        self.files: dict[str, tuple[int, int]] = {}  # watched file -> (mtime_ns, size)
        self.shown: dict[str, str] = {}  # post file -> what the views show of it

    def start(self, command: str, dirty: bool) -> None:
        """At ``on_startup``: only ``mkdocs serve --dirty`` rebuilds part of the site."""
        self.serving_dirty = command == "serve" and dirty
        if self.serving_dirty:
            logging.getLogger("mkdocs.commands.build").addFilter(_DirtyWarning())

    def shown_on_views(self, path: Path, html: str, config) -> str:
        """What the blog views show of a post: its front matter, its text up to the
        excerpt separator, and the reading time of its ``html``."""
        front, body, _ = markdown_source.split_front_matter(
            path.read_text(encoding="utf-8-sig"))
        blog = config.plugins.get("material/blog")
        separator, minutes = "<!-- more -->", ""
        if blog is not None:
            separator = blog.config.post_excerpt_separator
            if blog.config.post_readtime:
                minutes = self.stored.readtime_of(
                    html, blog.config.post_readtime_words_per_minute)
        return cache.digest(front or "", body.split(separator, 1)[0], minutes)

    def plan(self, config, render) -> None:
        """At ``on_config``: a dirty rebuild of changed posts, or the whole site?

        ``render(markdown, source, line_offset)`` gives a post's Markdown as the
        build will render it (markers expanded), so the reading time compared is
        the one the blog plugin will measure.
        """
        if not self.serving_dirty:
            return
        now = watched_files(config)
        changed = sorted(p for p in now.keys() | self.files.keys()
                         if now.get(p) != self.files.get(p))
        shown = {}
        try:
            for p in changed:
                if p in now and p in self.files and _is_post(p):
                    html = rendered(Path(p), config, render)
                    shown[p] = self.shown_on_views(Path(p), html, config)
        except (JournalError, ValueError):
            shown = {}  # the whole build will report it, with its location
        first, self.files = not self.files, now
        self.whole = first or any(shown.get(p) is None or shown[p] != self.shown.get(p)
                                  for p in changed)
        if self.whole:
            self.shown.clear()
            if not first:
                log.info("journal: rebuilding every page")
                clean_directory(config.site_dir)  # each page is then older than its source
        else:
            self.shown.update(shown)
            log.info("journal: rebuilding %s only", ", ".join(
                os.path.relpath(p, paths.ROOT) for p in changed))

    @property
    def dirty(self) -> bool:
        """Whether this build is a dirty rebuild of changed posts only."""
        return self.serving_dirty and not self.whole

    def keep_views(self, files) -> None:
        """At ``on_nav`` of a dirty rebuild: the blog's views stay as they were built.

        The blog plugin writes the sources of its views (archive, categories,
        pages of the index) again on every build, so MkDocs would rebuild them
        all, from only the posts it rebuilds. `plan` found that nothing they
        show changed, so their pages are marked up to date instead.
        """
        if self.dirty:
            for file in files:
                if file.generated_by == "material/blog" and \
                        os.path.isfile(file.abs_dest_path):
                    os.utime(file.abs_dest_path)  # now newer than the rewritten source

    def keep_conversions(self, config) -> None:
        """At ``on_post_build``, before mkdocs-jupyter's: a dirty rebuild converts
        no notebook, and the plugin would take its whole cache for stale and
        delete it. Its ``cache`` option is read again from mkdocs.yml for the
        next build."""
        if self.dirty:
            internals.set_jupyter_cache(config, False)  # skips only its eviction now

    def record(self, page, html: str, config) -> None:
        """At a whole build's ``on_page_content``: what the views show of each post."""
        path = getattr(page.file, "abs_src_path", None)
        if self.serving_dirty and self.whole and path and _is_post(path):
            self.shown[path] = self.shown_on_views(Path(path), html, config)
