"""The one place that decides whether a re-run reproduced a published cell.

`compare_cell(published, reproduced)` compares two lists of outputs kind by
kind (metrics within their declared tolerance, figures by their record and a
perceptual fingerprint, stored errors by type, text exactly after the
sanitizer) and returns a `Verdict`: the problems, what was checked and what was
not. The tolerance arithmetic, ``max(abs, rel * |x|)``, is `allowed`. Used by
the pytest plugin, `journal check`, the browser runs and the benchmarks; never
imported by a notebook's kernel, so changing it makes no notebook stale. The
rules: the site's "How the numbers are checked" page.
"""

import base64
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from journal import figures, paths, report

# A float printed outside `journal.report` may differ in its 4th significant
# digit (a rounding flip such as 0.98495 -> "0.9849" / "0.9850"), no more.
TEXT_FLOAT_TOLERANCE = {"abs": 1e-9, "rel": 2e-4}

# Figures: grey thumbnails of THUMB x THUMB pixels, values in [0, 1].
THUMB = 64
BLOCK = 8
FIGURE_MEAN_TOLERANCE = 0.004   # mean |difference| over the whole thumbnail
FIGURE_BLOCK_TOLERANCE = 0.02   # mean |difference| in the worst BLOCK x BLOCK block
FIGURE_SIZE_SLACK_PX = 2        # bbox_inches="tight" may move an edge by a pixel
# A declared picture tolerance covers marks the plotted data moved, nowhere else:
# every pixel must be found in the other picture within the distance the data
# moved (plus this slack for anti-aliasing and the tight bounding box), within
# EDIT_COLOUR of each channel; a region of EDIT_PX x EDIT_PX pixels that is not
# (a pasted patch, not a moved line a few pixels wide) fails.
MOVE_SLACK_PX = 3
EDIT_COLOUR = 0.12
EDIT_PX = 6

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")


@dataclass
class Verdict:
    """What comparing one cell found."""

    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    # Those of the problems about a figure's picture (its fingerprint), not
    # about what it shows: a browser run reports them apart (journal.live.check).
    pictures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def extend(self, other: "Verdict") -> None:
        self.problems += other.problems
        self.checked += other.checked
        self.unverified += other.unverified
        self.pictures += other.pictures


def fmt(value: float) -> str:
    return f"{value:.6g}"


# -- tolerance -------------------------------------------------------------------

def allowed(tol: dict, value):
    """How far a re-run may move ``value`` (a number or an array) under ``tol``:
    ``max(abs, rel * |value|)``, each part 0 when not declared."""
    return np.maximum(tol.get("abs", 0.0), tol.get("rel", 0.0) * np.abs(value))


def within(tol: dict, published, reproduced) -> bool:
    """Whether ``reproduced`` lies within ``tol`` of ``published``."""
    return bool(np.all(np.abs(np.subtract(reproduced, published))
                       <= allowed(tol, published)))


def describe_tolerance(tol: dict) -> str:
    """``±0.005``, ``±5.00% relative``, or both joined by "or"."""
    parts = []
    if "abs" in tol:
        parts.append(f"±{tol['abs']:g}")
    if "rel" in tol:
        parts.append(f"±{tol['rel']:.2%} relative")
    return " or ".join(parts)


# -- the sanitizer ---------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    regex: re.Pattern
    replace: str
    reason: str


def load_sanitizer(path: Path = paths.SANITIZE_FILE) -> list[Rule]:
    """``regex:``/``replace:`` pairs (nbval's format), each with its reason: the
    first comment line of its paragraph."""
    rules, reason, regex = [], "", None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("#"):
            reason = reason or line.lstrip("# ").strip()
            continue
        if not line.strip():
            reason = ""
            continue
        key, _, value = line.partition(": ")
        if key == "regex":
            regex = value
        elif key == "replace" and regex is not None:
            rules.append(Rule(re.compile(regex), value, reason or "volatile text"))
            regex = None
        else:
            raise ValueError(f"{path.name}:{number}: expected 'regex: ' or 'replace: '")
    return rules


def sanitize(text: str, rules: list[Rule]) -> tuple[str, list[str]]:
    """The text with volatile parts replaced, and why each replacement was made."""
    reasons = []
    for rule in rules:
        text, count = rule.regex.subn(rule.replace, text)
        if count and rule.reason not in reasons:
            reasons.append(rule.reason)
    return text, reasons


