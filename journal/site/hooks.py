"""MkDocs hooks of the journal (listed under `hooks:` in mkdocs.yml).

Each event hands over to one module of `journal.site`; the state of one build
(notebooks read once, the verification report) is made in ``on_pre_build``,
so `mkdocs serve` starts every rebuild afresh.

- ``on_files``: post checks (`journal.postcheck`, through `cache`), mounting ``posts/`` and
  ``projects/`` (`mount`), figure files and the Notebooks page (`pages`), the
  pinned MathJax (`journal.vendor`);
- ``on_page_markdown``: ``{% embed %}``, ``{% value %}`` and ``{% literal %}``
  markers in posts (`journal.embed`), with verification stamps (`stamps`);
- ``on_page_content``: notebook pages get their stamp and folded inputs; what
  the search index leaves out is marked (`search`); posts get their cached
  reading time and excerpts that stop at the separator (`excerpts`);
- ``on_config``: the search index (`search`) and the build cache (`cache`);
  ``on_env``, ``on_post_build``: the cache again;
- ``on_startup``, ``on_pre_build``, ``on_nav``: under ``mkdocs serve --dirty``,
  whether a rebuild is of changed posts only or of every page (`rebuild`).

Costly results (highlighted code, expanded markers, notebook pages) come from
`cache` when their inputs are unchanged.
"""

import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

from journal import embed, markdown_source, paths, vendor, verification
from journal.errors import JournalError, Location
from journal.site import cache, excerpts, mount, pages, rebuild, search, stamps

# Set by the browser tests, which build the site before the notebooks are verified.
ALLOW_UNVERIFIED = "JOURNAL_ALLOW_UNVERIFIED"


class Build:
    """What one build reads once: the notebooks and the verification report."""

    def __init__(self, config, command: str):
        strict = bool(config.get("strict")) and command == "build" and \
            not os.environ.get(ALLOW_UNVERIFIED)
        try:
            report = verification.load(*verification.report_files())
        except ValueError as err:
            raise PluginError(str(err)) from err
        self.notebooks = embed.NotebookCache()
        self.stamps = stamps.Verification(report, strict)


_command = "build"
_build: Build | None = None


def on_startup(command, dirty):
    global _command
    _command = command
    rebuild.start(command, dirty)


@event_priority(-100)  # after the search plugin has made its index
def on_config(config):
    cache.configure(config)
    search.install(config)


def on_pre_build(config):
    global _build
    _build = Build(config, _command)
    cache.begin_build(_build.stamps.report)
    rebuild.plan(config, _build.notebooks, _build.stamps)


@event_priority(100)  # before the blog and mkdocs-jupyter plugins look at files
def on_files(files: Files, config) -> Files:
    try:
        cache.check_posts(paths.POSTS)
        notebooks = list(pages.project_notebooks(_build.notebooks))
    except JournalError as err:
        raise PluginError(str(err)) from None
    mount.mount(files, config)
    for file in pages.generated_files(config, notebooks, _build.stamps):
        if files.get_file_from_path(file.src_uri) is None:
            files.append(file)
    try:
        for uri, path in vendor.site_files():
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    except vendor.VendorError as err:
        raise PluginError(str(err)) from err
    return files


def on_nav(nav, config, files):
    rebuild.keep_views(files)


def on_page_markdown(markdown: str, page, config, files) -> str:
    # Figures need no files here: `pages.generated_files` wrote every notebook's.
    ctx = embed.Context(page.file.src_uri, page_url=page.url, verification=_build.stamps)
    source = getattr(page.file, "abs_src_path", None)
    offset = 0
    if source and Path(source).is_file():
        offset = markdown_source.split_front_matter(
            Path(source).read_text(encoding="utf-8-sig"))[2]
    expand = lambda: embed.expand(markdown, page.file.src_uri,  # noqa: E731
                                  cache=_build.notebooks, ctx=ctx, line_offset=offset)
    try:
        if not page.file.src_uri.endswith(".md"):  # a notebook: its page is its file
            return expand()
        key = cache.embed_key(markdown, page.file.src_uri, page.url, offset,
                              _build.stamps, _build.notebooks)
        return cache.memo("embed", key, expand)
    except JournalError as err:
        raise PluginError(str(err)) from err


@event_priority(50)  # before the blog plugin measures a post's reading time
def on_page_content(html: str, page, config, files) -> str:
    src = page.file.src_uri
    if not (src.startswith("projects/") and src.endswith(".ipynb")):
        html = search.leave_out(html)
        cache.reading_time(page, html, config)
        rebuild.record(page, html, config)
        excerpts.stop_at_separator(page, config)
        return html
    rel = src.removeprefix("projects/")
    nb = _build.notebooks.get(rel, Location(src))
    stamp = _build.stamps.stamp(rel, nb)
    return cache.memo("notebook-page", cache.notebook_page_key(html, rel, stamp),
                      lambda: search.leave_out(pages.notebook_page(html, nb, stamp)))


def on_env(env, config, files):
    return cache.templates(env)


@event_priority(100)  # before mkdocs-jupyter clears what it takes for stale
def on_post_build(config):
    rebuild.keep_conversions(config)
    cache.end_build(prune=rebuild.whole)
