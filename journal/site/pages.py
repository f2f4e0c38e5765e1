"""Files the site generates: every notebook figure as an image file, and the
Notebooks page that lists each notebook with its verification and its run."""

from mkdocs.structure.files import File

from journal import embed, paths, provenance
from journal.errors import Location

NOTEBOOKS_PAGE = "notebooks.md"


def generated_files(config, notebooks, stamps) -> list[File]:
    """Figures of every notebook under ``assets/embeds/``, and the notebooks page.

    Figures are real files named by their content, so `mkdocs build` writes
    them and `mkdocs serve` serves them.
    """
    found, seen = [], set()
    for _, nb in notebooks:
        for uri, content in embed.images_in(nb):
            if uri not in seen:
                seen.add(uri)
                found.append(File.generated(config, uri, content=content))
    found.append(File.generated(config, NOTEBOOKS_PAGE,
                                content=notebooks_page(notebooks, stamps)))
    return found


def notebooks_page(notebooks, stamps) -> str:
    """The site page listing every notebook with its verification and its run."""
    last = stamps.last_run()
    lines = [
        "# Notebooks",
        "",
        "Every project notebook, with what the test suite found when it last "
        "re-ran it and the run its committed outputs come from. "
        + (f"The last verification run wrote its report on {last[:10]}." if last
           else "No verification report was found for this build."),
        "",
    ]
    for rel, nb in notebooks:
        check = stamps.check(rel, nb)
        outputs = "outputs committed" if provenance.has_outputs(nb) else "no outputs"
        lines += [
            f"## [{rel.rsplit('/', 1)[-1].removesuffix('.ipynb')}](projects/{rel})",
            "",
            f"**{check.status.value}**, {outputs}.",
            "",
            stamps.stamp(rel, nb),
            "",
        ]
    if not notebooks:
        lines.append("No notebooks yet.")
    return "\n".join(lines) + "\n"


def notebook_page(html: str, nb, stamp: str) -> str:
    """A notebook page: the stamp under its title, ``hide-input`` cells folded.

    The stamp goes in as text after the first heading; the page is parsed only
    when a cell needs folding (notebook pages are large).
    """
    html = fold_hidden_inputs(html, nb)
    end = html.find("</h1>")
    if end == -1:
        return stamp + "\n" + html
    end += len("</h1>")
    return html[:end] + stamp + html[end:]


def fold_hidden_inputs(html: str, nb) -> str:
    """Wrap the input of every ``hide-input`` cell in a closed <details>."""
    hidden = [i for i, c in enumerate(nb.cells)
              if "hide-input" in c.get("metadata", {}).get("tags", [])]
    if not hidden:
        return html
    from bs4 import BeautifulSoup  # deferred: only pages with hidden inputs need it

    soup = BeautifulSoup(html, "html.parser")
    # mkdocs-jupyter nests two elements with the cell's classes: fold each input once.
    for inputs in soup.select(".jp-Cell.celltag_hide-input .jp-Cell-inputWrapper"):
        if inputs.find_parent("details", class_="journal-hidden-input"):
            continue
        details = soup.new_tag("details", attrs={"class": "journal-hidden-input"})
        summary = soup.new_tag("summary")
        summary.string = "code"
        inputs.wrap(details)
        details.insert(0, summary)
    return str(soup)


def project_notebooks(cache):
    """(path relative to projects/, notebook) for every readable project notebook."""
    for path in paths.project_notebooks():
        rel = path.relative_to(paths.PROJECTS).as_posix()
        yield rel, cache.get(rel, Location(paths.display_path(path)))
