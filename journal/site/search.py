"""What the search index holds: what a reader searches for, not every output.

`leave_out` marks the elements the index leaves out (`EXCLUDED_CLASSES`:
outputs, stamps, claim verdicts, typed-by-hand marks, re-run boxes, browser-run
controls and jump links, prompts, ...) with the search plugin's documented
``data-search-exclude``; `tex_only` indexes maths as its TeX; code blocks become
the names they define and use; `drop_stop_words` stores prose without the stop
words the search worker ignores. `JournalIndex` is the plugin's index with
these, each page's parse kept in the build cache (`journal.site.cache`), and
under ``mkdocs serve --dirty`` updated page by page (`journal.site.rebuild`).
What is left out, and why: pages/site.md, "Search".
"""

import html
import json
import re

from journal.site import cache, internals
from journal.site.internals import Element, Parser, SearchIndex, Section

# Classes of elements the index leaves out ("Search" in pages/site.md says why).
EXCLUDED_CLASSES = frozenset({
    # posts: what an embed inserts around its code
    "journal-output", "journal-source",
    # the verification line, marks and banners, on posts and notebook pages
    "journal-line", "journal-check", "journal-not-verified", "journal-post-date",
    # a claim's verdict, computed from the runs; a number's typed-by-hand mark
    "journal-claim", "journal-dagger",
    # the "Re-run this post" box closing each post: the same commands every time
    "journal-rerun",
    # the "Run in your browser" control, the links to it near the top of a
    # post, and the empty slots for its outputs
    "journal-live", "journal-live-jump", "journal-live-slot",
    # notebook pages (mkdocs-jupyter's nbconvert template)
    "jp-OutputArea-output", "jp-InputPrompt", "jp-OutputPrompt", "cell-tag",
    "clipboard-copy-txt", "notice", "anchor-link",
    # the posts a notebook is used in, on its page and on the Projects index:
    # post titles, each indexed with its post
    "journal-used-in",
})
ATTRIBUTE = ' data-search-exclude="journal"'
# What the index trims, each of which the plugin's ``search_trim_off`` can
# undo (the benchmark measures each one's saving): the elements `leave_out`
# marks, code blocks as names, prose without stop words, characters as UTF-8.
TRIMS = ("leave-out", "code-names", "stop-words", "utf-8")
OPENING_TAG = re.compile(r'<(?P<tag>[a-zA-Z][\w-]*)(?=\s[^>]*?\bclass="(?P<classes>[^"]*)")')

# What is left of a paragraph whose figure or output the index leaves out, or
# of one that held only stop words.
EMPTY = re.compile(r"<(p|li)>\s*</\1>\s?")
# Spaces between blocks: no words, and results show each block on its own.
BETWEEN_BLOCKS = re.compile(r"(</(?:p|pre|ul|ol|li)>)\s+(?=<(?:p|pre|ul|ol|li)>)")
TAG = re.compile(r"(<[^>]*>)")
CODE_TAGS = frozenset({"<code>", "<pre>"})
# Tags the plugin keeps that do not start a line: what follows them goes on.
INLINE_TAGS = frozenset({"</code>", "<sub>", "</sub>", "<sup>", "</sup>"})
CODE_BLOCK = re.compile(r"<pre>(?:<code>)?(.*?)(?:</code>)?</pre>", re.DOTALL)
DEFINED = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)"
                     r"|^([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)", re.MULTILINE)