# -- metrics ---------------------------------------------------------------------

def compare_metric_records(published: list[dict], reproduced: list[dict]) -> Verdict:
    """Each published record against the reproduced one of the same name."""
    verdict = Verdict()
    got = {r["name"]: r for r in reproduced}
    for pub in published:
        name, tol = pub["name"], pub.get("tol", report.DEFAULT_TOLERANCE)
        rep = got.get(name)
        if rep is None:
            verdict.problems.append(f"{name} published {fmt(pub['value'])}, not reproduced "
                                    f"(the re-run published no metric of that name)")
            continue
        rep_tol = rep.get("tol", report.DEFAULT_TOLERANCE)
        if tol != rep_tol:
            verdict.problems.append(
                f"{name}: published tolerance {describe_tolerance(tol)} is not "
                f"the one the code declares ({describe_tolerance(rep_tol)})")
            continue
        if ("runs" in pub) != ("runs" in rep):
            verdict.problems.append(f"{name}: published {'with' if 'runs' in pub else 'without'}"
                                    f" runs, reproduced {'with' if 'runs' in rep else 'without'}")
            continue
        if "runs" in pub:
            problem = _runs_problem(pub, rep, tol)
            if problem:
                verdict.problems.append(problem)
                continue
        if not within(tol, pub["value"], rep["value"]):
            verdict.problems.append(f"{name} published {fmt(pub['value'])}, reproduced "
                                    f"{fmt(rep['value'])}, tolerance "
                                    f"{describe_tolerance(tol)}")
            continue
        verdict.checked.append(f"metric {name} within {describe_tolerance(tol)}")
    names = {p["name"] for p in published}
    for rec in reproduced:
        if rec["name"] not in names:
            verdict.problems.append(f"{rec['name']} reproduced {fmt(rec['value'])} but was "
                                    f"never published")
    return verdict


def _runs_problem(pub: dict, rep: dict, tol: dict) -> str | None:
    runs = pub.get("runs") or []
    name = pub["name"]
    if len(runs) != len(rep["runs"]):
        return f"{name}: published {len(runs)} runs, reproduced {len(rep['runs'])}"
    mean = sum(runs) / len(runs)
    if not math.isclose(mean, pub["value"], rel_tol=1e-9, abs_tol=1e-12) or \
            not math.isclose(report.spread(runs), pub.get("spread", -1),
                             rel_tol=1e-9, abs_tol=1e-12):
        return (f"{name}: the published mean and spread are not those of the "
                f"published runs")
    if not within(tol, pub["spread"], rep["spread"]):
        return (f"{name} spread published {fmt(pub['spread'])}, reproduced "
                f"{fmt(rep['spread'])}, tolerance {describe_tolerance(tol)}")
    return None


# What a page may show of a metric or a figure: only what is checked against its
# record. A page shows text/html, text/markdown, text/latex or an SVG before the
# checked text/plain or PNG, so any other type in the bundle is refused.
SHOWN_FROM_RECORD = {"metric": {"text/plain", report.MIME},
                     "figure": {"text/plain", "image/png", figures.MIME}}


def unchecked_types(output: dict, kind: str) -> list[str]:
    """The types in a metric's or figure's bundle that are not checked against its
    record (each would be what a page shows in place of the checked text)."""
    return sorted(set(output.get("data") or {}) - SHOWN_FROM_RECORD[kind])


def _unchecked_problem(output: dict, kind: str, label: str) -> str | None:
    extra = unchecked_types(output, kind)
    if not extra:
        return None
    shown = "text/plain and its record" if kind == "metric" else \
        "its PNG, text/plain and its record"
    return (f"{label} also carries {', '.join(extra)}, which is not checked against "
            f"its record and would be shown in place of the checked output; a {kind} "
            f"output holds only {shown}")


def compare_metric_output(published: dict, reproduced: dict) -> Verdict:
    """One metric output: its records, and the text the page shows of them."""
    pub, rep = report.payload_in(published), report.payload_in(reproduced)
    verdict = compare_metric_records(pub.get("metrics", []), rep.get("metrics", []))
    for output, which in ((published, "the published metric"),
                          (reproduced, "the reproduced metric")):
        problem = _unchecked_problem(output, "metric", which)
        if problem:
            verdict.problems.append(problem)
            return verdict
    shown = _text((published.get("data") or {}).get("text/plain", ""))
    try:
        expected = report.render(pub)
    except (KeyError, TypeError, ValueError) as err:
        verdict.problems.append(f"the published metric record cannot be rendered ({err})")
        return verdict
    if shown != expected:
        verdict.problems.append(
            f"the text shown for the metric is not the rendering of its record: "
            f"shows {_short(shown)!r}, record renders {_short(expected)!r}")
    else:
        verdict.checked.append("metric text rendered from its record")
    return verdict


