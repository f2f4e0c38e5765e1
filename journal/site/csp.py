"""The built site checked as a whole, and a Content-Security-Policy on every page.

`check_and_protect` reads every built page: `problems` lists each inline event
handler, ``javascript:`` URL and script that is not the site's own (a strict
build fails on any of them), and the page gets its policy, with its inline
scripts' SHA-256, in a ``<meta>`` first in its head (`mkdocs build` only). Each
page's parse is kept by its content in the build cache (`journal.site.cache`).
What is allowed, and why: pages/site.md, "Scripts are the site's own".
"""

import base64
import hashlib
import posixpath
import re
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from journal.site import cache

SCRIPT_DIRS = ("assets/javascripts/", "javascripts/", "assets/notebook/", "live/")
SCRIPT_TYPES = {"", "text/javascript", "module", "application/javascript"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}
TEXT_ONLY = ["title", "textarea"]  # their content is text in a browser
CONTROL = re.compile(r"[\x00-\x20]+")
POLICY_META = re.compile(r'\n<meta http-equiv="Content-Security-Policy" content="[^"]*">')
HEAD = re.compile(r"<head\b[^>]*>(\s*<meta charset=[^>]*>)?", re.IGNORECASE)
POLICY = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; "
          "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
          "connect-src 'self' https://api.github.com; worker-src 'self' blob:; "
          "object-src 'none'; frame-src 'none'; base-uri 'self'; form-action 'self'")


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def executable(script) -> bool:
    return script.get("type", "").strip().lower() in SCRIPT_TYPES


def _describe(element) -> str:
    text = str(element)
    return text if len(text) <= 120 else text[:117] + "..."


def findings(rel: str, soup: BeautifulSoup) -> list[list[str]]:
    """What one parse of the page ``rel`` finds, in document order: each problem
    the page's text shows on its own (``["problem", message]``), and each script
    file it loads (``["script", src, element]``), which `problems` checks against
    the site's files in every build."""
    found = []
    # a browser reads what is inside <title> as text
    as_text = {id(inner) for outer in soup.find_all(TEXT_ONLY)
               for inner in outer.find_all(True)}
    for element in soup.find_all(True):
        if id(element) in as_text:
            continue
        for attribute, value in element.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            if attribute.lower().startswith("on"):
                found.append(["problem", f"{rel}: inline {attribute}= handler: "
                                         f"{_describe(element)}"])
            elif attribute.lower() in URL_ATTRIBUTES and \
                    CONTROL.sub("", value).lower().startswith("javascript:"):
                found.append(["problem", f"{rel}: javascript: URL: {_describe(element)}"])
    for script in soup.find_all("script"):
        if not executable(script):
            continue
        src = script.get("src")
        if src is None:
            if script.find_parent(class_="md-content") is not None:
                found.append(["problem", f"{rel}: inline script in the page's content: "
                                         f"{_describe(script)}"])
            continue
        found.append(["script", src, _describe(script)])
    return found


def problems(site: Path, rel: str, found: list[list[str]], base: str = "/") -> list[str]:
    """The problems of the page ``rel`` from its `findings`: those of its text,
    and each script file that is not one of the site's own files in ``site``.

    ``base`` is the site's path on its server (from ``site_url``), which
    absolute links such as the 404 page's start with.
    """
    page_dir = posixpath.dirname(rel)
    out = []
    for kind, *what in found:
        if kind == "problem":
            out.append(what[0])
            continue
        src, described = what
        path = src.split("?")[0]
        if path.startswith(base):
            path = "/" + path.removeprefix(base)
        target = posixpath.normpath(posixpath.join("/" + page_dir, path)).lstrip("/")
        if "://" in src or src.startswith("//") or \
                not target.startswith(SCRIPT_DIRS) or not (site / target).is_file():
            out.append(f"{rel}: script that is not the site's own: {described}")
    return out


def page_problems(site: Path, page: Path, soup: BeautifulSoup,
                  base: str = "/") -> list[str]:
    """What in one built page could run code that is not the site's own."""
    rel = page.relative_to(site).as_posix()
    return problems(site, rel, findings(rel, soup), base)


def policy(soup: BeautifulSoup) -> str:
    """The page's policy, with the hashes of its inline scripts."""
    hashes = []
    for script in soup.find_all("script"):
        if executable(script) and script.get("src") is None:
            digest = hashlib.sha256((script.string or "").encode("utf-8")).digest()
            hashes.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return POLICY.format(hashes="".join(" " + h for h in dict.fromkeys(hashes)))


def read(rel: str, text: str) -> dict:
    """One parse of a page's ``text`` (without its policy): its `findings` and
    the policy it gets."""
    soup = BeautifulSoup(text, "html.parser")
    return {"findings": findings(rel, soup), "policy": policy(soup)}


def check_and_protect(site: Path, site_url: str | None = None, protect: bool = True,
                      stored: cache.BuildCache | None = None) -> list[str]:
    """Check every page and give each its policy; returns the problems found.

    ``site_url`` (mkdocs.yml's) gives the path absolute links start with.
    Without ``protect`` pages are only checked: `mkdocs serve` adds an inline
    live-reload script to every page it serves, which a policy would block.
    ``stored``, the build cache, keeps each page's parse (`read`) by its
    content; whether the script files it loads are the site's own is checked
    every time.
    """
    base = urlsplit(site_url or "/").path.rstrip("/") + "/"
    stored = stored or cache.BuildCache(on=False)
    found = []
    for page in pages(site):
        rel = page.relative_to(site).as_posix()
        written = page.read_text(encoding="utf-8")
        # A page kept from an earlier build (`mkdocs serve --dirty`) has its
        # policy already: it is made again, and the file left alone if equal.
        text = POLICY_META.sub("", written, count=1)
        parsed = stored.memo("csp", cache.digest(cache.SALT, "csp", rel, text),
                             lambda: read(rel, text))
        found += problems(site, rel, parsed["findings"], base)
        head = HEAD.search(text)
        if head is None or not protect:
            continue  # not a page (a fragment some package ships): nothing to run
        meta = (f'\n<meta http-equiv="Content-Security-Policy" '
                f'content="{parsed["policy"]}">')
        protected = text[:head.end()] + meta + text[head.end():]
        if protected != written:
            page.write_text(protected, encoding="utf-8")
    return found
