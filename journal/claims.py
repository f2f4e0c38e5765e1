"""Comparisons in posts, judged from the runs of the metrics they compare.

`parse_marker`, `find_claims` and `claims_in_file` read a post's ``{% claim %}``
markers: a relation (``>``, ``<``, ``~``, ``~`` with ``within=``) between two
metrics of one notebook, each published with ``runs`` (`journal.report`).
`judge` applies the one rule, a 95% t-interval for the difference (per seed when
paired, Welch's when not); a verdict's ``words`` are written from the numbers
alone, and `failure_message` is the line a strict build fails with. The marker
and the rule: the site's "How the numbers are checked" page (pages/verification.md).
"""

import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np

from journal import markdown_source, report
from journal.errors import Location, PostError

RELATIONS = {">": ">", "<": "<", "~": "~", "same": "~"}
PAIRINGS = {"paired": True, "unpaired": False}
OPTIONS = ("within", "format")
CONFIDENCE = 0.95
MIN_RUNS = 3            # fewer runs than this per metric: insufficient evidence
NOISE = report.NOISE     # relative: runs closer than this are one number


class ClaimError(PostError):
    """A claim marker that cannot be read."""


@dataclass(frozen=True)
class Claim:
    """One comparison as written: ``first relation second``."""

    notebook: str
    first: str
    relation: str               # ">", "<" or "~"
    second: str
    paired: bool
    within: float | None = None  # with "~": the difference lies within ±within
    format: str = ".4f"

    def __str__(self) -> str:
        relation = (f"within ±{_amount(self.within, self.format)} of"
                    if self.within is not None else
                    {">": ">", "<": "<", "~": "no different from"}[self.relation])
        pairing = "paired" if self.paired else "unpaired"
        return f"{self.first!r} {relation} {self.second!r} ({pairing})"

    @property
    def requirement(self) -> str:
        """What the interval must do for the claim to hold."""
        if self.within is not None:
            bound = _amount(self.within, self.format)
            return f"the whole 95% interval inside ±{bound}"
        return {">": "the whole 95% interval above 0",
                "<": "the whole 95% interval below 0",
                "~": "the 95% interval to contain 0"}[self.relation]


@dataclass(frozen=True)
class Verdict:
    """What the runs say about one claim.

    ``method`` is ``paired t``, ``Welch t``, ``exact`` (every run of each arm
    the same number, so the difference is known exactly and the interval is
    that one point) or ``insufficient`` (too few runs, or paired runs that do
    not match; such a claim never holds). ``difference`` is first minus
    second; ``low``/``high`` its 95% interval. For paired runs ``higher``,
    ``lower`` and ``ties`` count the seeds.
    """

    holds: bool
    method: str
    words: str
    first_mean: float | None = None
    second_mean: float | None = None
    runs: tuple[int, int] = (0, 0)
    difference: float | None = None
    low: float | None = None
    high: float | None = None
    df: float | None = None
    higher: int | None = None
    lower: int | None = None
    ties: int | None = None


# -- reading markers -----------------------------------------------------------------

def parse_marker(body: str, where: Location) -> Claim:
    """The claim in a marker's text (what sits between ``claim`` and ``%}``)."""
    try:
        positional, options = markdown_source.marker_words(body)
    except ValueError as err:
        raise ClaimError(f"malformed claim marker: {err}", at=where) from None
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ClaimError(f"claim marker: unknown option {unknown[0]!r} (known: "
                         f"{', '.join(OPTIONS)})", at=where)
    if len(positional) != 5:
        raise ClaimError('claim marker needs: "notebook" "metric" RELATION "metric" '
                         f'paired|unpaired; got {len(positional)} words', at=where)
    notebook, first, relation, second, pairing = positional
    if relation not in RELATIONS:
        raise ClaimError(f"claim marker: unknown relation {relation!r} (use >, < or ~)",
                         at=where)
    if pairing not in PAIRINGS:
        raise ClaimError(f"claim marker must say paired or unpaired, got {pairing!r}",
                         at=where)
    relation = RELATIONS[relation]
    within = None
    if "within" in options:
        if relation != "~":
            raise ClaimError(f"claim marker: within= goes with ~, not {relation}",
                             at=where)
        try:
            within = float(options["within"])
        except ValueError:
            within = math.nan
        if not (math.isfinite(within) and within > 0):
            raise ClaimError(f"claim marker: within must be a number > 0, got "
                             f"{options['within']!r}", at=where)
    spec = options.get("format", ".4f")
    try:
        format(0.5, spec)
    except ValueError as err:
        raise ClaimError(f"claim marker: bad format {spec!r}: {err}", at=where) from None
    if first == second:
        raise ClaimError(f"claim marker compares {first!r} with itself", at=where)
    return Claim(notebook, first, relation, second, PAIRINGS[pairing], within, spec)