# -- figures: the record of what they show -----------------------------------------

def _values_problem(label: str, pub, rep, tol: dict) -> str | None:
    pub = [np.nan if v is None else v for v in pub]
    rep = [np.nan if v is None else v for v in rep]
    if len(pub) != len(rep):
        return f"{label}: published {len(pub)} values, reproduced {len(rep)}"
    if not pub:
        return None
    a, b = np.asarray(pub, dtype=float), np.asarray(rep, dtype=float)
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return f"{label}: missing values differ"
    a, b = np.nan_to_num(a), np.nan_to_num(b)
    limit = allowed(tol, a)
    worst = int(np.argmax(np.abs(a - b) - limit))
    if abs(a[worst] - b[worst]) > limit[worst]:
        return (f"{label}: value {worst} published {fmt(a[worst])}, reproduced "
                f"{fmt(b[worst])}, tolerance {describe_tolerance(tol)}")
    return None


def _label_matches(a: str, b: str, tol: dict) -> bool:
    """Two labels: equal, or numbers within the data tolerance, or floats in text."""
    try:
        x, y = float(a), float(b)
    except ValueError:
        return text_matches(a, b)
    return within(tol, x, y)


def _image_key(image: dict, title: str) -> tuple:
    return image["sha256"], title


def compare_figure_records(pub: dict, rep: dict) -> Verdict:
    """What two figures show, within the tolerance the notebook declared."""
    verdict = Verdict()
    tol, rep_tol = pub.get("tol", {}), rep.get("tol", {})
    if tol != rep_tol:
        verdict.problems.append(f"figure: published tolerance {_describe_tol(tol)} is not "
                                f"the one the code declares ({_describe_tol(rep_tol)})")
        return verdict
    data_tol = {k: v for k, v in tol.items() if k in ("abs", "rel")} or \
        figures.DATA_TOLERANCE
    p_axes, r_axes = pub.get("axes", []), rep.get("axes", [])
    if not text_matches(pub.get("suptitle", ""), rep.get("suptitle", "")):
        verdict.problems.append(f"figure title changed: {pub.get('suptitle')!r} -> "
                                f"{rep.get('suptitle')!r}")
    if len(p_axes) != len(r_axes):
        verdict.problems.append(f"figure: published {len(p_axes)} panels, reproduced "
                                f"{len(r_axes)}")
        return verdict
    overlap = tol.get("overlap")
    for k, (a, b) in enumerate(zip(p_axes, r_axes)):
        where = "figure" if len(p_axes) == 1 else f"figure panel {k + 1}"
        for key in ("xlabel", "ylabel", "legend") + (() if overlap else ("title",)):
            if not _label_lists_match(a.get(key), b.get(key), data_tol):
                verdict.problems.append(f"{where}: {key} changed: {a.get(key)!r} -> "
                                        f"{b.get(key)!r}")
        if not _label_lists_match(a.get("texts", []), b.get("texts", []), data_tol):
            verdict.problems.append(f"{where}: text labels changed beyond "
                                    f"{describe_tolerance(data_tol)}")
        for kind in ("lines", "points"):
            if len(a.get(kind, [])) != len(b.get(kind, [])):
                verdict.problems.append(f"{where}: published {len(a.get(kind, []))} "
                                        f"{kind}, reproduced {len(b.get(kind, []))}")
                continue
            for j, (la, lb) in enumerate(zip(a.get(kind, []), b.get(kind, []))):
                if kind == "lines":
                    pairs = [("x", la["x"], lb["x"]), ("y", la["y"], lb["y"])]
                else:
                    pairs = [("", la, lb)]
                for axis, va, vb in pairs:
                    problem = _values_problem(f"{where} {kind[:-1]} {j + 1} {axis}".strip(),
                                              va, vb, data_tol)
                    if problem:
                        verdict.problems.append(problem)
        problem = _values_problem(f"{where} bars", a.get("bars", []), b.get("bars", []),
                                  data_tol)
        if problem:
            verdict.problems.append(problem)
        if not overlap:
            verdict.problems += _images_by_value(where, a.get("images", []),
                                                 b.get("images", []), data_tol)
    if overlap:
        verdict.problems += _images_by_identity(p_axes, r_axes, overlap)
    if not verdict.problems:
        what = f"images as a set, overlap >= {overlap:g}" if overlap else \
            f"values within {describe_tolerance(data_tol)}"
        verdict.checked.append(f"figure data ({what})")
    return verdict


