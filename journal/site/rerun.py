"""The closed "Re-run this post" box at the end of a post that quotes notebooks.

It gives the commands that re-run the post's notebooks (clone, then ``make
test`` on those projects, or ``journal run``), a link to each notebook and its
``.ipynb``, and how long its cells took on which machine when last verified.
The box is Markdown inside ``<details markdown="1">`` with the journal's own
class (pages/stylesheets/journal.css), so it reads the same under any theme.
Why it has no hosted-notebook button: pages/site.md, "What the build adds".
"""

import posixpath

from journal import embed, project_info
from journal.errors import Location
from journal.site import projects, repository
from journal.verification import Status

SUMMARY = "Re-run this post"
NO_LAUNCH = (
    "There is no button to open these notebooks on a hosted notebook service: "
    "they import this repository's own `journal` and `snippets` packages and "
    "expect the exact versions in `requirements.lock`, which such a service "
    "would not install, so they would not run there."
)


def machine(entry: dict) -> str:
    """'AMD EPYC, 1 CPU thread' or 'NVIDIA H100 (cuda), on AMD EPYC'."""
    plat = entry.get("platform", {})
    cpu = plat.get("cpu") or "an unnamed CPU"
    threads = plat.get("threads")
    if plat.get("device", "cpu") == "cpu":
        return f"{cpu}, {threads} CPU thread{'s' if threads != 1 else ''}"
    return f"{plat['device']}, on {cpu}"


def last_run(check) -> str:
    """How long the notebook took when the test suite last verified it, and where."""
    if check.status is not Status.VERIFIED:
        return f"{check.status.value}, so there is no verified run time to quote"
    entry = check.entry
    seconds = entry.get("seconds", 0.0)
    took = f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    return (f"its cells took {took} on {machine(entry)} when the test suite last "
            f"verified it ({entry.get('date', '?')[:10]})")


def box(notebooks: list, ctx, repo_url: str | None) -> str:
    """The box for a post; ``notebooks`` is ``[(rel, nb, check)]`` in order of use.

    ``ctx`` is the post's `journal.embed.Context` (for links from the post).
    """
    if not notebooks:
        return ""
    folders = [posixpath.dirname(f"projects/{rel}") for rel, _, _ in notebooks]
    targets = " ".join(folders)
    clone = ([f"git clone {repository.clone_url(repo_url)}",
              f"cd {repository.folder_name(repo_url)}"] if repo_url else
             ["# in a copy of the journal's repository"])
    quoted = f'"{targets}"' if len(folders) > 1 else targets
    one = len(notebooks) == 1
    lines = [
        f'<details class="journal-rerun" markdown="1">',
        f"<summary>{SUMMARY}</summary>",
        "",
        "The outputs and numbers in this post come from "
        + ("the notebook" if one else "the notebooks")
        + " below, which the test suite re-runs and compares with what is published "
        f"here. To re-run {'it' if one else 'them'} yourself (Python 3.11, `git` "
        "and `make`):",
        "",
        "```sh",
        *clone,
        f"make test PYTEST_ARGS={quoted}",
        "```",
        "",
        "The first `make test` installs the locked dependencies into `.venv` (a few "
        f"minutes); then it re-executes {'the' if one else 'each'} notebook and "
        "compares every output with the published one. "
        f"`.venv/bin/journal run --force {targets}` re-runs "
        f"{'it' if one else 'them'} in place instead, rewriting "
        f"{'its' if one else 'their'} outputs.",
        "",
    ]
    for rel, nb, check in notebooks:
        page = ctx.rel_file(f"projects/{rel}")
        download = ctx.rel_url(projects.source_url(rel))
        lines.append(f"- [{embed.markdown_text(project_info.title(nb, rel))}]({page}) "
                     f'(<a href="{download}" download>.ipynb</a>): {last_run(check)}.')
    lines += ["", NO_LAUNCH, "", "</details>"]
    return "\n".join(lines)


def for_post(markdown: str, line_offset: int, ctx, cache, stamps, repo_url) -> str:
    """The box for the post ``ctx.source``: every notebook its markers name.

    ``cache`` is the build's `journal.embed.NotebookCache`, ``stamps`` its
    `journal.site.stamps.Verification`.
    """
    notebooks = []
    for rel in projects.notebooks_named(markdown, ctx.source, line_offset):
        nb = cache.get(rel, Location(ctx.source))
        notebooks.append((rel, nb, stamps.check(rel, nb)))
    return box(notebooks, ctx, repo_url)