DOTTED = re.compile(r"\b(?<![.\w])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
# A formula as journal.site.maths writes it: MathML with its TeX as an annotation.
MATH = re.compile(r"<math\b[^>]*>.*?</math>", re.DOTALL)
TEX = re.compile(r'<annotation encoding="application/x-tex">(.*?)</annotation>',
                 re.DOTALL)

# lunr's English stop words, read from Material's search worker: with
# "stopWordFilter" in the plugin's pipeline, the worker drops them from every
# text it indexes and from every query, so none of them can match anything.
STOP_WORDS = internals.lunr_stop_words()
# Kept in the text all the same, so an excerpt in the results still says what
# its sentence denies.
NEGATIONS = frozenset({"cannot", "neither", "no", "nor", "not"})
DROPPED = STOP_WORDS - NEGATIONS
# A word between punctuation: "(the", "it.", "and,".
PUNCTUATED = re.compile(r"([^A-Za-z0-9]*)([A-Za-z]+)([^A-Za-z0-9]*)")


def _mark(match: re.Match) -> str:
    if EXCLUDED_CLASSES.isdisjoint(match.group("classes").split()):
        return match.group(0)
    return match.group(0) + ATTRIBUTE


def leave_out(page_html: str) -> str:
    """``page_html`` with every element the index leaves out marked for the plugin."""
    return OPENING_TAG.sub(_mark, page_html)


def tex_only(page_html: str) -> str:
    """``page_html`` with each formula as its TeX, for the index only."""
    def tex(match: re.Match) -> str:
        found = TEX.search(match.group(0))
        return found.group(1) if found else match.group(0)

    return MATH.sub(tex, page_html)


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


def words(text: str, separator: re.Pattern) -> list[str]:
    """What the search worker indexes of ``text`` (no markup): the pieces between
    ``separator``'s matches, lower-cased, less the stop words."""
    return [w for w in (p.lower() for p in separator.split(text))
            if w and w not in STOP_WORDS]


def _without_stop_words(prose: str, separator: re.Pattern, block_start: bool) -> str:
    """``prose`` without its stop words. A dropped word's punctuation stays with
    the word before it, or the one after it: "(the model, and" becomes "(model,";
    at the start of a block, with nothing before it, it goes."""
    if not prose.strip():
        return prose
    out: list[str] = []
    glued = False  # out[0] belongs to what comes before the prose (inline code)
    opening = ""   # punctuation before a dropped word, for the next word kept
    for chunk in prose.split():
        found = PUNCTUATED.fullmatch(chunk) if chunk.isascii() else None
        if found is None or found.group(2).lower() not in DROPPED \
                or words(found.group(1) + found.group(3), separator):
            out.append(opening + chunk)
            opening = ""
            continue
        before, _, after = found.groups()
        if after and out:
            out[-1] += after
        elif after and not block_start:
            out.append(after)
            glued = True
        opening += before
    if opening:  # goes with the inline code that follows: "(from <code>"
        out.append(opening)
    if not out:  # a space between two pieces of inline code stays
        return "" if block_start or not prose[-1].isspace() else " "
    lead = " " if prose[0].isspace() and not glued else ""
    trail = " " if prose[-1].isspace() and not opening else ""
    return lead + " ".join(out) + trail


def drop_stop_words(text: str, separator: re.Pattern) -> str:
    """``text`` without the stop words of its prose; code, inline or not, whole.

    The search worker drops them anyway: it indexes the same words from the
    shorter text, in the same order, so a search finds and ranks what it did
    before; only the excerpt under a result reads more tersely. Prose that would
    not index the same (a word glued to punctuation the separator keeps) stays.
    """
    pieces = TAG.split(text)
    in_code = 0
    for i in range(0, len(pieces), 2):
        if i:
            tag = pieces[i - 1]
            in_code += (tag in CODE_TAGS) - (tag in ("</code>", "</pre>"))
        prose = pieces[i]
        if prose and in_code <= 0:
            block_start = i == 0 or pieces[i - 1] not in INLINE_TAGS
            shorter = _without_stop_words(prose, separator, block_start)
            if words(shorter, separator) == words(prose, separator):
                pieces[i] = shorter
    return "".join(pieces)


def sections(page_html: str, separator: re.Pattern | None = None,
             code_as_names: bool = True, maths_as_tex: bool = True) -> list[dict]:
    """The indexed sections of a page: id, title and text, code blocks as names
    (whole with ``code_as_names`` false), formulas as their TeX (as drawn too
    with ``maths_as_tex`` false).

    With ``separator`` (the search worker's, when it drops stop words), the
    prose of the text goes without them (`drop_stop_words`).
    """
    parser = Parser()
    parser.feed(tex_only(page_html) if maths_as_tex else page_html)
    parser.close()
    seen: set[str] = set()

    def names(match: re.Match) -> str:
        found = code_names(html.unescape(match.group(1)), seen)
        return f"<pre><code>{' '.join(found)}</code></pre>" if found else ""

    found = []
    for s in parser.data:
        if s.is_excluded():
            continue
        text = "".join(s.text)
        if code_as_names:
            text = CODE_BLOCK.sub(names, text)
        if separator is not None:
            text = drop_stop_words(text, separator)
        text = BETWEEN_BLOCKS.sub(r"\1", EMPTY.sub("", text))
        found.append({"id": s.id, "title": "".join(s.title), "text": text})
    return found


def stop_word_separator(config) -> re.Pattern | None:
    """The search's separator, when its worker drops English stop words; else None."""
    if list(config.get("lang") or []) != ["en"] \
            or "stopWordFilter" not in (config.get("pipeline") or []):
        return None
    try:
        return re.compile(config.get("separator") or r"[\s\-]+")
    except re.error:  # a JavaScript pattern Python reads otherwise: drop nothing
        return None


class JournalIndex(SearchIndex):
    """Material's search index, from `sections` kept by content in the cache;
    a page's tags on its first entry only.

    ``stored`` is the build cache; ``dirty()`` says whether this build is a
    dirty rebuild of a few posts (`journal.site.rebuild`); ``off`` the `TRIMS`
    undone.
    """

    def __init__(self, stored: cache.BuildCache | None = None, dirty=lambda: False,
                 off=frozenset(), **config):
        super().__init__(**config)
        self.off = frozenset(off)
        self.separator = None if "stop-words" in self.off else stop_word_separator(config)
        self.stored = stored or cache.BuildCache(on=False)
        self.dirty = dirty

    # Subclassed: the plugin parses every page again each build, with no option
    # to keep a parse or to shorten code; this replaces only that step.
    def add_entry_from_context(self, page):
        if (page.meta.get("search") or {}).get("exclude"):
            return
        pattern = self.separator.pattern if self.separator is not None else ""
        names = "code-names" not in self.off
        tex = "leave-out" not in self.off
        key = cache.digest(cache.SALT, "search", pattern, names, tex, page.content)
        first = len(self.entries)
        for stored in self.stored.memo("search", key, lambda: sections(
                page.content, self.separator, code_as_names=names, maths_as_tex=tex)):
            section = Section(Element("hx"))
            section.id = stored["id"]
            section.title = [stored["title"]] if stored["title"] else []
            section.text = [stored["text"]]
            self.create_entry_for_section(section, page.toc, page.url, page)
        # The worker groups a page's sections under its first entry: a search
        # for a tag finds the page once, not each of its sections.
        for entry in self.entries[first + 1:]:
            entry.pop("tags", None)

    def generate_search_index(self, prev):
        # A dirty rebuild (journal.site.rebuild) replaces the rebuilt pages'
        # entries in the last index; the plugin's merge assumes one page.
        if prev is not None and self.dirty():
            rebuilt = {entry["location"].split("#")[0] for entry in self.entries}
            self.entries = [entry for entry in prev.entries
                            if entry["location"].split("#")[0] not in rebuilt
                            ] + self.entries
        # Characters as they are (UTF-8), not as \u escapes of six bytes each.
        return json.dumps(json.loads(super().generate_search_index(None)),
                          separators=(",", ":"), ensure_ascii="utf-8" in self.off)


def install(config, stored: cache.BuildCache, dirty, off=frozenset()) -> None:
    """At ``on_config``, after the search plugin's: it indexes with `JournalIndex`."""
    internals.install_search_index(
        config, lambda **options: JournalIndex(stored, dirty, off, **options))
