"""Notebook outputs in a reader's words: alt text and names.

A figure's alt text is written from its verified record (`journal.figures`:
titles, axis labels, series, the images a grid shows), so it says what the
published picture shows and changes when the picture does. An output's name
("the accuracy table", "the figure of training loss") is how the verification
details on a page refer to it, instead of the notebook's own vocabulary.
"""

import re

from journal import figures

MAX_LABELS = 16  # image titles listed in a grid's alt text before "and N more"
KIND_WORDS = ("table", "figure", "plot", "chart", "grid", "matrix", "curves")


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def _panel(ax: dict) -> str:
    """One set of axes: what kind of plot, of what against what, which series."""
    title, x, y = _plain(ax.get("title", "")), _plain(ax.get("xlabel", "")), \
        _plain(ax.get("ylabel", ""))
    if ax.get("images"):
        kind = "image"
    elif ax.get("bars"):
        kind = "bar chart"
    elif ax.get("lines"):
        kind = "line plot"
    elif ax.get("points"):
        kind = "scatter plot"
    else:
        kind = "plot"
    words = kind
    if y and x:
        words += f" of {y} against {x}"
    elif y or x:
        words += f" of {y or x}"
    series = [_plain(s) for s in ax.get("legend", []) if _plain(s)]
    if series:
        words += f", one line each for {', '.join(series)}" if kind == "line plot" \
            else f", series {', '.join(series)}"
    elif kind == "line plot" and len(ax.get("lines", [])) > 1:
        words += f", {len(ax['lines'])} lines"
    return f"{title}: {words}" if title else words


def alt_text(record: dict | None) -> str:
    """Alt text for a figure from its record; a plain fallback without one."""
    if not record or not record.get("axes"):
        return "A figure (no description was recorded for it)"
    axes, suptitle = record["axes"], _plain(record.get("suptitle", ""))
    lead = f"{suptitle}. " if suptitle else ""
    if len(axes) > 1 and all(ax.get("images") and not ax.get("lines") for ax in axes):
        labels = [_plain(ax.get("title", "")) for ax in axes]
        text = f"{lead}A grid of {len(axes)} images"
        if any(labels):
            shown = [label or "(untitled)" for label in labels[:MAX_LABELS]]
            more = len(labels) - len(shown)
            text += ", labelled " + ", ".join(shown)
            text += f" and {more} more" if more else ""
        return text + "."
    panels = [_panel(ax) for ax in axes]
    if len(panels) == 1:
        head, _, body = panels[0].rpartition(": ")
        return f"{lead}{head}: a {body}." if head else f"{lead}A {body}."
    return f"{lead}{len(panels)} panels: " + "; ".join(
        f"({k}) {p}" for k, p in enumerate(panels, 1)) + "."


def figure_name(record: dict | None) -> str:
    """"the figure of training loss", "the grid of 8 images", or "the figure"."""
    if not record or not record.get("axes"):
        return "the figure"
    axes = record["axes"]
    if len(axes) > 1 and all(ax.get("images") for ax in axes):
        return f"the grid of {len(axes)} images"
    subject = _plain(axes[0].get("title", "")) or _plain(axes[0].get("ylabel", "")) \
        or _plain(record.get("suptitle", ""))
    return f"the figure of {subject}" if subject else "the figure"


def tag_name(tag: str | None) -> str | None:
    """A cell tag that names what it shows ("accuracy-table") in words, or None."""
    if not tag:
        return None
    words = tag.replace("_", " ").replace("-", " ").strip()
    return f"the {words}" if words.split()[-1] in KIND_WORDS else None


def output_name(out: dict, tag: str | None = None) -> str | None:
    """How a reader knows one output, or None for one the page does not show."""
    kind = out.get("output_type")
    if kind == "stream":
        return "the printed output" if out.get("text", "").strip() else None
    if kind == "error":
        return "the error message"
    data = out.get("data", {})
    if any(m.startswith("image/") for m in data):
        return tag_name(tag) or figure_name(figures.record_in(out))
    if "text/html" in data:
        return tag_name(tag) or ("the table" if "<table" in "".join(data["text/html"])
                                 else "the formatted output")
    if "text/markdown" in data:
        return tag_name(tag) or "the formatted output"
    if "text/plain" in data:
        return tag_name(tag) or "the printed result"
    return None


def reason(unverified: str) -> str:
    """'stream stdout: timings depend on the machine' in a reader's words."""
    what, _, why = unverified.rpartition(": ")
    what = what.rsplit(": ", 1)[-1]  # drop a leading cell label
    name = {"stream stdout": "the printed output", "stream stderr": "the printed warnings"
            }.get(what, "part of the output" if what else "")
    return f"{name}: {why}" if name else why
