"""What a project notebook says about itself: its title and one-line summary.

The author writes both in the notebook's metadata, beside the provenance stamp
that `journal run` keeps there (in Jupyter: Edit, Notebook Metadata)::

    "metadata": {"journal": {"title": "Baselines on 8×8 digits", "summary": "..."}}

`title` falls back to the first heading, then the file name. Notebook pages, the
projects index, the links under embeds and the re-run box read them here. Why
editing them needs no re-run: the site's "How the code is arranged" page.
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
