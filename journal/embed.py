"""Embedding notebook results in posts: markers expanded into ordinary Markdown.

`expand` replaces each ``embed``, ``value``, ``literal``, ``claim`` and ``runs``
marker (notebook paths relative to ``projects/``) with code and text blocks,
figure image files (`images_in` lists them), HTML cleaned by
`journal.sanitize_html`, a number, or a verdict's words
(`journal.claim_checks`); cells come shielded from pymdownx.snippets
(`journal.snippet_quotes`) and followed by their notebook's links and stamp.
Unknown notebooks, tags, ids or metrics raise `EmbedError` naming post and
line. The markers: the README; what the build adds: the site's "How the site is
made" page (pages/site.md).
"""

import base64
import hashlib
import html
import posixpath
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from journal import (claim_checks, claims, figures, markdown_source, paths, project_info,
                     provenance, readable, sanitize_html, snippet_quotes)
from journal.errors import Location, NotebookError, PostError
from journal.nbfile import read as read_notebook

SHOW = ("code", "output", "both")
LITERAL_TITLE = "Typed by the author: not re-derived by the journal's checks"
LITERAL_NOTE = "typed by hand, not re-derived"
# Where a post's verification line explains the dagger (`journal.site.stamps.line`).
LITERAL_ANCHOR = "journal-hand-typed"


class EmbedError(PostError):
    """A marker in a post refers to something that does not exist."""


@dataclass
class Marker:
    kind: str
    notebook: str
    args: list[str]
    options: dict[str, str]
    line: int


def parse(markdown: str, source: str, line_offset: int = 0):
    """Yield (match, Marker) for every marker; malformed ones raise EmbedError.

    Markers inside code (fenced blocks or inline) are left alone, so a post can
    show one.
    """
    for match in markdown_source.markers(markdown):
        line = markdown_source.line_of(markdown, match.start()) + line_offset
        try:
            positional, options = markdown_source.marker_words(match.group(2))
        except ValueError as err:
            raise EmbedError(f"malformed {match.group(1)} marker: {err}",
                             file=source, line=line) from None
        if not positional:
            what = "text" if match.group(1) == "literal" else "notebook"
            raise EmbedError(f"{match.group(1)} marker names no {what}", file=source,
                             line=line)
        yield match, Marker(match.group(1), positional[0], positional[1:], options, line)


class NotebookCache:
    """Notebooks read once per build (with ``read``, `journal.nbfile.read` by default)."""

    def __init__(self, root: Path = paths.PROJECTS, read=read_notebook):
        self.root, self._cache, self._read = root, {}, read
        self._found: dict[str, Path] = {}  # name -> file, looked up once

    def get(self, name: str, where: Location):
        path = self._found.get(name)
        if path is None:
            path = (self.root / name).resolve()
            if self.root.resolve() not in path.parents or not path.is_file():
                raise EmbedError(f"unknown notebook {name!r} (looked for "
                                 f"{paths.display_path(path)})", at=where)
            self._found[name] = path
        if path not in self._cache:
            try:
                self._cache[path] = self._read(path)
            except NotebookError as err:
                raise EmbedError(str(err), at=where) from err
        return self._cache[path]


def select_cells(nb, marker: Marker, where: Location) -> list:
    if "id" in marker.options:
        cells = [c for c in nb.cells if c.get("id") == marker.options["id"]]
        if not cells:
            raise EmbedError(f"notebook {marker.notebook!r} has no cell "
                             f"with id {marker.options['id']!r}", at=where)
        return cells
    tag = marker.options.get("tag")
    if not tag:
        raise EmbedError("embed marker needs tag=\"...\" or id=\"...\"", at=where)
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise EmbedError(f"notebook {marker.notebook!r} has no cell "
                         f"tagged {tag!r}", at=where)
    return cells


def find_metric(nb, marker: Marker, where: Location) -> dict:
    if not marker.args:
        raise EmbedError("value marker names no metric", at=where)
    name = marker.args[0]
    records = claim_checks.records_of(nb)
    if name in records:
        return records[name]
    raise EmbedError(f"notebook {marker.notebook!r} publishes no metric "
                     f"named {name!r}", at=where)


def render_value(rec: dict, marker: Marker, where: Location) -> str:
    spec = marker.options.get("format", ".4f")
    try:
        if marker.options.get("spread", "yes") == "no":
            return format(rec["value"], spec)
        return claims.describe_runs(rec, spec)
    except ValueError as err:
        raise EmbedError(f"bad format {spec!r}: {err}", at=where) from err


