"""A pinned axe-core, the accessibility checker the browser tests run on every page.

The npm package is fetched once with ``npm pack``, checked against its pinned
SHA-512 integrity, and only ``axe.min.js`` is unpacked into ``.cache/vendor/``;
the site never ships it. ``python -m journal.vendor`` fetches it ahead of time.
"""

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import NamedTuple

from journal import paths

AXE_VERSION = "4.14.1"
AXE_INTEGRITY = ("sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76"
                 "ASyFNNtuFooJpZe37OgudVGtQ==")
AXE_CACHE = paths.ROOT / ".cache" / "vendor" / f"axe-core-{AXE_VERSION}"


class Package(NamedTuple):
    """An npm package pinned by integrity, and which of its files are kept."""

    name: str
    version: str
    integrity: str
    folder: str            # the folder inside the tarball the kept paths are under
    keep: tuple[str, ...]  # kept paths (prefixes), relative to ``folder``
    main: str              # the file that must be there


def axe() -> Package:
    return Package("axe-core", AXE_VERSION, AXE_INTEGRITY, "package/", ("axe.min.js",),
                   "axe.min.js")


class VendorError(Exception):
    """The vendored assets could not be fetched or did not match their pin."""


def integrity_of(data: bytes) -> str:
    """npm's Subresource Integrity string (``sha512-<base64>``) for ``data``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def unpack(tarball: Path, dest: Path, package: Package) -> None:
    """Check ``tarball`` against the pin of ``package`` and unpack the kept
    files into ``dest``."""
    pkg = package
    data = tarball.read_bytes()
    if integrity_of(data) != pkg.integrity:
        raise VendorError(f"{tarball}: integrity {integrity_of(data)} does not match "
                          f"the pinned {pkg.integrity} for {pkg.name}@{pkg.version}")
    staging = Path(tempfile.mkdtemp(prefix=f"{pkg.name}-", dir=dest.parent))
    try:
        with tarfile.open(tarball) as tar:
            for member in tar.getmembers():
                rel = member.name.removeprefix(pkg.folder)
                if member.isfile() and rel != member.name and rel.startswith(pkg.keep):
                    member.name = rel
                    tar.extract(member, staging, filter="data")
        if not (staging / pkg.main).is_file():
            raise VendorError(f"{tarball}: no {pkg.folder.removeprefix('package/')}"
                              f"{pkg.main} in the package")
        shutil.rmtree(dest, ignore_errors=True)
        staging.rename(dest)  # atomic: a half-unpacked cache is never used
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def ensure(package: Package, cache: Path) -> Path:
    """The folder holding ``package``'s pinned files, fetching them on first use."""
    if (cache / package.main).is_file():
        return cache
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(
            f"{package.name} {package.version} is not in {paths.display_path(cache)} and "
            "npm is not installed to fetch it (Debian: apt-get install npm)")
    cache.parent.mkdir(parents=True, exist_ok=True)
    spec = f"{package.name}@{package.version}"
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run([npm, "pack", spec, "--pack-destination", tmp, "--silent"],
                                capture_output=True, text=True, timeout=300)
        tarball = Path(tmp) / f"{package.name}-{package.version}.tgz"
        if result.returncode != 0 or not tarball.is_file():
            raise VendorError(f"npm pack {spec} failed:\n{result.stdout}{result.stderr}")
        unpack(tarball, cache, package)
    return cache


def axe_script(cache: Path = AXE_CACHE) -> Path:
    """The pinned ``axe.min.js``, fetching it on first use."""
    return ensure(axe(), cache) / "axe.min.js"


if __name__ == "__main__":
    try:
        script = axe_script()
    except VendorError as err:
        sys.exit(f"error: {err}")
    print(f"axe-core {AXE_VERSION}: {script.stat().st_size / 1024:.0f} KB "
          f"in {paths.display_path(script)}")
