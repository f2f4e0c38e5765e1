"""The site build the site tests share, the notebook they verify for it, small
throwaway copies of the site for tests that need a variant of it, and the
links of a built page.

A module of its own, not conftest.py: tests/browser has a conftest.py too, and
a test module that imported from "conftest" would get whichever was loaded
first.
"""

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import prewarmed
from journal import paths
from journal.live import bundle

VERIFIED_NOTEBOOK = paths.PROJECTS / "digits-baselines" / "digits-baselines.ipynb"

# What every copy needs to build: the config, the site's own pages, the code
# the build imports (run from the copy, so its paths point into the copy) and the
# lock (part of what a notebook's stamp records).
COPIED = ("mkdocs.yml", "requirements.lock", "pages", "journal", "snippets")
# A link from one post to another, as posts write it: [text](2026-11-05-slug.md).
POST_LINK = re.compile(r"\[([^\]]*)\]\((\d{4}-\d{2}-\d{2}-[^)#]+\.md)(#[^)]*)?\)")


def build_site(dest: Path, reports: Path, *, allow_unverified: bool = True,
               strict: bool = True) -> subprocess.CompletedProcess:
    """``mkdocs build`` of this checkout into ``dest``, judged by ``reports``."""
    return _mkdocs_build(paths.ROOT, dest, strict=strict, allow_unverified=allow_unverified,
                         timeout=600, JOURNAL_REPORTS=str(reports))


def site_copy(root: Path, *, posts=(), projects=()) -> Path:
    """A throwaway site in ``root``: this repository's config, pages and code,
    the posts given (files) and the projects given (folders) and nothing else,
    so a build there converts only the notebooks a test is about. A link to a
    post left out keeps its text only (the build refuses a broken link)."""
    root.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in COPIED:
        source, target = paths.ROOT / name, root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            # The bytecode too: copied with its source's times, Python takes it
            # as current, so the copy's build does not compile the code again.
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.egg-info"))
        else:
            shutil.copy2(source, target)
    # The datasets' files for browser runs, kept as a checkout that has built
    # once keeps them: reading the MNIST subset and compressing it takes seconds.
    # Finished files only: a build may be writing the next one beside them.
    data_cache = root / bundle.DATA_CACHE.relative_to(paths.ROOT)
    data_cache.mkdir(parents=True)
    for data in bundle.DATA_CACHE.glob("*.npz"):
        shutil.copy2(data, data_cache / data.name)
    (root / "posts").mkdir()
    posts = [Path(post) for post in posts]
    kept = {post.name for post in posts}
    for post in posts:
        text = POST_LINK.sub(lambda m: m[0] if m[2] in kept else m[1],
                             post.read_text(encoding="utf-8"))
        (root / "posts" / post.name).write_text(text, encoding="utf-8")
    (root / "projects").mkdir()
    for project in projects:
        shutil.copytree(project, root / "projects" / Path(project).name, ignore=ignore)
    return root


def build_copy(root: Path, dest: Path, *, strict: bool = True, reports: Path | None = None,
               allow_unverified: bool = True, **env_vars: str) -> subprocess.CompletedProcess:
    """``mkdocs build`` of a `site_copy` into ``dest`` with the copy's own code
    and caches (unverified notebooks allowed unless told otherwise)."""
    return _mkdocs_build(root, dest, strict=strict, allow_unverified=allow_unverified,
                         timeout=900, PYTHONPATH=str(root),
                         JOURNAL_REPORTS=str(reports or root / "reports"), **env_vars)


def _mkdocs_build(root: Path, dest: Path, *, strict: bool, allow_unverified: bool,
                  timeout: float, **env_vars: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **env_vars}
    env.pop("JOURNAL_ALLOW_UNVERIFIED", None)
    if allow_unverified:
        env["JOURNAL_ALLOW_UNVERIFIED"] = "1"
    return prewarmed.run(["-m", "mkdocs", "build", *(["--strict"] if strict else []),
                          "--site-dir", str(dest)], cwd=root, env=env, timeout=timeout)


class LinksAndIds(HTMLParser):
    """The href/src of a page's links, images, scripts and sources, and every
    id (or <a name>) a fragment can point at; one pass of the standard parser."""

    LINKING = {"a", "link", "img", "script", "source"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.urls, self.ids = [], set()
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") is not None:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name") is not None:
            self.ids.add(attrs["name"])
        if tag in self.LINKING:
            self.urls += [(attr, attrs[attr]) for attr in ("href", "src") if attrs.get(attr)]
