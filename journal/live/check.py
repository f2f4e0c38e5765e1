"""A reader's run of one cell, judged against what the page publishes.

The judgement is the test suite's own (`journal.compare.compare_cell`), run in
the reader's browser. On top of its verdict, every published metric gets a row
the page can show ("your browser 0.9340, published 0.9350 ±0.01:
reproduced"): the reader's value, the published one, the declared tolerance,
and whether it lies within.
"""

from journal import compare, report


def metric_rows(published: list[dict], reproduced: list[dict]) -> list[dict]:
    """One row per published metric record of a cell."""
    got = {}
    for output in reproduced:
        for rec in report.records_in(output):
            got[rec["name"]] = rec
    rows = []
    for output in published:
        for pub in report.records_in(output):
            rec = got.get(pub["name"])
            tol = pub.get("tol", report.DEFAULT_TOLERANCE)
            row = {"name": pub["name"], "published": pub["value"],
                   "tolerance": report.describe_tolerance(tol),
                   "reproduced": None if rec is None else rec["value"]}
            if "runs" in pub:
                row["runs"] = len(pub["runs"])
                row["published_spread"] = pub["spread"]
                row["reproduced_spread"] = None if rec is None else rec.get("spread")
            verdict = compare.compare_metric_records([pub], [rec] if rec else [])
            row["reproduced_ok"] = rec is not None and not verdict.problems
            row["problem"] = "; ".join(verdict.problems)
            rows.append(row)
    return rows


def judge(published: list[dict], reproduced: list[dict]) -> dict:
    """The suite's verdict on a cell, plus the metric rows, as plain data."""
    verdict = compare.compare_cell(published, reproduced)
    return {"passed": not verdict.problems, "problems": list(verdict.problems),
            "checked": list(verdict.checked), "unverified": list(verdict.unverified),
            "metrics": metric_rows(published, reproduced)}
