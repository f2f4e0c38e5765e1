"""Blog excerpts converted only up to the separator.

The blog plugin shows a post's excerpt, what precedes ``<!-- more -->``, on
every view that lists the post: the index, the archive and each of its
categories. For each view it converts the post's whole Markdown again, code
highlighting included, and keeps only the HTML before the separator. With a
hundred posts that is most of the build.

`stop_at_separator` gives each post's excerpt converter a Python-Markdown
preprocessor (`UpToSeparator`) that drops what follows the separator before
anything else reads it, leaving one placeholder paragraph so the view still
shows its "Continue reading" link. The excerpt's HTML stays what the whole
conversion gave, because `shorten` leaves the text whole whenever something
before the separator could depend on what follows:

- no line of its own holds the separator;
- a fenced, indented or raw HTML block before the separator (one could run
  past it, and the excerpt converter numbers code blocks across every view
  it renders, counting those after the separator);
- a reference link, footnote or abbreviation defined after the separator, or
  Markdown included there by ``--8<--`` outside code (it could define one).

The plugin's ``cache: false`` turns this off with the cache
(`journal.site.cache`), so the tests can compare the two builds.
"""

from markdown.preprocessors import Preprocessor

from journal import markdown_source
from journal.site import internals

PLACEHOLDER = "\u2026"  # what the views never show, but which says there is more
PRIORITY = 40  # before every other preprocessor (whitespace, snippets, fences)
BLOCKS = ("fence", "code_block", "html_block")


def _is_comment(token) -> bool:
    text = token.content.strip()
    return text.startswith("<!--") and text.endswith("-->") and "\n" not in text


def _python_markdown_block(line: str) -> bool:
    """An indented line or one that opens with a tag (a one-line comment aside):
    Python-Markdown, which converts the excerpt, may read either as a block
    where CommonMark does not, so the text is kept whole."""
    if line.startswith(("    ", "\t")):
        return True
    opening = line.lstrip(" ")
    return len(line) - len(opening) < 4 and opening.startswith("<") and not (
        opening.startswith("<!--") and opening.rstrip().endswith("-->"))


def shorten(lines: list[str], separator: str) -> list[str]:
    """``lines`` up to the separator line and a placeholder, or ``lines`` as they are."""
    try:
        at = next(i for i, line in enumerate(lines) if line.strip() == separator)
    except StopIteration:
        return lines
    if not "\n".join(lines[at + 1:]).strip():
        return lines
    read = markdown_source.read("\n".join(lines))
    if any(token.type in BLOCKS and token.map[0] < at and not _is_comment(token)
           for token in read.tokens if token.map) \
            or any(_python_markdown_block(line) for line in lines[:at]):
        return lines
    if any(first > at for first, _ in read.definitions) \
            or any(line > at for line in read.snippets) \
            or any(line.lstrip(" ").startswith("*[") and len(line) - len(line.lstrip(" "))
                   < 4 for line in lines[at + 1:]):  # an abbreviation (abbr)
        return lines
    return lines[:at + 1] + ["", PLACEHOLDER]


class UpToSeparator(Preprocessor):
    """Drops what follows the excerpt separator (see `shorten`)."""

    def __init__(self, md, separator: str):
        super().__init__(md)
        self.separator = separator
        self._last: tuple[list[str], list[str]] = ([], [])

    def run(self, lines: list[str]) -> list[str]:
        # Each view converts the same post again: decide once.
        if lines != self._last[0]:
            self._last = (list(lines), list(shorten(lines, self.separator)))
        return list(self._last[1])


def stop_at_separator(page, config) -> None:
    """Give a post's excerpt converter the `UpToSeparator` preprocessor."""
    md = internals.excerpt_converter(page)
    blog = config.plugins.get("material/blog")
    if md is None or blog is None:
        return
    # The blog plugin offers no option to stop an excerpt's conversion early.
    md.preprocessors.register(UpToSeparator(md, blog.config.post_excerpt_separator),
                              "journal_excerpt_separator", PRIORITY)
