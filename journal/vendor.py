"""Third-party browser assets served from the site itself: a pinned MathJax.

The npm package ``mathjax@3.2.2`` is fetched once with ``npm pack``, checked
against its pinned SHA-512 integrity, and only what the site uses is unpacked
into ``.cache/vendor/``; every build then adds those files to the site under
``assets/vendor/mathjax/``. ``python -m journal.vendor`` fetches it ahead of
time. See the site's "How the site is made" page.
"""

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from journal import paths

MATHJAX_VERSION = "3.2.2"
MATHJAX_INTEGRITY = ("sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/"
                     "FEsPsjKPZGJvtRZM1vO+geW0OhGw==")
# Paths inside the package's es5/ folder that the site serves.
MATHJAX_KEEP = ("tex-chtml.js", "output/chtml/fonts/woff-v2/", "input/tex/extensions/")
SITE_PREFIX = "assets/vendor/mathjax"
CACHE = paths.ROOT / ".cache" / "vendor" / f"mathjax-{MATHJAX_VERSION}"


class VendorError(Exception):
    """The vendored assets could not be fetched or did not match their pin."""


def integrity_of(data: bytes) -> str:
    """npm's Subresource Integrity string (``sha512-<base64>``) for ``data``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def unpack(tarball: Path, dest: Path) -> None:
    """Check ``tarball`` against the pin and unpack the kept files into ``dest``."""
    data = tarball.read_bytes()
    if integrity_of(data) != MATHJAX_INTEGRITY:
        raise VendorError(f"{tarball}: integrity {integrity_of(data)} does not match "
                          f"the pinned {MATHJAX_INTEGRITY} for mathjax@{MATHJAX_VERSION}")
    staging = Path(tempfile.mkdtemp(prefix="mathjax-", dir=dest.parent))
    try:
        with tarfile.open(tarball) as tar:
            for member in tar.getmembers():
                rel = member.name.removeprefix("package/es5/")
                if member.isfile() and rel != member.name and rel.startswith(MATHJAX_KEEP):
                    member.name = rel
                    tar.extract(member, staging, filter="data")
        if not (staging / "tex-chtml.js").is_file():
            raise VendorError(f"{tarball}: no es5/tex-chtml.js in the package")
        shutil.rmtree(dest, ignore_errors=True)
        staging.rename(dest)  # atomic: a half-unpacked cache is never used
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def ensure_mathjax(cache: Path = CACHE) -> Path:
    """The folder holding the pinned MathJax files, fetching them on first use."""
    if (cache / "tex-chtml.js").is_file():
        return cache
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(
            f"MathJax {MATHJAX_VERSION} is not in {paths.display_path(cache)} and npm is "
            "not installed to fetch it (Debian: apt-get install npm)")
    cache.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [npm, "pack", f"mathjax@{MATHJAX_VERSION}", "--pack-destination", tmp,
             "--silent"],
            capture_output=True, text=True, timeout=300)
        tarball = Path(tmp) / f"mathjax-{MATHJAX_VERSION}.tgz"
        if result.returncode != 0 or not tarball.is_file():
            raise VendorError(f"npm pack mathjax@{MATHJAX_VERSION} failed:\n"
                              f"{result.stdout}{result.stderr}")
        unpack(tarball, cache)
    return cache


def site_files(cache: Path = CACHE) -> list[tuple[str, Path]]:
    """(URL path in the site, file on disk) for every vendored file."""
    root = ensure_mathjax(cache)
    return [(f"{SITE_PREFIX}/{p.relative_to(root).as_posix()}", p)
            for p in sorted(root.rglob("*")) if p.is_file()]


if __name__ == "__main__":
    try:
        files = site_files()
    except VendorError as err:
        sys.exit(f"error: {err}")
    size = sum(p.stat().st_size for _, p in files)
    print(f"MathJax {MATHJAX_VERSION}: {len(files)} files, {size / 1024:.0f} KB "
          f"in {paths.display_path(CACHE)}")
