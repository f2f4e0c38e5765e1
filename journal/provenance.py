"""Where a notebook's outputs came from, and whether they are still current.

`journal run` records in the notebook's metadata the run's provenance (date,
commit, versions, device, threads, seed, timings, dataset checksums) and the
`inputs` fingerprint: its code cells, the `snippets` and kernel-side journal
modules they import, the lock file and the datasets. `status` compares the
fingerprint with today's; `stamp` renders the line pages show. See the site's
"How the code is arranged" page.
"""

import ast
import functools
import hashlib
import subprocess
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

from journal import paths
from journal.datasets import EXPECTED_SHA256

KEY = "journal"
RUN_COMMAND = "journal run"


# --- inputs fingerprint -------------------------------------------------------

def _python_source(text: str) -> str:
    """Cell source with IPython magics and shell lines blanked, so ast can parse."""
    lines = []
    for line in text.splitlines():
        stripped = line.lstrip()
        lines.append("" if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


@functools.lru_cache(maxsize=256)
def _imported_names(source: str, package: str | None = None) -> frozenset[str]:
    """Dotted module names a piece of Python imports (relative ones resolved)."""
    try:
        tree = ast.parse(_python_source(source))
    except SyntaxError:
        return frozenset()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and package:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(p for p in [*parts, base] if p)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return frozenset(found)


# Packages whose modules a notebook's outputs depend on: the lesson code, and
# the journal's kernel-side modules (`journal.notebook` and what it imports).
SOURCE_PACKAGES = {"snippets": paths.SNIPPETS, "journal": paths.JOURNAL}


def _module_file(name: str, packages: dict[str, Path]) -> Path | None:
    parts = name.split(".")
    root = packages.get(parts[0])
    if root is None:
        return None
    rel = Path(*parts[1:]) if len(parts) > 1 else Path("__init__")
    for candidate in (root / f"{rel}.py", root / rel / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def snippet_modules(nb, packages: dict[str, Path] | None = None) -> list[Path]:
    """The module files a notebook imports from `SOURCE_PACKAGES`, transitively."""
    packages = SOURCE_PACKAGES if packages is None else packages
    todo = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            todo |= _imported_names(cell.source)
    seen: dict[Path, None] = {}
    while todo:
        name = todo.pop()
        path = _module_file(name, packages)
        if path is None or path in seen:
            continue
        seen[path] = None
        package = name.split(".")[0] if path.name != "__init__.py" else name
        if path.name != "__init__.py" and "." in name:
            package = name.rsplit(".", 1)[0]
        todo |= _imported_names(path.read_text(encoding="utf-8"), package)
    return sorted(seen)


def snippet_assets(modules: list[Path]) -> list[Path]:
    """Data files that imported modules read (the figure style of `runtime`)."""
    return sorted({asset for m in modules for asset in m.parent.glob("*.mplstyle")
                   if m.name == "runtime.py"})


def _code(path: Path) -> bytes:
    """What Python runs of a module: its syntax tree without docstrings, so an
    edit to comments, docstrings or layout leaves the notebooks that import it
    fresh. Other files (and a module that does not parse) count byte for byte."""
    stat = path.stat()
    return _code_of(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _code_of(path: Path, mtime_ns: int, size: int) -> bytes:
    """`_code`, once per version of a file (every notebook imports `runtime`)."""
    data = path.read_bytes()
    if path.suffix != ".py":
        return data
    try:
        tree = ast.parse(data)
    except SyntaxError:
        return data
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                             ast.AsyncFunctionDef)) and body \
                and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def inputs(nb, recorded_datasets: dict[str, str] | None = None, *,
           packages: dict[str, Path] | None = None,
           lock_file: Path = paths.LOCK_FILE) -> dict:
    """The fingerprint of what the notebook's outputs depend on.

    ``recorded_datasets`` are the checksums from the last run; each is checked
    against the checksum `journal.datasets` now expects for that dataset, so a
    changed expected checksum makes the notebook stale.
    """
    h = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        h.update(f"{label}\0{len(data)}\0".encode())
        h.update(data)

    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        add(f"cell {i}", cell.source.encode())
    modules = snippet_modules(nb, packages)
    files = modules + snippet_assets(modules)
    for path in files:
        add(paths.display_path(path), _code(path))
    if lock_file.is_file():
        add("lock", lock_file.read_bytes())
    datasets = dict(sorted((recorded_datasets or {}).items()))
    for name, digest in datasets.items():
        add(f"dataset {name}", f"{digest} {EXPECTED_SHA256.get(name, '')}".encode())
    return {
        "fingerprint": h.hexdigest(),
        "snippets": [paths.display_path(p) for p in files],
        "datasets": datasets,
    }


def recorded(nb) -> dict:
    """``{"provenance": ..., "inputs": ...}`` from the last run (empty if none)."""
    return dict(nb.metadata.get(KEY, {}))


class Freshness(Enum):
    """Whether a notebook's committed outputs still match its inputs."""

    UP_TO_DATE = "up to date"
    STALE = "stale"  # an input changed since the recorded run
    NEVER_RUN = "never run"


def status(nb, **kwargs) -> Freshness:
    """Whether the recorded run's inputs fingerprint is still the current one."""
    rec = recorded(nb)
    if "inputs" not in rec or "provenance" not in rec:
        return Freshness.NEVER_RUN
    datasets = rec["provenance"].get("datasets", {})
    now = inputs(nb, datasets, **kwargs)["fingerprint"]
    return Freshness.UP_TO_DATE if now == rec["inputs"].get("fingerprint") \
        else Freshness.STALE


def has_outputs(nb) -> bool:
    code = [c for c in nb.cells if c.cell_type == "code"]
    return bool(code) and all(c.get("execution_count") for c in code)


# --- recording ------------------------------------------------------------------

def git_commit(root: Path = paths.ROOT) -> str | None:
    """The checked-out commit (short), with ``+dirty`` if the tree has changes.

    Project notebooks are left out of the dirty check: they are what
    ``journal run`` writes, so running several notebooks in one command must not
    mark the later ones dirty because the earlier ones were just rewritten. Their
    code cells are covered by the inputs fingerprint instead.
    """
    try:
        head = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=root,
                              capture_output=True, text=True, timeout=30)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no",
                                "--", ".", ":(exclude)projects/**/*.ipynb"],
                               cwd=root, capture_output=True, text=True, timeout=30)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def build_record(kernel_record: dict, cell_seconds: dict[str, float],
                 wall_seconds: float, started: datetime | None = None) -> dict:
    """The provenance block stored in the notebook after a successful run."""
    started = started or datetime.now(timezone.utc)
    return {
        "date": started.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": git_commit(),
        **kernel_record,
        "wall_seconds": round(wall_seconds, 2),
        "cell_seconds": {k: round(v, 3) for k, v in cell_seconds.items()},
    }


