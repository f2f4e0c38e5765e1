"""The project's commands called inside the pytest process: the `journal`
command through its entry point, and the notebook plugin through pytester.
Each saves the seconds a Python process of its own spends on imports.

The plugin gathers a run's cells and collection errors in module-level lists,
and exports its kernels' thread settings into the environment; an inner run
gets fresh lists and its environment is put back afterwards, so neither what
it verifies nor its --journal-threads reaches the run that hosts it. It writes
its report into the pytester folder, never into the repository's reports/.
"""

import os
import signal

from journal import cli, pytest_notebooks


def journal(capture, *args):
    """`journal ARGS` through its entry point: (status, out, err) as ``capture``
    saw them (capsys; capfd for what the processes it starts print).

    `journal run` takes over SIGTERM for its own run; this process gets its
    handler back afterwards."""
    handler = signal.getsignal(signal.SIGTERM)
    try:
        status = cli.main([str(a) for a in args])
    finally:
        signal.signal(signal.SIGTERM, handler)
    out, err = capture.readouterr()
    return status, out, err


def run_plugin(pytester, monkeypatch, *args):
    """``pytest -p journal.pytest_notebooks ARGS`` in pytester's folder."""
    monkeypatch.setattr(pytest_notebooks, "_session_cells", [])
    monkeypatch.setattr(pytest_notebooks, "_session_claims", [])
    monkeypatch.setattr(pytest_notebooks, "_session_collect_errors", {})
    environ = dict(os.environ)
    try:
        # Plugins the notebooks do not use stay off: pytester forgets the modules
        # a run imported, and Hypothesis's would be imported and rewritten each time.
        return pytester.runpytest_inprocess(
            "-p", "journal.pytest_notebooks", "-p", "no:cacheprovider",
            "-p", "no:xdist", "-p", "no:hypothesispytest", "-q", "-rA",
            f"--journal-report={pytester.path / 'verification.json'}", *map(str, args))
    finally:
        os.environ.clear()
        os.environ.update(environ)
