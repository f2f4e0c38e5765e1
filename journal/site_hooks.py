"""MkDocs hooks: all of the site's glue in one file (listed under `hooks:`).

MkDocs builds from ``docs_dir`` (``pages/``), which cannot be the repository root.
The journal's content stays at the top level, so this hook *mounts* it: before
any plugin sees the file list, every file under ``posts/`` and ``projects/``
is added as if it lived at ``pages/posts/...`` and ``pages/projects/...``. The
blog plugin then finds the posts, mkdocs-jupyter renders the notebooks, and
``mkdocs serve`` watches those folders (``watch:`` in mkdocs.yml).
"""

import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

from journal import paths

MOUNTS = {"posts": paths.POSTS, "projects": paths.PROJECTS}
SKIP_PARTS = {".ipynb_checkpoints", "__pycache__", ".cache"}
SKIP_SUFFIXES = {".py", ".pyc", ".tmp"}


def mounted_files(config) -> list[File]:
    """Files under the mounted folders, as MkDocs `File` objects."""
    found = []
    for prefix, folder in MOUNTS.items():
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if not path.is_file() or SKIP_PARTS & set(rel.parts):
                continue
            if path.name.startswith(".") or path.suffix in SKIP_SUFFIXES:
                continue
            found.append(File(
                f"{prefix}/{rel.as_posix()}",
                src_dir=str(paths.ROOT),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            ))
    return found


@event_priority(100)  # before the blog and mkdocs-jupyter plugins look at files
def on_files(files: Files, config) -> Files:
    _build.clear()  # `mkdocs serve` rebuilds in one process: start from the files
    _check_posts()
    for file in mounted_files(config):
        if files.get_file_from_path(file.src_uri) is not None:
            raise PluginError(
                f"{file.src_uri} exists both at the top level and in "
                f"{config['docs_dir']}; keep one copy"
            )
        files.append(file)
    for file in generated_files(config):
        if files.get_file_from_path(file.src_uri) is None:
            files.append(file)
    add_vendored_assets(files, config)
    return files


def _check_posts() -> None:
    """Front matter, dates and local links of every post (journal/postcheck.py)."""
    from journal import postcheck

    try:
        postcheck.check_posts(paths.POSTS)
    except postcheck.PostError as err:
        raise PluginError(str(err)) from None


def add_vendored_assets(files: Files, config) -> None:
    """Serve the pinned MathJax from the site itself (see journal/vendor.py)."""
    from journal import vendor

    try:
        vendored = vendor.site_files()
    except vendor.VendorError as err:
        raise PluginError(str(err)) from err
    for uri, path in vendored:
        files.append(File.generated(config, uri, abs_src_path=str(path)))


# --- notebook embeds, figures and provenance stamps -----------------------------

NOTEBOOKS_PAGE = "notebooks.md"
_build = {}  # this build's notebook cache; replaced at the start of every build


def _cache():
    """Notebooks (and their status) read once per build, shared by every hook."""
    from journal import embed

    if "notebooks" not in _build:
        _build["notebooks"] = embed.NotebookCache()
    return _build["notebooks"]


def _notebooks():
    """(path relative to projects/, notebook) for every readable project notebook."""
    from journal import embed

    for path in paths.project_notebooks():
        rel = path.relative_to(paths.PROJECTS).as_posix()
        try:
            yield rel, _cache().get(rel, paths.display_path(path))
        except embed.EmbedError as err:
            raise PluginError(str(err)) from err


def generated_files(config) -> list[File]:
    """Figures of every notebook as image files, and the notebooks page.

    Embedded figures are real files under ``assets/embeds/`` named by their
    content, so `mkdocs build` writes them and `mkdocs serve` serves them.
    """
    from journal import embed

    found, seen = [], set()
    notebooks = list(_notebooks())
    for _, nb in notebooks:
        for uri, content in embed.images_in(nb):
            if uri not in seen:
                seen.add(uri)
                found.append(File.generated(config, uri, content=content))
    found.append(File.generated(config, NOTEBOOKS_PAGE,
                                content=notebooks_page(notebooks)))
    return found


