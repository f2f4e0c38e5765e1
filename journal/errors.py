"""The one error type of the journal's tooling: a message and where it applies.

Every message that points at a source file is built here, so all of them read
the same way: ``projects/x/x.ipynb cell 3: ...`` for a notebook cell (counting
code cells from 0, as `journal run` prints them) and ``posts/p.md:12: ...`` for
a line of a post.
"""


from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a source file: a notebook's code cell or a post's line."""

    file: str | None = None
    cell: int | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.file is None:
            return ""
        if self.line is not None:
            return f"{self.file}:{self.line}"
        if self.cell is not None:
            return f"{self.file} cell {self.cell}"
        return self.file


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
