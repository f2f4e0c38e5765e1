"""The `journal` command: run and check the journal's notebooks.

    journal run [PATH ...]     execute notebooks in place (atomically)
    journal check [PATH ...]   verify notebooks without writing (same as the tests)

Paths default to every notebook under projects/.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

from journal import execute, paths


def _notebooks(args_paths) -> list[Path]:
    if not args_paths:
        return paths.project_notebooks()
    found = []
    for p in map(Path, args_paths):
        if p.is_dir():
            found += paths.project_notebooks(p)
        elif p.suffix == ".ipynb":
            found.append(p)
        else:
            raise SystemExit(f"journal: {p}: not a notebook or folder")
    return found


def cmd_run(args) -> int:
    status = 0
    for path in _notebooks(args.paths):
        name = paths.display_path(path)
        start = time.perf_counter()

        def progress(index, cell):
            print(f"  {name} cell {index}", end="\r", flush=True)

        print(f"running {name}", flush=True)
        try:
            execute.run_in_place(path, threads=args.threads, on_cell=progress)
        except execute.NotebookError as err:
            print(f"\nerror: {err}\n  {name} left unchanged", file=sys.stderr)
            status = 1
            continue
        print(f"  {name}: done in {time.perf_counter() - start:.1f} s" + " " * 20)
    return status


def cmd_check(args) -> int:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    if args.threads:
        cmd.append(f"--journal-threads={args.threads}")
    cmd += [str(p) for p in _notebooks(args.paths)]
    return subprocess.call(cmd, cwd=paths.ROOT)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="journal", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, help_ in (
        ("run", cmd_run, "execute notebooks in place (atomically)"),
        ("check", cmd_check, "verify notebooks without writing"),
    ):
        p = sub.add_parser(name, help=help_)
        p.add_argument("paths", nargs="*", help="notebooks or folders (default: all)")
        p.add_argument("--threads", type=int, default=None,
                       help="CPU threads (default: $JOURNAL_THREADS or 1)")
        p.set_defaults(func=func)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
