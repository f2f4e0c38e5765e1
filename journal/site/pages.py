"""Files the site generates: every notebook figure as an image file, the
Projects index (each project's title, summary, last verification and posts) and
the Notebooks page (each notebook's verification and its run) and the "Still
reproducible?" page of the last drift check (`journal.drift`). Notebook titles
and summaries are text: escaped, and shielded from pymdownx.snippets."""

import posixpath

from mkdocs.structure.files import File

from journal import drift, embed, paths, project_info, provenance, snippet_quotes
from journal.errors import Location
from journal.site import projects
from journal.verification import Status

NOTEBOOKS_PAGE = "notebooks.md"
STILL_PAGE = drift.PAGE_NAME


def generated_files(config, notebooks, stamps, used, drift_report=None) -> list[File]:
    """Figures of every notebook under ``assets/embeds/``, and the two index pages.

    Figures are real files named by their content, so `mkdocs build` writes
    them and `mkdocs serve` serves them. ``used`` maps a notebook to the posts
    that use it (`journal.site.projects.posts_using`).
    """
    found, seen = [], set()
    for _, nb in notebooks:
        for uri, content in embed.images_in(nb):
            if uri not in seen:
                seen.add(uri)
                found.append(File.generated(config, uri, content=content))
    found.append(File.generated(config, NOTEBOOKS_PAGE,
                                content=notebooks_page(notebooks, stamps)))
    found.append(File.generated(config, projects.INDEX,
                                content=projects_page(notebooks, stamps, used)))
    found.append(File.generated(config, STILL_PAGE, content=still_page(drift_report)))
    return found


def still_page(drift_report: dict | None) -> str:
    """The last drift check as a page; everything a run printed is escaped."""
    if drift_report is None:
        return drift.unchecked_page()
    return snippet_quotes.shield(drift.render_page(drift_report, drift.browser_versions()))


def verified_on(check) -> str:
    """When the test suite last vouched for a notebook, as the index says it."""
    date = (check.entry or {}).get("date", "?")[:10]
    return {Status.VERIFIED: f"Last verified {date}",
            Status.CHANGED: f"Changed since its last verification ({date})",
            Status.FAILED: f"Failed its last verification ({date})",
            Status.MISSING: "Not verified yet"}[check.status]


def projects_page(notebooks, stamps, used) -> str:
    """The Projects index: every project's title, summary, verification and posts."""
    lines = [
        "# Projects",
        "",
        "Each project is one notebook: the code behind a post's numbers and "
        "figures, with the outputs it printed. The test suite re-runs every one "
        "of them and compares what it gets with what is published.",
        "",
    ]
    here = posixpath.dirname(projects.INDEX)
    for rel, nb in projects.in_reading_order(notebooks, used):
        posts = ", ".join(f"[{post.title}]({posixpath.relpath(post.src_uri, here)})"
                          for post in used.get(rel, []))
        page = posixpath.relpath(f"projects/{rel}", here)
        lines += [
            f"## [{embed.markdown_text(project_info.title(nb, rel))}]({page})",
            "",
            *([embed.markdown_text(project_info.summary(nb)), ""]
              if project_info.summary(nb) else []),
            f"{verified_on(stamps.check(rel, nb))}. "
            + (f"Used in {posts}." if posts else "Not used in a post yet.")
            + "\n{ .journal-used-in }",
            "",
        ]
    if not notebooks:
        lines.append("No projects yet.")
    return snippet_quotes.shield("\n".join(lines) + "\n")


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
            f"## [{embed.markdown_text(project_info.title(nb, rel))}](projects/{rel})",
            "",
            f"`projects/{rel}`",
            "",
            f"**{check.status.value}**, {outputs}.",
            "",
            stamps.stamp(rel, nb),
            "",
        ]
    if not notebooks:
        lines.append("No notebooks yet.")
    return snippet_quotes.shield("\n".join(lines) + "\n")


def project_notebooks(cache):
    """(path relative to projects/, notebook) for every readable project notebook."""
    for path in paths.project_notebooks():
        rel = path.relative_to(paths.PROJECTS).as_posix()
        yield rel, cache.get(rel, Location(paths.display_path(path)))
