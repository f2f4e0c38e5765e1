"""Whether the published results still hold with releases other than the lock's.

    journal drift [PATH ...]        (make drift)

Verifies the notebooks as ``make test`` does, in throwaway venvs under
``.cache/drift/``, with the newest and the oldest releases pyproject.toml
allows; for each output that moves, names the first direct dependency whose
upgrade from the lock moves it (`attribute`). Writes ``reports/drift.json`` and
the "Still reproducible?" page (`render_page`) and prints what to re-run and
re-read (`advice`). How it works and when to run it: the site's "How the
numbers are checked" page (pages/verification.md).
"""

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from journal import embed, paths, verification
from journal.live import bundle, dist

CACHE = paths.ROOT / ".cache" / "drift"
PYPROJECT = paths.ROOT / "pyproject.toml"
REPORT_NAME = "drift.json"
PAGE_NAME = "still-reproducible.md"
FORMAT = 1

LOCK, NEWEST, OLDEST = "lock", "newest", "oldest"
SETS = (NEWEST, OLDEST)
TITLES = {LOCK: "lock", NEWEST: "newest releases", OLDEST: "oldest allowed"}
STEPWISE = "stepwise"           # the environment upgraded one package at a time

PIP_TIMEOUT_S = 1800            # one install or resolution
VERIFY_TIMEOUT_S = 3600         # one verification of the notebooks asked for
KEPT = {"pip", "setuptools", "wheel"}   # what a new venv brings; never removed


class EnvError(Exception):
    """A set of versions that could not be resolved or installed."""


# -- what to install -------------------------------------------------------------

def direct_requirements(pyproject: Path = PYPROJECT) -> list[Requirement]:
    """The ``[project] dependencies`` of pyproject.toml, in their order."""
    try:
        deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
        return [Requirement(d) for d in deps]
    except (OSError, KeyError, tomllib.TOMLDecodeError, ValueError) as err:
        raise SystemExit(f"journal drift: {paths.display_path(pyproject)}: no usable "
                         f"[project] dependencies ({err})")


def lower_bound(req: Requirement) -> str | None:
    """The oldest version a requirement allows, as written (``>=1.5`` -> ``1.5``)."""
    for spec in req.specifier:
        if spec.operator in ("==", "===", ">=", "~="):
            return spec.version
    return None


def specs_for(kind: str, direct: list[Requirement]) -> list[str]:
    """pip requirements for the newest or the oldest allowed set."""
    if kind == NEWEST:
        return [str(r) for r in direct]
    out = []
    for r in direct:
        low = lower_bound(r)
        marker = f"; {r.marker}" if r.marker else ""
        out.append(f"{r.name}=={low}{marker}" if low else str(r))
    return out


def read_pins(lock: Path = paths.LOCK_FILE, text: str | None = None) -> dict[str, str]:
    """``name==version`` lines of requirements.lock (or of ``text``), by canonical name."""
    pins = {}
    text = lock.read_text(encoding="utf-8") if text is None else text
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep:
            raise SystemExit(f"journal drift: {paths.display_path(lock)}:{number}: "
                             f"expected name==version, got {line!r}")
        pins[canonicalize_name(name)] = version.strip()
    return pins


def verified_lock(report_date: str | None, lock: Path = paths.LOCK_FILE,
                  committed: str | None = None) -> tuple[dict[str, str], str]:
    """The pins the lock's verdicts were made with, and where they come from.

    After ``make lock`` the file holds the new pins while the verification
    report still speaks for the old ones: when the file is newer than the
    report, the committed lock (``committed``, read from git by default) is the
    one to start upgrading from.
    """
    when = datetime.fromtimestamp(lock.stat().st_mtime, timezone.utc)
    stale = report_date is not None and when.strftime("%Y-%m-%dT%H:%M:%SZ") > report_date
    if stale and committed is None:
        shown = subprocess.run(["git", "show", f"HEAD:{paths.display_path(lock)}"],
                               cwd=paths.ROOT, capture_output=True, text=True)
        committed = shown.stdout if shown.returncode == 0 else None
    if stale and committed and committed != lock.read_text(encoding="utf-8"):
        return read_pins(lock, committed), (f"the committed {lock.name} (the file changed "
                                            f"after the verification report)")
    return read_pins(lock), lock.name


# -- the environments --------------------------------------------------------------

@dataclass
class Resolution:
    pins: dict[str, str] | None              # None: could not be resolved
    unresolved: dict[str, str] = field(default_factory=dict)  # package -> why
    error: str | None = None


class Runner(Protocol):
    """What the check needs from environments (tests pass a fake)."""

    def resolve(self, specs: list[str]) -> Resolution: ...
    def releases(self, name: str) -> list[str]: ...
    def prepare(self, env: str, pins: dict[str, str]) -> dict[str, str]: ...
    def upgrade(self, env: str, requirement: str) -> dict[str, str]: ...
    def verify(self, env: str, notebooks: list[str]) -> dict[str, dict]: ...