def _describe_tol(tol: dict) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in sorted(tol.items())) or "none declared"


def _label_lists_match(a, b, tol) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return _label_matches(a or "", b or "", tol)
    a, b = a or [], b or []
    return len(a) == len(b) and all(_label_matches(x, y, tol) for x, y in zip(a, b))


def _images_by_value(where, pub, rep, tol) -> list[str]:
    if len(pub) != len(rep):
        return [f"{where}: published {len(pub)} images, reproduced {len(rep)}"]
    problems = []
    for j, (a, b) in enumerate(zip(pub, rep)):
        if a["shape"] != b["shape"]:
            problems.append(f"{where} image {j + 1}: shape {a['shape']} -> {b['shape']}")
        elif a["sha256"] != b["sha256"]:
            flat_a = [v for row in a["thumb"] for v in row]
            flat_b = [v for row in b["thumb"] for v in row]
            problem = _values_problem(f"{where} image {j + 1}", flat_a, flat_b, tol)
            if problem:
                problems.append(problem)
    return problems


def _images_by_identity(p_axes, r_axes, overlap: float) -> list[str]:
    def keys(axes):
        return [_image_key(im, ax.get("title", "")) for ax in axes
                for im in ax.get("images", [])]

    pub, rep = keys(p_axes), keys(r_axes)
    if len(pub) != len(rep):
        return [f"figure: published {len(pub)} images, reproduced {len(rep)}"]
    if not pub:
        return []
    shared = len(set(pub) & set(rep))
    if shared < overlap * len(set(pub)):
        return [f"figure: {shared} of {len(set(pub))} published images (with their "
                f"titles) shown again, declared overlap {overlap:g}"]
    return []


# -- figures: the picture ------------------------------------------------------------

def is_figure(output) -> bool:
    return "image/png" in (output.get("data") or {}) if isinstance(output, dict) else False


def decode_png(data) -> Image.Image:
    if isinstance(data, list):
        data = "".join(data)
    raw = base64.b64decode(data) if isinstance(data, str) else data
    image = Image.open(io.BytesIO(raw))
    image.load()
    return image


def fingerprint(image) -> tuple[tuple[int, int], np.ndarray]:
    """(size, THUMB x THUMB grey thumbnail in [0, 1]) of a PIL image.

    Transparent pixels are composited on white first, so a transparent and a
    white background give the same fingerprint.
    """
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(white, rgba).convert("L")
    thumb = grey.resize((THUMB, THUMB), Image.Resampling.BOX)
    return image.size, np.asarray(thumb, dtype=np.float64) / 255.0


