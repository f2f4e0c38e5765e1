"""A reader's run of one cell, judged against what the page publishes.

The verdict is the test suite's own (`journal.compare.compare_cell`), plus one
row per published metric for the page ("your browser 0.9340, published 0.9350
±0.01: reproduced"). A figure's picture, drawn by another matplotlib in the
browser, is reported apart (``drawn``); what the figure shows is still judged.
See the site's "How the site is made" page.
"""

from journal import compare, report


def metric_rows(published: list[dict], reproduced: list[dict]) -> list[dict]:
    """One row per published metric record of a cell, with both values as the
    page prints them (`journal.report.format_record`, at the output's digits)."""
    got = {}
    for output in reproduced:
        for rec in report.records_in(output):
            got[rec["name"]] = rec
    rows = []
    for output in published:
        payload = report.payload_in(output) or {}
        digits = int((payload.get("layout") or {}).get("digits", 4))
        for pub in report.records_in(output):
            rec = got.get(pub["name"])
            tol = pub.get("tol", report.DEFAULT_TOLERANCE)
            row = {"name": pub["name"], "published": pub["value"],
                   "published_text": report.format_record(pub, digits),
                   "tolerance": compare.describe_tolerance(tol),
                   "reproduced": None if rec is None else rec["value"],
                   "reproduced_text": None if rec is None else
                   report.format_record(rec, digits)}
            if "runs" in pub:
                row["runs"] = len(pub["runs"])
            verdict = compare.compare_metric_records([pub], [rec] if rec else [])
            row["reproduced_ok"] = rec is not None and not verdict.problems
            row["problem"] = "; ".join(verdict.problems)
            rows.append(row)
    return rows


def judge(published: list[dict], reproduced: list[dict]) -> dict:
    """The suite's verdict on a cell, plus the metric rows, as plain data."""
    verdict = compare.compare_cell(published, reproduced)
    problems = [p for p in verdict.problems if p not in verdict.pictures]
    return {"passed": not problems, "problems": problems, "drawn": list(verdict.pictures),
            "checked": list(verdict.checked), "unverified": list(verdict.unverified),
            "metrics": metric_rows(published, reproduced)}
