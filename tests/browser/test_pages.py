"""Every page of the site as a reader gets it, in headless Chromium.

Each page is opened once (`page_visits.visit_every_page`), and the tests below
judge what that visit saw:

- axe-core (pinned by its npm integrity, `journal.vendor`; put into the page by
  the browser, never fetched from a CDN nor shipped) finds no serious or
  critical WCAG 2.2 A/AA violation: every rule in the light theme, and the
  colour rules after the header's toggle switched to the dark one;
- no console error (CSP violations among them), exception or failed request;
- posts and notebook pages show what their sources promise. Generic over
  content: posts come from ``posts/*.md``, notebooks from ``projects/``.

What keeps one sweep of every page affordable, and what it leaves out: the
chrome (header, tabs, navigation sidebar, footer), drawn by the same templates
everywhere, is checked in full on the first page of each kind (template and
navigation tab) and left out of axe's context on the others, where the
page-level rules (title, language, bypass) still run; of the thousands of
syntax-highlighting spans, the colour rule checks each distinct colour, font
and background once per page and theme; Material's search worker gets the
real index on the first page only (search: test_themes.py). The blog and the
other pages are two sweeps, one per test class, so two workers share them;
phone widths are separate visits.
"""

import pytest

from journal import nbfile, paths, vendor
from page_visits import CUT_CODE, visit_every_page
from sitemap_helpers import html_pages, notebook_url, post_pages, source_posts

pytestmark = pytest.mark.browser

POSTS = [p for p in source_posts() if not p.draft]
NOTEBOOKS = paths.project_notebooks()
# Images in the page's content (figures), not the header's logo.
FIGURES = ".md-content img"


def words(text: str, n: int | None = None) -> list[str]:
    text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return text.split()[:n]


def in_order(needles: list[str], haystack: list[str]) -> bool:
    """Whether ``needles`` occur in ``haystack`` in order (gaps allowed)."""
    rest = iter(haystack)
    return all(word in rest for word in needles)


def visit(page, path: str):
    response = page.goto(path, wait_until="load")
    assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
    return response


def broken_images(page) -> list[str]:
    """Content images that did not load (complete and naturalWidth > 0)."""
    page.wait_for_function(
        f"[...document.querySelectorAll({FIGURES!r})].every(i => i.complete)")
    return page.eval_on_selector_all(
        FIGURES, "imgs => imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.src)")


@pytest.fixture(scope="module")
def posts_by_title(site_dir):
    return post_pages(site_dir)


def pages_to_visit(site_dir) -> list[str]:
    # The 404 page is served for missing paths; its URL is not a page of its own.
    return [p for p in html_pages(site_dir) if p != "404.html"]


def in_the_blog(path: str) -> bool:
    """The blog's pages: its index, archive and categories, and the posts."""
    return path == "" or path.startswith(("page/", "archive/", "category/")) or \
        path[:1].isdigit()


@pytest.fixture(scope="module")
def axe_script():
    try:
        return vendor.axe_script().read_text(encoding="utf-8")
    except vendor.VendorError as err:
        pytest.skip(f"axe-core not available: {err}")


def post_path(posts_by_title, post) -> str:
    assert post.title in posts_by_title, (
        f"{paths.display_path(post.path)}: no built page titled {post.title!r} "
        f"(built posts: {sorted(posts_by_title)})")
    return posts_by_title[post.title]


def test_there_is_something_to_test():
    assert POSTS and NOTEBOOKS


class EveryPageOf:
    """What every page must pass, judged on one visit each. The site is shared
    out between the two subclasses (the blog, the rest), which the test runner
    hands to its workers side by side."""

    in_the_blog: bool

    @pytest.fixture(scope="class")
    @classmethod
    def visits(cls, browser, site_url, site_dir, axe_script):
        pages = [p for p in pages_to_visit(site_dir) if in_the_blog(p) == cls.in_the_blog]
        assert pages
        return visit_every_page(browser, site_url, pages, axe_script)

    def test_no_serious_accessibility_violation_in_either_theme(self, visits):
        found = [v for visit in visits.values() for v in visit.violations]
        assert not found, f"{len(found)} violations:\n" + "\n".join(found)

    def test_no_console_error(self, visits):
        found = [f"{visit.path}: {error}" for visit in visits.values()
                 for error in visit.errors]
        assert not found, "\n".join(found)


