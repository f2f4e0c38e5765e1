"""The site build the site tests share, and the notebook they verify for it.

A module of its own, not conftest.py: tests/browser has a conftest.py too, and
a test module that imported from "conftest" would get whichever was loaded
first.
"""

import os
import subprocess
import sys
from pathlib import Path

from journal import paths

VERIFIED_NOTEBOOK = paths.PROJECTS / "digits-baselines" / "digits-baselines.ipynb"


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