def record(nb, provenance: dict) -> None:
    """Store provenance and the matching inputs fingerprint in ``nb.metadata``."""
    meta = dict(nb.metadata.get(KEY, {}))
    meta["provenance"] = provenance
    meta["inputs"] = inputs(nb, provenance.get("datasets", {}))
    nb.metadata[KEY] = meta


# --- display ----------------------------------------------------------------------

def run_command(notebook: Path) -> str:
    """The command that re-runs a notebook: its project folder."""
    return f"{RUN_COMMAND} {paths.display_path(Path(notebook).parent)}"


def _device(prov: dict) -> str:
    name = prov.get("device_name") or "unknown device"
    kind = prov.get("device") or "cpu"
    return name if kind == "cpu" else f"{name} ({kind})"


def stamp_text(prov: dict | None, notebook: Path) -> str:
    """One line: reproduced on DATE at COMMIT with VERSIONS on DEVICE in T s."""
    if not prov:
        return f"not yet run by `{RUN_COMMAND}` — run `{run_command(notebook)}`"
    date = prov.get("date", "?")[:10]
    commit = prov.get("commit") or "an uncommitted tree"
    threads = prov.get("threads")
    seed = prov.get("seed")
    data = ", ".join(f"{n} `{d[:12]}`" for n, d in prov.get("datasets", {}).items())
    parts = [
        f"reproduced on {date} at `{commit}`",
        f"with Python {prov.get('python')}, torch {prov.get('torch')}, "
        f"NumPy {prov.get('numpy')}",
        f"on {_device(prov)}"
        + (f", {threads} thread{'s' if threads != 1 else ''}" if threads else "")
        + (f", seed {seed}" if seed is not None else ""),
    ]
    if data:
        parts.append(f"data {data}")
    parts.append(f"in {prov.get('wall_seconds', 0):.1f} s")
    return " ".join(parts[:2]) + " " + ", ".join(parts[2:]) + \
        f" — re-run with `{run_command(notebook)}`"


def stamp(nb, notebook: Path) -> str:
    return stamp_text(recorded(nb).get("provenance"), notebook)
