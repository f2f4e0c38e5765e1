"""Mounting ``posts/`` and ``projects/`` into the site's file list.

MkDocs builds from ``docs_dir`` (``pages/``), which cannot be the repository
root. The journal's content stays at the top level, so before any plugin sees
the file list, every file under ``posts/`` and ``projects/`` is added as if it
lived at ``pages/posts/...`` and ``pages/projects/...``. The blog plugin then
finds the posts and mkdocs-jupyter renders the notebooks.

A notebook whose outputs `journal.sanitize_html` changes is mounted from a
cleaned copy under ``.cache/sanitized/`` instead, so mkdocs-jupyter (whose
own HTML cleaning is off) renders, and offers for download, only clean outputs.
The site build keeps what cleaning made of each version of a notebook (`cleaned`).
"""

from pathlib import Path

import nbformat
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from journal import paths, sanitize_html

MOUNTS = {"posts": paths.POSTS, "projects": paths.PROJECTS}
SKIP_PARTS = {".ipynb_checkpoints", "__pycache__", ".cache"}
SKIP_SUFFIXES = {".py", ".pyc", ".tmp"}
SANITIZED = paths.ROOT / ".cache" / "sanitized"


def cleaned(path: Path) -> str | None:
    """The notebook at ``path`` with its outputs cleaned (`journal.sanitize_html`),
    or None when cleaning changes nothing."""
    nb = nbformat.read(path, as_version=4)
    return nbformat.writes(nb) if sanitize_html.clean_notebook(nb) else None


def source_dir(prefix: str, path: Path, clean=cleaned) -> str:
    """Where MkDocs reads ``path`` from: the repository, or its cleaned copy
    (``clean`` is `cleaned`; the site build keeps what it found)."""
    if prefix != "projects" or path.suffix != ".ipynb":
        return str(paths.ROOT)
    text = clean(path)
    if text is None:
        return str(paths.ROOT)
    copy = SANITIZED / prefix / path.relative_to(MOUNTS[prefix])
    copy.parent.mkdir(parents=True, exist_ok=True)
    if not copy.is_file() or copy.read_text(encoding="utf-8") != text:
        copy.write_text(text, encoding="utf-8")
    return str(SANITIZED)


def mounted_files(config, clean=cleaned) -> list[File]:
    """Files under the mounted folders, as MkDocs `File` objects (``clean`` as
    for `source_dir`)."""
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
                src_dir=source_dir(prefix, path, clean),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            ))
    return found


def mount(files: Files, config, clean=cleaned) -> None:
    for file in mounted_files(config, clean):
        if files.get_file_from_path(file.src_uri) is not None:
            raise PluginError(
                f"{file.src_uri} exists both at the top level and in "
                f"{config['docs_dir']}; keep one copy"
            )
        files.append(file)
