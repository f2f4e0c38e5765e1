"""Run a notebook in memory, in the verification environment, with nbclient.

The notebook runs in a fresh kernel started with `journal.runenv`'s variables
and its folder as the working directory. nbclient owns the execution loop; its
hooks time each cell, report progress and, after the last cell, ask the still
running kernel what it ran with (`journal.runtime.run_record`).
"""

import ast
import json
import os
import time
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from journal import nbfile, paths, runenv, settings
from journal.errors import NotebookError

KERNEL_RECORD = (
    "__import__('json').dumps(__import__('journal.runtime', "
    "fromlist=['run_record']).run_record())"
)


def execute(nb, path: Path, timeout: int = settings.CELL_TIMEOUT_S,
            threads: int | None = None, on_cell=None, record: dict | None = None):
    """Run every cell of ``nb`` (in memory) as the tests would. Returns ``nb``.

    ``on_cell(index, cell)`` is called before each code cell, for progress;
    ``index`` counts code cells only, as error messages do. If ``record`` is
    a dict, it receives ``cell_seconds`` (wall time per cell id),
    ``wall_seconds`` and ``kernel`` (`journal.runtime.run_record` as the
    kernel saw it after the last cell).
    """
    path = Path(path)
    name = paths.display_path(path)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    started: dict[int, float] = {}
    cell_seconds: dict[str, float] = {}
    kernel: dict = {}

    def on_cell_start(cell, cell_index):
        started[cell_index] = time.perf_counter()
        if on_cell and cell.cell_type == "code":
            on_cell(code.index(cell_index), cell)

    async def on_cell_executed(cell, cell_index, execute_reply):
        cell_seconds[cell.get("id") or str(cell_index)] = (
            time.perf_counter() - started[cell_index])
        if record is not None and cell_index == code[-1]:
            kernel.update(await _kernel_record(client, name))

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False, allow_errors=False,
        # The kernel runs on this machine for this run only; its one warning, about
        # TCP without encryption, would print on every `journal run`: show errors only.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        on_cell_start=on_cell_start, on_cell_executed=on_cell_executed,
    )
    start = time.perf_counter()
    try:
        client.execute(env={**os.environ, **runenv.kernel_env(threads)})
    except CellTimeoutError as err:
        raise NotebookError(f"did not finish within {timeout} s", file=name,
                            cell=_failing_cell(nb)) from err
    except CellExecutionError as err:
        raise NotebookError(f"raised {err.ename}: {err.evalue}", file=name,
                            cell=_failing_cell(nb)) from err
    if record is not None:
        record.update(cell_seconds=cell_seconds, kernel=kernel,
                      wall_seconds=time.perf_counter() - start)
    return nb


async def _kernel_record(client, name: str) -> dict:
    """Ask the still-running kernel what it ran with (versions, seed, datasets)."""
    msg_id = client.kc.execute("", silent=True, store_history=False,
                               user_expressions={"record": KERNEL_RECORD})
    reply = await client.async_wait_for_reply(msg_id)
    result = (reply or {}).get("content", {}).get("user_expressions", {}).get("record")
    if not result or result.get("status") != "ok":
        detail = (result or {}).get("evalue", "no reply from the kernel")
        raise NotebookError(f"could not read the run record: {detail}", file=name)
    return json.loads(ast.literal_eval(result["data"]["text/plain"]))


def _failing_cell(nb) -> int:
    """Index (among code cells) of the cell that holds an error, or the last that ran."""
    cells = nbfile.code_cells(nb)
    for i, cell in enumerate(cells):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i
    ran = [i for i, c in enumerate(cells) if c.get("execution_count")]
    return ran[-1] + 1 if ran and ran[-1] + 1 < len(cells) else (ran[-1] if ran else 0)
