"""Run a notebook in memory, in the verification environment, with nbclient.

The one way a notebook's cells are executed: `journal run` publishes what
`execute` produced and the test suite (`journal.pytest_notebooks`) compares it
with what `execute` produces again. The kernel starts fresh with
`journal.runenv`'s variables in the notebook's folder; nbclient's hooks time
each cell, report progress and, after the last, ask the kernel what it ran with
(`journal.runtime.run_record`). `check_rules` holds what the journal asks of
every notebook; both commands apply it before a cell runs.
"""

import ast
import json
import logging
import os
import re
import subprocess
import time
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbval.plugin import find_comment_markers, find_metadata_tags

from journal import (compare, nbfile, notebook_text, paths, project_info, runenv,
                     settings)
from journal.errors import NotebookError, cell_at

KERNEL_RECORD = (
    "__import__('json').dumps(__import__('journal.runtime', "
    "fromlist=['run_record']).run_record())"
)
RECORD_TIMEOUT_S = 120  # the record imports torch, which a loaded machine takes time on
# nbclient's own log lines ("Timeout waiting for execute reply") repeat what the
# NotebookError raised here says, once, with the cell's name.
QUIET = logging.getLogger("journal.execute.nbclient")
QUIET.setLevel(logging.CRITICAL)
SETUP_CALL = re.compile(r"(?<![\w.])setup\s*\(")
OVERWRITTEN = re.compile(r"[^\n]*\r(?=[^\n])")  # a line a later \r redrew


# --- rules ----------------------------------------------------------------------

def exemption(cell) -> str | None:
    """The nbval marker or tag that takes a cell out of the comparison, if any."""
    found = dict(find_metadata_tags(cell.get("metadata", {})) or [])
    found.update(dict(find_comment_markers(cell.get("source", ""))))
    if found.get("skip"):
        return "skipped (NBVAL_SKIP)"
    if found.get("check") is False:
        return "output ignored (NBVAL_IGNORE_OUTPUT)"
    return None


def is_published(path: Path) -> bool:
    """A notebook under projects/: the site shows it and `make test` verifies it."""
    return paths.PROJECTS in Path(path).resolve().parents


def check_rules(nb, path: Path) -> None:
    """Raise `NotebookError` for the first rule ``nb`` breaks.

    Every notebook: no cell that publishes a metric or a figure carries an
    nbval exemption. Published notebooks also: the first code cell calls
    `setup()` (figures carry no record of what they show without it), and the
    metadata holds a title and a one-line summary (`journal.project_info`), and
    no number is typed in the markdown or the metadata readers see
    (`journal.notebook_text`, the rule posts follow).
    """
    name = paths.display_path(path)
    cells = nbfile.code_cells(nb)
    for i, cell in enumerate(cells):
        reason = exemption(cell)
        if reason and compare.publishes_results(cell.get("outputs", [])):
            raise NotebookError(
                f"publishes a metric or a figure and cannot be exempted from "
                f"verification ({reason}); remove the marker", at=cell_at(name, cells, i))
    if not is_published(path):
        return
    if not cells or not SETUP_CALL.search(cells[0].source):
        raise NotebookError(
            "the first code cell must call `setup()` (`from journal.notebook import "
            "setup` then `device = setup(seed=0)`): it pins seeds and threads, and "
            "figures carry no record of what they show without it", file=name)
    summary = project_info.summary(nb)
    if not nb.metadata.get(project_info.KEY, {}).get("title") or not summary.strip() \
            or "\n" in summary.strip():
        raise NotebookError(
            "the notebook's metadata needs a title and a one-line summary "
            "(\"journal\": {\"title\": ..., \"summary\": ...}; in Jupyter: Edit, "
            "Notebook Metadata)", file=name)
    notebook_text.check(nb, name)


# --- execution ------------------------------------------------------------------

