"""What a figure shows, recorded next to its picture so that it can be verified.

`journal.runtime.setup` registers `describe` with IPython: every matplotlib
figure a notebook displays then carries a record
(``application/vnd.journal.figure+json``) of its titles, labels, plotted
values and images. `figure_tolerance(fig, ...)` declares how far a re-run may
move them; `journal.compare` judges. See the site's "How the numbers are
checked" page.
"""

import hashlib
import math

import numpy as np

MIME = "application/vnd.journal.figure+json"
MAX_POINTS = 200
THUMB = 8
DATA_TOLERANCE = {"abs": 1e-6, "rel": 1e-6}
_ATTRIBUTE = "_journal_tolerance"


def figure_tolerance(fig, *, abs: float | None = None, rel: float | None = None,
                     overlap: float | None = None, mean: float | None = None,
                     block: float | None = None):
    """Declare how far a re-run may move this figure.

    ``abs``/``rel``: the plotted numbers (lines, bars, points, numeric labels,
    image thumbnails). ``overlap``: compare the images by identity, as a set;
    at least this share of the published ones must be shown again.
    ``mean``/``block``: the picture's fingerprint (see `journal.compare`);
    a tolerance so loose that a blank or mirrored picture would pass is refused.
    """
    tol = {}
    for key, value in (("abs", abs), ("rel", rel), ("overlap", overlap),
                       ("mean", mean), ("block", block)):
        if value is None:
            continue
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ValueError(f"figure tolerance {key} must be a number >= 0, "
                             f"got {value!r}")
        if key in ("overlap", "mean", "block") and value > 1:
            raise ValueError(f"figure tolerance {key} must be at most 1, got {value!r}")
        tol[key] = float(value)
    setattr(fig, _ATTRIBUTE, tol)


def _round(values) -> list:
    return [float(f"{v:.7g}") if math.isfinite(v) else None
            for v in np.asarray(values, dtype=np.float64).ravel()]


def _sample(values) -> list:
    values = np.asarray(values, dtype=np.float64).ravel()
    if len(values) > MAX_POINTS:
        values = values[np.linspace(0, len(values) - 1, MAX_POINTS).round().astype(int)]
    return _round(values)


def _image(array) -> dict:
    a = np.ma.filled(np.ma.asarray(array, dtype=np.float64), np.nan)
    if a.ndim == 3:  # RGB(A): compare the mean over channels
        a = a.mean(axis=2)
    digest = hashlib.sha256(np.ascontiguousarray(a.astype(np.float32)).tobytes())
    rows = np.array_split(np.arange(a.shape[0]), min(THUMB, a.shape[0]))
    cols = np.array_split(np.arange(a.shape[1]), min(THUMB, a.shape[1]))
    thumb = [[float(np.nanmean(a[np.ix_(r, c)])) for c in cols] for r in rows]
    return {"shape": list(a.shape), "sha256": digest.hexdigest()[:16],
            "thumb": [_round(row) for row in thumb]}


def _axes(ax) -> dict:
    from matplotlib.patches import Rectangle  # deferred: the harness reads MIME only

    legend = ax.get_legend()
    return {
        "title": ax.get_title(),
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "legend": [t.get_text() for t in legend.get_texts()] if legend else [],
        "texts": [t.get_text() for t in ax.texts],
        "lines": [{"x": _sample(line.get_xdata()), "y": _sample(line.get_ydata())}
                  for line in ax.get_lines()],
        "bars": _round([p.get_height() for p in ax.patches if isinstance(p, Rectangle)]),
        "points": [_sample(np.asarray(c.get_offsets())) for c in ax.collections
                   if len(np.asarray(c.get_offsets()))],
        "images": [_image(im.get_array()) for im in ax.get_images()],
    }


def describe(fig) -> dict:
    """The record of what ``fig`` shows, with its declared tolerance."""
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
    axes = [_axes(ax) for ax in fig.axes if ax.get_visible() and ax.has_data()
            or ax.get_title()]
    return {"suptitle": suptitle, "axes": axes, "tol": dict(getattr(fig, _ATTRIBUTE, {}))}


def register(shell) -> None:
    """Make IPython attach `describe`'s record to every figure it displays."""
    # deferred: only a kernel registers the formatter
    from IPython.core.formatters import BaseFormatter
    from matplotlib.figure import Figure
    from traitlets import ObjectName, Unicode

    class FigureRecordFormatter(BaseFormatter):
        format_type = Unicode(MIME)
        _return_type = (dict,)
        print_method = ObjectName("_repr_journal_figure_")

    formatters = shell.display_formatter.formatters
    if MIME not in formatters:
        formatters[MIME] = FigureRecordFormatter(parent=shell.display_formatter)
    # Found through the formatter's print_method rather than `for_type`: the
    # inline backend clears every formatter's Figure entry when it activates.
    Figure._repr_journal_figure_ = describe


def record_in(output) -> dict | None:
    """The figure record inside one notebook output, or None."""
    data = output.get("data", {}) if isinstance(output, dict) else {}
    return data.get(MIME)
