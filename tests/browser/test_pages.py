"""The site as a reader sees it, in headless Chromium.

Generic over content: posts come from ``posts/*.md`` and notebooks from
``projects/``, so every new post and notebook is checked without a new test.
"""


import pytest

from journal import nbfile, paths
from sitemap_helpers import notebook_url, post_pages, source_posts

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


def post_path(posts_by_title, post) -> str:
    assert post.title in posts_by_title, (
        f"{paths.display_path(post.path)}: no built page titled {post.title!r} "
        f"(built posts: {sorted(posts_by_title)})")
    return posts_by_title[post.title]


def test_there_is_something_to_test():
    assert POSTS and NOTEBOOKS


def test_home_lists_every_post_with_its_excerpt(page, posts_by_title):
    listed, todo, seen = {}, ["."], set()
    while todo:  # the blog index may be paginated
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        visit(page, path)
        for article in page.query_selector_all("article.md-post--excerpt"):
            title = " ".join(article.query_selector("h2").inner_text().split())
            listed[title] = (article.query_selector("h2 a").get_attribute("href"),
                             " ".join(article.inner_text().split()))
        todo += [a.get_attribute("href") for a in page.query_selector_all(
            ".md-pagination a[href]")]
        todo = [page.url.rsplit("/", 1)[0] + "/" + h if not h.startswith("http") else h
                for h in todo]
    for post in POSTS:
        assert post.title in listed, f"home page does not list {post.title!r}"
        href, text = listed[post.title]
        assert href.rstrip("/").endswith(post_path(posts_by_title, post).rstrip("/"))
        assert in_order(words(post.excerpt, 12), words(text)), (
            f"home page excerpt of {post.title!r} does not start like the post's")


@pytest.mark.parametrize("post", POSTS, ids=lambda p: p.path.stem)
def test_post_shows_its_code_outputs_and_figures(page, post, posts_by_title):
    visit(page, post_path(posts_by_title, post))
    article = page.query_selector("article")
    assert " ".join(page.inner_text("article h1").replace("¶", "").split()) == post.title
    text = article.inner_text()
    for marker in ("{% embed", "{% value", "--8<--"):
        assert marker not in text, f"{post.title!r}: unexpanded {marker!r} on the page"
    if post.has_code:
        assert page.query_selector_all("article pre code"), (
            f"{post.title!r} has code or embedded cells but the page shows no code block")
    assert broken_images(page) == []
    assert cut_code_blocks(page) == []
    # Maths (pymdownx.arithmatex) is MathML written at build time, laid out by
    # the browser itself: every formula has a box, with no TeX left as text.
    for maths in page.query_selector_all("article .arithmatex"):
        formula = maths.query_selector("math")
        assert formula is not None, f"{post.title!r}: {maths.inner_text()!r} is not MathML"
        box = formula.bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0, maths.inner_html()[:200]
        assert "\\(" not in maths.inner_text() and "\\[" not in maths.inner_text()
    page.wait_for_load_state("networkidle")
    assert page.problems.errors == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_page_renders(page, notebook):
    visit(page, notebook_url(notebook))
    title = nbfile.read(notebook).metadata["journal"]["title"]
    assert page.inner_text("article h1").replace("¶", "").strip() == title
    assert page.is_visible("article .journal-summary")
    assert page.query_selector_all("article .cell-tag") == [], "tag chips are for authors"
    assert len(page.query_selector_all(".jp-CodeCell")) >= 1
    assert broken_images(page) == []
    assert cut_code_blocks(page) == []
    page.wait_for_load_state("networkidle")
    assert page.problems.errors == []


# A code block is cut when an ancestor (or the block itself) clips it sideways
# before one scrolls: the end of its longest line is then out of reach.
CUT_CODE = """() => [...document.querySelectorAll('article pre')].filter(pre => {
  const end = pre.getBoundingClientRect().left + pre.scrollWidth;
  for (let e = pre; e && e.tagName !== 'ARTICLE'; e = e.parentElement) {
    const x = getComputedStyle(e).overflowX;
    if (x === 'auto' || x === 'scroll') return false;
    if ((x === 'hidden' || x === 'clip') && end > e.getBoundingClientRect().right + 1)
      return true;
  }
  return false;
}).map(pre => pre.innerText.slice(0, 60))"""


def cut_code_blocks(page) -> list[str]:
    """Code blocks whose long lines are cut off instead of scrolling in their block."""
    return page.evaluate(CUT_CODE)


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


# Console errors on every page, in both themes, are checked by the accessibility
# sweep (test_accessibility.py), which opens every page anyway.
