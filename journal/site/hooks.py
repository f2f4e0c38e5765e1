"""MkDocs hooks of the journal (listed under `hooks:` in mkdocs.yml).

Each event hands over to one module of `journal.site`; the state of one build
(notebooks read once, the verification report) is made in ``on_pre_build``,
so `mkdocs serve` starts every rebuild afresh.

- ``on_files``: post checks (`journal.postcheck`), mounting ``posts/`` and
  ``projects/`` (`mount`), figure files and the Notebooks page (`pages`), the
  pinned MathJax (`journal.vendor`);
- ``on_page_markdown``: ``{% embed %}``, ``{% value %}`` and ``{% literal %}``
  markers in posts (`journal.embed`), with verification stamps (`stamps`);
- ``on_page_content``: notebook pages get their stamp and folded inputs.
"""

import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

from journal import embed, markdown_source, paths, postcheck, vendor, verification
from journal.errors import JournalError, Location
from journal.site import mount, pages, stamps

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


def on_pre_build(config):
    global _build
    _build = Build(config, _command)


@event_priority(100)  # before the blog and mkdocs-jupyter plugins look at files
def on_files(files: Files, config) -> Files:
    try:
        postcheck.check_posts(paths.POSTS)
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


def on_page_markdown(markdown: str, page, config, files) -> str:
    # Figures need no files here: `pages.generated_files` wrote every notebook's.
    ctx = embed.Context(page.file.src_uri, page_url=page.url, verification=_build.stamps)
    source = getattr(page.file, "abs_src_path", None)
    offset = 0
    if source and Path(source).is_file():
        offset = markdown_source.split_front_matter(
            Path(source).read_text(encoding="utf-8-sig"))[2]
    try:
        return embed.expand(markdown, page.file.src_uri, cache=_build.notebooks,
                            ctx=ctx, line_offset=offset)
    except JournalError as err:
        raise PluginError(str(err)) from err


def on_page_content(html: str, page, config, files) -> str:
    src = page.file.src_uri
    if not (src.startswith("projects/") and src.endswith(".ipynb")):
        return html
    rel = src.removeprefix("projects/")
    nb = _build.notebooks.get(rel, Location(src))
    return pages.notebook_page(html, nb, _build.stamps.stamp(rel, nb))
