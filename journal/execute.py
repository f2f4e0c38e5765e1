"""Execute a notebook in place, in the verification environment, atomically.

The notebook runs in a fresh kernel with `journal.runenv`'s variables, its
folder as the working directory. Outputs are written to a temporary file in
the same folder that replaces the original only after every cell succeeded:
a run that fails or is interrupted leaves the notebook byte-identical.
"""

import ast
import json
import os
import tempfile
import time
from datetime import datetime, timezone
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


KERNEL_RECORD = (
    "__import__('json').dumps(__import__('journal.runtime', "
    "fromlist=['run_record']).run_record())"
)


def execute(nb, path: Path, timeout: int = CELL_TIMEOUT_S, threads: int | None = None,
            on_cell=None, record: dict | None = None):
    """Run every cell of ``nb`` (in memory) as the tests would. Returns ``nb``.

    ``on_cell(index, cell)`` is called before each code cell, for progress;
    ``index`` counts code cells only, as error messages do. If ``record`` is
    a dict, it receives ``cell_seconds`` (wall time per cell id),
    ``wall_seconds`` and ``kernel`` (`journal.runtime.run_record` as the
    kernel saw it after the last cell).
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
    cell_seconds: dict[str, float] = {}
    start = time.perf_counter()
    try:
        with _environ(env):
            client.reset_execution_trackers()
            with client.setup_kernel():
                info = client.wait_for_reply(client.kc.kernel_info())
                nb.metadata["language_info"] = info["content"]["language_info"]
                code_index = 0
                for index, cell in enumerate(nb.cells):
                    if on_cell and cell.cell_type == "code":
                        on_cell(code_index, cell)
                        code_index += 1
                    t0 = time.perf_counter()
                    client.execute_cell(cell, index,
                                        execution_count=client.code_cells_executed + 1)
                    if cell.cell_type == "code":
                        cell_seconds[cell.get("id") or str(index)] = (
                            time.perf_counter() - t0)
                kernel = _kernel_record(client, name) if record is not None else None
            client.set_widgets_metadata()
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
    if record is not None:
        record.update(cell_seconds=cell_seconds, kernel=kernel,
                      wall_seconds=time.perf_counter() - start)
    return nb


def _kernel_record(client, name: str) -> dict:
    """Ask the still-running kernel what it ran with (versions, seed, datasets)."""
    msg_id = client.kc.execute("", silent=True, store_history=False,
                               user_expressions={"record": KERNEL_RECORD})
    reply = client.wait_for_reply(msg_id)
    result = (reply or {}).get("content", {}).get("user_expressions", {}).get("record")
    if not result or result.get("status") != "ok":
        detail = (result or {}).get("evalue", "no reply from the kernel")
        raise NotebookError(f"{name}: could not read the run record: {detail}")
    return json.loads(ast.literal_eval(result["data"]["text/plain"]))


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
    """Read, execute, stamp and atomically rewrite one notebook.

    The provenance stamp and inputs fingerprint (`journal.provenance`) go into
    the notebook's metadata; nothing is written unless every cell succeeded.
    """
    from journal import provenance, safety

    nb = read_notebook(path)
    started = datetime.now(timezone.utc)
    run: dict = {}
    execute(nb, path, record=run, **kwargs)
    provenance.record(nb, provenance.build_record(
        run["kernel"], run["cell_seconds"], run["wall_seconds"], started))
    safety.clean_for_publishing(nb, path)  # relative paths in outputs; no secrets
    write_atomic(nb, path)
    return nb
