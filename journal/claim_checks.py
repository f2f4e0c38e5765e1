"""Claims in posts checked against a notebook's metric records, like its outputs.

A post's ``{% claim %}`` markers (`journal.claims`) are judged three times on
the same rule: when the site renders the post, on the published records (the
page shows the verdict's words, `render`); when a strict build starts, on the
published records and on the verdicts ``make test`` recorded (`problems`); and
in the test run, on the records the notebook re-derives (`judge`, `entry`),
each verdict kept in ``reports/verification.json`` under its notebook.

``{% runs "nb" "A / metric" "B / metric" paired format=".1%" %}`` shows the
runs of one or more metrics of a notebook as a dot plot (`journal.dotplot`).
"""

import html
import posixpath
from pathlib import Path

from journal import claims, dotplot, paths
from journal.claims import Claim, ClaimError, Verdict
from journal.errors import Location
from journal.report import records_in

RULE_TITLE = ("Judged from the runs by the journal's rule (a 95% t-interval on the "
              "difference); re-checked by the test suite")
FAILS_TITLE = "This claim does not hold on the published runs"


def records_of(nb) -> dict[str, dict]:
    """Every metric record a notebook's outputs hold, by name (first one wins)."""
    found: dict[str, dict] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for rec in records_in(out):
                found.setdefault(rec["name"], rec)
    return found


def _record(records: dict, notebook: str, name: str, where: Location) -> dict:
    if name not in records:
        raise ClaimError(f"notebook {notebook!r} publishes no metric named {name!r}",
                         at=where)
    return records[name]


def judge(claim: Claim, records: dict, where: Location, rule=claims.judge) -> Verdict:
    """The verdict on ``claim`` from a notebook's records (`records_of`).
    ``rule(claim, first, second)`` is `journal.claims.judge` (the site build
    keeps its verdicts)."""
    return rule(claim, _record(records, claim.notebook, claim.first, where),
                _record(records, claim.notebook, claim.second, where))


def render(claim: Claim, verdict: Verdict) -> str:
    """The claim as a reader sees it: the verdict's words, never the author's."""
    words = html.escape(verdict.words)
    if verdict.holds:
        return f'<span class="journal-claim" title="{RULE_TITLE}">{words}</span>'
    return (f'<span class="journal-claim journal-claim-fails" title="{FAILS_TITLE}">'
            f'<strong>claim not supported by the runs:</strong> {words}</span>')


def entry(claim: Claim, verdict: Verdict, where: Location) -> dict:
    """What the verification report keeps of one verdict."""
    return {"post": where.file, "line": where.line, "claim": str(claim),
            "holds": verdict.holds, "method": verdict.method, "words": verdict.words,
            "first": verdict.first_mean, "second": verdict.second_mean,
            "runs": list(verdict.runs),
            "message": None if verdict.holds else
            claims.failure_message(claim, verdict, where)}


def post_claims(folder: Path | None = None, read=claims.claims_in_file):
    """Yield ``(Claim, Location)`` for every claim in the posts under ``folder``
    (``posts/``). ``read(text, source)`` finds a post's claims
    (`journal.claims.claims_in_file`; the site build keeps what it found)."""
    for path in sorted(Path(folder or paths.POSTS).rglob("*.md")):
        source = paths.display_path(path)
        for line, claim in read(path.read_text(encoding="utf-8"), source):
            yield claim, Location(source, line=line)


def claims_on(notebook: Path, folder: Path | None = None):
    """``(Claim, Location)`` of every claim in the posts on the notebook at
    ``notebook`` (a claim names it relative to ``projects/``)."""
    target = Path(notebook).resolve()
    return [(claim, where) for claim, where in post_claims(folder)
            if (paths.PROJECTS / claim.notebook).resolve() == target]


def problems(notebook, report: dict, judged: bool, folder: Path | None = None,
             read=claims.claims_in_file, rule=claims.judge):
    """Why the posts' claims may not be published, one line each (none: they may).

    ``notebook(rel, where)`` reads a notebook named in a claim. A claim fails
    when it does not hold on the published records, or when ``make test``
    recorded that it did not hold on the re-derived ones; with ``judged``, also
    when the report has no verdict on it from its notebook's last check.
    ``read`` as for `post_claims`, ``rule`` as for `judge`.
    """
    found = []
    records: dict[str, tuple[dict, str]] = {}  # by notebook: many claims share one
    for claim, where in post_claims(folder, read):
        if claim.notebook not in records:
            records[claim.notebook] = (
                records_of(notebook(claim.notebook, where)),
                paths.display_path(paths.PROJECTS / posixpath.normpath(claim.notebook)))
        published, name = records[claim.notebook]
        verdict = judge(claim, published, where, rule)
        if not verdict.holds:
            found.append(claims.failure_message(claim, verdict, where,
                                                runs="the published runs"))
            continue
        checked = report.get("notebooks", {}).get(name)
        if checked is None:
            continue  # the notebook's own check says what is missing
        recorded = [c for c in checked.get("claims", []) if c.get("claim") == str(claim)]
        if any(not c.get("holds") for c in recorded):
            found.append(next(c["message"] for c in recorded if not c.get("holds")) +
                         f" (the test run of {checked.get('date', '?')[:10]})")
        elif judged and not recorded:
            found.append(str(ClaimError(
                f"claim {claim} has no verdict from the last `make test` of {name}; "
                f"run `make test`", at=where)))
    return found


# -- the runs marker -------------------------------------------------------------------

PLOT_OPTIONS = ("format",)


def render_runs(notebook: str, args: list[str], options: dict[str, str], records: dict,
                where: Location) -> str:
    """``{% runs "nb" "metric" ... [paired] [format=SPEC] %}`` as an inline SVG."""
    unknown = sorted(set(options) - set(PLOT_OPTIONS))
    if unknown:
        raise ClaimError(f"runs marker: unknown option {unknown[0]!r} (known: "
                         f"{', '.join(PLOT_OPTIONS)})", at=where)
    pairing = args[-1] if args and args[-1] in ("paired", "unpaired") else None
    names = args[:-1] if pairing else args
    if not names:
        raise ClaimError("runs marker names no metric", at=where)
    spec = options.get("format", ".4f")
    try:
        format(0.5, spec)
    except ValueError as err:
        raise ClaimError(f"runs marker: bad format {spec!r}: {err}", at=where) from None
    chosen = [_record(records, notebook, name, where) for name in names]
    try:
        svg = dotplot.dotplot(chosen, paired=pairing == "paired", format=spec)
    except ValueError as err:
        raise ClaimError(f"runs marker: {err}", at=where) from None
    # Left out of the search index (Material's documented mark): not prose.
    return (f'<figure class="journal-runs" data-search-exclude markdown="0">\n'
            f'{svg}\n</figure>')
