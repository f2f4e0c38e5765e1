"""Blog excerpts converted only up to the separator.

The blog plugin converts a post's whole Markdown again for every view that
shows its excerpt. `stop_at_separator` gives each post's excerpt converter a
preprocessor (`UpToSeparator`) that drops what follows ``<!-- more -->``,
leaving a placeholder paragraph for the "Continue reading" link; `shorten`
leaves the text whole whenever something before the separator could depend on
what follows, so the excerpt's HTML does not change. The plugin's
``cache: false`` turns this off. The rules, and why: pages/site.md, "Cost: what
changed, not what the journal holds".
"""

import re

from markdown.preprocessors import Preprocessor

from journal import markdown_source
from journal.site import cache, internals

PLACEHOLDER = "\u2026"  # what the views never show, but which says there is more
PRIORITY = 40  # before every other preprocessor (whitespace, snippets, fences)
ONE_LINE_ELEMENT = re.compile(r"<([A-Za-z][\w-]*)[\s>].*</\1>", re.DOTALL)


def _closed_on_its_line(text: str) -> bool:
    """Raw HTML that is one element, opened and closed on the line (as the
    verification line a post gets under its title, `journal.site.stamps`)."""
    found = ONE_LINE_ELEMENT.fullmatch(text.rstrip())
    if found is None:
        return False
    tag = re.escape(found.group(1))
    return len(re.findall(rf"<{tag}[\s>]", text)) == len(re.findall(rf"</{tag}>", text))


def _opens_block(line: str) -> bool:
    """A line that may open a block running past the separator: indented code, a
    fence, or raw HTML (a one-line comment or element aside). Python-Markdown,
    which converts the excerpt, reads some of these otherwise than CommonMark,
    so any such line counts."""
    if line.startswith(("    ", "\t")):
        return True
    text = line.lstrip(" ")
    return len(line) - len(text) < 4 and (text.startswith(("```", "~~~")) or (
        text.startswith("<") and not (text.startswith("<!--")
                                      and text.rstrip().endswith("-->"))
        and not _closed_on_its_line(text)))


def _is_abbreviation(line: str) -> bool:
    text = line.lstrip(" ")
    return len(line) - len(text) < 4 and text.startswith("*[")


def cut(lines: list[str], separator: str) -> int | None:
    """The separator's line when the excerpt may stop there (see the module
    docstring), else None."""
    try:
        at = next(i for i, line in enumerate(lines) if line.strip() == separator)
    except StopIteration:
        return None
    if not "\n".join(lines[at + 1:]).strip() or any(map(_opens_block, lines[:at])):
        return None
    read = markdown_source.read("\n".join(lines))
    if any(first > at for first, _ in read.definitions) \
            or any(line > at for line in read.snippets) \
            or any(map(_is_abbreviation, lines[at + 1:])):
        return None
    return at


def shorten(lines: list[str], separator: str, at: int | None = -1) -> list[str]:
    """``lines`` up to the separator line and a placeholder, or ``lines`` as they
    are. ``at``: the separator's line as `cut` found it, if known."""
    at = cut(lines, separator) if at == -1 else at
    return lines if at is None else lines[:at + 1] + ["", PLACEHOLDER]


class UpToSeparator(Preprocessor):
    """Drops what follows the excerpt separator (see `shorten`). ``find(lines)``
    says where (`cut`'s answer, by default worked out again)."""

    def __init__(self, md, separator: str, find=None):
        super().__init__(md)
        self.separator = separator
        self.find = find or (lambda lines: cut(lines, separator))
        self._last: tuple[list[str], list[str]] = ([], [])

    def run(self, lines: list[str]) -> list[str]:
        # Each view converts the same post again: decide once.
        if lines != self._last[0]:
            self._last = (list(lines), shorten(lines, self.separator, self.find(lines)))
        return list(self._last[1])


def stop_at_separator(page, config, stored) -> None:
    """Give a post's excerpt converter the `UpToSeparator` preprocessor; where it
    cuts is kept in the build cache ``stored``."""
    md = internals.excerpt_converter(page)
    blog = config.plugins.get("material/blog")
    if md is None or blog is None:
        return
    separator = blog.config.post_excerpt_separator

    def find(lines: list[str]) -> int | None:
        key = cache.digest(cache.SALT, "excerpts", separator, *lines)
        found = stored.memo("excerpts", key, lambda: [cut(lines, separator)])
        return found[0]

    # The blog plugin offers no option to stop an excerpt's conversion early.
    md.preprocessors.register(UpToSeparator(md, separator, find),
                              "journal_excerpt_separator", PRIORITY)
