"""``python -m mkdocs build`` and the like, in a child forked from a process that
has already imported MkDocs, its plugins and Jupyter's libraries.

A build of a small copy of the site spends most of its time importing those;
forked from a warm process, each build imports only the journal's own code, from
the copy it runs in (``journal`` is never imported here). What runs, with which
arguments, environment and folder, is what the same command line would run.

Standard library only: a child unpickles its work by importing this module.
"""

import atexit
import functools
import gc
import multiprocessing
import os
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path

# Imported once, in the server every child is forked from: what a build of the
# site imports before the journal's plugin (a module missing here is imported by
# the child, as usual, only slower).
PRELOAD = [
    "mkdocs.__main__", "mkdocs.commands.build", "mkdocs.config.defaults",
    "mkdocs.structure.pages",
    "material.plugins.blog.plugin", "material.plugins.search.plugin",
    "material.plugins.tags.plugin", "mkdocs_rss_plugin.plugin",
    "mkdocs_jupyter.plugin", "nbconvert", "nbconvert.exporters", "nbformat",
    "markdown", "markdown.extensions.toc", "markdown.extensions.tables",
    "markdown.extensions.footnotes", "markdown.extensions.md_in_html",
    "markdown.extensions.admonition", "markdown.extensions.attr_list",
    "pymdownx.superfences", "pymdownx.highlight", "pymdownx.inlinehilite",
    "pymdownx.arithmatex", "pymdownx.snippets", "pymdownx.details",
    "pygments.lexers.python", "pygments.formatters.html", "jinja2", "yaml",
    "markdown_it", "mdit_py_plugins.front_matter", "bs4", "nh3", "scipy.special",
    "numpy", "PIL.Image", "tinycss2", "math_core", "packaging.version",
]


# The garbage collector's thresholds in the test processes and in each child:
# higher than Python's default, which walks the heap of torch, scikit-learn or
# MkDocs hundreds of times a run. A small copy's build, without its cache, spends
# 7-10% of its CPU time in the collector with Python's defaults, about 4% like
# this (0.10-0.16 s against 0.04-0.07 s on one 2-core machine; the seconds vary
# with the machine). Collection still runs, only less often: what runs computes
# the same.
GC_THRESHOLD = (20_000, 50, 100)


@functools.cache
def _forkserver():
    """The forkserver context, its server started with ``PRELOAD`` imported."""
    # Read at import by Material's templates (a banner otherwise).
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def run(args: list[str], *, cwd: Path, env: dict[str, str],
        timeout: float) -> subprocess.CompletedProcess:
    """``[sys.executable, *args]`` run in ``cwd`` with ``env``, as
    `subprocess.run` with ``capture_output=True, text=True`` runs it; ``args``
    is ``["-m", module, ...]`` or ``["-c", code, ...]``."""
    if args[0] not in ("-m", "-c"):
        raise ValueError(f"only -m and -c are run forked, not {args[0]!r}")
    with tempfile.TemporaryDirectory() as folder:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        child = _forkserver().Process(
            target=_child, args=(list(args), str(cwd), dict(env), str(out), str(err)))
        child.start()
        child.join(timeout)
        if child.exitcode is None:
            child.kill()
            child.join()
            raise subprocess.TimeoutExpired([sys.executable, *args], timeout)
        return subprocess.CompletedProcess(
            [sys.executable, *args], child.exitcode,
            out.read_text(errors="replace"), err.read_text(errors="replace"))


def _child(args, cwd, env, out, err):
    gc.set_threshold(*GC_THRESHOLD)
    for fd, path in ((1, out), (2, err)):
        file = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(file, fd)
        os.close(file)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    # As the interpreter would start: the folder (or "") first, then PYTHONPATH,
    # then the interpreter's own (not the folders the test process added).
    extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    own = [p for p in sys.path if p.startswith((sys.prefix, sys.base_prefix))]
    sys.path[:] = [cwd if args[0] == "-m" else "", *extra, *own]
    assert "journal" not in sys.modules, "the server imported the journal's code"
    code = 0
    try:
        if args[0] == "-m":
            sys.argv = [args[1], *args[2:]]
            runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = ["-c", *args[2:]]
            exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})
    except SystemExit as stop:
        code = stop.code
    finally:
        # What a process runs at exit (temporary folders, logging): a
        # multiprocessing child ends in os._exit, which skips it.
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    sys.exit(code or 0)
