"""Build the site into a folder, serve it on localhost, open it in headless Chromium.

Used by ``make screenshots`` and the benchmarks (``bench/``) to look at the site
as readers get it, and by the browser tests (``tests/browser/``). Chromium is Debian's
``chromium`` package driven by Playwright; Playwright's own browser download is
never used (``executable_path`` points at the system binary).
"""

import contextlib
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from journal import paths

# Flags for a quiet, offline, reproducible headless Chromium. Without the
# background-networking flags it keeps trying to reach update and sync servers.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--no-default-browser-check",
]
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")


class SiteBuildError(Exception):
    """``mkdocs build --strict`` failed; the message carries its output."""


def find_chromium() -> str | None:
    """Path of the system Chromium (``CHROMIUM`` overrides), or None."""
    override = os.environ.get("CHROMIUM")
    if override:
        return override if Path(override).is_file() else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def mkdocs_executable() -> str:
    """The ``mkdocs`` next to the running Python (the project's .venv)."""
    candidate = Path(sys.executable).with_name("mkdocs")
    return str(candidate) if candidate.is_file() else "mkdocs"


def build_site(dest: Path, allow_unverified: bool = False) -> Path:
    """Strict MkDocs build of the repository's site into ``dest``.

    ``allow_unverified`` shows notebooks without a passing verification report
    with a banner instead of failing (for measuring pages, not publishing).
    """
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    if allow_unverified:
        env["JOURNAL_ALLOW_UNVERIFIED"] = "1"
    result = subprocess.run(
        [mkdocs_executable(), "build", "--strict", "--site-dir", str(dest)],
        cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    if result.returncode != 0:
        raise SiteBuildError(f"mkdocs build --strict failed:\n{result.stdout}"
                             f"{result.stderr}")
    return dest


def site_prefix(config: Path = paths.ROOT / "mkdocs.yml") -> str:
    """The path the site is published under (from ``site_url``), e.g. ``/ml-journal/``."""
    from urllib.parse import urlsplit

    match = re.search(r"^site_url:\s*(\S+)", config.read_text(encoding="utf-8"), re.M)
    path = urlsplit(match.group(1)).path if match else "/"
    return "/" + path.strip("/") + "/" if path.strip("/") else "/"


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files under ``prefix``, as the published site has them."""

    prefix = "/"

    def translate_path(self, path):
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / ".outside-the-site")  # a 404
        return super().translate_path("/" + path[len(self.prefix):])

    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass


@contextlib.contextmanager
def serve(directory: Path, prefix: str | None = None,
          handler: type[SiteHandler] = SiteHandler):
    """Serve ``directory`` on 127.0.0.1 at a free port; yields the site's URL.

    The files appear under ``prefix`` (default: the path of ``site_url``), so
    pages that use absolute paths, such as the 404 page, work as published.
    ``handler`` is `SiteHandler` or a subclass of it.
    """
    prefix = site_prefix() if prefix is None else prefix
    handler_class = type("Handler", (handler,), {"prefix": prefix})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler_class, directory=str(directory)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def chromium(executable: str | None = None):
    """A headless Chromium (Playwright ``Browser``).

    Playwright starts it with a fresh temporary profile (``--user-data-dir``) of
    its own and removes it on close.
    """
    from playwright.sync_api import sync_playwright

    executable = executable or find_chromium()
    if executable is None:
        raise FileNotFoundError("no Chromium found (Debian: apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def built_and_served(site_dir: Path | None = None):
    """Build into ``site_dir`` (a temporary folder if None) and serve it.

    Yields ``(site_dir, base_url)``.
    """
    with contextlib.ExitStack() as stack:
        if site_dir is None:
            site_dir = Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="journal-site-")))
        build_site(site_dir, allow_unverified=True)
        url = stack.enter_context(serve(site_dir))
        yield site_dir, url