def _tail(text: str, lines: int = 6) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " / ".join(kept[-lines:])[:1200]


def _pip_problem(text: str) -> str:
    """The lines of pip's output that say what went wrong."""
    keys = ("error", "conflict", "cannot install", "no matching", "could not find",
            "requires", "because")
    noise = ("warning:", "ignored the following versions", "location 'file:")
    found = [line.strip() for line in text.splitlines()
             if any(k in line.lower() for k in keys)
             and not any(n in line.lower() for n in noise)]
    return " / ".join(found[-8:])[:1200] or _tail(text)


class Venvs:
    """Virtual environments under ``cache/venvs/``, one per set of versions."""

    def __init__(self, cache: Path = CACHE, threads: int = 1,
                 python: str = sys.executable, log=print):
        self.cache, self.threads, self.python, self.log = cache, threads, python, log

    def _path(self, env: str) -> Path:
        return self.cache / "venvs" / env

    def _bin(self, env: str, name: str) -> str:
        return str(self._path(env) / "bin" / name)

    def _run(self, cmd: list[str], timeout: int = PIP_TIMEOUT_S, **kwargs):
        env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  env=kwargs.pop("env", env), **kwargs)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(cmd, 124, "", f"timed out after {timeout} s")

    def resolve(self, specs: list[str]) -> Resolution:
        with tempfile.TemporaryDirectory(prefix="drift-") as tmp:
            out = Path(tmp) / "resolution.json"
            done = self._run([self.python, "-m", "pip", "install", "--dry-run", "--quiet",
                              "--ignore-installed", "--report", str(out), *specs])
            if done.returncode == 0:
                items = json.loads(out.read_text(encoding="utf-8"))["install"]
                return Resolution({canonicalize_name(i["metadata"]["name"]):
                                   i["metadata"]["version"] for i in items})
        problem = _pip_problem(done.stdout + done.stderr)
        unresolved = {}
        for spec in specs:   # which requirement cannot be met even on its own
            alone = self._run([self.python, "-m", "pip", "install", "--dry-run", "--quiet",
                               "--ignore-installed", "--no-deps", spec])
            if alone.returncode != 0:
                unresolved[spec] = _pip_problem(alone.stdout + alone.stderr)
        return Resolution(None, unresolved, problem)

    def releases(self, name: str) -> list[str]:
        """Every version of ``name`` the index offers (pip's ``index versions``)."""
        done = self._run([self.python, "-m", "pip", "index", "versions", name])
        for line in done.stdout.splitlines():
            if line.startswith("Available versions:"):
                return [v.strip() for v in line.split(":", 1)[1].split(",") if v.strip()]
        return []

    def freeze(self, env: str) -> dict[str, str]:
        done = self._run([self._bin(env, "python"), "-m", "pip", "list", "--format=json"])
        if done.returncode != 0:
            raise EnvError(f"pip list failed in {env}: {_tail(done.stderr)}")
        return {canonicalize_name(p["name"]): p["version"] for p in json.loads(done.stdout)
                if canonicalize_name(p["name"]) not in KEPT}

    def prepare(self, env: str, pins: dict[str, str]) -> dict[str, str]:
        """The venv ``env`` holding exactly ``pins`` (reused when it already does)."""
        venv, wanted = self._path(env), "".join(f"{n}=={v}\n" for n, v in sorted(pins.items()))
        marker = venv / "drift-pins.txt"
        if marker.is_file() and marker.read_text(encoding="utf-8") == wanted:
            self.log(f"  {env}: reusing {paths.display_path(venv)}")
            return self.freeze(env)
        if not (venv / "bin" / "python").exists():
            shutil.rmtree(venv, ignore_errors=True)
            venv.parent.mkdir(parents=True, exist_ok=True)
            made = self._run([self.python, "-m", "venv", str(venv)])
            if made.returncode != 0:
                raise EnvError(f"could not create a venv: {_tail(made.stderr)}")
        marker.unlink(missing_ok=True)
        wanted_file = venv / "drift-wanted.txt"
        wanted_file.write_text(wanted, encoding="utf-8")
        self.log(f"  {env}: installing {len(pins)} packages into "
                 f"{paths.display_path(venv)}")
        done = self._run([self._bin(env, "python"), "-m", "pip", "install", "--quiet",
                          "--no-deps", "-r", str(wanted_file)])
        if done.returncode != 0:
            raise EnvError(f"could not install: {_pip_problem(done.stdout + done.stderr)}")
        extra = sorted(set(self.freeze(env)) - set(pins))
        if extra:
            self._run([self._bin(env, "python"), "-m", "pip", "uninstall", "--quiet",
                       "-y", *extra])
        marker.write_text(wanted, encoding="utf-8")
        return self.freeze(env)

    def upgrade(self, env: str, requirement: str) -> dict[str, str]:
        (self._path(env) / "drift-pins.txt").unlink(missing_ok=True)
        done = self._run([self._bin(env, "python"), "-m", "pip", "install", "--quiet",
                          requirement])
        if done.returncode != 0:
            raise EnvError(_pip_problem(done.stdout + done.stderr))
        versions = self.freeze(env)
        (self._path(env) / "drift-pins.txt").write_text(
            "".join(f"{n}=={v}\n" for n, v in sorted(versions.items())), encoding="utf-8")
        return versions

    def verify(self, env: str, notebooks: list[str]) -> dict[str, dict]:
        """`make test`'s verification of ``notebooks`` with the venv's packages."""
        venv = self._path(env)
        with tempfile.TemporaryDirectory(prefix="drift-") as tmp:
            values_file, report_file = Path(tmp) / "values.json", Path(tmp) / "report.json"
            cmd = [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p",
                   "no:cacheprovider", "-c", str(PYPROJECT), "--rootdir", str(paths.ROOT),
                   "-p", "journal.drift_capture", f"--drift-values={values_file}",
                   f"--journal-report={report_file}", f"--journal-threads={self.threads}",
                   "--nbval-current-env", *notebooks]
            env_vars = {k: v for k, v in os.environ.items()
                        if k not in ("JOURNAL_REPORTS", "PYTHONHOME")}
            # The journal and snippets from this checkout; everything else the venv's.
            env_vars["PYTHONPATH"] = str(paths.ROOT)
            env_vars["VIRTUAL_ENV"] = str(venv)
            env_vars["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
            self.log(f"  {env}: verifying {len(notebooks)} notebook(s)")
            done = self._run(cmd, timeout=VERIFY_TIMEOUT_S, cwd=paths.ROOT, env=env_vars)
            try:
                found = verification.load(report_file)
                values = (json.loads(values_file.read_text(encoding="utf-8"))
                          if values_file.is_file() else {})
            except (ValueError, OSError) as err:
                found, values = {"notebooks": {}}, {}
                done.stdout += f"\n{err}"
        return notebook_results(notebooks, found, values, _tail(done.stdout + done.stderr))


# -- verdicts --------------------------------------------------------------------------

def column(entry: dict | None, values: dict | None = None, missing: str = "") -> dict:
    """One notebook's verdict under one set, from its verification report entry
    and (when the drift plugin ran) the values its cells reproduced."""
    if entry is None:
        return {"verdict": "error", "error": missing, "outputs": None, "cells": []}
    values = values or {}
    cells = []
    for c in entry.get("cells", []):
        v = values.get(str(c["cell"]), {})
        cells.append({"cell": c["cell"], "passed": bool(c["passed"] or c["skipped"]),
                      "problems": list(c.get("problems", [])), "error": v.get("error"),
                      "id": v.get("id"), "tags": v.get("tags", []),
                      "metrics": v.get("metrics", [])})
    error = entry.get("error") or next((c["error"] for c in cells if c["error"]), None)
    out = entry.get("outputs", {})
    return {"verdict": "passed" if entry.get("verdict") == "passed" else "failed",
            "error": error, "date": entry.get("date"),
            "outputs": {"total": out.get("total", 0), "reproduced": out.get("verified", 0)},
            "cells": cells}


def notebook_results(notebooks: list[str], found: dict, values: dict,
                     failure: str) -> dict[str, dict]:
    return {nb: column(found.get("notebooks", {}).get(nb), values.get(nb),
                       missing=f"the verification did not report on it: {failure}")
            for nb in notebooks}


def moves(lock: dict, other: dict) -> list[dict]:
    """What reproduces under the lock and not under ``other``: one entry per
    metric that moved (with how far), or per cell when no metric says more."""
    if lock.get("verdict") != "passed" or other.get("verdict") == "passed":
        return []
    if not other.get("cells"):
        return [{"cell": None, "what": f"does not run: {other.get('error') or '?'}",
                 "published": None, "reproduced": None, "by": None}]
    found = []
    for cell in other["cells"]:
        if cell["passed"]:
            continue
        moved = [m for m in cell.get("metrics", []) if not m.get("reproduced_ok")]
        for m in moved:
            by = (None if m.get("reproduced") is None
                  else abs(m["reproduced"] - m["published"]))
            found.append({"cell": cell["cell"], "what": m["name"], "metric": True,
                          "published": m["published"], "reproduced": m.get("reproduced"),
                          "by": by, "tags": cell.get("tags", []), "id": cell.get("id")})
        if not moved:
            what = (f"raises {cell['error']}" if cell.get("error") else
                    (cell["problems"] or ["output differs"])[0])
            found.append({"cell": cell["cell"], "what": what, "published": None,
                          "reproduced": None, "by": None,
                          "tags": cell.get("tags", []), "id": cell.get("id")})
    return found


def same_release(a: str | None, b: str | None) -> bool:
    """Two versions of the same release (``2.13.0`` and its build ``2.13.0+cpu``)."""
    if a is None or b is None:
        return a == b
    try:
        return Version(a).public == Version(b).public
    except InvalidVersion:
        return a == b


def oldest_release(req: Requirement, versions: list[str]) -> str | None:
    """The oldest final release that ``req``'s range allows."""
    allowed = []
    for v in versions:
        try:
            parsed = Version(v)
        except InvalidVersion:
            continue
        if not parsed.is_prerelease and req.specifier.contains(parsed):
            allowed.append(parsed)
    return str(min(allowed)) if allowed else None


def changed(before: dict[str, str], after: dict[str, str]) -> dict[str, list]:
    """Packages whose version differs: name -> [before, after] (None: absent)."""
    return {n: [before.get(n), after.get(n)] for n in sorted(set(before) | set(after))
            if before.get(n) != after.get(n)}


# -- which package moved it ---------------------------------------------------------------

def output_key(move: dict) -> tuple:
    """Which output a move is about: a metric by name, anything else by its cell."""
    return move.get("cell"), move["what"] if move.get("metric") else None


def attribute(runner: Runner, targets: dict[str, list[dict]], lock_columns: dict[str, dict],
              direct: list[Requirement], lock_pins: dict[str, str],
              target_pins: dict[str, str], log=print) -> dict[str, dict]:
    """For each moved output (``targets``: the moves of each drifted notebook),
    the first direct dependency whose change from the lock to its version in
    ``target_pins`` (the earlier ones already changed) moves it.

    Per notebook: the first cause (``package``, ``old``, ``new``, ``with``: what
    pip changed along with it, ``moves``), later causes in ``more``, and the
    outputs no single change moved in ``unexplained``. A notebook is re-run
    until each of its moved outputs has a cause, or the list is exhausted.
    """
    result: dict[str, dict] = {}
    try:
        before = runner.prepare(STEPWISE, lock_pins)
    except EnvError as err:
        return {nb: {"package": None, "note": f"the lock could not be installed: {err}"}
                for nb in targets}
    pending = {nb: {output_key(m) for m in found} for nb, found in targets.items()}
    causes: dict[str, list[dict]] = {nb: [] for nb in targets}
    tried = []
    for req in direct:
        remaining = [nb for nb in targets if pending[nb]]
        if not remaining:
            break
        name = canonicalize_name(req.name)
        old, new = lock_pins.get(name), target_pins.get(name)
        if new is None or same_release(old, new):
            continue
        log(f"  {req.name} {old} -> {new}")
        try:
            after = runner.upgrade(STEPWISE, f"{req.name}=={new}")
        except EnvError as err:
            tried.append(f"{req.name} {new} could not be installed over the lock: {err}")
            continue
        brought = {n: v for n, v in changed(before, after).items() if n != name}
        tried.append(f"{req.name} {old} -> {new}")
        runs = runner.verify(STEPWISE, remaining)
        for nb in remaining:
            found = [m for m in moves(lock_columns[nb], runs[nb])
                     if output_key(m) in pending[nb]]
            if found:
                causes[nb].append({"package": req.name, "old": old, "new": new,
                                   "with": brought, "moves": found})
                pending[nb] -= {output_key(m) for m in found}
        before = after
    for nb, found in targets.items():
        unexplained = [m for m in found if output_key(m) in pending[nb]]
        if causes[nb]:
            result[nb] = {**causes[nb][0], "more": causes[nb][1:],
                          "unexplained": unexplained}
        else:
            result[nb] = {"package": None, "note": (
                "no single change of a direct dependency moved it: it moves only with "
                "the set's other changes (transitive dependencies)"),
                "tried": tried, "unexplained": unexplained}
    return result


# -- the check -------------------------------------------------------------------------------

def check(runner: Runner, notebooks: list[str], lock_report: dict,
          direct: list[Requirement], lock_pins: dict[str, str],
          sets: tuple[str, ...] = SETS, attribution: bool = True, log=print) -> dict:
    """The drift report as plain data (the site's "How the numbers are checked" page)."""
    started = time.perf_counter()
    date = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    columns: dict[str, dict[str, dict]] = {LOCK: {}}
    for nb in notebooks:
        columns[LOCK][nb] = column(lock_report.get("notebooks", {}).get(nb),
                                   missing="no verdict under the lock: run `make test`")
    described = {LOCK: {"available": True, "versions": dict(lock_pins),
                        "verified": lock_report.get("date")}}
    for kind in sets:
        specs = specs_for(kind, direct)
        log(f"{TITLES[kind]}: resolving {len(specs)} direct dependencies")
        set_started = time.perf_counter()
        res = runner.resolve(specs)
        substituted, relaxed = {}, {}
        if kind == OLDEST and res.pins is None and res.unresolved:
            specs, substituted = _oldest_existing(runner, specs, direct, res.unresolved)
            if substituted:
                res = runner.resolve(specs)
        for _ in range(MAX_RELAXED if kind == OLDEST else 0):
            if res.pins is not None or res.unresolved:
                break
            specs, loosened = _relax_conflict(specs, direct, res.error or "")
            if not loosened:
                break
            relaxed.update(loosened)
            log(f"  {TITLES[kind]}: lower bounds in conflict, left to pip: "
                f"{', '.join(loosened)}")
            res = runner.resolve(specs)
        info = {"requirements": specs, "available": False, "versions": {},
                "unresolved": res.unresolved, "error": res.error,
                "substituted": substituted, "relaxed": relaxed}
        described[kind] = info
        if res.pins is None:
            named = ", ".join(res.unresolved) or "a conflict between them"
            log(f"  {TITLES[kind]}: unavailable: cannot resolve {named}")
            continue
        try:
            info["versions"] = runner.prepare(kind, res.pins)
        except EnvError as err:
            info["error"] = str(err)
            log(f"  {TITLES[kind]}: unavailable: {err}")
            continue
        info["available"] = True
        info["install_s"] = round(time.perf_counter() - set_started, 1)
        columns[kind] = runner.verify(kind, notebooks)
        info["seconds"] = round(time.perf_counter() - set_started, 1)

    entries = {}
    for nb in notebooks:
        entry = {"columns": {k: columns[k][nb] for k in columns}, "moves": {}}
        for kind in sets:
            if kind in columns:
                entry["moves"][kind] = moves(columns[LOCK][nb], columns[kind][nb])
        entries[nb] = entry
    for kind in sets if attribution else ():
        drifted = [nb for nb in notebooks if entries[nb]["moves"].get(kind)]
        if not drifted:
            continue
        log(f"which package moved it ({TITLES[kind]}): {len(drifted)} notebook(s), "
            f"one direct dependency at a time from the lock")
        attribution_started = time.perf_counter()
        found = attribute(runner, {nb: entries[nb]["moves"][kind] for nb in drifted},
                          columns[LOCK], direct, lock_pins, described[kind]["versions"],
                          log=log)
        described[kind]["attribution_s"] = round(
            time.perf_counter() - attribution_started, 1)
        for nb, why in found.items():
            entries[nb].setdefault("moved_by", {})[kind] = why
    return {"format": FORMAT, "date": date, "sets": described, "notebooks": entries,
            "direct": [r.name for r in direct],
            "seconds": round(time.perf_counter() - started, 1)}


def _oldest_existing(runner: Runner, specs: list[str], direct: list[Requirement],
                     unresolved: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """``name==lower`` pins with no such release replaced by the oldest release
    the range allows (``mnist1d>=0.0.2`` has only ``0.0.2.post1``)."""
    by_name = {canonicalize_name(r.name): r for r in direct}
    out, substituted = [], {}
    for spec in specs:
        req = by_name.get(canonicalize_name(Requirement(spec).name))
        if spec in unresolved and req is not None:
            oldest = oldest_release(req, runner.releases(req.name))
            if oldest and f"{req.name}=={oldest}" != spec:
                substituted[req.name] = (f"no release {lower_bound(req)}; the oldest "
                                         f"that {req.specifier} allows is {oldest}")
                out.append(f"{req.name}=={oldest}")
                continue
        out.append(spec)
    return out, substituted


CONFLICT = re.compile(r"Cannot install (.+?) because these package versions have "
                      r"conflicting dependencies")
MAX_RELAXED = 5     # conflicts between lower bounds resolved by loosening a pin


def _relax_conflict(specs: list[str], direct: list[Requirement],
                    problem: str) -> tuple[list[str], dict[str, str]]:
    """Lower bounds that cannot be installed together (pip: "Cannot install A==1
    and B==2"): every pin pip names after the first goes back to its range, for
    pip to choose within. Returns the new specs and why each was loosened."""
    found = CONFLICT.search(problem)
    if not found:
        return specs, {}
    named = [canonicalize_name(n) for n in
             re.findall(r"([A-Za-z0-9][A-Za-z0-9._-]*)==", found.group(1))]
    by_name = {canonicalize_name(r.name): r for r in direct}
    loosen = {n for n in named[1:] if n in by_name and n != named[0]}
    out, why = [], {}
    for spec in specs:
        name = canonicalize_name(Requirement(spec).name)
        req = by_name.get(name)
        if name in loosen and str(req) != spec:
            out.append(str(req))
            why[req.name] = (f"{req.name}=={lower_bound(req)} cannot be installed with "
                             f"{named[0]}'s lower bound; pip chose within "
                             f"{req.specifier}")
        else:
            out.append(spec)
    return out, why


# -- what to tell the author ------------------------------------------------------------------

def _fmt(value) -> str:
    return "?" if value is None else f"{value:.4g}"


def describe_move(m: dict) -> str:
    if m.get("by") is not None:
        return (f"'{m['what']}' by {_fmt(m['by'])} ({_fmt(m['published'])} -> "
                f"{_fmt(m['reproduced'])})")
    return f"cell {m['cell']}: {m['what']}" if m.get("cell") is not None else m["what"]


def describe_cause(why: dict | None) -> str | None:
    if not why:
        return None
    if why.get("package") is None:
        return why.get("note")
    parts = []
    for cause in [why] + list(why.get("more") or []):
        part = (f"{cause['package']} {cause['old']} -> {cause['new']} moves "
                f"{describe_move(cause['moves'][0])}")
        if len(cause["moves"]) > 1:
            part += f" (and {len(cause['moves']) - 1} more)"
        parts.append(part)
    if why.get("unexplained"):
        parts.append(f"{len(why['unexplained'])} more moved by no single change")
    return "; ".join(parts)


def claims(notebook: str, found: list[dict], posts: Path = paths.POSTS) -> list[str]:
    """The places in posts that quote a moved metric or embed a moved cell."""
    rel = Path(notebook).relative_to("projects").as_posix() \
        if notebook.startswith("projects/") else notebook
    metrics = {m["what"] for m in found if m.get("metric")}
    tags = {t for m in found for t in m.get("tags") or []}
    ids = {m.get("id") for m in found if m.get("id")}
    places = []
    for post in sorted(posts.glob("*.md")):
        text = post.read_text(encoding="utf-8")
        try:
            markers = list(embed.parse(text, paths.display_path(post)))
        except embed.EmbedError:
            continue
        for _, mk in markers:
            if mk.notebook != rel:
                continue
            where = f"{paths.display_path(post)}:{mk.line}"
            if mk.kind == "value" and mk.args and mk.args[0] in metrics:
                places.append(f"{where} quotes '{mk.args[0]}'")
            elif mk.kind in ("claim", "runs") and metrics & set(mk.args):
                moved = sorted(metrics & set(mk.args))
                places.append(f"{where} compares '{moved[0]}'")
            elif mk.kind == "embed" and (mk.options.get("tag") in tags or
                                         mk.options.get("id") in ids):
                what = mk.options.get("tag") or mk.options.get("id")
                places.append(f"{where} shows the cell '{what}'")
    return places


def advice(report: dict, posts: Path = paths.POSTS) -> list[str]:
    """Which notebooks to re-run and which claims to re-read before a new lock
    (what moves with the newest releases), and which lower bounds in
    pyproject.toml are too low (what moves with the oldest allowed)."""
    lines = []
    for nb, entry in report["notebooks"].items():
        found = entry["moves"].get(NEWEST) or []
        if not found:
            continue
        lines.append(f"re-run {nb} (journal run --force {nb}): {len(found)} output(s) "
                     f"move with the newest releases")
        cause = describe_cause((entry.get("moved_by") or {}).get(NEWEST))
        if cause:
            lines.append(f"  moved by: {cause}")
        lines += [f"  re-read {place}" for place in claims(nb, found, posts)]
    for nb, entry in report["notebooks"].items():
        found = entry["moves"].get(OLDEST) or []
        if found:
            cause = describe_cause((entry.get("moved_by") or {}).get(OLDEST))
            lines.append(f"{nb}: {len(found)} output(s) move with the oldest allowed "
                         f"releases" + (f" ({cause}): raise that lower bound in "
                                        f"pyproject.toml" if cause else ""))
    return lines


# -- the page ----------------------------------------------------------------------------------

# HTML's specials and the characters Markdown, its tables and the site's
# extensions act on (links, emphasis, code, shortcodes, maths, snippets).
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
            **{c: f"&#{ord(c)};" for c in "\\`*_{}[]#!|~%$"}}


def md(text, limit: int = 300) -> str:
    """Text a run printed, made inert in Markdown and HTML (one line, shortened)."""
    text = "".join(c for c in " ".join(str(text).split())
                   if unicodedata.category(c) not in ("Cc", "Cf"))
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return "".join(_ESCAPES.get(c, c) for c in text)


def _count(col: dict | None) -> str:
    if not col or col.get("outputs") is None:
        return "not run"
    out = col["outputs"]
    return f"{out['reproduced']}/{out['total']}"


def _cell_text(col: dict | None, found: list[dict] | None, lock: bool = False) -> str:
    if col is None:
        return "unavailable"
    if col["verdict"] == "passed":
        return f"{_count(col)} reproduce"
    if lock and col.get("outputs") is None:
        return md(col.get("error") or "not verified", 160)
    if col.get("outputs") is None or (col.get("error") and not col.get("cells")):
        return f"does not run: {md(col.get('error') or '?', 160)}"
    text = f"{_count(col)} reproduce"
    if lock:
        text += "; fails under the lock"
    elif found:
        text += "; moved: " + "; ".join(md(describe_move(m), 160) for m in found[:3])
    if col.get("error"):
        text += f"; {md(col['error'], 160)}"
    return text


def summary_line(drift_report: dict, notebook: str) -> str | None:
    """The short line for a notebook's page and post stamp (Markdown, escaped):
    "with the newest releases on DATE: 22/23 outputs reproduce; scikit-learn ..."."""
    entry = drift_report.get("notebooks", {}).get(notebook)
    if entry is None:
        return None
    day = md((drift_report.get("date") or "?")[:10])
    newest = entry["columns"].get(NEWEST)
    if newest is None:
        info = drift_report.get("sets", {}).get(NEWEST)
        if info is None:
            return None  # that check left the newest releases out
        why = ", ".join(info.get("unresolved") or []) or info.get("error")
        return f"with the newest releases on {day}: not checked" + \
            (f" ({md(why, 120)})" if why else "")
    if newest.get("outputs") is None or (newest.get("error") and not newest["cells"]):
        line = f"with the newest releases on {day}: does not run " \
               f"({md(newest.get('error') or '?', 120)})"
    else:
        line = f"with the newest releases on {day}: {_count(newest)} outputs reproduce"
    why = (entry.get("moved_by") or {}).get(NEWEST)
    if why and why.get("package"):
        line += f"; {md(describe_cause(why), 160)}"
    return line


def page_line(drift_report: dict, notebooks: list[str]) -> str | None:
    """`summary_line` for a page that shows ``notebooks`` (a post may quote
    several): one count over all of them, and each package that moved one."""
    if len(notebooks) == 1:
        return summary_line(drift_report, notebooks[0])
    entries = [e for nb in notebooks if (e := drift_report.get("notebooks", {}).get(nb))]
    newest = [e["columns"].get(NEWEST) for e in entries]
    if not entries or any(col is None for col in newest):
        return None  # not all checked: one notebook's page says which
    day = md((drift_report.get("date") or "?")[:10])
    counted = [col["outputs"] for col in newest if col.get("outputs") is not None]
    parts = [f"{sum(o['reproduced'] for o in counted)}/{sum(o['total'] for o in counted)}"
             " outputs reproduce"] if counted else []
    if broken := len(newest) - len(counted):
        parts.append(f"{broken} notebook{'s' if broken > 1 else ''} did not run")
    causes = [describe_cause(why) for e in entries
              if (why := (e.get("moved_by") or {}).get(NEWEST)) and why.get("package")]
    parts += [md(c, 160) for c in dict.fromkeys(causes) if c]
    return f"with the newest releases on {day}: " + "; ".join(parts)


def browser_versions() -> dict[str, str] | None:
    """The versions Pyodide ships of the packages a browser run uses (None: the
    pinned Pyodide has not been fetched here)."""
    lock_file = dist.default_cache() / f"pyodide-{dist.PYODIDE_VERSION}" / dist.LOCK_FILE
    try:
        lock = dist.read_lock(lock_file)
    except (OSError, dist.DistError, ValueError):
        return None
    packages = lock.get("packages", {})
    return {name: packages[name]["version"] for name in bundle.COMPARED_VERSIONS
            if name in packages}


def render_page(drift_report: dict, browser: dict[str, str] | None = None) -> str:
    """The "Still reproducible?" page, in Markdown. Everything a run printed is
    escaped (`md`): an output is data, not markup."""
    sets = drift_report.get("sets", {})
    notebooks = drift_report.get("notebooks", {})
    day = md((drift_report.get("date") or "?")[:10])
    lines = [
        "# Still reproducible?", "",
        "Every result on this site is verified with the exact versions in",
        "`requirements.lock`; that is what each page's *verified* stamp says. This page",
        "re-runs the same verification with the newest releases that `pyproject.toml`",
        "allows and with the oldest it allows, to show which results a reader with",
        "other versions would see move, and which package moved them. A result that",
        "moves here is not a failure of the site: the verified stamp stays the lock's.",
        "", f"Checked on {day}.", "",
    ]
    kinds = [LOCK, NEWEST, OLDEST]
    for kind in kinds[1:]:
        info = sets.get(kind)
        if info and not info.get("available"):
            why = "; ".join(f"{md(k, 80)}: {md(v, 200)}"
                            for k, v in (info.get("unresolved") or {}).items())
            lines += [f"**{TITLES[kind].capitalize()}: unavailable.** "
                      f"{why or md(info.get('error') or 'could not be installed')}", ""]
    lines += ["| Notebook | Lock | Newest releases | Oldest allowed |",
              "|---|---|---|---|"]
    for nb, entry in notebooks.items():
        cols = entry.get("columns", {})
        cells = [md(nb.removeprefix("projects/"))]
        for kind in kinds:
            cells.append(_cell_text(cols.get(kind), entry.get("moves", {}).get(kind),
                                    lock=kind == LOCK))
        lines.append("| " + " | ".join(cells) + " |")
    causes = [(nb, kind, describe_cause(why)) for nb, e in notebooks.items()
              for kind, why in (e.get("moved_by") or {}).items()]
    if causes:
        lines += ["", "## Which package moved it", "",
                  "Starting from the lock, the direct dependencies were changed one at a",
                  "time to their version in the other set; the first change that moved a",
                  "result:", ""]
        lines += [f"- {md(nb.removeprefix('projects/'))}, {TITLES[kind]}: {md(c, 400)}"
                  for nb, kind, c in causes if c]
    lines += ["", "## Versions", "",
              "| Package | Lock | Newest releases | Oldest allowed"
              + (" | In the browser |" if browser else " |"),
              "|---|---|---|---" + ("|---|" if browser else "|")]
    for name in drift_report.get("direct", []):
        key = canonicalize_name(name)
        row = [md(name)] + [md(sets.get(k, {}).get("versions", {}).get(key, "–"))
                            for k in kinds]
        if browser:
            row.append(md(browser.get(name, "–")))
        lines.append("| " + " | ".join(row) + " |")
    notes = [f"- {TITLES[kind]}: {md(why, 300)}" for kind in kinds[1:]
             for field_ in ("substituted", "relaxed")
             for why in (sets.get(kind, {}).get(field_) or {}).values()]
    if notes:
        lines += ["", "Where a lower bound could not be used as written:", ""] + notes
    if browser:
        lines += ["", f"In the browser, Pyodide {md(dist.PYODIDE_VERSION)} runs the "
                      "cells that need no PyTorch with its own builds of the packages above."]
    return "\n".join(lines) + "\n"


# -- files and the command ------------------------------------------------------------------

def load_report(folder: Path | None = None) -> dict | None:
    """The last drift check's report (``reports/drift.json``), or None when no
    check has run here. A report that cannot be read is an error naming it."""
    path = (folder or verification.reports_dir()) / REPORT_NAME
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise ValueError(f"{paths.display_path(path)}: unreadable drift report: {err}")
    if not isinstance(report, dict) or report.get("format") != FORMAT:
        raise ValueError(f"{paths.display_path(path)}: not a drift report of format "
                         f"{FORMAT}; run `make drift` again")
    return report


def unchecked_page() -> str:
    """The "Still reproducible?" page of a build with no drift report."""
    return "\n".join([
        "# Still reproducible?", "",
        "Every result on this site is verified with the exact versions in",
        "`requirements.lock`. A weekly check re-runs the same verification with the",
        "newest releases that `pyproject.toml` allows and with the oldest it allows,",
        "and names the package that moved any result. No such check went into this",
        "build of the site; `make drift` runs it.", ""])


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: all)")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS),
                        help="which sets of versions to try (default: both)")
    parser.add_argument("--no-attribution", action="store_true",
                        help="do not look for the package that moved a result")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for the notebook kernels (default: 1)")
    parser.add_argument("--cache", type=Path, default=CACHE,
                        help="where the venvs live (default: .cache/drift)")