class TestTheBlog(EveryPageOf):
    in_the_blog = True

    def test_home_lists_every_post_with_its_excerpt(self, visits, site_url, posts_by_title):
        listed, todo, seen = {}, [site_url], set()
        while todo:  # the blog index may be paginated
            url = todo.pop()
            path = url[len(site_url):]
            if path in seen:
                continue
            seen.add(path)
            assert path in visits, f"{url}: a page of the blog index that was not visited"
            facts = visits[path].facts
            for excerpt in facts["excerpts"]:
                listed[" ".join(excerpt["title"].split())] = (
                    excerpt["href"], " ".join(excerpt["text"].split()))
            todo += facts["pagination"]
        for post in POSTS:
            assert post.title in listed, f"home page does not list {post.title!r}"
            href, text = listed[post.title]
            assert href.rstrip("/").endswith(post_path(posts_by_title, post).rstrip("/"))
            assert in_order(words(post.excerpt, 12), words(text)), (
                f"home page excerpt of {post.title!r} does not start like the post's")

    @pytest.mark.parametrize("post", POSTS, ids=lambda p: p.path.stem)
    def test_post_shows_its_code_outputs_and_figures(self, visits, post, posts_by_title):
        facts = visits[post_path(posts_by_title, post)].facts
        assert " ".join(facts["h1"].replace("¶", "").split()) == post.title
        for marker in ("{% embed", "{% value", "--8<--"):
            assert marker not in facts["article"], (
                f"{post.title!r}: unexpanded {marker!r} on the page")
        if post.has_code:
            assert facts["code_blocks"], (
                f"{post.title!r} has code or embedded cells but the page shows no code block")
        assert facts["broken_images"] == []
        assert facts["cut_code"] == []
        # Maths (pymdownx.arithmatex) is MathML written at build time, laid out by
        # the browser itself: every formula has a box, with no TeX left as text.
        for maths in facts["maths"]:
            assert maths["mathml"], f"{post.title!r}: {maths['text']!r} is not MathML"
            assert maths["width"] > 0 and maths["height"] > 0, maths
            assert "\\(" not in maths["text"] and "\\[" not in maths["text"]


class TestTheOtherPages(EveryPageOf):
    """Notebook pages, the projects' index, How it works, About, tags."""

    in_the_blog = False

    @pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
    def test_notebook_page_renders(self, visits, notebook):
        facts = visits[notebook_url(notebook)].facts
        title = nbfile.read(notebook).metadata["journal"]["title"]
        assert facts["h1"].replace("¶", "").strip() == title
        assert facts["summary_visible"]
        assert facts["cell_tags"] == 0, "tag chips are for authors"
        assert facts["code_cells"] >= 1
        assert facts["broken_images"] == []
        assert facts["cut_code"] == []


def cut_code_blocks(page) -> list[str]:
    """Code blocks whose long lines are cut off instead of scrolling in their block."""
    return page.evaluate(f"() => {CUT_CODE}")


# Horizontal overflow of the page itself; anything in the article reaching past the
# screen's edge that is not inside a block that scrolls; every content image.
PHONE_LAYOUT = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const beyond = [...document.querySelectorAll('article *')].filter(e => {
    if (e.getBoundingClientRect().right <= width + 1) return false;
    for (let a = e.parentElement; a && a.tagName !== 'ARTICLE'; a = a.parentElement)
      if (scrolls(a)) return false;
    return true;
  }).map(e => e.tagName + '.' + e.classList[0]).slice(0, 10);
  const figures = [...document.querySelectorAll('.md-content img')].map(img => {
    const box = img.getBoundingClientRect();
    return {src: img.src.slice(-40), left: box.left, right: box.right, width: box.width,
            natural: img.naturalWidth};
  });
  return {width, scrollWidth: document.documentElement.scrollWidth, beyond, figures};
}"""


def has_figure(site_dir, path: str) -> bool:
    return "assets/embeds/" in (site_dir / path / "index.html").read_text()


def phone_pages(site_dir):
    """The home page, the first post with a figure, the first notebook with one."""
    post = next(url for url in sorted(post_pages(site_dir).values())
                if has_figure(site_dir, url))
    notebook = next(notebook_url(nb) for nb in NOTEBOOKS
                    if has_figure(site_dir, notebook_url(nb)))
    return {"home": ".", "post": post, "notebook": notebook}


@pytest.mark.parametrize("which", ["home", "post", "notebook"])
def test_phone_width_page_fits_and_figures_are_readable(phone, site_dir, which):
    path = phone_pages(site_dir)[which]
    visit(phone, path)
    assert broken_images(phone) == []
    layout = phone.evaluate(PHONE_LAYOUT)
    assert layout["width"] == 390
    assert layout["scrollWidth"] <= layout["width"], (
        f"{path}: the page is {layout['scrollWidth']} px wide on a "
        f"{layout['width']} px screen")
    assert layout["beyond"] == [], f"{path}: reaches past the screen's edge"
    if which != "home":
        assert layout["figures"], f"{path}: no figure to check"
    for fig in layout["figures"]:
        assert fig["left"] >= 0 and fig["right"] <= layout["width"], (path, fig)
        # Readable: not shrunk to a thumbnail where the screen has room for it.
        assert fig["width"] >= min(fig["natural"] / 2, 0.6 * layout["width"]), (path, fig)
    assert cut_code_blocks(phone) == []
    assert phone.problems.errors == []

