"""Reading a post's Markdown the same way everywhere, with one tokenizer.

markdown-it-py (CommonMark, tables, footnotes, front matter) with two rules of
the journal's own, the markers (``{% embed %}``, ``{% value %}``,
``{% literal %}``, ``{% claim %}`` and ``{% runs %}``) and pymdownx.snippets'
``--8<--`` lines, reads a post once for every
module that looks into it: the site's marker expansion (`journal.embed`), the
post checks (`journal.postcheck`), ``repo:`` links (`journal.site.repository`),
the excerpt shortcut and the build cache. What it finds carries its place in the
text (character span and line), so errors name the line; code, fenced or
inline, is told apart as the site's Markdown tells it apart.
"""

import re
import shlex
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.common.html_re import HTML_TAG_RE
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

# The journal's marker syntax: ``{% kind words... %}``. A marker may run over
# several lines of one paragraph (a claim names two metrics), never past a
# blank line.
MARKER = re.compile(r"\{%\s*(embed|value|literal|claim|runs)\s+"
                    r"((?:(?!\n[ \t]*\n)[\s\S])*?)\s*%\}")
# A marker's option is one unquoted word ``name=value``; a quoted word is never
# one, so a metric name may hold "=" ("logistic regression, C=1.0 / accuracy").
OPTION = re.compile(r"^[A-Za-z_]\w*=")
# pymdownx.snippets' line syntax: an include ``--8<-- "path[:section]"``, a
# section mark ``--8<-- [start:name]``, or a block of includes (anything else).
SNIPPET = re.compile(r"""^[ \t]*-+8<-+(?:[ \t]+(?:"(?P<path>[^"\n]+)"|\[[ \t]*"""
                     r"""(?P<section>start|end)[ \t]*:[^\]\n]*\]))?(?P<rest>.*)$""", re.I)
# pymdownx.arithmatex's maths (generic mode): ``$$...$$``, ``\(...\)``, ``\[...\]``.
MATH = re.compile(r"\$\$.*?\$\$|\\\(.*?\\\)|\\\[.*?\\\]", re.DOTALL)
# A link to a file of the repository, ``[text](repo:snippets/data.py)``: the site
# links the file on the forge (journal.site.repository).
REPO_SCHEME = "repo:"
CODE_TOKENS = ("fence", "code_block")


@dataclass(frozen=True)
class Link:
    kind: str    # "link", "image" or "reference" (a ``[label]: target`` line)
    target: str  # as written, without angle brackets
    line: int    # 1-based, in the text read
    start: int   # the target's characters in the text read
    end: int


@dataclass
class Read:
    """One text as the tokenizer read it."""
    text: str
    tokens: list
    front_matter: tuple[str, int] | None = None  # (YAML, lines before the body)
    blocks: list[tuple[int, int]] = field(default_factory=list)  # code blocks
    code: list[tuple[int, int]] = field(default_factory=list)    # and inline code
    markers: list[re.Match] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    images: list[tuple[int, int]] = field(default_factory=list)  # inline or reference
    html: list[tuple[int, int]] = field(default_factory=list)
    snippets: list[int] = field(default_factory=list)  # 0-based lines
    # (0-based first line, line after) of reference and footnote definitions
    definitions: list[tuple[int, int]] = field(default_factory=list)


# ---------------------------------------------------------------------------
# The tokenizer

def snippet_line(line: str) -> re.Match | None:
    """A pymdownx.snippets line (``--8<--``), or None."""
    return SNIPPET.match(line) if "8<-" in line else None


def _marker_rule(state, silent: bool) -> bool:
    if not state.src.startswith("{%", state.pos):
        return False
    found = MARKER.match(state.src, state.pos)
    if found is None:
        return False
    if not silent:
        token = state.push("journal_marker", "", 0)
        token.content = found.group(0)
    state.pos = found.end()
    return True


def _snippet_rule(state, start: int, end: int, silent: bool) -> bool:
    line = state.src[state.bMarks[start] + state.tShift[start]:state.eMarks[start]]
    if state.sCount[start] - state.blkIndent >= 4 or not snippet_line(line):
        return False
    if not silent:
        token = state.push("journal_snippet", "", 0)
        token.map = [start, start + 1]
        token.content = line
    state.line = start + 1
    return True


def _recorded(rule, name: str):
    """A block rule that notes the lines of what it reads (it makes no tokens)."""
    def run(state, start, end, silent):
        if not rule(state, start, end, silent):
            return False
        if not silent:
            state.env.setdefault("journal_definitions", []).append(
                (name, start, state.line))
        return True
    return run


