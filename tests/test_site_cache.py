"""The site's build cache changes nothing but the time a build takes.

A build with the cache off (``JOURNAL_NO_CACHE=1``, the override of the
plugin's ``cache`` option: nothing stored or read,
mkdocs-jupyter's cache off, excerpts converted whole) and two with it on, the
second answered from the cache, make the same files byte for byte; only the
feeds' build dates differ. A copy of the site with one post shows it (every
kind of page and cache layer, one notebook to convert). Timings are for
``make bench`` (bench/scale.py).
"""

import json
import logging
import re
from types import SimpleNamespace

import markdown
import nbformat
import pytest
from mkdocs.structure.toc import get_toc

from mkdocs.config import load_config

from built_site import build_copy, site_copy
from journal import paths
from journal.claims import ClaimError
from journal.site import cache
from journal.site.plugin import JournalPlugin

# The feeds say when they were built (and, without git dates, when each entry was).
BUILD_DATE = re.compile(rb"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} "
                        rb"[-+]\d{4}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?"
                        rb"[-+]\d{2}:\d{2}")
POST = "2026-11-02-stop-theorising.md"  # embeds digits-baselines


def site_files(site) -> dict[str, bytes]:
    found = {}
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        rel = path.relative_to(site).as_posix()
        data = path.read_bytes()
        found[rel] = BUILD_DATE.sub(b"<date>", data) if rel.startswith("feed_") else data
    return found


def test_cached_builds_are_byte_identical_to_an_uncached_one(tmp_path):
    """A site with one post and the notebook it embeds, built three times in a
    copy: with the cache off, then filling it, then answered from it."""
    root = site_copy(tmp_path / "repo", posts=[paths.POSTS / POST],
                     projects=[paths.PROJECTS / "digits-baselines"])
    result = build_copy(root, tmp_path / "uncached", JOURNAL_NO_CACHE="1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not list((root / ".cache" / "journal").glob("*.json"))  # nothing stored
    expected = site_files(tmp_path / "uncached")
    for name in ("filling", "from-cache"):
        result = build_copy(root, tmp_path / name)
        assert result.returncode == 0, result.stderr[-3000:]
        got = site_files(tmp_path / name)
        assert sorted(got) == sorted(expected), name
        differ = [rel for rel in expected if got[rel] != expected[rel]]
        assert not differ, f"{name}: {differ[:10]}"
    for kind in ("page", "post", "notebook-page", "search", "notebook", "live-bundle",
                 "sanitized"):
        assert json.loads((root / ".cache" / "journal" / f"{kind}.json").read_text()), kind


def test_store_keeps_only_what_the_last_build_used(tmp_path):
    store = cache.Store(tmp_path / "kind.json")
    store.put("a", "one")
    store.put("b", "two")
    store.save()
    again = cache.Store(tmp_path / "kind.json")
    assert again.get("a") == "one" and again.get("missing") is None
    again.save()  # "b" was not used
    assert json.loads((tmp_path / "kind.json").read_text()) == {"a": "one"}


def test_digest_tells_apart_parts_that_join_to_the_same_text():
    assert cache.digest("ab", "c") != cache.digest("a", "bc")
    assert cache.digest("ab", "c") == cache.digest("ab", "c")


def test_an_edited_notebook_or_post_is_read_again_by_the_next_build(tmp_path):
    """``mkdocs serve`` keeps parsed notebooks and each post's claims between
    rebuilds, by content: a saved file is read again, an unchanged one is not."""
    stored, config = cache.BuildCache(tmp_path / "cache"), {"markdown_extensions": []}
    path = tmp_path / "n.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# First")])
    nbformat.write(nb, path)
    stored.start(config, {})
    first = stored.read_notebook(path)
    stored.end_build(prune=False)
    stored.start(config, {})
    assert stored.read_notebook(path) is first
    nb.cells[0].source = "# Second"
    nbformat.write(nb, path)
    stored.start(config, {})
    assert stored.read_notebook(path).cells[0].source == "# Second"

    post = '---\ndate: 2026-01-01\n---\n# P\n\n{% claim "a.ipynb" "x" > "y" paired %}\n'
    ((line, claim),) = stored.claims_in_file(post, "posts/p.md")
    assert line == 6 and claim.relation == ">" and claim.paired
    ((_, claim),) = stored.claims_in_file(post.replace(">", "<"), "posts/p.md")
    assert claim.relation == "<"
    for _ in range(2):  # a malformed marker fails every build, not only the first
        with pytest.raises(ClaimError, match="posts/p.md"):
            stored.claims_in_file(post.replace("paired", "twice"), "posts/p.md")


