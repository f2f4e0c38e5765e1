"""Pictures of a metric's runs: a small dot plot, as inline SVG.

`dotplot(records)` draws metric records (`journal.report`, each with ``runs``)
one row each: a dot per run, the mean as a tick, and with ``paired=True`` a
line joining each seed's dots in neighbouring rows. The SVG is a few kilobytes,
drawn in ``currentColor`` (it reads on both themes) and scaled to its
container, with a ``<title>`` and an ``aria-label`` that state every value;
labels are escaped text, and the same records always give the same bytes.
"""

import html
import math
import re

WIDTH = 390                 # viewBox units; the picture scales to its container
MARGIN = 12
FONT = 12                   # label size in viewBox units
CHAR = 6.6                  # rough width of one character at FONT, for truncation
ROW = 52                    # height of one metric's row: label, then dots
DOT_Y = 34                  # dots' centre line within a row
RADIUS = 4.5
STACK = 2.2 * RADIUS        # vertical step between dots that would overlap
MAX_STACK = 1               # one step up or down; more dots share the centre line
AXIS = 40                   # height of the axis under the rows


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def _num(value: float) -> str:
    """A coordinate, rounded so the output does not depend on float noise."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _ticks(low: float, high: float, spec: str) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering low..high."""
    scale = 100 if spec.endswith("%") else 1
    precision = re.search(r"\.(\d+)", spec)
    span = high - low
    if span <= 0:
        span = max(abs(low) * 0.02, 1e-3)
        low, high = low - span / 2, high + span / 2
    raw = span / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if precision:  # never finer than the labels can show
        step = max(step, 10 ** -int(precision.group(1)) / scale)
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    count = round((last - first) / step)
    return [first + i * step for i in range(count + 1)]


def _split_labels(names: list[str]) -> tuple[list[str], str]:
    """Row labels and an axis title: a shared ``" / what"`` suffix moves to the axis."""
    parts = [name.rsplit(" / ", 1) for name in names]
    suffixes = {p[1] for p in parts if len(p) == 2}
    if len(names) > 1 and all(len(p) == 2 for p in parts) and len(suffixes) == 1:
        return [p[0] for p in parts], suffixes.pop()
    return list(names), ""


def _fit(text: str, width: float) -> str:
    most = max(4, int(width / CHAR))
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


def _stacked(xs: list[float]) -> list[float]:
    """Vertical offsets so that dots at (nearly) the same x stay visible."""
    offsets, placed = [], []
    order = [0] + [s * k for k in range(1, MAX_STACK + 1) for s in (-1, 1)]
    for x in xs:
        near = {off for px, off in placed if abs(px - x) < 2 * RADIUS}
        off = next((o * STACK for o in order if o * STACK not in near), 0.0)
        placed.append((x, off))
        offsets.append(off)
    return offsets


