"""The notebook plugin run inside this pytest process, through pytester: what
it collects, runs and reports, without paying for a Python process of its own.

The plugin gathers a run's cells and collection errors in module-level lists;
the inner run gets fresh ones (restored afterwards), so what it verifies never
reaches the report of the run that hosts it. It writes its own report into the
pytester folder, never into the repository's reports/.
"""

from journal import pytest_notebooks


def run_plugin(pytester, monkeypatch, *args):
    """``pytest -p journal.pytest_notebooks ARGS`` in pytester's folder, in process."""
    monkeypatch.setattr(pytest_notebooks, "_session_cells", [])
    monkeypatch.setattr(pytest_notebooks, "_session_claims", [])
    monkeypatch.setattr(pytest_notebooks, "_session_collect_errors", {})
    return pytester.runpytest_inprocess(
        "-p", "journal.pytest_notebooks", "-p", "no:cacheprovider", "-q", "-rA",
        f"--journal-report={pytester.path / 'verification.json'}", *map(str, args))
