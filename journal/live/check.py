"""A reader's run of one cell, judged against what the page publishes.

The judgement is the test suite's own (`journal.compare.compare_cell`), run in
the reader's browser. On top of its verdict, every published metric gets a row
the page can show ("your browser 0.9340, published 0.9350 ±0.01:
reproduced"): the reader's value, the published one, the declared tolerance,
and whether it lies within.

One check is read differently in a browser: the picture of a figure, compared
by fingerprint (`journal.compare.compare_figure`), whose tolerance is set for
re-runs with the locked matplotlib. The browser's matplotlib is another
version, which places text and lines a pixel apart, so a picture that moved is
reported apart (``drawn``, the verdict's ``pictures``) and shown as such on
the page, while what the figure shows (its record: the plotted values, images
and labels) is still checked like any output.
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
