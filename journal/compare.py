"""How a re-run's outputs are compared with the published ones.

The pytest plugin (`journal.pytest_notebooks`) sends each kind of output here:

- **Metrics** (outputs carrying `journal.report.MIME`): compared record by
  record, each within the tolerance that was *published* with it. Their
  text/plain rendering is not compared (it is derived from the records).
- **Figures** (``image/png``): compared by a perceptual fingerprint, a small
  grey thumbnail, within `FIGURE_MEAN_TOLERANCE` (whole image) and
  `FIGURE_BLOCK_TOLERANCE` (worst 8x8 block), or a tolerance the cell declares
  (`figure_tolerance`). A changed plot fails; a re-rendering with sub-pixel
  differences does not.
- **Text**: exact, except that a bare float printed in text (``0.9850``) may move
  by `TEXT_FLOAT_TOLERANCE`. Integers, shapes and words are always exact.

How the thresholds were chosen is written down in ``pages/verification.md``.
Every function returns a list of problems (empty: the outputs match); each
problem is one line the plugin prefixes with ``<notebook> cell <n>: ``.
"""

import base64
import io
import math
import re

import numpy as np
from nbformat import NotebookNode

from journal.report import DEFAULT_TOLERANCE, MIME, describe_tolerance, records_in, within

# A float printed outside `journal.report` may differ in its 4th significant
# digit (a rounding flip such as 0.98495 -> "0.9849" / "0.9850"), no more.
TEXT_FLOAT_TOLERANCE = {"abs": 1e-9, "rel": 2e-4}

# Figures: grey thumbnails of THUMB x THUMB pixels, values in [0, 1].
THUMB = 64
BLOCK = 8
FIGURE_MEAN_TOLERANCE = 0.004   # mean |difference| over the whole thumbnail
FIGURE_BLOCK_TOLERANCE = 0.02   # mean |difference| in the worst BLOCK x BLOCK block
FIGURE_SIZE_SLACK_PX = 2        # bbox_inches="tight" may move an edge by a pixel

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")


def fmt(value: float) -> str:
    return f"{value:.6g}"


# -- metrics ---------------------------------------------------------------------

def compare_metric_records(published: list[dict], reproduced: list[dict]) -> list[str]:
    """Each published record against the reproduced one of the same name."""
    problems = []
    got = {r["name"]: r for r in reproduced}
    for pub in published:
        name, tol = pub["name"], pub.get("tol", DEFAULT_TOLERANCE)
        if name not in got:
            problems.append(f"{name} published {fmt(pub['value'])}, not reproduced "
                            f"(the re-run published no metric of that name)")
            continue
        value = got[name]["value"]
        if not within(pub, value):
            problems.append(f"{name} published {fmt(pub['value'])}, reproduced "
                            f"{fmt(value)}, tolerance {describe_tolerance(tol)}")
    names = {p["name"] for p in published}
    for rec in reproduced:
        if rec["name"] not in names:
            problems.append(f"{rec['name']} reproduced {fmt(rec['value'])} but was "
                            f"never published")
    return problems


def compare_metrics(published_outputs: list, reproduced_outputs: list) -> list[str]:
    """All metric records of one cell (outputs in order, records by name)."""
    pub = [r for o in published_outputs for r in records_in(o)]
    rep = [r for o in reproduced_outputs for r in records_in(o)]
    return compare_metric_records(pub, rep)


# -- figures ---------------------------------------------------------------------

def is_figure(output) -> bool:
    return "image/png" in (output.get("data") or {}) if isinstance(output, dict) else False


def decode_png(data) -> "Image":
    from PIL import Image

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
    from PIL import Image

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


def figure_tolerance(cell_metadata) -> dict[str, float]:
    """The figure tolerance of one cell: the defaults, or what the cell declares.

    A figure that moves with the thread count by more than the defaults (say a
    learning curve, or a grid of the first misclassified images) declares its
    own, measured with ``bench/thread_spread.py``, in the cell's metadata:
    ``"journal": {"figure_tolerance": {"mean": 0.01, "block": 0.08}}``.
    """
    tol = {"mean": FIGURE_MEAN_TOLERANCE, "block": FIGURE_BLOCK_TOLERANCE}
    declared = ((cell_metadata or {}).get("journal") or {}).get("figure_tolerance")
    if declared is None:
        return tol
    if not isinstance(declared, dict) or set(declared) - set(tol) or not all(
            isinstance(v, (int, float)) and 0 <= v <= 1 for v in declared.values()):
        raise ValueError(f"figure_tolerance must map 'mean' and/or 'block' to numbers "
                         f"in [0, 1], got {declared!r}")
    return {**tol, **{k: float(v) for k, v in declared.items()}}


def compare_figure(published_png, reproduced_png, label: str = "figure",
                   tol: dict | None = None) -> list[str]:
    tol = tol or {"mean": FIGURE_MEAN_TOLERANCE, "block": FIGURE_BLOCK_TOLERANCE}
    try:
        size_p, fp_p = fingerprint(decode_png(published_png))
    except Exception as err:
        return [f"{label}: the published image cannot be decoded ({err})"]
    try:
        size_r, fp_r = fingerprint(decode_png(reproduced_png))
    except Exception as err:
        return [f"{label}: the reproduced image cannot be decoded ({err})"]
    if any(abs(a - b) > FIGURE_SIZE_SLACK_PX for a, b in zip(size_p, size_r)):
        return [f"{label} changed size: published {size_p[0]}x{size_p[1]} px, "
                f"reproduced {size_r[0]}x{size_r[1]} px"]
    mean, block = figure_distance(fp_p, fp_r)
    if mean > tol["mean"] or block > tol["block"]:
        return [f"{label} changed: mean difference {mean:.4f} (tolerance "
                f"{tol['mean']:g}), worst region {block:.4f} (tolerance "
                f"{tol['block']:g})"]
    return []


def compare_figures(published_outputs: list, reproduced_outputs: list,
                    tol: dict | None = None) -> list[str]:
    pub = [o["data"]["image/png"] for o in published_outputs if is_figure(o)]
    rep = [o["data"]["image/png"] for o in reproduced_outputs if is_figure(o)]
    if len(pub) != len(rep):
        return [f"published {len(pub)} figure(s), reproduced {len(rep)}"]
    problems = []
    for k, (p, r) in enumerate(zip(pub, rep), start=1):
        label = "figure" if len(pub) == 1 else f"figure {k}"
        problems += compare_figure(p, r, label, tol)
    return problems


# -- text ------------------------------------------------------------------------

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
        allowed = max(tol.get("abs", 0.0), tol.get("rel", 0.0) * abs(x))
        if not (math.isfinite(x) and math.isfinite(y)) or abs(x - y) > allowed:
            return False
    return True


def strip_checked(output: dict) -> dict:
    """An output without what this module compares (for nbval's exact check).

    A metric output loses its record and its text rendering; a figure loses
    its PNG (its text/plain, such as ``<Figure size 720x230 with 16 Axes>``,
    stays and is compared exactly).
    """
    if not isinstance(output, dict) or "data" not in output:
        return output
    data = dict(output["data"])
    if MIME in data:
        data.pop(MIME)
        data.pop("text/plain", None)
    data.pop("image/png", None)
    return NotebookNode({**output, "data": NotebookNode(data)})