def cmd_drift(args) -> int:
    found = []
    for p in map(Path, args.paths or [paths.PROJECTS]):
        if p.is_dir():
            found += paths.project_notebooks(p)
        elif p.suffix == ".ipynb" and p.is_file():
            found.append(p)
        else:
            raise SystemExit(f"journal drift: {p}: not a notebook or folder")
    notebooks = [paths.display_path(p) for p in found]
    try:
        lock_report = verification.load(*verification.report_files())
    except ValueError as err:
        raise SystemExit(f"journal drift: {err}")
    if not lock_report["notebooks"]:
        print("note: no verification report: run `make test` for the lock's column",
              file=sys.stderr)
    started = time.perf_counter()
    lock_pins, lock_source = verified_lock(lock_report.get("date"))
    print(f"lock: {lock_source}")
    result = check(Venvs(args.cache, threads=args.threads), notebooks, lock_report,
                   direct_requirements(), lock_pins, sets=tuple(args.sets),
                   attribution=not args.no_attribution)
    result["sets"][LOCK]["source"] = lock_source
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["cores"], result["threads"] = os.cpu_count(), args.threads
    out = verification.reports_dir()
    write_atomic(out / REPORT_NAME, json.dumps(result, indent=1, sort_keys=True) + "\n")
    write_atomic(out / PAGE_NAME, render_page(result, browser_versions()))
    print(f"\nwrote {paths.display_path(out / REPORT_NAME)} and "
          f"{paths.display_path(out / PAGE_NAME)} in {result['seconds']:.0f} s")
    for nb in notebooks:
        if line := summary_line(result, nb):
            print(f"{nb}: {html.unescape(line)}")
    todo = advice(result)
    checked = " and ".join(TITLES[kind] for kind in args.sets)
    print("\nBefore committing a new lock:" if todo else
          f"\nEvery result that reproduces under the lock reproduces with the "
          f"{checked}: nothing to re-run.")
    for line in todo:
        print(f"  {line}")
    return 0
