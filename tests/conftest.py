"""Shared fixtures for the unit tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from built_site import VERIFIED_NOTEBOOK, build_site
from journal import paths
from journal.live import dist

# Notebooks kept as bad-input fixtures are data, not project notebooks.
collect_ignore_glob = ["fixtures/*"]

# Sites that tests build from copies of the repository take the pinned Pyodide
# from this checkout's cache (`make setup` fetched it) instead of fetching again.
os.environ.setdefault(dist.CACHE_ENV, str(dist.default_cache()))


# --- one verified notebook and one site build, shared by the site tests --------

@pytest.fixture(scope="session")
def reports_dir(tmp_path_factory) -> Path:
    """A verification report in which one real notebook was really re-run.

    The site tests must not depend on whether `make test` has already written
    reports/ on this machine, so they verify one notebook into a folder of
    their own; the other notebooks have no entry there and show as such.
    """
    folder = tmp_path_factory.mktemp("reports")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "journal.pytest_notebooks", "-p",
         "no:cacheprovider", "-p", "no:xdist", "-q", str(VERIFIED_NOTEBOOK),
         f"--journal-report={folder / 'verification.json'}"],
        cwd=paths.ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return folder


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory, reports_dir) -> Path:
    """The site, built once per test process (strict, unverified pages bannered)."""
    out = tmp_path_factory.mktemp("site")
    result = build_site(out, reports_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WARNING" not in result.stderr, result.stderr
    return out
