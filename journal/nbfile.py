"""Reading and writing notebook files: validated on the way in, atomic on the way out."""

import json
import os
import tempfile
from pathlib import Path

import nbformat

from journal import paths
from journal.errors import NotebookError


def read(path: Path) -> nbformat.NotebookNode:
    """Read and validate a notebook, with errors that name the file."""
    path = Path(path)
    name = paths.display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise NotebookError(f"cannot read notebook: {err.strerror}", file=name) from err
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise NotebookError(f"not valid notebook JSON: {err.msg} at line {err.lineno}, "
                            f"column {err.colno}", file=name) from err
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several unrelated types
        raise NotebookError(f"not a valid notebook: {err}", file=name) from err
    return nb


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def write_atomic(nb, path: Path) -> None:
    """Write ``nb`` to ``path`` through a temporary file and one rename."""
    path = Path(path)
    text = nbformat.writes(nb) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".ipynb.tmp",
                               dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
