"""The one error type of the journal's tooling: a message and where it applies.

Every message that points at a source file is built here, so all of them read
the same way: ``projects/x/x.ipynb, code cell 3 of 9 (id train): ...`` for a
notebook cell and ``posts/p.md:12: ...`` for a line of a post. Cells are named
one way everywhere (progress lines, errors, test items, reports): counting code
cells from 1, with the cell's tag or id when it has one (`cell_label`).
"""


from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a source file: a notebook's code cell or a post's line."""

    file: str | None = None
    cell: int | None = None   # index among the notebook's code cells, from 0
    line: int | None = None
    cell_name: str | None = None  # "code cell 3 of 9 (id train)", when known

    def __str__(self) -> str:
        if self.file is None:
            return ""
        if self.line is not None:
            return f"{self.file}:{self.line}"
        if self.cell is not None or self.cell_name:
            return f"{self.file}, {self.cell_name or f'code cell {self.cell + 1}'}"
        return self.file


# Tags that say how to verify a cell, not what it is.
_MARKER_TAGS = ("nbval-", "raises-exception", "skip-execution")


def cell_label(code_cells: list, index: int, kind: str = "code") -> str:
    """``code cell k of n`` (from 1), plus the cell's tag or else its id; with
    ``kind="markdown"``, ``markdown cell k of n`` among the markdown cells."""
    cell = code_cells[index]
    tags = [t for t in cell.get("metadata", {}).get("tags", [])
            if not t.startswith(_MARKER_TAGS)]
    label = f"{kind} cell {index + 1} of {len(code_cells)}"
    if tags:
        return f"{label} (tag {tags[0]})"
    if cell.get("id"):
        return f"{label} (id {cell['id']})"
    return label


def cell_at(file: str, code_cells: list, index: int) -> Location:
    """Where code cell ``index`` (from 0) of a notebook is, named as everywhere."""
    return Location(file, cell=index, cell_name=cell_label(code_cells, index))


class JournalError(Exception):
    """Something in a notebook, post or artifact of the journal is wrong."""

    def __init__(self, message: str, *, file: str | None = None,
                 cell: int | None = None, line: int | None = None,
                 at: Location | None = None):
        super().__init__(message)
        at = Location(at) if isinstance(at, str) else at or Location(file, cell, line)
        self.message, self.at = message, at
        self.file, self.cell, self.line = at.file, at.cell, at.line

    @property
    def where(self) -> str:
        return str(self.at)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class NotebookError(JournalError):
    """A notebook could not be read, run or verified."""


class PostError(JournalError):
    """A post refers to something that does not exist, or breaks a rule."""