def figure_distance(published: np.ndarray, reproduced: np.ndarray) -> tuple[float, float]:
    """(mean |difference|, worst block's mean |difference|) of two thumbnails."""
    diff = np.abs(published - reproduced)
    blocks = diff.reshape(THUMB // BLOCK, BLOCK, THUMB // BLOCK, BLOCK).mean(axis=(1, 3))
    return float(diff.mean()), float(blocks.max())


def pixel_tolerance(record: dict | None) -> dict[str, float]:
    """The fingerprint tolerance: the defaults, or what the figure declared."""
    declared = (record or {}).get("tol", {})
    return {"mean": declared.get("mean", FIGURE_MEAN_TOLERANCE),
            "block": declared.get("block", FIGURE_BLOCK_TOLERANCE)}


def _passes(distance: tuple[float, float], tol: dict) -> bool:
    return distance[0] <= tol["mean"] and distance[1] <= tol["block"]


def loose_tolerance_problem(thumb: np.ndarray, tol: dict) -> str | None:
    """Why ``tol`` cannot tell this picture from a blank or mirrored one (or None)."""
    impostors = {"a blank picture": np.ones_like(thumb),
                 "the picture mirrored left to right": thumb[:, ::-1],
                 "the picture upside down": thumb[::-1, :]}
    for what, other in impostors.items():
        if _passes(figure_distance(thumb, other), tol):
            return (f"declared figure tolerance (mean {tol['mean']:g}, block "
                    f"{tol['block']:g}) is so loose that {what} would pass")
    return None


def compare_figure(published_png, reproduced_png, label: str = "figure",
                   tol: dict | None = None) -> list[str]:
    """The picture by fingerprint. A declared (non-default) tolerance is first
    tried against a blank and two mirrored versions of the re-run's picture."""
    default = {"mean": FIGURE_MEAN_TOLERANCE, "block": FIGURE_BLOCK_TOLERANCE}
    tol = tol or default
    try:
        size_p, fp_p = fingerprint(decode_png(published_png))
    except Exception as err:
        return [f"{label}: the published image cannot be decoded ({err})"]
    try:
        size_r, fp_r = fingerprint(decode_png(reproduced_png))
    except Exception as err:
        return [f"{label}: the reproduced image cannot be decoded ({err})"]
    loose = loose_tolerance_problem(fp_r, tol) if tol != default else None
    if loose:
        return [f"{label}: {loose}"]
    if any(abs(a - b) > FIGURE_SIZE_SLACK_PX for a, b in zip(size_p, size_r)):
        return [f"{label} changed size: published {size_p[0]}x{size_p[1]} px, "
                f"reproduced {size_r[0]}x{size_r[1]} px"]
    mean, block = figure_distance(fp_p, fp_r)
    if mean > tol["mean"] or block > tol["block"]:
        return [f"{label} changed: mean difference {mean:.4f} (tolerance "
                f"{tol['mean']:g}), worst region {block:.4f} (tolerance "
                f"{tol['block']:g})"]
    return []


def data_moved(pub: dict, rep: dict) -> tuple[float, float]:
    """How far the plotted data moved between two figure records: the largest
    move in an axes as a share of that axes' data range, along x and along y
    (1: anywhere in the picture)."""
    def values(v) -> np.ndarray:
        return np.asarray([np.nan if x is None else x for x in v], dtype=float)

    def share(pairs: list, base: list) -> float:
        moved, seen = 0.0, [np.asarray(base, dtype=float)]
        for a, b in pairs:
            a, b = values(a), values(b)
            if a.shape != b.shape:
                return 1.0
            if a.size:
                moved = max(moved, float(np.nan_to_num(np.abs(a - b), nan=0.0).max()))
            seen += [a, b]
        if moved == 0:
            return 0.0
        both = np.concatenate(seen)
        span = np.nanmax(both) - np.nanmin(both)
        return min(1.0, moved / span) if span > 0 else 1.0

    p_axes, r_axes = pub.get("axes", []), rep.get("axes", [])
    if len(p_axes) != len(r_axes):
        return 1.0, 1.0
    x = y = 0.0
    for a, b in zip(p_axes, r_axes):
        la, lb = a.get("lines", []), b.get("lines", [])
        pa, pb = a.get("points", []), b.get("points", [])
        if len(la) != len(lb) or len(pa) != len(pb):
            return 1.0, 1.0
        points = list(zip(pa, pb))  # x and y interleaved: they count for both
        bars = [(a.get("bars", []), b.get("bars", []))]  # from 0, up or sideways
        base = [0.0] if bars[0][0] else []
        if [i["sha256"] for i in a.get("images", [])] != \
                [i["sha256"] for i in b.get("images", [])]:
            return 1.0, 1.0  # an image's colours change in place, anywhere in it
        x = max(x, share([(p["x"], q["x"]) for p, q in zip(la, lb)] + points + bars,
                         base))
        y = max(y, share([(p["y"], q["y"]) for p, q in zip(la, lb)] + points + bars,
                         base))
    return x, y


def _rgb(image) -> np.ndarray:
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"),
                      dtype=np.float64) / 255.0


