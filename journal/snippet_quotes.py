"""What pymdownx.snippets may include: files under ``snippets/``, named by a page.

`check`: every ``--8<--`` line a page's author wrote names an existing file
under ``snippets/``, or a `PostError` names the page and line. `shield`: text
the journal inserts into a page has every line snippets would act on escaped,
so it shows verbatim. Both use the extension's own patterns (checked against
pymdown-extensions 10 to 13; tests/test_embed.py fails if they move). Why: the
site's "How the site is made" page (pages/site.md).
"""

import re
from pathlib import Path

from pymdownx.snippets import SnippetPreprocessor

from journal import paths
from journal.errors import PostError

ALL_SNIPPETS = SnippetPreprocessor.RE_ALL_SNIPPETS
SECTION = SnippetPreprocessor.RE_SNIPPET_SECTION
# "file.py:section" or "file.py:3:9": the file is what comes before them.
TARGET = re.compile(r"(?i)(.*?)(?::-?[0-9]*(?::-?[0-9]*)?(?:,-?[0-9:]*)*"
                    r"|:[a-z][-_0-9a-z]*)?$")


def shield(text: str) -> str:
    """``text`` with every line snippets would act on escaped (shown as written)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "8<" not in line:
            continue
        match = ALL_SNIPPETS.match(line) or SECTION.match(line)
        if match:
            at = match.start("escape")
            lines[i] = line[:at] + ";" + line[at:]
    return "\n".join(lines)


def quoted_paths(markdown: str):
    """``(line number, path)`` of every file snippets would include, in order."""
    block = False
    for number, line in enumerate(markdown.split("\n"), 1):
        match = ALL_SNIPPETS.match(line)
        if match and not match.group("escape"):
            if match.group("block_marker"):
                block = not block
            elif not block:
                yield number, match.group("snippet")[1:-1].strip()
        elif block and line.strip() and not line.strip().startswith(";"):
            yield number, line.strip()


def check(markdown: str, source: str, line_offset: int = 0,
          root: Path = paths.ROOT) -> None:
    """Raise PostError (source:line) for a quote outside snippets/ or of a missing file."""
    allowed = (root / paths.SNIPPETS.name).resolve()
    for number, target in quoted_paths(markdown):
        name = TARGET.match(target).group(1)
        where = dict(file=source, line=number + line_offset)
        if name.lower().startswith(("http://", "https://")):
            raise PostError(f"snippet {target!r}: only files under snippets/ can be "
                            f"quoted", **where)
        path = (root / name).resolve()
        if allowed not in path.parents:
            raise PostError(f"snippet {target!r}: only files under snippets/ can be "
                            f"quoted", **where)
        if not path.is_file():
            raise PostError(f"snippet {target!r}: no such file {name}", **where)