def render_literal(marker: Marker) -> str:
    """A number typed by the author, marked on the page as not verified."""
    text = html.escape(" ".join([marker.notebook, *marker.args]))
    return (f'<span class="journal-literal" title="{LITERAL_TITLE}">{text}'
            f'<a class="journal-dagger" href="#{LITERAL_ANCHOR}"><sup aria-hidden="true">'
            f'†</sup><span class="journal-sr"> ({LITERAL_NOTE})</span></a></span>')


HIDE_INPUT, REMOVE_INPUT = "hide-input", "remove-input"
REMOVE_OUTPUT, REMOVE_CELL = "remove-output", "remove-cell"
IMAGE_TYPES = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg",
               "image/gif": "gif"}
IMAGE_DIR = "assets/embeds"
# The fence of a text output. The search index leaves outputs out
# (journal/site/search.py); Material's search plugin drops the attribute from
# the page once it has indexed it, so readers get a plain ```text block.
OUTPUT_FENCE = 'text {data-search-exclude="output"}'


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def image_bytes(mime: str, data) -> bytes:
    """The file contents of an image output (base64 for bitmaps, text for SVG)."""
    if isinstance(data, list):
        data = "".join(data)
    if mime == "image/svg+xml":
        return sanitize_html.clean_svg(data)[0]
    return base64.b64decode(data)


def image_uri(content: bytes, ext: str) -> str:
    """Where an image lives in the site: named by its content, so never stale."""
    return f"{IMAGE_DIR}/{hashlib.sha256(content).hexdigest()[:16]}.{ext}"


def output_image(out) -> tuple[str, bytes] | None:
    """An image output as ``(site path, bytes)``, or None for any other output."""
    for mime, ext in IMAGE_TYPES.items():
        if mime in out.get("data", {}):
            content = image_bytes(mime, out["data"][mime])
            return image_uri(content, ext), content
    return None


