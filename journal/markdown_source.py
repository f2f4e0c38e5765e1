"""Reading a post's Markdown source the same way everywhere.

Every reader of posts (the site's marker expansion, the post checks, the
browser tests' helpers) uses these, so they agree on where front matter ends,
where a fenced code block starts and stops (a fence closes only on the same
character, at least as long), and what counts as prose.
"""

import re

FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\n(.*?\n)?(?:-{3}|\.{3})[ \t]*(?:\n|\Z)", re.DOTALL)
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})", re.MULTILINE)
MARKER = re.compile(r"\{%\s*(embed|value|literal)\s+(.*?)\s*%\}")
INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
SNIPPET_LINE = re.compile(r"^[ \t]*-{1,3}8<-{1,3}.*$", re.MULTILINE)
MATH = re.compile(r"\$\$.*?\$\$|\\\(.*?\\\)|\\\[.*?\\\]", re.DOTALL)
HTML_TAG = re.compile(r"<[A-Za-z/][^>]*>")
# A link to a file of the repository, ``[text](repo:snippets/data.py)``: the site
# links the file on the forge (journal.site.repository).
REPO_SCHEME = "repo:"
HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
LINK_TARGET = re.compile(r"(\]\()[^)]*(\))|^(\s{0,3}\[[^\]]+\]:).*$", re.MULTILINE)


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter YAML or None, body, number of lines before the body)."""
    match = FRONT_MATTER.match(text)
    if not match:
        return None, text, 0
    return match.group(1) or "", text[match.end():], match.group(0).count("\n")


def fenced_spans(markdown: str) -> list[tuple[int, int]]:
    """Character ranges of fenced code blocks (an unclosed fence runs to the end)."""
    spans, opening = [], None
    for match in FENCE.finditer(markdown):
        fence = match.group(1)
        if opening is None:
            opening = match
        elif fence[0] == opening.group(1)[0] and len(fence) >= len(opening.group(1)):
            spans.append((opening.start(), match.end()))
            opening = None
    if opening is not None:
        spans.append((opening.start(), len(markdown)))
    return spans


def in_spans(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= position < b for a, b in spans)


def _blank(match: re.Match) -> str:
    """The matched text as spaces, newlines kept, so offsets and lines stay put."""
    return re.sub(r"[^\n]", " ", match.group(0))


def blank_code(markdown: str) -> str:
    """``markdown`` with fenced blocks and inline code blanked out."""
    chars = list(markdown)
    for a, b in fenced_spans(markdown):
        for i in range(a, b):
            if chars[i] != "\n":
                chars[i] = " "
    return INLINE_CODE.sub(_blank, "".join(chars))


def prose(markdown: str) -> str:
    """Only the prose a reader reads: code, markers, comments, maths, HTML tags,
    snippet includes and link targets blanked out (lines and columns kept)."""
    text = blank_code(markdown)
    for pattern in (HTML_COMMENT, MARKER, SNIPPET_LINE, MATH, HTML_TAG):
        text = pattern.sub(_blank, text)
    return LINK_TARGET.sub(lambda m: _blank(m) if m.group(3) else
                           m.group(1) + " " * (len(m.group(0)) - 2) + m.group(2), text)


def first_heading(markdown: str) -> str | None:
    """The text of the first ``# Heading`` outside code, or None."""
    found = HEADING.search(blank_code(markdown))
    return markdown[found.start(1):found.end(1)] if found else None


def line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1
