"""What a project notebook says about itself: its title and one-line summary.

Both are written by the author in the notebook's metadata, beside the
provenance stamp that `journal run` keeps there (in Jupyter: Edit, Notebook
Metadata)::

    "metadata": {"journal": {"title": "Baselines on 8×8 digits",
                             "summary": "Four off-the-shelf classifiers ...", ...}}

Metadata is not code, so editing it needs no re-run (the notebook's checksum
changes, so the next `make test` verifies it again). A notebook without a
title goes by its first heading, or its file name; the test suite asks every
project for both. Notebook pages, the projects index, the links under embeds
and the re-run box all read them here.
"""

import posixpath

from journal import markdown_source
from journal.provenance import KEY  # the notebook metadata the journal owns


def title(nb, rel: str) -> str:
    """The project's title: its metadata, else its first heading, else its name."""
    given = nb.metadata.get(KEY, {}).get("title")
    if given:
        return given
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heading = markdown_source.first_heading(cell.source)
            if heading:
                return heading
    return posixpath.basename(rel).removesuffix(".ipynb").replace("-", " ").capitalize()


def summary(nb) -> str:
    return nb.metadata.get(KEY, {}).get("summary", "")