def dotplot(records: list[dict], *, paired: bool = False, format: str = ".4f",
            labels: list[str] | None = None) -> str:
    """An inline SVG dot plot of the runs of ``records`` (one row each).

    ``format`` is the Python format spec of the numbers shown (``.1%``);
    ``labels`` replace the metric names as row labels. With ``paired`` the
    records must have the same number of runs, the i-th of each from one seed.
    """
    if not records:
        raise ValueError("dotplot needs at least one metric")
    for rec in records:
        if not rec.get("runs"):
            raise ValueError(f"metric {rec.get('name')!r} has no runs to plot")
    counts = {len(rec["runs"]) for rec in records}
    if paired and len(counts) > 1:
        raise ValueError("paired runs need the same number of runs in every metric, got "
                         + ", ".join(str(len(r["runs"])) for r in records))
    names = [rec["name"] for rec in records]
    if labels is not None and len(labels) != len(records):
        raise ValueError(f"{len(labels)} labels for {len(records)} metrics")
    rows, axis_title = (list(labels), "") if labels is not None else _split_labels(names)
    runs = [[float(v) for v in rec["runs"]] for rec in records]
    means = [sum(r) / len(r) for r in runs]
    values = [v for r in runs for v in r]
    ticks = _ticks(min(values), max(values), format)
    left, right = MARGIN + RADIUS, WIDTH - MARGIN - RADIUS

    def x_of(value: float) -> float:
        return left + (value - ticks[0]) / (ticks[-1] - ticks[0]) * (right - left)

    height = len(records) * ROW + AXIS
    summary = _summary(rows, axis_title, runs, means, format, paired)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="journal-dotplot" '
           f'viewBox="0 0 {WIDTH} {height}" width="100%" style="max-width: 32rem" '
           f'role="img" aria-label="{_esc(summary)}" font-size="{FONT}" '
           f'fill="currentColor" stroke="currentColor">',
           f"<title>{_esc(summary)}</title>"]
    dots = []
    for row, (label, row_runs, mean) in enumerate(zip(rows, runs, means)):
        top = row * ROW
        mean_text = f"mean {format_number(mean, format)}"
        room = WIDTH - 2 * MARGIN - (len(mean_text) + 2) * CHAR
        shown = _fit(label, room)
        tip = f"<title>{_esc(label)}</title>" if shown != label else ""
        out.append(f'<text class="jd-label" x="{MARGIN}" y="{top + 14}" stroke="none">'
                   f"{tip}{_esc(shown)}</text>")
        out.append(f'<text class="jd-mean-value" x="{WIDTH - MARGIN}" y="{top + 14}" '
                   f'text-anchor="end" stroke="none">{_esc(mean_text)}</text>')
        xs = [x_of(v) for v in row_runs]
        dots.append([(x, top + DOT_Y + dy) for x, dy in zip(xs, _stacked(xs))])
        mx = x_of(mean)
        out.append(f'<line class="jd-mean" x1="{_num(mx)}" y1="{top + DOT_Y - 11}" '
                   f'x2="{_num(mx)}" y2="{top + DOT_Y + 11}" stroke-width="2.5"/>')
    if paired:
        for upper, lower in zip(dots, dots[1:]):
            for (x1, y1), (x2, y2) in zip(upper, lower):
                out.append(f'<line class="jd-pair" x1="{_num(x1)}" y1="{_num(y1)}" '
                           f'x2="{_num(x2)}" y2="{_num(y2)}" stroke-opacity="0.35"/>')
    for row_dots in dots:
        for x, y in row_dots:
            out.append(f'<circle class="jd-run" cx="{_num(x)}" cy="{_num(y)}" '
                       f'r="{RADIUS}" fill-opacity="0.7" stroke="none"/>')
    base = len(records) * ROW + 4
    out.append(f'<line class="jd-axis" x1="{_num(left)}" y1="{base}" x2="{_num(right)}" '
               f'y2="{base}" stroke-opacity="0.5"/>')
    for i, tick in enumerate(ticks):
        x = x_of(tick)
        anchor = "start" if i == 0 else "end" if i == len(ticks) - 1 else "middle"
        out.append(f'<line class="jd-axis" x1="{_num(x)}" y1="{base}" x2="{_num(x)}" '
                   f'y2="{base + 4}" stroke-opacity="0.5"/>')
        out.append(f'<text class="jd-tick" x="{_num(x)}" y="{base + 16}" '
                   f'text-anchor="{anchor}" stroke="none" fill-opacity="0.8">'
                   f"{_esc(format_number(tick, format))}</text>")
    if axis_title:
        out.append(f'<text class="jd-axis-title" x="{WIDTH // 2}" y="{base + 32}" '
                   f'text-anchor="middle" stroke="none" fill-opacity="0.8">'
                   f"{_esc(_fit(axis_title, WIDTH - 2 * MARGIN))}</text>")
    out.append("</svg>")
    return "\n".join(out)


def format_number(value: float, spec: str) -> str:
    text = format(value, spec)
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) \
        else text


def _summary(rows, axis_title, runs, means, spec, paired) -> str:
    """Every value in words: what a screen reader says for the picture."""
    what = f"Dot plot of {axis_title}" if axis_title else "Dot plot"
    arms = [f"{label}: {', '.join(format_number(v, spec) for v in row_runs)} "
            f"(mean {format_number(mean, spec)})"
            for label, row_runs, mean in zip(rows, runs, means)]
    pairing = " Dots of the same seed are joined." if paired else ""
    return f"{what}, one dot per run. " + "; ".join(arms) + "." + pairing
