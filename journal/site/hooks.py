"""MkDocs hooks of the journal (listed under `hooks:` in mkdocs.yml).

Each event hands over to one module of `journal.site`; the state of one build
(notebooks read once, the verification report) is made in ``on_config``,
so `mkdocs serve` starts every rebuild afresh.

- ``on_config``: post checks (`journal.postcheck`); every notebook page joins
  the navigation after the projects index, under its project's title
  (`projects`);
- ``on_files``: mounting ``posts/`` and
  ``projects/`` (`mount`), figure files and the Projects and Notebooks pages
  (`pages`), the pinned MathJax (`journal.vendor`);
- ``on_page_markdown``: ``repo:`` links (`repository`); in posts, the
  ``{% embed %}``, ``{% value %}`` and ``{% literal %}`` markers
  (`journal.embed`) with verification stamps (`stamps`), and the closing
  "Re-run this post" box (`rerun`);
- ``on_page_content``: notebook pages made light, titled and stamped
  (`notebook_page`);
- ``on_post_build``: the styles and scripts notebook pages share, written once.
"""

import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

from journal import (embed, markdown_source, paths, postcheck, project_info, vendor,
                     verification)
from journal.errors import JournalError, Location
from journal.site import mount, notebook_page, pages, projects, repository, rerun, stamps

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
        self.shared = notebook_page.SharedFiles()
        self.used: dict[str, list[projects.Post]] = {}


_command = "build"
_build: Build | None = None


def on_startup(command, dirty):
    global _command
    _command = command


def on_config(config):
    global _build
    _build = Build(config, _command)
    try:
        postcheck.check_posts(paths.POSTS)  # first: its errors name the post and line
        _build.used = projects.posts_using(paths.POSTS)
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
    except JournalError as err:
        raise PluginError(str(err)) from None
    mount.mount(files, config)
    for file in pages.generated_files(config, notebooks, _build.stamps, _build.used):
        if files.get_file_from_path(file.src_uri) is None:
            files.append(file)
    try:
        for uri, path in vendor.site_files():
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    except vendor.VendorError as err:
        raise PluginError(str(err)) from err
    return files


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
    # Figures need no files here: `pages.generated_files` wrote every notebook's.
    ctx = embed.Context(page.file.src_uri, page_url=page.url, verification=_build.stamps)
    source = getattr(page.file, "abs_src_path", None)
    offset = 0
    if source and Path(source).is_file():
        offset = markdown_source.split_front_matter(
            Path(source).read_text(encoding="utf-8-sig"))[2]
    try:
        expanded = embed.expand(markdown, page.file.src_uri, cache=_build.notebooks,
                                ctx=ctx, line_offset=offset)
        box = rerun.for_post(markdown, offset, ctx, _build.notebooks, _build.stamps,
                             config.get("repo_url"))
    except JournalError as err:
        raise PluginError(str(err)) from err
    return expanded.rstrip("\n") + "\n\n" + box + "\n" if box else expanded


def on_page_content(html: str, page, config, files) -> str:
    if not is_notebook(page):
        return html
    rel = page.file.src_uri.removeprefix("projects/")
    nb = _build.notebooks.get(rel, Location(page.file.src_uri))
    posts = [(post.title, file.url) for post in _build.used.get(rel, [])
             if (file := files.get_file_from_path(post.src_uri)) is not None]
    return notebook_page.finish(html, nb, rel, page_title=page.title, page_url=page.url,
                                posts=posts, stamp=_build.stamps.stamp(rel, nb),
                                shared=_build.shared)


def on_post_build(config):
    site = Path(config["site_dir"])
    for uri, text in _build.shared.files.items():
        target = site / uri
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