def claims_in_file(text: str, source: str) -> list[tuple[int, Claim]]:
    """(line in the file from 1, Claim) of every claim marker in a post's ``text``
    (front matter and all) outside code, as `find_claims` reads them; a malformed
    one raises `ClaimError` naming ``source`` and its line."""
    _, body, offset = markdown_source.split_front_matter(text)
    return [(where.line, claim) for _, claim, where in find_claims(body, source, offset)]


def find_claims(markdown: str, source: str, line_offset: int = 0):
    """Yield ``(match, Claim, Location)`` for every claim marker outside code
    (``match`` is a `journal.markdown_source.MARKER` match).

    ``line_offset`` is the number of lines before ``markdown`` in the file
    (its front matter), so locations name the line an author sees.
    """
    for match in markdown_source.markers(markdown):  # code is shown, not judged
        if match.group(1) != "claim":
            continue
        line = markdown_source.line_of(markdown, match.start()) + line_offset
        where = Location(source, line=line)
        yield match, parse_marker(match.group(2), where), where


# -- the rule -------------------------------------------------------------------------

def _noise(values: np.ndarray) -> float:
    return NOISE * float(np.max(np.abs(values)))


identical = report.identical


def _runs(record: dict) -> np.ndarray | None:
    runs = record.get("runs")
    return None if runs is None else np.asarray(runs, dtype=float)


def judge(claim: Claim, first: dict, second: dict) -> Verdict:
    """The verdict on ``claim`` from the two metric records it names.

    ``first`` and ``second`` are records as `journal.report.record` makes
    them (``runs`` one value per seed); a record may also carry ``seeds``,
    which paired runs must then share.
    """
    a, b = _runs(first), _runs(second)
    if a is None or b is None:
        single = claim.first if a is None else claim.second
        return _insufficient(f"{single!r} has no runs, only one value")
    counts = (len(a), len(b))
    if min(counts) < MIN_RUNS:
        return _insufficient(f"too few runs to judge ({counts[0]} and {counts[1]}; "
                             f"the rule needs at least {MIN_RUNS} each)", counts)
    if claim.paired and counts[0] != counts[1]:
        return _insufficient(f"paired runs do not match ({counts[0]} seeds against "
                             f"{counts[1]})", counts)
    seeds = first.get("seeds"), second.get("seeds")
    if claim.paired and None not in seeds and list(seeds[0]) != list(seeds[1]):
        return _insufficient(f"paired runs do not match (seeds {seeds[0]} against "
                             f"{seeds[1]})", counts)
    both = np.concatenate([a, b])
    means = (float(np.mean(a)), float(np.mean(b)))
    by_seed = {}
    if claim.paired:
        diffs = a - b
        noise = _noise(both)
        by_seed = dict(higher=int(np.sum(diffs > noise)),
                       lower=int(np.sum(diffs < -noise)))
        by_seed["ties"] = counts[0] - by_seed["higher"] - by_seed["lower"]
        exact = float(np.ptp(diffs)) <= noise
    else:
        exact = identical(a) and identical(b)
    if exact:
        difference = means[0] - means[1]
        if abs(difference) <= _noise(both):
            difference = 0.0
        method, low, high, df = "exact", difference, difference, None
    else:
        method, difference, low, high, df = _t_interval(a, b, claim.paired)
    verdict = Verdict(_holds(claim, low, high), method, "", means[0], means[1], counts,
                      difference, low, high, df, **by_seed)
    return dataclasses.replace(verdict, words=_words(verdict, claim))


def _t_interval(a: np.ndarray, b: np.ndarray, paired: bool):
    """(method, difference, low, high, df): the paired t interval of the mean of
    ``a - b``, or Welch's of ``mean(a) - mean(b)``, at `CONFIDENCE`. The same
    numbers as scipy.stats' ``ttest_rel``/``ttest_ind(equal_var=False)``
    (tests/test_claims.py checks both), from the t quantile alone: scipy.stats
    takes most of a second to import, in every build that judges a claim."""
    from scipy.special import stdtrit  # the t distribution's quantile

    if paired:
        diffs = a - b
        method, difference = "paired t", float(np.mean(diffs))
        se = float(np.std(diffs, ddof=1)) / math.sqrt(len(diffs))
        df = float(len(diffs) - 1)
    else:
        # One arm's runs all equal (a deterministic model against a seeded
        # one): its variance is 0 and the interval rests on the other arm.
        va, vb = (np.var(x, ddof=1) / len(x) for x in (a, b))
        method, difference = "Welch t", float(np.mean(a)) - float(np.mean(b))
        se = math.sqrt(va + vb)
        with np.errstate(divide="ignore", invalid="ignore"):
            df = float((va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1)))
        if math.isnan(df):  # variances too small to square: any df will do (scipy: 1)
            df = 1.0
    half = float(stdtrit(df, (1 + CONFIDENCE) / 2)) * se
    return method, difference, difference - half, difference + half, df