def notebooks_page(notebooks) -> str:
    """The site page listing every notebook with its stamp and status."""
    from journal import provenance

    lines = [
        "# Notebooks",
        "",
        "Every project notebook, with the run its committed outputs come from. "
        "*Up to date* means its code cells, the `snippets` modules it imports, "
        "the lock file and its datasets are unchanged since that run; *stale* "
        "means one of them changed and the notebook needs `journal run`.",
        "",
    ]
    for rel, nb in notebooks:
        state = _cache().status(rel)
        outputs = "outputs committed" if provenance.has_outputs(nb) else "no outputs"
        lines += [
            f"## [{rel.rsplit('/', 1)[-1].removesuffix('.ipynb')}](projects/{rel})",
            "",
            f"**{state}**, {outputs}. "
            + provenance.stamp(nb, paths.PROJECTS / rel),
            "",
        ]
    if not notebooks:
        lines.append("No notebooks yet.")
    return "\n".join(lines) + "\n"


FRONT_MATTER = re.compile(r"^-{3}[ \t]*\n.*?\n(?:-{3}|\.{3})[ \t]*\n", re.DOTALL)


def front_matter_lines(path) -> int:
    """Lines of YAML front matter MkDocs strips before hooks see a page's text."""
    if not path:
        return 0
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError:
        return 0
    match = FRONT_MATTER.match(text)
    return match.group(0).count("\n") if match else 0


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Expand ``{% embed ... %}`` and ``{% value ... %}`` markers in posts."""
    from journal import embed

    def on_image(uri, content):
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=content))

    ctx = embed.Context(page.file.src_uri, page_url=page.url, on_image=on_image)
    source_path = getattr(page.file, "abs_src_path", None)
    try:
        return embed.expand(markdown, page.file.src_uri, cache=_cache(), ctx=ctx,
                            line_offset=front_matter_lines(source_path))
    except embed.EmbedError as err:
        raise PluginError(str(err)) from err


def on_page_content(html: str, page, config, files) -> str:
    """Notebook pages: the provenance stamp on top, ``hide-input`` cells folded."""
    src = page.file.src_uri
    if not (src.startswith("projects/") and src.endswith(".ipynb")):
        return html
    from journal import provenance

    rel = src.removeprefix("projects/")
    path = paths.PROJECTS / rel
    nb = _cache().get(rel, src)
    stamp = (f'<p class="journal-stamp"><small>{_cache().status(rel).capitalize()}: '
             f'{_inline_code(provenance.stamp(nb, path))} '
             f'(<a href="{page.url and _up(page.url)}notebooks/">all notebooks</a>)'
             f'</small></p>')
    return stamp_and_fold(html, nb, stamp)


def _up(url: str) -> str:
    """The relative path from a page URL back to the site root."""
    return "../" * url.rstrip("/").count("/") + ("../" if url.endswith("/") else "")


def stamp_and_fold(html: str, nb, stamp: str) -> str:
    """Put the stamp under the notebook's title; fold ``hide-input`` cells.

    The stamp goes in as text after the first heading; the page is parsed only
    when a cell needs folding (notebook pages are large, and parsing each twice
    was most of the build's time).
    """
    html = fold_hidden_inputs(html, nb)
    end = html.find("</h1>")
    if end == -1:
        return stamp + "\n" + html
    end += len("</h1>")
    return html[:end] + stamp + html[end:]


def _inline_code(text: str) -> str:
    import html as html_lib
    import re

    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html_lib.escape(text, quote=False))


def fold_hidden_inputs(html: str, nb) -> str:
    """Wrap the input of every ``hide-input`` cell in a closed <details>."""
    hidden = [i for i, c in enumerate(nb.cells)
              if "hide-input" in c.get("metadata", {}).get("tags", [])]
    if not hidden:
        return html
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    # mkdocs-jupyter nests two elements with the cell's classes: fold each input once.
    for inputs in soup.select(".jp-Cell.celltag_hide-input .jp-Cell-inputWrapper"):
        if inputs.find_parent("details", class_="journal-hidden-input"):
            continue
        details = soup.new_tag("details", attrs={"class": "journal-hidden-input"})
        summary = soup.new_tag("summary")
        summary.string = "code"
        inputs.wrap(details)
        details.insert(0, summary)
    return str(soup)