def fences(stored):
    return {"pymdownx.superfences": {"custom_fences": [stored.fence()]},
            "pymdownx.highlight": {"anchor_linenums": True}}
PAGE = """# Code

```python
def f(x):
    return x + 1
```

Text between.

```text {data-search-exclude="output"}
2
```

```python
def f(x):
    return x + 1
```
"""


def convert(text: str, stored) -> str:
    return markdown.Markdown(extensions=["attr_list", "pymdownx.superfences",
                                         "pymdownx.highlight"],
                             extension_configs=fences(stored)).convert(text)


def test_highlighted_blocks_from_the_cache_keep_their_place_on_the_page(tmp_path):
    uncached = convert(PAGE, cache.BuildCache(tmp_path, on=False))
    stored = cache.BuildCache(tmp_path)
    first, second = convert(PAGE, stored), convert(PAGE, stored)
    assert first == second == uncached
    # the same code twice on a page: two entries, each with its own line anchors
    assert "__codelineno-0-1" in first and "__codelineno-2-1" in first
    assert len(stored.store("highlight").entries) == 3


class FakePage:
    """What `cache.render_page` reads of a page, converted by a stand-in for MkDocs."""

    def __init__(self, markdown_text):
        self.file = SimpleNamespace(src_uri="about.md",
                                    inclusion=SimpleNamespace(name="INCLUDED"))
        self.markdown, self.url, self.conversions = markdown_text, "about/", 0

    def render(self, config, files):
        self.conversions += 1
        files.get_file_from_path("missing.md")
        logging.getLogger("mkdocs.structure.pages").warning(
            "Doc file 'about.md' contains a link 'missing.md', but the target is not "
            "found among documentation files.")
        self.content = "<h1 id='about'>About</h1>"
        self.toc = get_toc([{"level": 1, "id": "about", "name": "About",
                             "children": []}])
        self._title_from_render, self.present_anchor_ids = "About", {"about"}
        self.links_to_anchors = {}


def test_a_page_from_the_cache_logs_its_broken_link_again(tmp_path, caplog):
    stored = cache.BuildCache(tmp_path)
    config = {"markdown_extensions": [], "mdx_configs": {}, "validation": {},
              "use_directory_urls": True}
    files = SimpleNamespace(get_file_from_path=lambda path: None)
    first, second = FakePage("# About\n\n[x](missing.md)"), None
    stored.render_page(first, config, files)
    first.render(config, files)
    second = FakePage(first.markdown)
    stored.render_page(second, config, files)
    with caplog.at_level(logging.WARNING, logger="mkdocs"):
        second.render(config, files)
    assert second.conversions == 0  # from the cache
    assert second.content == first.content and second._title_from_render == "About"
    assert [t.title for t in second.toc] == ["About"]
    assert "but the target is not found" in caplog.text  # a strict build still fails
    # once the file it looked up exists, the page is converted again
    there = SimpleNamespace(url="missing/", inclusion=SimpleNamespace(name="INCLUDED"))
    third = FakePage(first.markdown)
    stored.render_page(third, config, SimpleNamespace(get_file_from_path=lambda p: there))
    third.render(config, SimpleNamespace(get_file_from_path=lambda p: there))
    assert third.conversions == 1


def test_the_plugin_options_are_typed_and_a_wrong_one_is_refused():
    plugin = JournalPlugin()
    errors, _ = plugin.load_config({"cache_off": ["page", "highlight"]})
    assert not errors and plugin.config.cache_off == ["page", "highlight"]
    assert plugin.config.cache is True and plugin.config.search_index == "journal"
    errors, _ = plugin.load_config({"cache_off": ["pages"]})
    assert errors and errors[0][0] == "cache_off" and "highlight" in str(errors[0][1])
    errors, _ = plugin.load_config({"cache": "yes"})
    assert errors and errors[0][0] == "cache"
    errors, _ = plugin.load_config({"search_trim_off": ["stop-words"]})
    assert not errors and plugin.config.search_trim_off == ["stop-words"]
    errors, _ = plugin.load_config({"search_trim_off": ["stopwords"]})
    assert errors and errors[0][0] == "search_trim_off" and "utf-8" in str(errors[0][1])


def test_mkdocs_yml_names_the_plugin_by_its_entry_point():
    config = load_config(str(paths.ROOT / "mkdocs.yml"))
    assert isinstance(config.plugins["journal"], JournalPlugin)
    assert list(config.plugins)[-1] == "journal"  # after search has made its index
