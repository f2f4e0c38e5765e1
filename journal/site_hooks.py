"""MkDocs hooks: all of the site's glue in one file (listed under `hooks:`).

MkDocs builds from ``docs_dir`` (``pages/``), which cannot be the repository root.
The journal's content stays at the top level, so this hook *mounts* it: before
any plugin sees the file list, every file under ``posts/`` and ``projects/``
is added as if it lived at ``pages/posts/...`` and ``pages/projects/...``. The
blog plugin then finds the posts, mkdocs-jupyter renders the notebooks, and
``mkdocs serve`` watches those folders (``watch:`` in mkdocs.yml).
"""

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
    for file in mounted_files(config):
        if files.get_file_from_path(file.src_uri) is not None:
            raise PluginError(
                f"{file.src_uri} exists both at the top level and in "
                f"{config['docs_dir']}; keep one copy"
            )
        files.append(file)
    add_vendored_assets(files, config)
    return files


def add_vendored_assets(files: Files, config) -> None:
    """Serve the pinned MathJax from the site itself (see journal/vendor.py)."""
    from journal import vendor

    try:
        vendored = vendor.site_files()
    except vendor.VendorError as err:
        raise PluginError(str(err)) from err
    for uri, path in vendored:
        files.append(File.generated(config, uri, abs_src_path=str(path)))


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Expand ``{% embed ... %}`` and ``{% value ... %}`` markers in posts."""
    from mkdocs.exceptions import PluginError

    from journal import embed

    try:
        return embed.expand(markdown, page.file.src_uri)
    except embed.EmbedError as err:
        raise PluginError(str(err)) from err
