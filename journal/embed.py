"""Embedding notebook results in posts.

Two markers, each on the notebook path relative to ``projects/``:

    {% embed "digits-baselines/digits-baselines.ipynb" tag="accuracy-table" show="output" %}
    {% value "digits-baselines/digits-baselines.ipynb" "SVM (RBF kernel) / test accuracy" format=".1%" %}

``embed`` (on a line of its own) inserts the cell(s) carrying the tag (or the
cell with ``id="..."``); ``show`` is ``code``, ``output`` or ``both`` (default).
``value`` inserts one published metric (recorded with `snippets.report`),
formatted with a Python format spec. Unknown notebooks, tags, ids or metrics
raise `EmbedError` naming the post and line.
"""

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from journal import paths
from journal.execute import NotebookError, read_notebook
from snippets.report import records_in

MARKER = re.compile(r"\{%\s*(embed|value)\s+(.*?)\s*%\}")
SHOW = ("code", "output", "both")


class EmbedError(Exception):
    """A marker in a post refers to something that does not exist."""


@dataclass
class Marker:
    kind: str
    notebook: str
    args: list[str]
    options: dict[str, str]
    line: int


def parse(markdown: str, source: str):
    """Yield (match, Marker) for every marker; malformed ones raise EmbedError."""
    for match in MARKER.finditer(markdown):
        line = markdown.count("\n", 0, match.start()) + 1
        try:
            words = shlex.split(match.group(2))
        except ValueError as err:
            raise EmbedError(f"{source}:{line}: malformed {match.group(1)} marker: {err}")
        positional = [w for w in words if "=" not in w]
        options = dict(w.split("=", 1) for w in words if "=" in w)
        if not positional:
            raise EmbedError(f"{source}:{line}: {match.group(1)} marker names no notebook")
        yield match, Marker(match.group(1), positional[0], positional[1:], options, line)


class NotebookCache:
    """Notebooks read once per build."""

    def __init__(self, root: Path = paths.PROJECTS):
        self.root, self._cache = root, {}

    def get(self, name: str, where: str):
        path = (self.root / name).resolve()
        if self.root.resolve() not in path.parents or not path.is_file():
            raise EmbedError(f"{where}: unknown notebook {name!r} (looked for "
                             f"{paths.display_path(path)})")
        if path not in self._cache:
            try:
                self._cache[path] = read_notebook(path)
            except NotebookError as err:
                raise EmbedError(f"{where}: {err}") from err
        return self._cache[path]


def select_cells(nb, marker: Marker, where: str) -> list:
    if "id" in marker.options:
        cells = [c for c in nb.cells if c.get("id") == marker.options["id"]]
        if not cells:
            raise EmbedError(f"{where}: notebook {marker.notebook!r} has no cell "
                             f"with id {marker.options['id']!r}")
        return cells
    tag = marker.options.get("tag")
    if not tag:
        raise EmbedError(f"{where}: embed marker needs tag=\"...\" or id=\"...\"")
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise EmbedError(f"{where}: notebook {marker.notebook!r} has no cell "
                         f"tagged {tag!r}")
    return cells


def find_metric(nb, marker: Marker, where: str) -> dict:
    if not marker.args:
        raise EmbedError(f"{where}: value marker names no metric")
    name = marker.args[0]
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for rec in records_in(out):
                if rec["name"] == name:
                    return rec
    raise EmbedError(f"{where}: notebook {marker.notebook!r} publishes no metric "
                     f"named {name!r}")


def render_value(rec: dict, marker: Marker, where: str) -> str:
    spec = marker.options.get("format", ".4f")
    try:
        return format(rec["value"], spec)
    except ValueError as err:
        raise EmbedError(f"{where}: bad format {spec!r}: {err}") from err


def output_text(out) -> str | None:
    if out.get("output_type") == "stream":
        return out.get("text", "")
    data = out.get("data", {})
    if "text/plain" in data and not any(k.startswith("image/") for k in data):
        return data["text/plain"]
    return None


def render_cells(cells, marker: Marker, where: str) -> str:
    show = marker.options.get("show", "both")
    if show not in SHOW:
        raise EmbedError(f"{where}: show must be one of {', '.join(SHOW)}, got {show!r}")
    parts = []
    for cell in cells:
        if show in ("code", "both") and cell.cell_type == "code":
            parts.append(f"```python\n{cell.source}\n```")
        if show in ("output", "both"):
            for out in cell.get("outputs", []):
                text = output_text(out)
                if text:
                    parts.append(f"```text\n{text.rstrip()}\n```")
    return "\n\n".join(parts)


def expand(markdown: str, source: str, cache: NotebookCache | None = None) -> str:
    """Replace every marker in ``markdown`` (from file ``source``)."""
    cache = cache or NotebookCache()
    pieces, last = [], 0
    for match, marker in parse(markdown, source):
        where = f"{source}:{marker.line}"
        nb = cache.get(marker.notebook, where)
        if marker.kind == "value":
            text = render_value(find_metric(nb, marker, where), marker, where)
        else:
            text = render_cells(select_cells(nb, marker, where), marker, where)
        pieces += [markdown[last:match.start()], text]
        last = match.end()
    pieces.append(markdown[last:])
    return "".join(pieces)