def unexplained_region(published_png, reproduced_png, moved: tuple[float, float]
                       ) -> tuple[int, int, int, int] | None:
    """A region (x0, y0, x1, y1 in published pixels) of at least EDIT_PX x EDIT_PX
    where one picture shows colours the other has nowhere within the distance its
    data ``moved`` (`data_moved`), or None."""
    from scipy import ndimage  # here: every site build imports this module, few call this

    p = _rgb(decode_png(published_png))
    r = _rgb(decode_png(reproduced_png))
    h, w = min(p.shape[0], r.shape[0]), min(p.shape[1], r.shape[1])
    p, r = p[:h, :w], r[:h, :w]
    sx = int(math.ceil(moved[0] * w)) + MOVE_SLACK_PX
    sy = int(math.ceil(moved[1] * h)) + MOVE_SLACK_PX
    window = (2 * sy + 1, 2 * sx + 1, 1)
    mask = np.zeros((h, w), dtype=bool)
    for a, b in ((p, r), (r, p)):
        low = ndimage.minimum_filter(b, size=window, mode="nearest")
        high = ndimage.maximum_filter(b, size=window, mode="nearest")
        mask |= ((a < low - EDIT_COLOUR) | (a > high + EDIT_COLOUR)).any(axis=2)
    core = ndimage.binary_erosion(mask, structure=np.ones((EDIT_PX, EDIT_PX)))
    if not core.any():
        return None
    labels, _ = ndimage.label(mask)
    found = ndimage.find_objects(labels)[labels[core][0] - 1]
    return found[1].start, found[0].start, found[1].stop, found[0].stop


def compare_figure_output(published: dict, reproduced: dict, label: str) -> Verdict:
    verdict = Verdict()
    for output, which in ((published, f"the published {label}"),
                          (reproduced, f"the reproduced {label}")):
        problem = _unchecked_problem(output, "figure", which)
        if problem:
            verdict.problems.append(problem)
            return verdict
    pub_rec, rep_rec = figures.record_in(published), figures.record_in(reproduced)
    if pub_rec is None or rep_rec is None:
        if rep_rec is None:
            verdict.problems.append(f"{label}: no record of what it shows; the notebook "
                                    f"must call `setup()` in its first cell")
        else:
            verdict.problems.append(f"{label}: the published figure has no record of "
                                    f"what it shows; re-run it with `journal run`")
    else:
        verdict.extend(compare_figure_records(pub_rec, rep_rec))
    tol = pixel_tolerance(pub_rec)
    problems = compare_figure(published["data"]["image/png"],
                              reproduced["data"]["image/png"], label, tol)
    local = ""
    if not problems and pub_rec is not None and rep_rec is not None and \
            tol != pixel_tolerance(None):
        local = ", changed only where its data moved"
        moved = data_moved(pub_rec, rep_rec)
        region = unexplained_region(published["data"]["image/png"],
                                    reproduced["data"]["image/png"], moved)
        if region:
            problems.append(
                f"{label} changed at x {region[0]}-{region[2]}, y {region[1]}-"
                f"{region[3]} px where its data cannot have moved it: the declared "
                f"picture tolerance covers only marks moved as far as the plotted "
                f"data moved ({moved[0]:.1%} of a panel across, {moved[1]:.1%} up)")
    verdict.problems += problems
    verdict.pictures += problems
    if not problems:
        verdict.checked.append(f"{label} picture (fingerprint mean <= {tol['mean']:g}, "
                               f"block <= {tol['block']:g}{local})")
    return verdict


# -- text --------------------------------------------------------------------------

def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _is_float_token(token: str) -> bool:
    return "." in token or "e" in token.lower()


def text_matches(published: str, reproduced: str,
                 tol: dict = TEXT_FLOAT_TOLERANCE) -> bool:
    """Equal, except that printed floats may differ within ``tol``.

    Everything that is not a float (words, integers, shapes, layout) must be
    identical, and a float may not turn into an integer or back.
    """
    if published == reproduced:
        return True
    if NUMBER.split(published) != NUMBER.split(reproduced):
        return False
    nums_p, nums_r = NUMBER.findall(published), NUMBER.findall(reproduced)
    if len(nums_p) != len(nums_r):
        return False
    for a, b in zip(nums_p, nums_r):
        if a == b:
            continue
        if not (_is_float_token(a) and _is_float_token(b)):
            return False
        x, y = float(a), float(b)
        if not (math.isfinite(x) and math.isfinite(y) and within(tol, x, y)):
            return False
    return True


def coalesce_streams(outputs: list) -> list:
    """Consecutive stream outputs of the same name merged into one (as nbval does)."""
    merged = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            merged[-1] = {**merged[-1], "text": _text(merged[-1]["text"]) + _text(out["text"])}
        else:
            merged.append(dict(out))
    return merged


