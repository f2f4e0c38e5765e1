"""Search and the light/dark toggle, in headless Chromium."""

import json
import re
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from figure_check import MIN_CONTRAST, contrast, image_bytes, ink_colour, is_transparent
from journal import paths
from sitemap_helpers import notebook_url, post_pages

pytestmark = pytest.mark.browser

WORD = re.compile(r"[a-z]{7,}")
# Material's search splits text on whitespace and hyphens only, so a word inside
# code (`_accumulate`, `self.backward`) is not a token of its own: take only
# tokens that are plain words once sentence punctuation is stripped.
TOKEN_SPLIT = re.compile(r"[\s\-]+")
PUNCTUATION = ".,;:!?()[]\"'"


def plain_words(text):
    for token in TOKEN_SPLIT.split(text.lower()):
        token = token.strip(PUNCTUATION)
        if WORD.fullmatch(token):
            yield token
BG_COLOUR = """() => {
  const probe = document.createElement('div');
  probe.style.background = 'var(--md-default-bg-color)';
  document.body.appendChild(probe);
  const colour = getComputedStyle(probe).backgroundColor;
  probe.remove();
  return colour.match(/[0-9.]+/g).slice(0, 3).map(Number);
}"""
FIGURES = ".md-content img"


def unique_word(site_dir):
    """A word found on exactly one page of the site, that page being a post.

    Words sharing their first six letters with a word elsewhere are skipped, so
    the search engine's stemming cannot match another page.
    """
    index = json.loads((site_dir / "search" / "search_index.json").read_text())
    words_on = defaultdict(set)
    for doc in index["docs"]:
        page = doc["location"].split("#")[0]
        for word in plain_words(f"{doc['title']} {doc['text']}"):
            words_on[word].add(page)
    stems = defaultdict(set)
    for word, pages in words_on.items():
        stems[word[:6]] |= pages
    posts = set(post_pages(site_dir).values())
    for word, pages in sorted(words_on.items()):
        if len(stems[word[:6]]) == 1 and next(iter(pages)) in posts:
            return word, next(iter(pages))
    pytest.fail("no word appears in exactly one post; cannot test search")


def test_search_finds_a_word_that_only_one_post_has(page, site_dir, site_url):
    word, post = unique_word(site_dir)
    page.goto(".")
    page.wait_for_load_state("networkidle")  # the search worker has its index
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially(word, delay=20)  # Material searches on key events
    first = page.wait_for_selector(".md-search-result__item a.md-search-result__link")
    href = urlsplit(urljoin(page.url, first.get_attribute("href"))).path
    assert href.startswith(urlsplit(urljoin(site_url, post)).path), (
        f"searching {word!r}: first result {href}, expected the post {post}")
    assert page.problems.errors == []


def figure_pages(site_dir):
    pages = list(post_pages(site_dir).values())
    return pages + [notebook_url(nb) for nb in paths.project_notebooks()]


class ContentImages(HTMLParser):
    """The src of every <img> inside a page's ``div.md-content`` (figures, not
    the header's logo), in one pass of the standard parser."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.srcs, self.depth = [], 0  # depth: open <div>s from md-content's down
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and (self.depth or "md-content" in (attrs.get("class") or "").split()):
            self.depth += 1
        elif tag == "img" and self.depth and attrs.get("src"):
            self.srcs.append(attrs["src"])

    def handle_endtag(self, tag):
        if tag == "div" and self.depth:
            self.depth -= 1


def built_figures(site_dir, path: str) -> dict[str, bytes]:
    """The content images of one built page, read from the built files: the
    same bytes the browser is sent, without loading the page."""
    html = (site_dir / path / "index.html").read_text(encoding="utf-8")
    base = f"http://site/{path}"
    return {f"{path} {src[:60]}": image_bytes(
        src, lambda url: (site_dir / urlsplit(urljoin(base, url)).path.lstrip("/"))
        .read_bytes()) for src in ContentImages(html).srcs}


def test_palette_toggle_switches_scheme_and_figures_stay_legible(page, site_dir):
    """The toggle switches both ways (theme colours are site-wide, so one page
    shows it), and every figure's ink reads on both backgrounds."""
    scheme = "document.body.getAttribute('data-md-color-scheme')"
    toggle = "form[data-md-component='palette'] label:not([hidden])"
    pages = figure_pages(site_dir)
    page.goto(pages[0])
    assert page.evaluate(scheme) == "default"
    backgrounds = {"default": page.evaluate(BG_COLOUR)}
    page.click(toggle)
    page.wait_for_function(f"{scheme} === 'slate'")
    backgrounds["slate"] = page.evaluate(BG_COLOUR)
    page.click(toggle)
    page.wait_for_function(f"{scheme} === 'default'")
    assert backgrounds["default"] != backgrounds["slate"]
    assert contrast(backgrounds["default"], backgrounds["slate"]) > 5
    figures = {}
    for path in pages:
        figures.update(built_figures(site_dir, path))
    assert figures, "no figure found on any post or notebook page"
    illegible, inks = [], {}
    for name, data in figures.items():
        if data not in inks:  # a post shows figures its notebook's page shows too
            inks[data] = ink_colour(data) if is_transparent(data) else None
        ink = inks[data]
        if ink is None:
            continue  # an opaque figure brings its own background, or has no text
        for theme, bg in backgrounds.items():
            ratio = contrast(ink, bg)
            if ratio < MIN_CONTRAST:
                illegible.append(f"{name}: text {ink} on {theme} {bg}: {ratio:.2f}:1")
    assert illegible == []
    assert page.problems.errors == []
