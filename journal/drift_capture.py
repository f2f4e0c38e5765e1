"""pytest plugin for `journal drift`: what each notebook cell reproduced, as values.

Loaded beside `journal.pytest_notebooks` (``-p journal.drift_capture
--drift-values FILE``). For every notebook cell it records the reproduced value
of each published metric (`journal.live.check.metric_rows`, the browser's rows)
and the error the cell raised, if any, so the drift report can say how far a
result moved and why a notebook stopped running, not only that it failed.
"""

import json
import os
from pathlib import Path

import pytest

from journal.live import check
from journal.pytest_notebooks import NotebookCell

KEY = "journal_drift"
_cells: list[dict] = []


def pytest_addoption(parser):
    parser.getgroup("journal notebooks").addoption(
        "--drift-values", default=None,
        help="write each cell's reproduced metric values and errors to this JSON file")


def cell_error(outputs: list[dict] | None, excinfo) -> str | None:
    """The exception a cell raised ("Name: message"), or why it could not run."""
    raised = [o for o in outputs or [] if o.get("output_type") == "error"]
    if raised:
        return f"{raised[-1].get('ename')}: {raised[-1].get('evalue')}"
    if excinfo is not None and "Timeout" in str(excinfo.value):
        return "did not finish within the per-cell timeout"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    if call.when == "call" and isinstance(item, NotebookCell):
        reproduced = item.reproduced_outputs or []
        item.user_properties.append((KEY, {
            "notebook": item.notebook, "cell": item.cell_num,
            "id": item.cell.get("id"),
            "tags": list(item.cell.get("metadata", {}).get("tags", [])),
            "metrics": check.metric_rows(item.cell.get("outputs", []), reproduced),
            "error": cell_error(reproduced, call.excinfo),
        }))
    yield


def pytest_runtest_logreport(report):
    if report.when == "call":
        _cells.extend(value for key, value in report.user_properties if key == KEY)


def pytest_sessionfinish(session, exitstatus):
    target = session.config.getoption("--drift-values")
    if not target or hasattr(session.config, "workerinput"):
        return
    values: dict[str, dict[str, dict]] = {}
    for cell in _cells:
        values.setdefault(cell["notebook"], {})[str(cell["cell"])] = cell
    tmp = Path(target).with_suffix(".tmp")
    tmp.write_text(json.dumps(values, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, target)