def _kind(output: dict) -> str:
    kind = output.get("output_type", "?")
    if kind == "stream":
        return f"stream {output.get('name')}"
    if kind in ("display_data", "execute_result"):
        data = output.get("data") or {}
        if report.MIME in data:
            return "metric"
        if "image/png" in data:
            return "figure"
        return "result"
    return kind


def _compare_text(label: str, pub: str, rep: str, rules, clean) -> Verdict:
    verdict = Verdict()
    pub_s, reasons = sanitize(clean(pub), rules)
    rep_s, _ = sanitize(clean(rep), rules)
    if not text_matches(pub_s, rep_s):
        verdict.problems.append(f"{label} differs: published {_short(pub_s)!r}, "
                                f"reproduced {_short(rep_s)!r}")
        return verdict
    verdict.checked.append(f"{label} text")
    verdict.unverified += [f"{label}: {reason}" for reason in reasons]
    return verdict


def compare_output(pub: dict, rep: dict, label: str, rules, clean) -> Verdict:
    kind = _kind(pub)
    if kind == "metric":
        return compare_metric_output(pub, rep)
    if kind == "figure":
        verdict = compare_figure_output(pub, rep, label)
        plain_p = _text((pub.get("data") or {}).get("text/plain", ""))
        plain_r = _text((rep.get("data") or {}).get("text/plain", ""))
        verdict.extend(_compare_text(f"{label} caption", plain_p, plain_r, rules, clean))
        return verdict
    if kind == "error":
        if pub.get("ename") != rep.get("ename"):
            return Verdict(problems=[f"expected to raise {pub.get('ename')}, raised "
                                     f"{rep.get('ename')}: {_short(str(rep.get('evalue')))}"])
        return _compare_text(f"{label} ({pub.get('ename')})", str(pub.get("evalue", "")),
                             str(rep.get("evalue", "")), rules, clean)
    if kind.startswith("stream"):
        return _compare_text(label, _text(pub.get("text", "")), _text(rep.get("text", "")),
                             rules, clean)
    verdict = Verdict()
    p_data, r_data = pub.get("data") or {}, rep.get("data") or {}
    if sorted(p_data) != sorted(r_data):
        verdict.problems.append(f"{label}: published as {sorted(p_data)}, reproduced as "
                                f"{sorted(r_data)}")
        return verdict
    for mime in sorted(p_data):
        if mime.startswith("image/"):
            # A page shows every picture as a result: only a figure with its record
            # can be checked, so any other is refused rather than shown unmarked.
            verdict.problems.append(f"{label} is a picture ({mime}) that is not a "
                                    f"figure with a record of what it shows; draw it "
                                    f"with matplotlib after `setup()`")
            continue
        verdict.extend(_compare_text(f"{label} {mime}", _text(p_data[mime]),
                                     _text(r_data[mime]), rules, clean))
    return verdict


def compare_cell(published: list, reproduced: list, *, rules=None,
                 clean=lambda text: text) -> Verdict:
    """Compare one cell's published outputs with a re-run's.

    ``rules`` is the sanitizer (`load_sanitizer`); ``clean`` a first
    normalisation (local paths as `journal run` writes them).
    """
    rules = load_sanitizer() if rules is None else rules
    pub, rep = coalesce_streams(list(published)), coalesce_streams(list(reproduced))
    kinds_p, kinds_r = [_kind(o) for o in pub], [_kind(o) for o in rep]
    if kinds_p != kinds_r:
        return Verdict(problems=[f"outputs changed: published {_describe(kinds_p)}, "
                                 f"reproduced {_describe(kinds_r)}"])
    verdict = Verdict()
    n_figures = kinds_p.count("figure")
    k = 0
    for p, r, kind in zip(pub, rep, kinds_p):
        if kind == "figure":
            k += 1
        label = (f"figure {k}" if n_figures > 1 else "figure") if kind == "figure" else \
            "output" if kind == "result" else kind
        verdict.extend(compare_output(p, r, label, rules, clean))
    return verdict


def _describe(kinds: list[str]) -> str:
    return ", ".join(kinds) if kinds else "nothing"


def publishes_results(outputs: list) -> bool:
    """Whether outputs hold a metric or a figure (which can never be exempted)."""
    return any(_kind(o) in ("metric", "figure") for o in outputs)
