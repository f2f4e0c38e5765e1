"""The record a verification run leaves, and what the site reads from it.

`make test` (the pytest plugin) writes ``reports/verification.json``: for each
notebook checked, each cell's verdict, what was compared and within which
tolerance, what was not verified and why, timings, platform, versions, commit
and date, the verdicts on the claims posts make on it, and the notebook's
SHA-256 and inputs fingerprint (`journal.provenance`). `status` tells the site
whether a page may say "verified": the entry exists, passed, and matches the
notebook as it is now. See the site's "How the numbers are checked" page.
"""

import hashlib
import json
import os
import platform
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

from journal import nbfile, paths, provenance, runtime

FORMAT = 1
REPORTS_VARIABLE = "JOURNAL_REPORTS"  # another folder for the reports (tests use it)


def reports_dir() -> Path:
    return Path(os.environ.get(REPORTS_VARIABLE) or paths.ROOT / "reports")


def report_file() -> Path:
    return reports_dir() / "verification.json"



class Status(Enum):
    VERIFIED = "verified"
    FAILED = "failed"
    MISSING = "not verified"
    CHANGED = "changed since verified"


@dataclass(frozen=True)
class Check:
    """One notebook's verification, as the site needs it."""

    status: Status
    entry: dict | None
    reason: str


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def platform_record(threads: int) -> dict:
    device = os.environ.get("JOURNAL_DEVICE") or "cpu"
    return {
        "cpu": runtime.cpu_model(), "threads": threads, "device": device,
        "os": f"{sys.platform}-{platform.machine()}",
        "python": platform.python_version(),
        **{name: runtime.installed_version(name) for name in ("torch", "numpy", "nbval")},
    }


def notebook_entry(notebook: str, cells: list[dict], error: str | None,
                   threads: int, date: str, commit: str | None,
                   claims: list[dict] = ()) -> dict:
    path = paths.ROOT / notebook
    nb = nbfile.read(path)
    datasets = provenance.recorded(nb).get("provenance", {}).get("datasets", {})
    cells = sorted(cells, key=lambda c: c["cell"])
    outputs = sum(c["outputs"] for c in cells)
    verified = sum(c["outputs"] for c in cells if c["passed"] and not c["exempt"])
    passed = error is None and bool(cells) and all(c["passed"] or c["skipped"]
                                                   for c in cells)
    return {
        "verdict": "passed" if passed else "failed",
        "error": error,
        "date": date, "commit": commit,
        "platform": platform_record(threads),
        "notebook_sha256": file_sha256(path),
        "inputs": provenance.inputs(nb, datasets)["fingerprint"],
        "seconds": round(sum(c.get("seconds", 0.0) for c in cells), 2),
        "outputs": {"total": outputs, "verified": verified},
        "unverified": [f"{c.get('label', 'code cell %d' % (c['cell'] + 1))}: {u}"
                       for c in cells for u in c["unverified"]],
        "cells": [{k: c[k] for k in ("cell", "passed", "skipped", "exempt", "seconds",
                                     "checked", "unverified", "problems")}
                  for c in cells],
        # the posts' claims on this notebook, judged on this run's runs
        "claims": sorted(({k: v for k, v in c.items() if k != "notebook"}
                          for c in claims), key=lambda c: (c["post"], c["line"])),
    }


def write(report_file: Path, cells: list[dict], collect_errors: dict[str, str],
          threads: int, claims: list[dict] = ()) -> dict:
    """Merge this test run's verdicts into ``report_file`` (other notebooks kept)."""
    report = load(report_file)
    date = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    commit = provenance.git_commit()
    by_notebook: dict[str, list[dict]] = {}
    for cell in cells:
        by_notebook.setdefault(cell["notebook"], []).append(cell)
    for notebook in sorted(set(by_notebook) | set(collect_errors)):
        if Path(notebook).is_absolute() or not (paths.ROOT / notebook).is_file():
            continue  # a notebook outside the repository: nothing to publish
        report["notebooks"][notebook] = notebook_entry(
            notebook, by_notebook.get(notebook, []), collect_errors.get(notebook),
            threads, date, commit,
            [c for c in claims if c["notebook"] == notebook])
    report["date"] = date
    report_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = report_file.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, report_file)
    return report


def load(*files: Path) -> dict:
    """The merged report of one or more files (newest entry per notebook wins)."""
    merged = {"format": FORMAT, "notebooks": {}, "date": None}
    for file in files or (report_file(),):
        try:
            data = json.loads(Path(file).read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f"{paths.display_path(Path(file))}: not a verification "
                             f"report: {err}") from err
        for name, entry in data.get("notebooks", {}).items():
            old = merged["notebooks"].get(name)
            if old is None or entry.get("date", "") >= old.get("date", ""):
                merged["notebooks"][name] = entry
        merged["date"] = max(filter(None, [merged["date"], data.get("date")]), default=None)
    return merged


def report_files(folder: Path | None = None) -> list[Path]:
    """Every verification report in ``reports/``."""
    return sorted((folder or reports_dir()).glob("verification*.json"))


def status(path: Path, nb, report: dict) -> Check:
    """Whether the report vouches for the notebook at ``path`` as it is now."""
    name = paths.display_path(path)
    entry = report.get("notebooks", {}).get(name)
    if entry is None:
        return Check(Status.MISSING, None, f"{name} has no entry in the verification "
                                           f"report; run `make test`")
    if entry.get("verdict") != "passed":
        return Check(Status.FAILED, entry, f"{name} failed verification on "
                                           f"{entry.get('date', '?')[:10]}")
    if entry.get("notebook_sha256") != file_sha256(path):
        return Check(Status.CHANGED, entry, f"{name} changed after it was verified; "
                                            f"run `make test`")
    datasets = provenance.recorded(nb).get("provenance", {}).get("datasets", {})
    if entry.get("inputs") != provenance.inputs(nb, datasets)["fingerprint"]:
        return Check(Status.CHANGED, entry, f"the code {name} depends on changed after "
                                            f"it was verified; run `make test`")
    return Check(Status.VERIFIED, entry, "")


def summary(entry: dict) -> str:
    """One line: verified DATE at COMMIT on N CPU threads: V/T outputs within tolerance."""
    plat = entry.get("platform", {})
    threads = plat.get("threads")
    where = (f"{threads} CPU thread{'s' if threads != 1 else ''}" if plat.get("device",
             "cpu") == "cpu" else plat.get("device"))
    commit = entry.get("commit") or "an uncommitted tree"
    out = entry.get("outputs", {})
    line = (f"verified {entry.get('date', '?')[:10]} at `{commit}` on {where}: "
            f"{out.get('verified', 0)}/{out.get('total', 0)} outputs within tolerance")
    if entry.get("unverified"):
        line += f", {len(entry['unverified'])} parts not verified (see details)"
    return line
