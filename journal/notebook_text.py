"""The rules posts follow (`journal.postcheck`), for what a notebook page shows.

A notebook page shows the notebook's markdown cells and, above them, its
metadata title and summary. None of it is re-derived, so none of it may type a
decimal number or a percentage: a setting is quoted in inline code as the code
has it (`lr=0.1`), a result belongs in an output or a post. Markers are not
expanded on notebook pages, and a picture in markdown is refused (a notebook's
pictures are its checked figures). `journal.execute.check_rules` applies
`check`, so `journal run` refuses such a notebook and `make test` fails it.
"""

from journal import markdown_source
from journal.errors import Location, NotebookError, cell_label
from journal.postcheck import PICTURE_TAG, PROSE_NUMBER, typed_numbers


def check(nb, name: str) -> None:
    """Raise `NotebookError` naming the markdown cell (or metadata field) that
    types a number, holds a marker or shows a picture."""
    meta = nb.metadata.get("journal", {})
    for field in ("title", "summary"):
        found = PROSE_NUMBER.search(meta.get(field) or "")
        if found:
            raise NotebookError(f"the number {found.group(0).strip()!r} is typed in the "
                                f"metadata's journal.{field}, which readers see; say it "
                                f"in words", file=name)
    cells = [c for c in nb.cells if c.cell_type == "markdown"]
    for index, cell in enumerate(cells):
        where = Location(name, cell_name=cell_label(cells, index, "markdown"))
        text = cell.source
        read = markdown_source.read(text)
        if read.markers:
            raise NotebookError(
                f"line {markdown_source.line_of(text, read.markers[0].start())}: "
                f"{read.markers[0].group(0)!r} is expanded only in posts; a notebook "
                f"page would show it as typed", at=where)
        pictures = read.images + [s for s in read.html if PICTURE_TAG.match(text, s[0])]
        if pictures or cell.get("attachments"):
            line = markdown_source.line_of(text, min(pictures)[0]) if pictures else 1
            raise NotebookError(f"line {line}: a picture in a markdown cell is not a "
                                f"checked figure; draw it in a code cell, or show it in "
                                f"a post declared as drawn by hand", at=where)
        found = typed_numbers(text)
        if found:
            (line, number), more = found[0], len(found) - 1
            others = f" (and {more} more in the cell)" if more else ""
            raise NotebookError(
                f"line {line}: the number {number!r} is typed in prose{others}; a "
                f"setting goes in inline code as the code has it (`lr=0.1`), a result "
                f"in an output or a post", at=where)
