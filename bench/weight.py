"""Page-weight budget of the built site: what a reader downloads per page.

``measure(site_dir)`` returns a `Report` with one row per HTML page (its kind:
post, notebook or other page; its HTML, its own images, the total against the
budget) and the size of the search index. A page's own images are the
``<img>`` files in its content (the ``.md-content`` area, embedded figures
included); theme assets (CSS, JavaScript, fonts, the vendored MathJax, the
logo) and the styles notebook pages share are the same for every page and
cached, so they are not counted.

Budgets: every page, posts and notebook pages alike, is at most 300 KB of HTML
plus its own images; the search index, which every search downloads whole, is
at most 1 MB.

``python bench/page_weight.py [SITE_DIR]`` prints the report's table.
"""

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup


PAGE_BUDGET = 300 * 1024
SEARCH_INDEX_BUDGET = 1024 * 1024
SEARCH_INDEX = Path("search") / "search_index.json"
# Only blog post pages carry this navigation block (Material's blog plugin).
POST_MARKER = "md-post__meta"
# mkdocs-jupyter wraps every notebook page's cells in this.
NOTEBOOK_MARKER = 'class="jupyter-wrapper"'


@dataclass
class PageWeight:
    page: str
    html: int
    images: int
    kind: str = "page"  # "post", "notebook" or "page"
    budget: int = PAGE_BUDGET
    missing: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.html + self.images

    @property
    def ok(self) -> bool:
        return self.total <= self.budget and not self.missing


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
        rows = [("page", "kind", "HTML KB", "images KB", "total KB", "budget KB", "ok")]
        for p in self.pages:
            rows.append((p.page, p.kind, kb(p.html), kb(p.images), kb(p.total),
                         kb(p.budget), "yes" if p.ok else "NO"))
        rows.append((SEARCH_INDEX.as_posix(), "index", kb(self.search_index), "-",
                     kb(self.search_index), kb(self.search_budget),
                     "yes" if self.search_index <= self.search_budget else "NO"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                           for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        for p in self.pages:
            lines += [f"{p.page}: missing image {m}" for m in p.missing]
        return "\n".join(lines)


def is_post_page(html: str) -> bool:
    return POST_MARKER in html and 'class="md-post__back"' in html


def kind_of(html: str) -> str:
    if is_post_page(html):
        return "post"
    return "notebook" if NOTEBOOK_MARKER in html else "page"


def own_images(page: Path, soup: BeautifulSoup, site_dir: Path):
    """Local image files in a page's content (data: URIs are in its HTML)."""
    found, missing = {}, []
    for img in soup.select(".md-content img"):
        src = img.get("src", "")
        parts = urlsplit(src)
        if not src or parts.scheme or parts.netloc:  # data:, http(s): not local files
            continue
        target = (page.parent / unquote(parts.path)).resolve()
        rel = target.relative_to(site_dir.resolve()).as_posix() \
            if target.is_relative_to(site_dir.resolve()) else str(target)
        if target.is_file():
            found[rel] = target.stat().st_size
        else:
            missing.append(src)
    return found, missing


def page_name(page: Path, site_dir: Path) -> str:
    """``2026/11/02/a-post/`` for ``.../index.html``, else the file's site path."""
    rel = page.relative_to(site_dir)
    return rel.parent.as_posix() + "/" if rel.name == "index.html" else rel.as_posix()


def measure(site_dir: Path) -> Report:
    """Weigh every HTML page of a built site in ``site_dir``."""
    site_dir = Path(site_dir)
    pages = []
    for page in sorted(site_dir.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        images, missing = own_images(page, BeautifulSoup(html, "html.parser"), site_dir)
        pages.append(PageWeight(page_name(page, site_dir), page.stat().st_size,
                                sum(images.values()), kind_of(html), missing=missing))
    index = site_dir / SEARCH_INDEX
    if not index.is_file():
        raise FileNotFoundError(f"{index}: no search index; is {site_dir} a built site?")
    return Report(pages, index.stat().st_size)
