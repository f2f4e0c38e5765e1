"""MkDocs hooks of the journal (listed under `hooks:` in mkdocs.yml).

Each event hands over to one module of `journal.site`; the state of one build
(notebooks read once, the verification report) is made in ``on_config``,
so `mkdocs serve` starts every rebuild afresh.

- ``on_config``: post checks (`journal.postcheck`, through `cache`); every
  notebook page joins the navigation after the projects index, under its
  project's title (`projects`); the search index (`search`) and the build
  cache (`cache`); under ``mkdocs serve --dirty``, whether a rebuild is of
  changed posts only or of every page (`rebuild`, with ``on_nav``);
- ``on_files``: mounting ``posts/`` and
  ``projects/`` (`mount`), figure files and the Projects and Notebooks pages
  (`pages`), the pinned MathJax (`journal.vendor`), the files of browser runs
  with the pinned Pyodide (`live`);
- ``on_pre_page``: a Markdown page converted at most once per content (`cache`);
- ``on_page_markdown``: ``repo:`` links (`repository`); in posts, the
  ``{% embed %}``, ``{% value %}`` and ``{% literal %}`` markers
  (`journal.embed`) with verification stamps (`stamps`), the "Run in your
  browser" control (`live`) and the closing "Re-run this post" box (`rerun`);
- ``on_page_content``: notebook pages made light, titled and stamped
  (`notebook_page`); on every page, what the search index leaves out is marked
  (`search`); posts get their reading time from the cache and excerpts that
  stop at the separator (`excerpts`);
- ``on_env``: the theme's templates compiled once (`cache`);
- ``on_post_build``: the styles and scripts notebook pages share, written once;
  the cache written back.

Costly results (converted pages, highlighted code, expanded markers, notebook
pages, search parses) come from `cache` when what they are made from is
unchanged.
"""

import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

from journal import (embed, markdown_source, paths, project_info, safety, vendor,
                     verification)
from journal.errors import JournalError, Location
from journal.site import (cache, excerpts, live, mount, notebook_page, pages, projects,
                          rebuild, repository, rerun, search, stamps)

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
        self.notebooks = embed.NotebookCache(read=cache.read_notebook)
        self.stamps = stamps.Verification(report, strict)
        self.shared = notebook_page.SharedFiles()
        self.used: dict[str, list[projects.Post]] = {}
        self.live: live.Live | None = None


_command = "build"
_build: Build | None = None


def on_startup(command, dirty):
    global _command
    _command = command
    rebuild.start(command, dirty)


# At the default priority, after the search plugin's on_config has made its index.
def on_config(config):
    global _build
    _build = Build(config, _command)
    cache.configure(config, _build.stamps.report)
    search.install(config)
    try:
        _build.live = live.Live(pages.project_notebooks(_build.notebooks), _build.stamps)
    except JournalError as err:
        raise PluginError(str(err)) from None
    rebuild.plan(config, lambda body, source, offset: post_markdown(
        repository.expand_links(body, config.get("repo_url")), source, None, offset,
        config))
    try:
        cache.check_posts(paths.POSTS)  # first: its errors name the post and line
        _build.used = projects.posts_using(paths.POSTS, quoted=cache.quoted_by)
        notebooks = projects.in_reading_order(
            pages.project_notebooks(_build.notebooks), _build.used)
    except JournalError as err:
        raise PluginError(str(err)) from None
    titles = [(rel, project_info.title(nb, rel)) for rel, nb in notebooks]
    if config["nav"] is not None and not projects.add_to_nav(config["nav"], titles):
        raise PluginError(f"mkdocs.yml: the nav does not list {projects.INDEX}, "
                          f"after which the notebook pages go")
    return config


@event_priority(100)  # before the blog and mkdocs-jupyter plugins look at files
def on_files(files: Files, config) -> Files:
    try:
        notebooks = list(pages.project_notebooks(_build.notebooks))
        safety.check_notebooks(notebooks)  # pages and .ipynb downloads: nothing private
    except JournalError as err:
        raise PluginError(str(err)) from None
    mount.mount(files, config)
    for file in pages.generated_files(config, notebooks, _build.stamps, _build.used):
        if files.get_file_from_path(file.src_uri) is None:
            files.append(file)
    try:
        for uri, path in vendor.site_files():
            files.append(File.generated(config, uri, abs_src_path=str(path)))
        for file in _build.live.files(config):
            files.append(file)
    except (vendor.VendorError, JournalError) as err:
        raise PluginError(str(err)) from err
    return files


