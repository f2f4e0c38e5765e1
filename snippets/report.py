"""Publishing results from a notebook, each with the tolerance it is checked with.

A number that a post quotes is shown with `metric`, which declares how far a
re-run may move it before the published value counts as wrong:

    metric("test_accuracy", acc, abs=0.005)
    metric("train_loss", loss, rel=0.05)

A table of such numbers (one row per model, say) goes through `metric_table`.
Both display readable text and attach a machine-readable record
(``application/vnd.journal.metric+json``) that the verification harness
compares within the declared tolerance. Without one, `DEFAULT_TOLERANCE`
applies.
"""

import json
import math

MIME = "application/vnd.journal.metric+json"
DEFAULT_TOLERANCE = {"abs": 1e-6, "rel": 1e-6}


def _tolerance(abs: float | None, rel: float | None) -> dict[str, float]:
    if abs is None and rel is None:
        return dict(DEFAULT_TOLERANCE)
    tol = {}
    if abs is not None:
        if not abs >= 0:
            raise ValueError(f"abs tolerance must be >= 0, got {abs!r}")
        tol["abs"] = float(abs)
    if rel is not None:
        if not rel >= 0:
            raise ValueError(f"rel tolerance must be >= 0, got {rel!r}")
        tol["rel"] = float(rel)
    return tol


def _number(name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"metric {name!r} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"metric {name!r} is not finite: {value}")
    return value


def format_value(value: float, digits: int = 4) -> str:
    return f"{value:.{digits}f}"


def record(name: str, value, abs=None, rel=None) -> dict:
    """The machine-readable form of one metric."""
    return {"name": name, "value": _number(name, value), "tol": _tolerance(abs, rel)}


def within(published: dict, reproduced: float) -> bool:
    """Whether ``reproduced`` is within ``published``'s declared tolerance."""
    tol = published.get("tol", DEFAULT_TOLERANCE)
    allowed = max(tol.get("abs", 0.0), tol.get("rel", 0.0) * abs(published["value"]))
    return abs(reproduced - published["value"]) <= allowed


def describe_tolerance(tol: dict) -> str:
    parts = []
    if "abs" in tol:
        parts.append(f"±{tol['abs']:g}")
    if "rel" in tol:
        parts.append(f"±{tol['rel']:.2%} relative")
    return " or ".join(parts)


class _Display:
    """Something IPython shows as text plus the metric records."""

    def __init__(self, text: str, records: list[dict]):
        self.text, self.records = text, records

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": self.text, MIME: {"metrics": self.records}}

    def __repr__(self):
        return self.text


def metric(name: str, value, *, abs=None, rel=None, digits: int = 4):
    """Show one published number, e.g. ``test_accuracy = 0.9850``.

    ``abs``/``rel`` declare the tolerance within which a re-run must land.
    Returns a displayable object; as the last line of a cell it is shown.
    """
    rec = record(name, value, abs, rel)
    return _Display(f"{name} = {format_value(rec['value'], digits)}", [rec])


def metric_table(rows: dict[str, dict[str, float]], *, abs=None, rel=None,
                 digits: int = 4, row_label: str = "model"):
    """Show a table of published numbers: ``{row: {column: value}}``.

    Every cell is checked with the same tolerance.
    """
    columns: list[str] = []
    for values in rows.values():
        columns += [c for c in values if c not in columns]
    width = max([len(row_label)] + [len(r) for r in rows])
    col_w = [max(len(c), digits + 2) for c in columns]
    header = row_label.ljust(width) + "  " + "  ".join(
        c.rjust(w) for c, w in zip(columns, col_w))
    lines = [header, "-" * len(header)]
    records = []
    for row, values in rows.items():
        cells = []
        for c, w in zip(columns, col_w):
            if c in values:
                rec = record(f"{row} / {c}", values[c], abs, rel)
                records.append(rec)
                cells.append(format_value(rec["value"], digits).rjust(w))
            else:
                cells.append("".rjust(w))
        lines.append(row.ljust(width) + "  " + "  ".join(cells))
    return _Display("\n".join(lines), records)


def records_in(output: dict) -> list[dict]:
    """Metric records inside one notebook output (empty if none)."""
    data = output.get("data", {}) if isinstance(output, dict) else {}
    payload = data.get(MIME)
    if payload is None:
        return []
    if isinstance(payload, str):
        payload = json.loads(payload)
    return list(payload.get("metrics", []))