def images_in(nb):
    """Every image output of a notebook as ``(site path, bytes)``."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if (image := output_image(out)) is not None:
                yield image


@dataclass
class Context:
    """Where the expanded Markdown will live, so that links resolve.

    ``source`` is the post's path in the site's file list (``posts/x.md``);
    ``page_url`` its URL (``2026/11/02/x/``), needed for raw HTML links;
    ``verification (see `journal.site.stamps`) says what the check found:
    ``stamp(rel, nb)`` is the HTML after each embed and ``notes(rel, cell)``
    what in a cell's outputs is not verified. Without it, the author's
    provenance stamp is shown. With ``live``, each code cell of a notebook
    that ``live.runs(rel)`` is followed by an empty slot where a reader's
    browser run puts its outputs (`journal.site.live`).
    """

    source: str
    page_url: str | None = None
    verification: object = None
    live: object = None         # `journal.site.live.Live`: leaves slots for browser runs

    def rel_file(self, uri: str) -> str:
        """A Markdown link from the source file to another site file."""
        return posixpath.relpath(uri, posixpath.dirname(self.source) or ".")

    def rel_url(self, url: str) -> str:
        """An HTML link from the built page to a built URL."""
        base = self.page_url
        if base is None:
            base = posixpath.splitext(self.source)[0] + "/"
        base_dir = base if base.endswith("/") else posixpath.dirname(base)
        return posixpath.relpath(url, base_dir or ".")


def _fence(text: str, lang: str) -> str:
    ticks = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`{3,}", text)),
                                 default=0))
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


def render_output(out, ctx: Context, alt: str = "figure") -> str | None:
    kind = out.get("output_type")
    if kind == "stream":
        text = out.get("text", "")
        return _fence(text, OUTPUT_FENCE) if text.strip() else None
    if kind == "error":
        return _fence(f"{out.get('ename')}: {out.get('evalue')}", OUTPUT_FENCE)
    data = out.get("data", {})
    for mime, ext in IMAGE_TYPES.items():
        if mime in data:
            content = image_bytes(mime, data[mime])
            uri = image_uri(content, ext)
            return f"![{alt}]({ctx.rel_file(uri)}){{ .journal-figure }}"
    shown = sanitize_html.output_html(out)
    if shown is not None:
        clean = sanitize_html.clean(shown[1]).strip()
        return f'<div class="journal-output" markdown="0">\n{clean}\n</div>'
    if "text/plain" in data:
        return _fence(data["text/plain"], OUTPUT_FENCE)
    return None


def render_cell(cell, show: str, ctx: Context) -> list[str]:
    """One cell as Markdown blocks, honouring the remove-*/hide-input tags."""
    cell_tags = tags(cell)
    if REMOVE_CELL in cell_tags:
        return []
    parts = []
    if show in ("code", "both") and cell.cell_type == "code" \
            and REMOVE_INPUT not in cell_tags:
        code = _fence(cell.source, "python")
        if HIDE_INPUT in cell_tags:
            code = '??? "code"\n\n' + textwrap.indent(code, "    ")
        parts.append(code)
    if show in ("output", "both") and REMOVE_OUTPUT not in cell_tags:
        for out in cell.get("outputs", []):
            alt = markdown_text(readable.alt_text(figures.record_in(out)))
            block = render_output(out, ctx, alt)
            if block:
                parts.append(block)
    return parts


def notebook_links(marker: Marker, nb, ctx: Context, shown=()) -> str:
    """The line after an embed: the ✓ of its verification (naming the outputs
    of the ``shown`` cells), then links to the notebook page and its .ipynb."""
    rel = posixpath.normpath(marker.notebook)
    stem = posixpath.splitext(rel)[0]
    page = ctx.rel_url(f"projects/{stem}/") + "/"  # a directory URL keeps its slash
    # mkdocs-jupyter (include_source) copies the .ipynb next to the page.
    download = ctx.rel_url(f"projects/{stem}/{posixpath.basename(rel)}")
    title = html.escape(project_info.title(nb, rel))
    links = (f'From the notebook <a href="{page}">{title}</a> '
             f'(<a href="{download}" download>.ipynb</a>)')
    if ctx.verification is not None:
        stamp = ctx.verification.stamp(rel, nb, shown, marker.options.get("tag"))
        if 'class="journal-check' not in stamp:  # a "not verified" banner
            return f'<small class="journal-source" markdown="0">{links}</small>\n\n' \
                + stamp
        return f'<div class="journal-source" markdown="0">{stamp} {links}</div>'
    stamp = html.escape(provenance.stamp(nb, paths.PROJECTS / rel), quote=False)
    return (f'<small class="journal-source" markdown="0">{links}</small>\n\n'
            f'<small class="journal-stamp">{stamp}</small>')


def markdown_text(text: str) -> str:
    """Text from a notebook (its title) shown as written inside Markdown."""
    return re.sub(r"([\\`*_\[\]])", r"\\\1", html.escape(text, quote=False))


def render_cells(cells, marker: Marker, where: Location, ctx: Context | None = None,
                 nb=None) -> str:
    show = marker.options.get("show", "both")
    if show not in SHOW:
        raise EmbedError(f"show must be one of {', '.join(SHOW)}, got {show!r}",
                         at=where)
    ctx = ctx or Context(where.file)
    parts = []
    rel = posixpath.normpath(marker.notebook)
    code = [c for c in nb.cells if c.cell_type == "code"] if nb is not None else []
    for cell in cells:
        parts += render_cell(cell, show, ctx)
        if ctx.live is not None and nb is not None and cell in code and ctx.live.runs(rel):
            parts.append(f'<div class="journal-live-slot" data-notebook="{html.escape(rel)}" '
                         f'data-cell="{nb.cells.index(cell)}" hidden></div>')
    if nb is not None:
        removed = {REMOVE_CELL, REMOVE_OUTPUT}
        shown = [c for c in cells if show != "code" and not removed & tags(c)]
        parts.append(notebook_links(marker, nb, ctx, shown))
    return snippet_quotes.shield("\n\n".join(parts))


def expand(markdown: str, source: str, cache: NotebookCache | None = None,
           ctx: Context | None = None, line_offset: int = 0) -> str:
    """Replace every marker in ``markdown`` (from file ``source``).

    ``line_offset`` is the number of lines before ``markdown`` in the file (its
    front matter), so errors name the line an author sees in their editor.
    """
    cache = cache or NotebookCache()
    ctx = ctx or Context(source)
    pieces, last = [], 0
    for match, marker in parse(markdown, source, line_offset):
        where = Location(source, line=marker.line)
        if marker.kind == "literal":
            pieces += [markdown[last:match.start()], render_literal(marker)]
            last = match.end()
            continue
        nb = cache.get(marker.notebook, where)
        if marker.kind == "value":
            text = render_value(find_metric(nb, marker, where), marker, where)
        elif marker.kind == "claim":
            claim = claims.parse_marker(match.group(2), where)
            text = claim_checks.render(claim, claim_checks.judge(
                claim, claim_checks.records_of(nb), where))
        elif marker.kind == "runs":
            text = snippet_quotes.shield(claim_checks.render_runs(
                marker.notebook, marker.args, marker.options,
                claim_checks.records_of(nb), where))
        else:
            text = render_cells(select_cells(nb, marker, where), marker, where,
                                ctx, nb)
        if marker.kind in ("embed", "runs"):
            # An indented marker (inside a list or admonition) keeps its indent.
            indent = markdown[markdown.rfind("\n", 0, match.start()) + 1:match.start()]
            if indent and not indent.strip():
                text = text.replace("\n", "\n" + indent)
        pieces += [markdown[last:match.start()], text]
        last = match.end()
    pieces.append(markdown[last:])
    return "".join(pieces)
