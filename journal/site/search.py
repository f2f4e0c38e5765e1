"""What the search index holds: what a reader searches for, not every output.

Material's search plugin indexes each page's HTML, section by section, and the
index is one file that every search downloads whole. At a hundred posts and
thirty notebooks it passed 1.5 MB, most of it notebook outputs, training logs,
verification stamps repeated after every embed, and code. So the index keeps
titles, headings and prose (inline code included) whole, keeps each code block
as the names it defines and the qualified names it uses, and leaves out:

- in posts, what an embed inserts besides code: printed and returned outputs,
  HTML results, the notebook links, the verification stamps and notes;
- on notebook pages, the cells' outputs, the prompts (``In [3]:``), the cell
  tags, the second copy of each cell's code kept for the copy button and its
  "Copied!" notice, the heading anchors (``¶``), and the stamp or banner.

Leaving out uses the plugin's documented exclusion: `leave_out` gives those
elements the attribute ``data-search-exclude``, which the plugin skips and
then strips from the page, so the HTML a reader gets does not change. Text
outputs in posts carry the attribute from their fence (`journal.embed`). The
plugin tells elements apart by tag name, so an excluded element must not hold
another of its own tag: each class listed marks the innermost of its kind.

A code block in the index becomes, in order and once per page, the functions,
classes and top-level variables it defines and the dotted names it uses
(``nn.Conv2d``, ``np.random.default_rng``), so a search for a name finds the
section that shows its code; the page shows the code whole.

`JournalIndex` is the plugin's index with those code blocks, and with each
page's parse kept by content in the build cache (`journal.site.cache`):
parsing every page's HTML again was a third of a warm build. Under
``mkdocs serve --dirty`` it updates the last index page by page
(`journal.site.rebuild`).
"""

import html
import re

from material.plugins.search.plugin import Element, Parser, SearchIndex, Section

from journal.site import cache, rebuild

# Classes of elements the index leaves out (see the module docstring).
EXCLUDED_CLASSES = frozenset({
    # posts: what an embed inserts around its code
    "journal-output", "journal-source", "journal-unverified-note",
    # stamps and banners, on posts and notebook pages
    "journal-check", "journal-not-verified",
    # the "Re-run this post" box closing each post: the same commands every time
    "journal-rerun",
    # the "Run in your browser" control and the empty slots for its outputs
    "journal-live", "journal-live-slot",
    # notebook pages (mkdocs-jupyter's nbconvert template)
    "jp-OutputArea-output", "jp-InputPrompt", "jp-OutputPrompt", "cell-tag",
    "clipboard-copy-txt", "notice", "anchor-link",
})
ATTRIBUTE = ' data-search-exclude="journal"'
OPENING_TAG = re.compile(r'<(?P<tag>[a-zA-Z][\w-]*)(?=\s[^>]*?\bclass="(?P<classes>[^"]*)")')

# What is left of a paragraph whose figure or output the index leaves out.
EMPTY = re.compile(r"<p>\s*</p>\s?")
CODE_BLOCK = re.compile(r"<pre>(?:<code>)?(.*?)(?:</code>)?</pre>", re.DOTALL)
DEFINED = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)"
                     r"|^([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)", re.MULTILINE)
DOTTED = re.compile(r"\b(?<![.\w])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


def _mark(match: re.Match) -> str:
    if EXCLUDED_CLASSES.isdisjoint(match.group("classes").split()):
        return match.group(0)
    return match.group(0) + ATTRIBUTE


def leave_out(page_html: str) -> str:
    """``page_html`` with every element the index leaves out marked for the plugin."""
    return OPENING_TAG.sub(_mark, page_html)


def code_names(code: str, seen: set[str]) -> list[str]:
    """The names a code block defines and the dotted names it uses, not in ``seen``."""
    found = [a or b for a, b in DEFINED.findall(code)]
    found += [n for n in DOTTED.findall(code) if not n.startswith("self.")]
    names = []
    for name in found:
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def sections(page_html: str) -> list[dict]:
    """The indexed sections of a page: id, title and text, code blocks as names."""
    parser = Parser()
    parser.feed(page_html)
    parser.close()
    seen: set[str] = set()

    def names(match: re.Match) -> str:
        found = code_names(html.unescape(match.group(1)), seen)
        return f"<pre><code>{' '.join(found)}</code></pre>" if found else ""

    return [{"id": s.id, "title": "".join(s.title),
             "text": EMPTY.sub("", CODE_BLOCK.sub(names, "".join(s.text)))}
            for s in parser.data if not s.is_excluded()]


class JournalIndex(SearchIndex):
    """Material's search index, from `sections` kept by content in the cache."""

    # Subclassed: the plugin parses every page again each build, with no option
    # to keep a parse or to shorten code; this replaces only that step.
    def add_entry_from_context(self, page):
        if (page.meta.get("search") or {}).get("exclude"):
            return
        key = cache.digest(cache.SALT, "search", page.content)
        for stored in cache.memo("search", key, lambda: sections(page.content)):
            section = Section(Element("hx"))
            section.id = stored["id"]
            section.title = [stored["title"]] if stored["title"] else []
            section.text = [stored["text"]]
            self.create_entry_for_section(section, page.toc, page.url, page)

    def generate_search_index(self, prev):
        # A dirty rebuild (journal.site.rebuild) replaces the rebuilt pages'
        # entries in the last index; the plugin's merge assumes one page.
        if prev is not None and not rebuild.whole:
            rebuilt = {entry["location"].split("#")[0] for entry in self.entries}
            self.entries = [entry for entry in prev.entries
                            if entry["location"].split("#")[0] not in rebuilt
                            ] + self.entries
        return super().generate_search_index(None)


def install(config) -> None:
    """At ``on_config``, after the search plugin's: it indexes with `JournalIndex`."""
    plugin = (config.get("plugins") or {}).get("material/search")
    if plugin is not None and plugin.config.enabled:
        plugin.search_index = JournalIndex(**plugin.config)