def _positioned(rule):
    """An inline rule whose tokens note where in their block's text they came from."""
    def run(state, silent):
        start, count = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        for token in state.tokens[count:]:
            if token.meta is None:
                token.meta = {}
            token.meta.setdefault("span", (start, state.pos))
        return True
    return run


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable("table").use(front_matter_plugin) \
        .use(footnote_plugin)
    md.inline.ruler.before("text", "journal_marker", _marker_rule)
    md.block.ruler.before("paragraph", "journal_snippet", _snippet_rule,
                          {"alt": ["paragraph"]})
    for name, rule in zip(md.block.ruler.get_active_rules(), md.block.ruler.getRules("")):
        if name in ("reference", "footnote_def"):
            md.block.ruler.at(name, _recorded(rule, name),
                              {"alt": ["paragraph", "reference"]})
    for name, rule in zip(md.inline.ruler.get_active_rules(),
                          md.inline.ruler.getRules("")):
        md.inline.ruler.at(name, _positioned(rule))
    return md


PARSER = _parser()
# Front matter alone, with no other rule but paragraphs: a fraction of the cost.
FRONT_MATTER_PARSER = MarkdownIt("zero").use(front_matter_plugin).disable(
    ["inline", "text_join"], ignoreInvalid=True)


# ---------------------------------------------------------------------------
# Reading a text

NEWLINE = re.compile("\n")


def _line_starts(text: str) -> list[int]:
    return [0, *(newline.end() for newline in NEWLINE.finditer(text))]


def _inline_origins(token, lines: list[str], starts: list[int]) -> list[int] | None:
    """Where each line of an inline token's text starts in the text read."""
    origins = []
    for i, part in enumerate(token.content.split("\n")):
        n = token.map[0] + i
        if n >= len(lines):
            return None
        line, part = lines[n], part.rstrip()
        col = len(line.rstrip()) - len(part)
        if col < 0 or line[col:col + len(part)] != part:
            col = line.find(part)
        if col < 0:
            return None
        origins.append(starts[n] + col)
    return origins


def _at(origins: list[int], content: str, offset: int) -> int:
    """The position in the text read of ``offset`` in an inline token's text."""
    line = content.count("\n", 0, offset)
    return origins[line] + offset - (content.rfind("\n", 0, offset) + 1)


def _label_end(source: str) -> int:
    """Where the ``[label]`` at the start of ``source`` (after a ``!``) closes."""
    depth, i = 0, 0
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
            continue
        depth += (c == "[") - (c == "]")
        if c == "]" and depth == 0:
            return i
        i += 1
    return -1