def execute(nb, path: Path, timeout: int = settings.CELL_TIMEOUT_S,
            threads: int | None = None, on_cell=None, record: dict | None = None,
            ask_kernel: bool = True):
    """Check `check_rules`, then run every cell of ``nb`` (in memory). Returns ``nb``.

    ``on_cell(label)`` is called before each code cell, for progress, with the
    cell's name as every message gives it (``code cell 3 of 9 (id train)``).
    If ``record`` is a dict, it receives ``cell_seconds`` (wall time per cell
    id), ``wall_seconds`` and, with ``ask_kernel``, ``kernel``
    (`journal.runtime.run_record` as the kernel saw it after the last cell).
    On failure the `NotebookError` names the cell, and ``nb`` holds the
    outputs up to it.
    """
    path = Path(path)
    name = paths.display_path(path)
    check_rules(nb, path)
    cells = nbfile.code_cells(nb)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    started: dict[int, float] = {}
    cell_seconds: dict[str, float] = {}
    kernel: dict = {}
    current = [0]  # the code cell running now, for errors

    def on_cell_start(cell, cell_index):
        started[cell_index] = time.perf_counter()
        if cell.cell_type == "code":
            current[0] = code.index(cell_index)
            if on_cell:
                on_cell(cell_at(name, cells, current[0]).cell_name)

    async def on_cell_executed(cell, cell_index, execute_reply):
        cell.outputs = merge_streams(cell.outputs)
        cell_seconds[cell.get("id") or str(cell_index)] = (
            time.perf_counter() - started[cell_index])
        status = (execute_reply or {}).get("content", {}).get("status")
        allowed = "raises-exception" in cell.metadata.get("tags", [])
        if (record is not None and ask_kernel and cell_index == code[-1]
                and (status == "ok" or allowed)):
            kernel.update(await _kernel_record(client, name))

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False, allow_errors=False,
        # The kernel runs on this machine for this run only. Its own log (a warning
        # about TCP without encryption on every start; a traceback when a cell that
        # ran too long is stopped; one from tornado when the shutdown request
        # races the closing of its sockets) says nothing the NotebookError below
        # does not; what cells write, to either stream, reaches their outputs.
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        log=QUIET,
        on_cell_start=on_cell_start, on_cell_executed=on_cell_executed,
    )
    start = time.perf_counter()
    try:
        client.execute(env={**os.environ, **runenv.kernel_env(threads)},
                       stderr=subprocess.DEVNULL)
    except CellTimeoutError as err:
        raise NotebookError(f"did not finish within {timeout:g} s (per-cell timeout)",
                            at=cell_at(name, cells, current[0])) from err
    except CellExecutionError as err:
        raise NotebookError(f"raised {err.ename}: {err.evalue}",
                            at=cell_at(name, cells, current[0])) from err
    except DeadKernelError as err:
        raise NotebookError("the kernel died (out of memory, or a crash in native "
                            "code)", at=cell_at(name, cells, current[0])) from err
    check_rules(nb, path)  # the new outputs, before anyone publishes them
    if record is not None:
        record.update(cell_seconds=cell_seconds, wall_seconds=time.perf_counter() - start)
        if ask_kernel:
            record.update(kernel=kernel)
    return nb


def merge_streams(outputs: list) -> list:
    """Outputs as Jupyter keeps them: consecutive writes to one stream joined, and
    a line redrawn after ``\\r`` (a progress bar) kept as it was drawn last.

    nbclient's own ``coalesce_streams`` would also move stdout written after a
    `display()` above it; this keeps the order a reader saw.
    """
    merged: list = []
    for out in outputs:
        last = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and last is not None
                and last.get("output_type") == "stream" and last.name == out.name):
            last.text += out.text
        else:
            merged.append(out)
    for out in merged:
        if out.get("output_type") == "stream":
            out.text = OVERWRITTEN.sub("", out.text)
    return merged


async def _kernel_record(client, name: str) -> dict:
    """Ask the still-running kernel what it ran with (versions, seed, datasets)."""
    # execute_interactive returns once the kernel is idle again. Returning on the
    # reply alone let the shutdown's interrupt reach the kernel while it was still
    # in its message handler, which it logs as "KeyboardInterrupt caught in kernel".
    try:
        reply = await client.kc.execute_interactive(
            "", silent=True, store_history=False, timeout=RECORD_TIMEOUT_S,
            user_expressions={"record": KERNEL_RECORD})
    except TimeoutError as err:
        raise NotebookError(f"could not read the run record within {RECORD_TIMEOUT_S} s",
                            file=name) from err
    result = (reply or {}).get("content", {}).get("user_expressions", {}).get("record")
    if not result or result.get("status") != "ok":
        detail = (result or {}).get("evalue", "no reply from the kernel")
        raise NotebookError(f"could not read the run record: {detail}", file=name)
    return json.loads(ast.literal_eval(result["data"]["text/plain"]))
