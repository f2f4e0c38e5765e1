"""Publishing numbers from a notebook, each with the tolerance it is checked with.

    metric("test_accuracy", acc, abs=0.005)
    metric("test_accuracy", runs=[0.989, 0.986, 0.988], abs=0.005)
    metric_table({"svm": {"test accuracy": 0.985}}, abs=0.005)

Each shows text rendered from a machine-readable record (`render`) and attaches
the record (``application/vnd.journal.metric+json``); the verification harness
(`journal.compare`) judges the record and re-renders the text. Kernel-side:
it is part of every notebook's inputs fingerprint, so it holds no judging code.
"""

import json
import math

MIME = "application/vnd.journal.metric+json"
DEFAULT_TOLERANCE = {"abs": 1e-6, "rel": 1e-6}


def _tolerance(abs: float | None, rel: float | None) -> dict[str, float]:
    if abs is None and rel is None:
        return dict(DEFAULT_TOLERANCE)
    tol = {}
    for key, value in (("abs", abs), ("rel", rel)):
        if value is None:
            continue
        if not (isinstance(value, (int, float)) and value >= 0 and math.isfinite(value)):
            raise ValueError(f"{key} tolerance must be a finite number >= 0, got {value!r}")
        tol[key] = float(value)
    return tol


def _number(name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"metric {name!r} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"metric {name!r} is not finite: {value}")
    return value


# Runs that differ by less than this, relative to their size, are one number:
# float noise must not show as a spread (or, in `journal.claims`, a difference).
NOISE = 1e-9


def identical(runs) -> bool:
    """Whether every run is the same number (up to float noise)."""
    runs = [float(r) for r in runs]
    return max(runs) - min(runs) <= NOISE * max(abs(r) for r in runs)


def spread(runs: list[float]) -> float:
    """Sample standard deviation of the runs (0 for a single run)."""
    if len(runs) < 2:
        return 0.0
    mean = sum(runs) / len(runs)
    return math.sqrt(sum((r - mean) ** 2 for r in runs) / (len(runs) - 1))


def record(name: str, value=None, abs=None, rel=None, runs=None) -> dict:
    """The machine-readable form of one metric (``runs``: one value per seed)."""
    rec = {"name": name}
    if runs is not None:
        runs = [_number(name, r) for r in runs]
        if len(runs) < 2:
            raise ValueError(f"metric {name!r}: runs needs at least 2 values, "
                             f"got {len(runs)}")
        mean = sum(runs) / len(runs)
        if value is not None and not math.isclose(_number(name, value), mean,
                                                  rel_tol=1e-9, abs_tol=1e-12):
            raise ValueError(f"metric {name!r}: value {value} is not the mean of runs")
        rec.update(value=mean, runs=runs, spread=spread(runs))
    elif value is None:
        raise TypeError(f"metric {name!r} needs a value or runs")
    else:
        rec["value"] = _number(name, value)
    rec["tol"] = _tolerance(abs, rel)
    return rec


# -- rendering: the text a reader sees, derived from the records only -----------

def format_value(value: float, digits: int = 4) -> str:
    return f"{value:.{digits}f}"


def format_record(rec: dict, digits: int) -> str:
    """``0.9850``, or ``0.9877 ± 0.0015 (3 runs)`` for a record with runs, or
    ``0.9926 (the same in 3 runs)`` when every run is the same number."""
    text = format_value(rec["value"], digits)
    if "runs" in rec and identical(rec["runs"]):
        text += f" (the same in {len(rec['runs'])} runs)"
    elif "runs" in rec:
        text += f" ± {format_value(rec['spread'], digits)} ({len(rec['runs'])} runs)"
    return text


def render(payload: dict) -> str:
    """The text/plain of a metric output, from its payload alone."""
    layout = payload.get("layout") or {}
    records = payload.get("metrics") or []
    digits = int(layout.get("digits", 4))
    if layout.get("kind", "metric") == "metric":
        return "\n".join(f"{r['name']} = {format_record(r, digits)}" for r in records)
    rows, columns = layout["rows"], layout["columns"]
    row_label = layout.get("row_label", "model")
    cells = {(r["row"], r["column"]): format_record(r, digits) for r in records}
    width = max([len(row_label)] + [len(r) for r in rows])
    col_w = [max([len(c), digits + 2] + [len(cells.get((r, c), "")) for r in rows])
             for c in columns]
    header = row_label.ljust(width) + "  " + "  ".join(
        c.rjust(w) for c, w in zip(columns, col_w))
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(row.ljust(width) + "  " + "  ".join(
            cells.get((row, c), "").rjust(w) for c, w in zip(columns, col_w)))
    return "\n".join(lines)


class _Display:
    """Something IPython shows as text plus the metric records."""

    def __init__(self, payload: dict):
        self.payload = payload
        self.text = render(payload)
        self.records = payload["metrics"]

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": self.text, MIME: self.payload}

    def __repr__(self):
        return self.text


def metric(name: str, value=None, *, runs=None, abs=None, rel=None, digits: int = 4):
    """Show one published number, e.g. ``test_accuracy = 0.9850``.

    ``abs``/``rel`` declare the tolerance within which a re-run must land;
    ``runs`` (one value per seed) publishes their mean and spread instead.
    Returns a displayable object; as the last line of a cell it is shown.
    """
    rec = record(name, value, abs, rel, runs)
    return _Display({"metrics": [rec], "layout": {"kind": "metric", "digits": digits}})


def metric_table(rows: dict[str, dict[str, float]], *, abs=None, rel=None,
                 digits: int = 4, row_label: str = "model"):
    """Show a table of published numbers: ``{row: {column: value}}``.

    A value that is a list holds one run per seed (shown as mean ± spread).
    Every cell is checked with the same tolerance.
    """
    columns: list[str] = []
    for values in rows.values():
        columns += [c for c in values if c not in columns]
    records = []
    for row, values in rows.items():
        for column in columns:
            if column not in values:
                continue
            value = values[column]
            runs = list(value) if isinstance(value, (list, tuple)) else None
            rec = record(f"{row} / {column}", None if runs else value, abs, rel, runs)
            records.append({"row": row, "column": column, **rec})
    layout = {"kind": "table", "digits": digits, "row_label": row_label,
              "rows": list(rows), "columns": columns}
    return _Display({"metrics": records, "layout": layout})


def payload_in(output: dict) -> dict | None:
    """The metric payload inside one notebook output, or None."""
    data = output.get("data", {}) if isinstance(output, dict) else {}
    payload = data.get(MIME)
    if isinstance(payload, str):
        payload = json.loads(payload)
    return payload


def records_in(output: dict) -> list[dict]:
    """Metric records inside one notebook output (empty if none)."""
    payload = payload_in(output)
    return list(payload.get("metrics", [])) if payload else []