def on_nav(nav, config, files):
    rebuild.keep_views(files)


def on_pre_page(page, config, files):
    cache.render_page(page, config, files)


def is_notebook(page) -> bool:
    src = page.file.src_uri
    return src.startswith("projects/") and src.endswith(".ipynb")


def on_page_markdown(markdown: str, page, config, files) -> str:
    if is_notebook(page):
        return markdown  # rendered by mkdocs-jupyter, finished in on_page_content
    try:
        markdown = repository.expand_links(markdown, config.get("repo_url"))
    except ValueError as err:
        raise PluginError(f"{page.file.src_uri}: {err}") from err
    if not page.file.src_uri.startswith("posts/"):
        return markdown
    source = getattr(page.file, "abs_src_path", None)
    offset = 0
    if source and Path(source).is_file():
        offset = markdown_source.split_front_matter(
            Path(source).read_text(encoding="utf-8-sig"))[2]
    try:
        key = cache.post_key(markdown, page.file.src_uri, page.url, offset,
                             config.get("repo_url"), _build.stamps, _build.notebooks,
                             _build.live.key)
        return cache.memo("post", key, lambda: post_markdown(
            markdown, page.file.src_uri, page.url, offset, config))
    except JournalError as err:
        raise PluginError(str(err)) from err


def post_markdown(markdown: str, source: str, page_url: str | None, offset: int,
                  config) -> str:
    """A post's Markdown with its markers expanded and, when it quotes notebooks,
    the closing "Re-run this post" box."""
    # Figures need no files here: `pages.generated_files` wrote every notebook's.
    ctx = embed.Context(source, page_url=page_url, verification=_build.stamps,
                        live=_build.live)
    expanded = embed.expand(markdown, source, cache=_build.notebooks, ctx=ctx,
                            line_offset=offset)
    controls = [_build.live.control(rel, ctx.page_url or "", "post")
                for rel in projects.notebooks_named(markdown, source, offset)
                if _build.live.runs(rel)]
    box = rerun.for_post(markdown, offset, ctx, _build.notebooks, _build.stamps,
                         config.get("repo_url"))
    closing = "\n\n".join(controls + ([box] if box else []))
    return expanded.rstrip("\n") + "\n\n" + closing + "\n" if closing else expanded


@event_priority(50)  # before the blog plugin measures a post's reading time
def on_page_content(html: str, page, config, files) -> str:
    if not is_notebook(page):
        html = search.leave_out(html)
        cache.reading_time(page, html, config)
        rebuild.record(page, html, config)
        excerpts.stop_at_separator(page, config)
        return html
    rel = page.file.src_uri.removeprefix("projects/")
    nb = _build.notebooks.get(rel, Location(page.file.src_uri))
    posts = [(post.title, file.url) for post in _build.used.get(rel, [])
             if (file := files.get_file_from_path(post.src_uri)) is not None]
    stamp = _build.stamps.stamp(rel, nb)
    if _build.live.runs(rel):
        stamp += "\n" + _build.live.control(rel, page.url, "notebook")

    def finish() -> dict:
        shared = notebook_page.SharedFiles()  # what this page adds, kept with it
        html_out = notebook_page.finish(html, nb, rel, page_title=page.title,
                                        page_url=page.url, posts=posts, stamp=stamp,
                                        shared=shared)
        return {"html": search.leave_out(html_out), "shared": shared.files}

    key = cache.notebook_page_key(html, rel, page.title, page.url, posts, stamp)
    done = cache.memo("notebook-page", key, finish)
    _build.shared.files.update(done["shared"])
    return done["html"]


def on_env(env, config, files):
    return cache.templates(env)


@event_priority(100)  # before mkdocs-jupyter clears what it takes for stale
def on_post_build(config):
    rebuild.keep_conversions(config)
    cache.end_build(prune=rebuild.whole)
    site = Path(config["site_dir"])
    for uri, text in _build.shared.files.items():
        target = site / uri
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
