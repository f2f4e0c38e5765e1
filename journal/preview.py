"""Build the site into a folder, serve it on localhost, open it in headless Chromium.

Shared by the browser tests (``tests/browser/``), the page-weight benchmark
(``bench/page_weight.py``) and ``make screenshots``. Chromium is Debian's
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
from dataclasses import dataclass
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


def build_site(dest: Path) -> Path:
    """Strict MkDocs build of the repository's site into ``dest``."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
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


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files under ``prefix``, as the published site has them."""

    prefix = "/"

    def translate_path(self, path):
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / ".outside-the-site")  # a 404
        return super().translate_path("/" + path[len(self.prefix):])

    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass


@contextlib.contextmanager
def serve(directory: Path, prefix: str | None = None):
    """Serve ``directory`` on 127.0.0.1 at a free port; yields the site's URL.

    The files appear under ``prefix`` (default: the path of ``site_url``), so
    pages that use absolute paths, such as the 404 page, work as published.
    """
    prefix = site_prefix() if prefix is None else prefix
    handler_class = type("Handler", (_SiteHandler,), {"prefix": prefix})
    handler = functools.partial(handler_class, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
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
        build_site(site_dir)
        url = stack.enter_context(serve(site_dir))
        yield site_dir, url


# --- What the site should contain, read from the sources -------------------

@dataclass(frozen=True)
class SourcePost:
    """A post as written in ``posts/``: what its built page must show."""

    path: Path
    title: str
    excerpt: str  # plain text of the excerpt (Markdown syntax stripped)
    has_code: bool  # fenced code, snippet includes or embedded cells
    draft: bool


FENCE = re.compile(r"^\s*(```|~~~)", re.M)
EMBED = re.compile(r"\{%\s*embed\s", re.M)


def _plain_text(markdown: str) -> str:
    """Markdown to plain text, good enough to compare words with a rendered page."""
    text = re.sub(r"\{%.*?%\}", " ", markdown)  # markers expand to other text
    text = re.sub(r"\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)|\$[^$\n]+\$", " ", text,
                  flags=re.S)  # maths is typeset into other characters
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)|!?\[([^\]]*)\]\[[^\]]*\]", r"\1\2", text)
    text = re.sub(r"[*_`#>]", " ", text)
    return " ".join(text.split())


def source_posts(folder: Path = paths.POSTS) -> list[SourcePost]:
    """Every post in ``posts/`` with the facts the site tests check."""
    import yaml

    posts = []
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        meta, body = {}, text
        if text.startswith("---"):
            _, front, body = text.split("---", 2)
            meta = yaml.safe_load(front) or {}
        title = re.search(r"^#\s+(.+?)\s*$", body, re.M)
        if title is None:
            raise ValueError(f"{paths.display_path(path)}: no '# Title' line")
        after_title = body[title.end():]
        excerpt = after_title.split("<!-- more -->", 1)[0]
        posts.append(SourcePost(
            path=path,
            title=title.group(1).strip(),
            excerpt=_plain_text(excerpt),
            has_code=bool(FENCE.search(body) or EMBED.search(body)),
            draft=bool(meta.get("draft", False)),
        ))
    return posts


def notebook_url(notebook: Path) -> str:
    """Site path of a project notebook's page (mkdocs-jupyter's layout)."""
    rel = notebook.relative_to(paths.ROOT).with_suffix("")
    return rel.as_posix() + "/"