def _destination(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of the destination in ``text[start:end]`` (which starts with one),
    without angle brackets."""
    while start < end and text[start] in " \t\n":
        start += 1
    if start < end and text[start] == "<":
        close = text.find(">", start, end)
        return (start + 1, close) if close > 0 else None
    stop = start
    while stop < end and not text[stop].isspace():
        stop += 1
    return (start, stop) if stop > start else None


def _inline_link(read: Read, kind: str, start: int, end: int, line: int) -> None:
    source = read.text[start:end]
    offset = 1 if source.startswith("!") else 0
    close = _label_end(source[offset:])
    if close < 0 or not source[offset + close + 1:].startswith("("):
        return  # a reference link: its target is on its definition's line
    at = start + offset + close + 2
    found = _destination(read.text, at, end - 1)
    if found:
        read.links.append(Link(kind, read.text[found[0]:found[1]], line, *found))


def _definition(read: Read, first: int, last: int, starts: list[int]) -> None:
    """A ``[label]: target`` definition on lines ``first`` to ``last``."""
    start, end = starts[first], starts[last] if last < len(starts) else len(read.text)
    colon = read.text.find("]:", start, end)
    found = _destination(read.text, colon + 2, end) if colon >= 0 else None
    if found:
        read.links.append(Link("reference", read.text[found[0]:found[1]],
                               line_of(read.text, found[0]), *found))


@lru_cache(maxsize=512)
def read(text: str) -> Read:
    """``text`` as the tokenizer reads it (kept for texts read again)."""
    env: dict = {}
    tokens = PARSER.parse(text, env)
    lines, starts = text.split("\n"), _line_starts(text)
    found = Read(text, tokens)

    def span_of(first: int, last: int) -> tuple[int, int]:
        return starts[first], starts[last] - 1 if last < len(starts) else len(text)

    for token in tokens:
        if token.type == "front_matter":
            found.front_matter = (token.content + "\n" if token.content else "",
                                  token.map[1])
        elif token.type in CODE_TOKENS:
            found.blocks.append(span_of(*token.map))
        elif token.type == "journal_snippet":
            found.snippets.append(token.map[0])
        elif token.type == "html_block":
            a, b = span_of(*token.map)
            found.html += [m.span() for m in HTML_TAG_RE.finditer(text, a, b)]
            found.markers += list(MARKER.finditer(text, a, b))
        elif token.type == "inline" and token.map:
            _read_inline(found, token, lines, starts)
    for name, first, last in env.get("journal_definitions", []):
        # a footnote's text is prose from its second line on
        found.definitions.append((first, last if name == "reference" else first + 1))
        if name == "reference":
            _definition(found, first, last, starts)
    found.code += found.blocks
    found.markers.sort(key=lambda m: m.start())
    found.links.sort(key=lambda link: link.start)
    return found


def _read_inline(found: Read, token, lines: list[str], starts: list[int]) -> None:
    origins = _inline_origins(token, lines, starts)
    if origins is None:
        return
    for child in token.children or []:
        span = (child.meta or {}).get("span")
        if span is None:
            continue
        start, end = (_at(origins, token.content, span[0]),
                      _at(origins, token.content, span[1]))
        if child.type == "code_inline":
            found.code.append((start, end))
        elif child.type == "journal_marker":
            match = MARKER.match(found.text, start)
            if match is not None:
                found.markers.append(match)
        elif child.type == "html_inline":
            found.html.append((start, end))
        elif child.type in ("link_open", "image"):
            kind = "image" if child.type == "image" else "link"
            if kind == "image":
                found.images.append((start, end))
            _inline_link(found, kind, start, end, line_of(found.text, start))


# ---------------------------------------------------------------------------
# What the other modules ask

def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter YAML or None, body, number of lines before the body)."""
    tokens = FRONT_MATTER_PARSER.parse(text) if text.startswith("---") else []
    if not tokens or tokens[0].type != "front_matter":
        return None, text, 0
    front, lines = tokens[0], text.split("\n")
    return (front.content + "\n" if front.content else ""), \
        "\n".join(lines[front.map[1]:]), front.map[1]


def markers(text: str) -> list[re.Match]:
    """Every ``{% ... %}`` marker outside code, in order (`MARKER` matches)."""
    return read(text).markers if "{%" in text else []


def marker_words(body: str) -> tuple[list[str], dict[str, str]]:
    """A marker's words (what follows its kind) as (positional words, options).

    Raises ValueError for unbalanced quotes.
    """
    words = shlex.split(body)
    raw = shlex.split(body, posix=False)  # the same words, quotes kept
    if len(raw) != len(words):  # quotes inside a word: read every word as written
        raw = words
    positional, options = [], {}
    for word, as_written in zip(words, raw):
        if OPTION.match(as_written) and as_written[0] not in "\"'":
            name, value = word.split("=", 1)
            options[name] = value
        else:
            positional.append(word)
    return positional, options


def marker_notebook(match: re.Match) -> str | None:
    """The notebook a marker other than ``literal`` names (its first word), or None."""
    if match.group(1) == "literal":
        return None
    first = match.group(2).lstrip("\"'")
    for i, c in enumerate(first):
        if c in "\"'%" or c.isspace():
            return first[:i] or None
    return first or None


def links(text: str) -> list[Link]:
    """Every link, image and reference definition outside code, with its target."""
    return read(text).links


def fenced_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of code blocks, fenced or indented (an unclosed fence
    runs to the end)."""
    return read(text).blocks


def _span_of_lines(text: str, first: int, last: int) -> tuple[int, int]:
    starts = _line_starts(text)
    return starts[first], starts[last] - 1 if last < len(starts) else len(text)


def _blank(text: str, spans) -> str:
    """``text`` with the ``spans`` as spaces, newlines kept, so offsets and lines
    stay put."""
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def blank_code(text: str) -> str:
    """``text`` with code blocks and inline code blanked out."""
    return _blank(text, read(text).code)


def prose(text: str) -> str:
    """Only the prose a reader reads: code, markers, HTML tags and comments,
    snippet includes, maths, link targets and reference definitions blanked out
    (lines and columns kept)."""
    result = read(text)
    starts = _line_starts(text)
    spans = list(result.code) + list(result.html)
    spans += [(m.start(), m.end()) for m in result.markers]
    # an inline link's target and title, up to its closing parenthesis
    spans += [(link.start, max(link.end, text.find(")", link.end)))
              for link in result.links if link.kind != "reference"]
    spans += [_span_of_lines(text, first, first + 1) for first in result.snippets]
    spans += [_span_of_lines(text, first, last) for first, last in result.definitions]
    if result.front_matter:
        spans.append((0, starts[min(result.front_matter[1], len(starts) - 1)]))
    blanked = _blank(text, spans)
    return _blank(blanked, [(m.start(), m.end()) for m in MATH.finditer(blanked)])


def first_heading(text: str) -> str | None:
    """The text of the first ``# Heading`` outside code, or None."""
    tokens = read(text).tokens
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1" and token.markup == "#":
            return tokens[i + 1].content
    return None


def line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1
