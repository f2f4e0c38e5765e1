"""The site as a reader sees it, in headless Chromium.

Generic over content: posts come from ``posts/*.md`` and notebooks from
``projects/``, so every new post and notebook is checked without a new test.
"""


import pytest

from journal import paths
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
    # Maths (pymdownx.arithmatex) is typeset by the vendored MathJax.
    maths = page.query_selector_all("article .arithmatex")
    if maths:
        page.wait_for_function("document.querySelectorAll('article .arithmatex').length"
                               " === document.querySelectorAll("
                               "'article .arithmatex mjx-container').length")
    assert page.problems.errors == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_page_renders(page, notebook):
    visit(page, notebook_url(notebook))
    assert page.query_selector("article h1") is not None, "notebook page has no title"
    assert len(page.query_selector_all(".jp-CodeCell")) >= 1
    assert broken_images(page) == []
    assert page.problems.errors == []


def test_no_console_errors_on_any_page(page, site_dir):
    problems = {}
    for path in html_pages(site_dir):
        page.problems.errors.clear()
        visit(page, path)
        page.wait_for_load_state("networkidle")
        if page.problems.errors:
            problems[path] = list(page.problems.errors)
    assert problems == {}
