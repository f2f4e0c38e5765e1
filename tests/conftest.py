"""Shared fixtures for the unit tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from journal import paths

# Notebooks kept as bad-input fixtures are data, not project notebooks.
collect_ignore_glob = ["fixtures/*"]


# --- one verified notebook and one site build, shared by the site tests --------

VERIFIED_NOTEBOOK = paths.PROJECTS / "digits-baselines" / "digits-baselines.ipynb"


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


def build_site(dest: Path, reports: Path, *, allow_unverified: bool = True,
               strict: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "JOURNAL_REPORTS": str(reports)}
    env.pop("JOURNAL_ALLOW_UNVERIFIED", None)
    if allow_unverified:
        env["JOURNAL_ALLOW_UNVERIFIED"] = "1"
    mkdocs = str(Path(sys.executable).with_name("mkdocs"))
    return subprocess.run([mkdocs, "build", *(["--strict"] if strict else []),
                           "--site-dir", str(dest)], cwd=paths.ROOT,
                          capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory, reports_dir) -> Path:
    """The site, built once per test process (strict, unverified pages bannered)."""
    out = tmp_path_factory.mktemp("site")
    result = build_site(out, reports_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WARNING" not in result.stderr, result.stderr
    return out
