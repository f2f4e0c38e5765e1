"""Page-weight budget of the built site: every byte a reader's first visit transfers.

``measure(site_dir)`` serves the site on localhost (bench/preview.py) and opens
each HTML page in headless Chromium with an empty cache (a fresh browser
context per page), waiting until its load event and then until the server
has sent nothing for a second and a half. The server counts every
response it sends: the HTML, stylesheets, scripts (workers included), images,
fonts and anything else the page fetches (the search index Material's search
worker loads). Text is sent gzip-compressed, as a static host
such as GitHub Pages sends it, and the budget is on those bytes (bodies,
without headers); the table also gives the files' size on disk. The one
off-site request, the header's GitHub API call, is refused and not counted.

Budgets for a first visit: a post at most 500 KB, a notebook page at most
600 KB, any other page at most 500 KB; the search index, which every page
downloads whole, at most 1 MB on its own.

``python bench/page_weight.py [SITE_DIR]`` prints the report's table.
"""

import gzip
import io
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import preview  # bench/preview.py, beside this script

BUDGETS = {"post": 500 * 1024, "notebook": 600 * 1024, "page": 500 * 1024}
SEARCH_INDEX_BUDGET = 1024 * 1024
SEARCH_INDEX = Path("search") / "search_index.json"
# Only blog post pages carry this navigation block (Material's blog plugin).
POST_MARKER = "md-post__meta"
# mkdocs-jupyter wraps every notebook page's cells in this.
NOTEBOOK_MARKER = 'class="jupyter-wrapper"'
# What a file is, by its name, for the report's columns.
SUFFIXES = {"html": (".html",), "css": (".css",), "js": (".js", ".mjs"),
            "images": (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico"),
            "fonts": (".woff", ".woff2", ".ttf", ".otf")}
QUIET_S = 1.5  # a page has finished loading when nothing was sent for this long
COLUMNS = ("html", "css", "js", "images", "fonts", "other")
# Text a static host (GitHub Pages) sends gzip-compressed.
COMPRESSED = {".html", ".css", ".js", ".mjs", ".json", ".svg", ".xml", ".txt", ".map"}


@dataclass
class PageWeight:
    page: str
    kind: str = "page"  # "post", "notebook" or "page"
    bytes: Counter = field(default_factory=Counter)  # column -> bytes sent
    uncompressed: int = 0  # the same files' bytes on disk
    failed: list[str] = field(default_factory=list)  # requests that did not load
    requested: list[str] = field(default_factory=list)  # URL paths, in order

    @property
    def budget(self) -> int:
        return BUDGETS[self.kind]

    @property
    def total(self) -> int:
        return sum(self.bytes.values())

    @property
    def ok(self) -> bool:
        return self.total <= self.budget and not self.failed


@dataclass
class Report:
    pages: list[PageWeight]
    search_index: int
    search_budget: int = SEARCH_INDEX_BUDGET

    @property
    def ok(self) -> bool:
        return self.search_index <= self.search_budget and all(p.ok for p in self.pages)

    def of_kind(self, kind: str) -> list[PageWeight]:
        return [p for p in self.pages if p.kind == kind]

    def table(self) -> str:
        kb = lambda n: f"{n / 1024:.1f}"  # noqa: E731 - a local formatter
        rows = [("page", "kind", *(f"{c} KB" for c in COLUMNS), "total KB", "budget KB",
                 "ok", "on disk KB")]
        for p in self.pages:
            rows.append((p.page, p.kind, *(kb(p.bytes[c]) for c in COLUMNS), kb(p.total),
                         kb(p.budget), "yes" if p.ok else "NO", kb(p.uncompressed)))
        rows.append((SEARCH_INDEX.as_posix(), "index", *("-" for _ in COLUMNS),
                     kb(self.search_index), kb(self.search_budget),
                     "yes" if self.search_index <= self.search_budget else "NO",
                     kb(self.search_index)))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                           for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        for p in self.pages:
            lines += [f"{p.page}: {f}" for f in p.failed]
        return "\n".join(lines)


def kind_of(html: str) -> str:
    if POST_MARKER in html and 'class="md-post__back"' in html:
        return "post"
    return "notebook" if NOTEBOOK_MARKER in html else "page"


def page_name(page: Path, site_dir: Path) -> str:
    """``2026/11/02/a-post/`` for ``.../index.html``, else the file's site path."""
    rel = page.relative_to(site_dir)
    return rel.parent.as_posix() + "/" if rel.name == "index.html" else rel.as_posix()


class CountingHandler(preview.SiteHandler):
    """The site's files, gzip-compressed as a static host sends text, each
    response recorded in ``sent`` as (site path, bytes sent, bytes of the file)."""

    sent: list[tuple[str, int, int]] = []

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file() or path.suffix not in COMPRESSED or \
                "gzip" not in self.headers.get("Accept-Encoding", ""):
            body = super().send_head()
            if body is not None:
                size = len(body.getvalue()) if isinstance(body, io.BytesIO) \
                    else os.fstat(body.fileno()).st_size
                self.sent.append((self.path, size, size))
            return body
        raw = path.read_bytes()
        data = gzip.compress(raw, compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.sent.append((self.path, len(data), len(raw)))
        return io.BytesIO(data)


def column_of(url_path: str) -> str:
    name = urlsplit(url_path).path
    suffix = "index.html" if name.endswith("/") else PurePosixPath(name).suffix
    return next((column for column, suffixes in SUFFIXES.items()
                 if suffix.endswith(suffixes)), "other")


def first_visit(browser, url: str, weight: PageWeight, quiet_s: float = QUIET_S) -> None:
    """Open ``url`` with an empty cache and add up what it transfers into ``weight``."""
    origin = urlsplit(url).netloc
    context = browser.new_context()

    def route(route):
        if urlsplit(route.request.url).netloc == origin:
            return route.continue_()
        return route.abort()  # the GitHub API call: not the site's bytes

    context.route("**/*", route)
    context.on("requestfailed", lambda r: urlsplit(r.url).netloc == origin and
               weight.failed.append(f"request failed: {r.url} ({r.failure})"))
    context.on("response", lambda r: r.status >= 400 and
               weight.failed.append(f"HTTP {r.status}: {r.url}"))
    CountingHandler.sent.clear()
    try:
        tab = context.new_page()
        tab.goto(url, wait_until="load", timeout=60_000)
        # Then until the server has sent nothing for quiet_s: scripts fetch
        # more after the load event (the search worker its index).
        count, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < quiet_s:
            if len(CountingHandler.sent) != count:
                count, quiet_since = len(CountingHandler.sent), time.monotonic()
            tab.wait_for_timeout(100)
    finally:
        context.close()
    for path, sent, raw in CountingHandler.sent:
        weight.requested.append(path)
        weight.bytes[column_of(path)] += sent
        weight.uncompressed += raw


def measure(site_dir: Path, browser=None, quiet_s: float = QUIET_S) -> Report:
    """Weigh every HTML page of a built site in ``site_dir`` in Chromium.

    ``browser`` is a Playwright browser to use (one is started if None);
    ``quiet_s``: how long nothing is sent before a page counts as loaded.
    """
    site_dir = Path(site_dir)
    index = site_dir / SEARCH_INDEX
    if not index.is_file():
        raise FileNotFoundError(f"{index}: no search index; is {site_dir} a built site?")
    if browser is None:
        with preview.chromium() as started:
            return measure(site_dir, started, quiet_s)
    pages = []
    with preview.serve(site_dir, handler=CountingHandler) as base:
        for page in sorted(site_dir.rglob("*.html")):
            name = page_name(page, site_dir)
            weight = PageWeight(name, kind_of(page.read_text(encoding="utf-8")))
            first_visit(browser, base + ("" if name == "./" else name), weight, quiet_s)
            pages.append(weight)
    return Report(pages, index.stat().st_size)