def _holds(claim: Claim, low: float, high: float) -> bool:
    if claim.within is not None:
        return -claim.within <= low and high <= claim.within
    return {">": low > 0, "<": high < 0, "~": low <= 0 <= high}[claim.relation]


def _insufficient(reason: str, counts: tuple[int, int] = (0, 0)) -> Verdict:
    return Verdict(False, "insufficient", f"insufficient evidence: {reason}", runs=counts)


# -- words ----------------------------------------------------------------------------

def _amount(value: float, spec: str, signed: bool = False, unit: bool = True) -> str:
    """A difference in the claim's format; a difference of percentages is in
    points. A value that would round to zero gets up to three more digits, so
    an interval end never reads as 0 when it is not."""
    sign = "+" if signed else ""
    scale, spec, points = (100, spec[:-1] + "f", " points") if spec.endswith("%") \
        else (1, spec, "")
    text = format(value * scale, sign + spec)
    precision = re.search(r"\.(\d+)", spec)
    for extra in range(1, 4):
        if value == 0 or not precision or re.search(r"[1-9]", text):
            break
        finer = spec.replace(precision.group(0), f".{int(precision.group(1)) + extra}")
        text = format(value * scale, sign + finer)
    return text + (points if unit else "")


def _finding(verdict: Verdict, claim: Claim) -> str:
    """What the interval shows, whatever the claim said."""
    if claim.within is not None:
        bound = _amount(claim.within, claim.format)
        return (f"within ±{bound}" if verdict.holds
                else f"not shown to be within ±{bound}")
    if verdict.low > 0:
        return "higher"
    if verdict.high < 0:
        return "lower"
    return "no clear difference"


def _words(verdict: Verdict, claim: Claim) -> str:
    """The verdict in words: what the runs show, then the evidence."""
    spec = claim.format
    finding = _finding(verdict, claim)
    if verdict.method == "exact":
        if verdict.difference == 0:
            evidence = "no difference with any seed"
        else:
            side = "higher" if verdict.difference > 0 else "lower"
            evidence = (f"{side} by exactly {_amount(abs(verdict.difference), spec)} "
                        f"with every seed")
        return evidence if claim.within is None else f"{finding}: {evidence}"
    interval = (f"95% interval {_amount(verdict.low, spec, True, unit=False)} to "
                f"{_amount(verdict.high, spec, True)}")
    if verdict.method == "paired t":
        counts = [f"{side} in {k}" for k, side in ((verdict.higher, "higher"),
                  (verdict.lower, "lower"), (verdict.ties, "the same")) if k]
        counts[0] += f" of {verdict.runs[0]} seeds"
        evidence = (f"{', '.join(counts)}; paired difference "
                    f"{_amount(verdict.difference, spec, True)} ({interval})")
    else:
        evidence = (f"{format(verdict.first_mean, spec)} against "
                    f"{format(verdict.second_mean, spec)} over {verdict.runs[0]} and "
                    f"{verdict.runs[1]} runs; difference "
                    f"{_amount(verdict.difference, spec, True)} (Welch {interval})")
    return f"{finding}: {evidence}"


def failure_message(claim: Claim, verdict: Verdict, where: Location | str,
                    runs: str = "the re-derived runs") -> str:
    """The one line a strict build fails with: where, the claim, both numbers
    (``runs`` says which: the test run's, or the published ones)."""
    if verdict.method == "insufficient":
        message = f"claim {claim} cannot be judged: {verdict.words}"
    else:
        numbers = (f"{claim.first!r} {format(verdict.first_mean, claim.format)}, "
                   f"{claim.second!r} {format(verdict.second_mean, claim.format)}")
        message = (f"claim {claim} does not hold on {runs}: {numbers}; "
                   f"{verdict.words}; it needs {claim.requirement}")
    return str(ClaimError(message, at=where))


# -- one metric in words --------------------------------------------------------------

def describe_runs(record: dict, spec: str = ".4f") -> str:
    """A metric for prose: ``97.6% ± 0.2% over 3 seeds``, or one value when every
    run is the same (``99.3%, the same with each of 3 seeds``), never ``± 0.0``."""
    text = format(record["value"], spec)
    runs = record.get("runs")
    if runs is None:
        return text
    if identical(runs):
        return f"{text}, the same with each of {len(runs)} seeds"
    return f"{text} ± {format(record['spread'], spec)} over {len(runs)} seeds"
