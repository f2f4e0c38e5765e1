"""Mounting ``posts/`` and ``projects/`` into the site's file list.

MkDocs builds from ``docs_dir`` (``pages/``), which cannot be the repository
root. The journal's content stays at the top level, so before any plugin sees
the file list, every file under ``posts/`` and ``projects/`` is added as if it
lived at ``pages/posts/...`` and ``pages/projects/...``. The blog plugin then
finds the posts and mkdocs-jupyter renders the notebooks.

A notebook whose outputs `journal.sanitize_html` changes is mounted from a
cleaned copy under ``.cache/sanitized/`` instead, so mkdocs-jupyter (whose
own HTML cleaning is off) renders, and offers for download, only clean outputs.
"""

import nbformat
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from journal import paths, sanitize_html

MOUNTS = {"posts": paths.POSTS, "projects": paths.PROJECTS}
SKIP_PARTS = {".ipynb_checkpoints", "__pycache__", ".cache"}
SKIP_SUFFIXES = {".py", ".pyc", ".tmp"}
SANITIZED = paths.ROOT / ".cache" / "sanitized"


def source_dir(prefix: str, path) -> str:
    """Where MkDocs reads ``path`` from: the repository, or its cleaned copy."""
    if prefix != "projects" or path.suffix != ".ipynb":
        return str(paths.ROOT)
    nb = nbformat.read(path, as_version=4)
    if not sanitize_html.clean_notebook(nb):
        return str(paths.ROOT)
    copy = SANITIZED / prefix / path.relative_to(MOUNTS[prefix])
    copy.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    if not copy.is_file() or copy.read_text(encoding="utf-8") != text:
        copy.write_text(text, encoding="utf-8")
    return str(SANITIZED)


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
                src_dir=source_dir(prefix, path),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            ))
    return found


def mount(files: Files, config) -> None:
    for file in mounted_files(config):
        if files.get_file_from_path(file.src_uri) is not None:
            raise PluginError(
                f"{file.src_uri} exists both at the top level and in "
                f"{config['docs_dir']}; keep one copy"
            )
        files.append(file)
