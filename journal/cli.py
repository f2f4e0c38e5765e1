"""The `journal` command: write posts, start projects, run and check notebooks.

    journal new post "Title"     a dated post in posts/ with front matter
    journal new project NAME     projects/NAME/NAME.ipynb with the set-up cell
    journal run [PATH ...]       execute notebooks in place (atomically) and stamp
                                 them; skips those whose inputs did not change
    journal check [PATH ...]     verify notebooks without writing (same as the tests)
    journal drift [PATH ...]     verify them with other releases (`journal.drift`)

Paths default to every notebook under projects/.
"""

import argparse
import re
import signal
import subprocess
import sys
import time
import unicodedata
from datetime import date
from pathlib import Path

import nbformat

from journal import drift, execute, nbfile, paths, provenance, publish
from journal.errors import NotebookError

SETUP_CELL = "from journal.notebook import setup\n\ndevice = setup(seed=0)"
PROJECT_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _notebooks(args_paths) -> list[Path]:
    if not args_paths:
        return paths.project_notebooks()
    found = []
    for p in map(Path, args_paths):
        if p.is_dir():
            found += paths.project_notebooks(p)
        elif p.suffix == ".ipynb" and p.is_file():
            found.append(p)
        else:
            raise SystemExit(f"journal: {p}: not a notebook or folder")
    return found


# --- run ----------------------------------------------------------------------

def cmd_run(args) -> int:
    status = 0
    notebooks = _notebooks(args.paths)
    ran = 0
    for number, path in enumerate(notebooks, 1):
        name = paths.display_path(path)
        head = f"[{number}/{len(notebooks)}] {name}"
        try:
            nb = nbfile.read(path)
            execute.check_rules(nb, path)  # what the check will ask, before any cell
        except NotebookError as err:
            print(f"error: {err}", file=sys.stderr)
            status = 1
            continue
        if not args.force and provenance.status(nb) is provenance.Freshness.UP_TO_DATE:
            when = provenance.recorded(nb)["provenance"].get("date", "?")[:10]
            print(f"{head}: up to date (inputs unchanged since {when} run), skipped",
                  flush=True)
            continue
        total = len(nbfile.code_cells(nb))
        start = time.perf_counter()
        print(f"{head}: running {total} code cells", flush=True)

        def progress(label, name=name):
            print(f"  {name}, {label}", file=sys.stderr, flush=True)

        try:
            publish.run_in_place(path, threads=args.threads, on_cell=progress)
        except NotebookError as err:
            print(f"error: {err}\n  {name} left unchanged", file=sys.stderr)
            status = 1
            continue
        ran += 1
        print(f"{head}: done in {time.perf_counter() - start:.1f} s, stamped",
              flush=True)
    if not ran and status == 0:
        print("nothing to run: every notebook is up to date (use --force to re-run)")
    return status


# --- check --------------------------------------------------------------------

def cmd_check(args) -> int:
    # The repository's own configuration (plugin, sanitizer, warnings), even for
    # notebooks outside it: pytest would otherwise root itself at their folder.
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "-c", str(paths.ROOT / "pyproject.toml"), "--rootdir", str(paths.ROOT)]
    if args.threads:
        cmd.append(f"--journal-threads={args.threads}")
    cmd += [str(p) for p in _notebooks(args.paths)]
    return subprocess.call(cmd, cwd=paths.ROOT)


# --- new ----------------------------------------------------------------------

def slugify(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return "-".join(slug.split("-")[:8]) or "post"


def new_post(title: str, today: date | None = None, posts: Path = paths.POSTS) -> Path:
    """Create posts/YYYY-MM-DD-slug.md; refuses to overwrite."""
    title = title.strip()
    if not title:
        raise SystemExit("journal new post: the title is empty")
    today = today or date.today()
    path = posts / f"{today.isoformat()}-{slugify(title)}.md"
    if path.exists():
        raise SystemExit(f"journal new post: {paths.display_path(path)} already exists")
    posts.mkdir(parents=True, exist_ok=True)
    heading = title.replace("\n", " ")
    path.write_text(
        "---\n"
        "date:\n"
        f"  created: {today.isoformat()}\n"
        "categories:\n"
        "  - Notes\n"
        "tags: []\n"
        "draft: true\n"
        "---\n\n"
        f"# {heading}\n\n"
        "The first paragraph is the excerpt shown on the home page.\n\n"
        "<!-- more -->\n\n"
        "The rest of the post.\n",
        encoding="utf-8",
    )
    return path


def new_project(name: str, projects: Path = paths.PROJECTS) -> Path:
    """Create projects/NAME/NAME.ipynb whose first cell is the set-up cell."""
    if not PROJECT_NAME.match(name):
        raise SystemExit(f"journal new project: {name!r} is not a valid name: use "
                         f"lower-case letters, digits and single hyphens")
    folder = projects / name
    if folder.exists():
        raise SystemExit(f"journal new project: {paths.display_path(folder)} "
                         f"already exists")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    # What readers see on the site (journal.project_info): a title, and a one-line
    # summary for the author to write.
    title = name.replace("-", " ").capitalize()
    nb.metadata[provenance.KEY] = {"title": title, "summary": ""}
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {title}\n\n"
                                      "What this project sets out to find.",
                                      id="cell-00"),
        nbformat.v4.new_code_cell(SETUP_CELL, id="cell-01",
                                  metadata={"tags": ["setup"]}),
    ]
    folder.mkdir(parents=True)
    path = folder / f"{name}.ipynb"
    nbfile.write_atomic(nb, path)
    return path


def cmd_new(args) -> int:
    if args.kind == "post":
        path = new_post(args.name)
    else:
        path = new_project(args.name)
    print(f"created {paths.display_path(path)}")
    return 0


# --- entry point ----------------------------------------------------------------

def _terminate(signum, frame):
    """SIGTERM ends the run like Ctrl-C: the kernel is shut down, nothing written."""
    raise KeyboardInterrupt


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="journal", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new", help="create a post or a project")
    new.add_argument("kind", choices=("post", "project"))
    new.add_argument("name", help="the post's title, or the project's folder name")
    new.set_defaults(func=cmd_new)
    drift_p = sub.add_parser(
        "drift", help="verify the notebooks with the newest and the oldest allowed "
                      "releases, and name the package that moved a result")
    drift.add_arguments(drift_p)
    drift_p.set_defaults(func=drift.cmd_drift)
    for name, func, help_ in (
        ("run", cmd_run, "execute notebooks in place (atomically) and stamp them"),
        ("check", cmd_check, "verify notebooks without writing"),
    ):
        p = sub.add_parser(name, help=help_)
        p.add_argument("paths", nargs="*", help="notebooks or folders (default: all)")
        p.add_argument("--threads", type=int, default=None,
                       help="CPU threads (default: $JOURNAL_THREADS or 1)")
        if name == "run":
            p.add_argument("--force", action="store_true",
                           help="re-run even when the inputs did not change")
        p.set_defaults(func=func)
    args = parser.parse_args(argv)
    if args.command == "run":
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("\ninterrupted: the notebook being run was left unchanged",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
