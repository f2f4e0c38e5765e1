"""The built site's files: no broken internal link, a valid feed, a search index
that finds each post (page weights: test_page_weight.py).

These read the build from disk and need no browser, so they always run.
"""

import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup
import weight as page_weight  # bench/weight.py, for where the search index is

from built_site import LinksAndIds
from journal import paths
from journal.site import search
from sitemap_helpers import post_pages, source_posts

POSTS = [p for p in source_posts() if not p.draft]


def target_file(site_dir: Path, page: Path, url_path: str) -> Path:
    """The file a relative URL path from ``page`` resolves to (index.html for /)."""
    target = (page.parent / unquote(url_path)) if url_path else page
    if target.is_dir() or url_path.endswith("/"):
        target = target / "index.html"
    return target.resolve()


def broken_links(site_dir: Path) -> list[str]:
    """Every internal href/src whose file, or #anchor in it, does not exist."""
    site_root = site_dir.resolve()
    broken, parsed = [], {}

    def page_of(path: Path) -> LinksAndIds:
        if path not in parsed:
            parsed[path] = LinksAndIds(path.read_text(encoding="utf-8"))
        return parsed[path]

    for page in sorted(site_dir.rglob("*.html")):
        if page.name == "404.html":
            continue  # uses absolute paths under site_url; checked in the browser
        for attr, url in page_of(page.resolve()).urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith(("mailto:", "#__")):
                continue  # external, or Material's own toggles (#__drawer)
            where = f"{page.relative_to(site_dir)}: {attr}={url!r}"
            target = target_file(site_dir, page, parts.path)
            if not target.is_relative_to(site_root) or not target.is_file():
                broken.append(f"{where} (no file {target})")
            elif parts.fragment and target.suffix == ".html" and \
                    unquote(parts.fragment) not in page_of(target).ids:
                broken.append(f"{where} (no id {parts.fragment!r})")
    return broken


def test_no_broken_internal_link_or_anchor(site_dir):
    assert broken_links(site_dir) == []


def test_link_checker_finds_a_broken_link(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text(
        '<h2 id="here">x</h2><a href="#here">ok</a><a href="../b/">gone</a>'
        '<a href="#nowhere">bad anchor</a><img src="fig.png">')
    found = broken_links(tmp_path)
    assert len(found) == 3, found


def test_feed_is_valid_xml_listing_every_post(site_dir):
    built = post_pages(site_dir)
    for feed in ("feed_rss_created.xml", "feed_rss_updated.xml"):
        channel = ET.parse(site_dir / feed).getroot().find("channel")
        items = {" ".join(i.findtext("title").split()): urlsplit(i.findtext("link")).path
                 for i in channel.findall("item")}
        assert sorted(items) == sorted(p.title for p in POSTS), feed
        for title, link in items.items():
            assert link.rstrip("/").endswith(built[title].rstrip("/")), (feed, title)


def test_search_index_finds_each_posts_title_prose_and_tags(site_dir):
    index = json.loads((site_dir / page_weight.SEARCH_INDEX).read_text(encoding="utf-8"))
    config = index["config"]
    # the search worker drops lunr's stop words, so the index stores none
    assert config["lang"] == ["en"] and "stopWordFilter" in config["pipeline"]
    split = re.compile(config["separator"])

    def words(text: str) -> set[str]:
        text = html.unescape(re.sub(r"<[^>]*>", " ", text))
        return {w.lower() for w in split.split(text) if w} - search.STOP_WORDS

    for title, path in post_pages(site_dir).items():
        entries = [d for d in index["docs"] if d["location"].split("#")[0] == path]
        assert entries and entries[0]["location"] == path, path
        assert words(title) <= words(entries[0]["title"]), path
        assert entries[0].get("tags") and not [d for d in entries[1:] if "tags" in d]
        page = BeautifulSoup((site_dir / path / "index.html").read_text(encoding="utf-8"),
                             "html.parser")
        prose = page.select_one("article h1 ~ p:not(.journal-post-date)").get_text(" ")
        assert words(prose) <= set().union(*(words(d["text"]) for d in entries)), path
        for d in entries:
            prose = re.sub(r"<code>.*?</code>|<[^>]*>", " ", d["text"], flags=re.S)
            assert not [w for w in prose.split() if w.lower() in search.DROPPED], \
                d["location"]


def test_navigation_is_a_few_sections_entries_first(site_dir):
    soup = BeautifulSoup((site_dir / "index.html").read_text(encoding="utf-8"),
                         "html.parser")
    top = soup.select("nav.md-nav--primary > ul > li")
    titles = [" ".join(li.find(["a", "label"]).get_text().split()) for li in top]
    assert 1 < len(top) <= 5, titles
    assert titles[0] == "Journal"
    sections = {}
    for li in top:
        title = " ".join(li.find(["a", "label"]).get_text().split())
        sections[title] = [a["href"] for a in li.select("a[href]")]
    # How the journal works is one section: verification, notebooks, benchmarks.
    how = [title for title, links in sections.items()
           if {"verification/", "notebooks/", "benchmarks/"} <= set(links)]
    assert len(how) == 1, sections
    projects = sections["Projects"]
    for notebook in paths.project_notebooks():
        url = notebook.relative_to(paths.ROOT).with_suffix("").as_posix() + "/"
        assert url in projects, f"{url} is not under Projects in the navigation"
