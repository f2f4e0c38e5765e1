"""Execute a notebook in place, in the verification environment, atomically.

The notebook runs in a fresh kernel with `journal.runenv`'s variables, its
folder as the working directory. Outputs are written to a temporary file in
the same folder that replaces the original only after every cell succeeded:
a run that fails or is interrupted leaves the notebook byte-identical.
"""

import json
import os
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from journal import paths, runenv

CELL_TIMEOUT_S = 600


class NotebookError(Exception):
    """A notebook could not be read or run; the message names file and cell."""


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read and validate a notebook, with errors that name the file."""
    path = Path(path)
    name = paths.display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise NotebookError(f"{name}: cannot read notebook: {err.strerror}") from err
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise NotebookError(
            f"{name}: not valid notebook JSON: {err.msg} at line {err.lineno}, "
            f"column {err.colno}"
        ) from err
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several unrelated types
        raise NotebookError(f"{name}: not a valid notebook: {err}") from err
    return nb


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def execute(nb, path: Path, timeout: int = CELL_TIMEOUT_S, threads: int | None = None,
            on_cell=None):
    """Run every cell of ``nb`` (in memory) as the tests would. Returns ``nb``.

    ``on_cell(index, cell)`` is called before each code cell, for progress.
    """
    path = Path(path)
    name = paths.display_path(path)
    env = {**os.environ, **runenv.kernel_env(threads)}

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        allow_errors=False,
    )
    client.on_cell_execute = (
        (lambda cell, cell_index: on_cell(cell_index, cell)) if on_cell else None
    )
    try:
        with _environ(env):
            client.execute()
    except CellTimeoutError as err:
        index = _failing_cell(nb)
        raise NotebookError(
            f"{name} cell {index}: did not finish within {timeout} s"
        ) from err
    except CellExecutionError as err:
        index = _failing_cell(nb)
        raise NotebookError(
            f"{name} cell {index}: raised {err.ename}: {err.evalue}"
        ) from err
    return nb


def _failing_cell(nb) -> int:
    """Index (among code cells) of the last cell that holds an error or ran."""
    cells = code_cells(nb)
    for i, cell in enumerate(cells):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i
    ran = [i for i, c in enumerate(cells) if c.get("execution_count")]
    return ran[-1] + 1 if ran and ran[-1] + 1 < len(cells) else (ran[-1] if ran else 0)


class _environ:
    """Temporarily replace os.environ (the kernel inherits it at start)."""

    def __init__(self, env):
        self.env = env

    def __enter__(self):
        self.saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env)

    def __exit__(self, *exc):
        os.environ.clear()
        os.environ.update(self.saved)


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


def run_in_place(path: Path, **kwargs) -> nbformat.NotebookNode:
    """Read, execute and atomically rewrite one notebook."""
    nb = read_notebook(path)
    execute(nb, path, **kwargs)
    from journal.safety import clean_for_publishing  # (it imports this module)
    clean_for_publishing(nb, path)  # relative paths in outputs; refuses secrets
    write_atomic(nb, path)
    return nb
