"""The site build's cache: work that came out the same last build is not done again.

`BuildCache` keeps each kind of result (highlighted code blocks, expanded posts,
finished notebook pages, converted pages, claims, privacy scans, search sections,
the script check's parse of each built page, browser-run bundles, ...) under the
SHA-256 of everything it is made from, including library versions and the
journal's source, so a changed input is a miss, never a stale hit. Code blocks
come through `BuildCache.highlight_fence`, a SuperFences custom fence named
``*``. Entries live in ``.cache/journal/<kind>.json``; parsed notebooks stay in
memory for the process (``mkdocs serve``). The plugin's ``cache: false`` turns it
all off and ``cache_off`` single layers (`LAYERS`). The design: pages/site.md,
"Cost: what changed, not what the journal holds".
"""

import dataclasses
import hashlib
import json
import logging
import os
import posixpath
import weakref
from importlib import metadata
from pathlib import Path

import jinja2
import nbformat
from mkdocs.structure.toc import get_toc
from pymdownx.superfences import highlight_validator

from journal import claims, markdown_source, nbfile, paths, postcheck, safety
from journal.errors import Location
from journal.site import internals, mount, projects

FOLDER = paths.ROOT / ".cache" / "journal"  # the plugin's default cache_dir
# What can be switched off on its own (the plugin's ``cache_off``): the stores
# below, Jinja's compiled templates, the excerpt shortcut and mkdocs-jupyter's cache.
LAYERS = ("highlight", "post", "notebook-page", "page", "notebook", "quoted",
          "markers", "readtime", "postcheck", "claims", "safety", "search", "csp",
          "live-plan", "live-bundle", "sanitized", "templates", "excerpts", "jupyter")
FORMAT = 1  # bump when what a stored entry means changes
# The libraries whose output is stored: a new version is a new key.
LIBRARIES = ("markdown", "pymdown-extensions", "pygments", "mkdocs", "mkdocs-material",
             "mkdocs-jupyter", "nbconvert", "nbformat", "nh3", "jinja2", "beautifulsoup4",
             "math-core")
# Python-Markdown's placeholder for stashed raw HTML: output that holds one
# refers to the converter's state, so it is never stored.
STASH_MARK = "\x02"


def digest(*parts: str | bytes) -> str:
    """SHA-256 of the parts, each length-prefixed so no two lists collide."""
    h = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8")
        h.update(f"{len(data)}:".encode())
        h.update(data)
    return h.hexdigest()


def _named(value) -> str:
    """A function by its name (its repr holds an address that changes every run)."""
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{value.__module__}.{value.__qualname__}"
    return repr(value)


def as_text(value) -> str:
    """A stable text form of options and settings, for a key."""
    return json.dumps(value, sort_keys=True, default=_named)


def _versions() -> str:
    found = []
    for name in LIBRARIES:
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} missing")
    return ";".join(found)


def _journal_source() -> str:
    """The journal package's source: changed code makes new keys."""
    files = sorted(paths.JOURNAL.rglob("*.py"))
    return digest(*(f"{p.relative_to(paths.JOURNAL).as_posix()}\0".encode() + p.read_bytes()
                    for p in files))


SALT = digest(f"format {FORMAT}", _versions(), _journal_source())


class Store:
    """The stored results of one kind, as a JSON object from key to value."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict | None = None
        self.used: set[str] = set()
        self.changed = False

    def _load(self) -> dict:
        if self.entries is None:
            try:
                self.entries = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}
        return self.entries

    def get(self, key: str):
        value = self._load().get(key)
        if value is not None:
            self.used.add(key)
        return value

    def put(self, key: str, value) -> None:
        self._load()[key] = value
        self.used.add(key)
        self.changed = True

    def save(self, prune: bool = True) -> None:
        """Write back the entries this build used (``prune``) or all of them, if
        that is not what is on disk."""
        if self.entries is None:
            return
        if prune and self.used != set(self.entries):
            self.entries = {k: v for k, v in self.entries.items() if k in self.used}
            self.changed = True
        if self.changed:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.entries), encoding="utf-8")
            os.replace(tmp, self.path)  # atomic: a reader never sees half a file
        self.used, self.changed = set(), False


class BuildCache:
    """The stored results of every kind, and what one build knows of its inputs.

    Made once per process by the plugin (``mkdocs serve`` keeps it between
    rebuilds); `start` begins each build. ``on`` false: nothing is stored or
    read; ``off``: the layers (`LAYERS`) left out.
    """

    def __init__(self, folder: Path = FOLDER, on: bool = True, off=()):
        self.folder, self.on, self.off = Path(folder), on, frozenset(off)
        self.stores: dict[str, Store] = {}
        self.report_digest = ""
        self.file_digests: dict[str, str] = {}
        self.notebooks: set[str] = set()
        # Notebooks as `read_notebook` parsed them, by content, for the process: the
        # last build's and this one's (the build never changes one in place).
        self.parsed: dict[str, nbformat.NotebookNode] = {}
        self.parsed_now: set[str] = set()
        self.fence_settings: "weakref.WeakKeyDictionary[object, str]" = \
            weakref.WeakKeyDictionary()

    def uses(self, layer: str) -> bool:
        return self.on and layer not in self.off

    def store(self, kind: str) -> Store | None:
        """The store for ``kind``, or None when that layer is off."""
        if not self.uses(kind):
            return None
        if kind not in self.stores:
            self.stores[kind] = Store(self.folder / f"{kind}.json")
        return self.stores[kind]

    def memo(self, kind: str, key: str, make):
        """``make()``, or what it returned last time for the same key."""
        found = self.store(kind)
        if found is None:
            return make()
        value = found.get(key)
        if value is None:
            value = make()
            found.put(key, value)
        return value

    # -----------------------------------------------------------------------
    # Build events (called from journal/site/plugin.py)

    def start(self, config, report: dict) -> None:
        """At ``on_config``, with the verification report this build reads. With
        the cache off, mkdocs-jupyter's is off too."""
        if not self.uses("jupyter"):
            internals.set_jupyter_cache(config, False)
        if self.uses("highlight") and \
                "pymdownx.superfences" in (config.get("markdown_extensions") or []):
            fences = config["mdx_configs"].setdefault("pymdownx.superfences", {})
            fences["custom_fences"] = [*fences.get("custom_fences", []), self.fence()]
        self.report_digest = digest(as_text(report))
        self.file_digests.clear()
        self.notebooks.clear()
        self.parsed = {k: nb for k, nb in self.parsed.items() if k in self.parsed_now}
        self.parsed_now = set()
        for found in self.stores.values():
            found.used, found.changed = set(), False

    def end_build(self, prune: bool = True) -> None:
        """At ``on_post_build``. A build of every page keeps only what it used; a
        rebuild of a few pages (`journal.site.rebuild`) keeps everything."""
        for found in self.stores.values():
            found.save(prune)

    def templates(self, env: jinja2.Environment) -> jinja2.Environment:
        """At ``on_env``: the theme's templates compiled once, not on every build."""
        if self.uses("templates"):
            folder = self.folder / "jinja"
            folder.mkdir(parents=True, exist_ok=True)
            env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
        return env

    # -----------------------------------------------------------------------
    # Highlighted code: a SuperFences custom fence named "*" (added by `start`)

    def fence(self) -> dict:
        """SuperFences' documented way to take over its default fence ("*"),
        validated as it validates its own."""
        return {"name": "*", "class": "highlight", "format": self.highlight_fence,
                "validator": highlight_validator}

    def _settings(self, fences) -> str:
        """The highlighting options of one Markdown converter, as key text."""
        if fences not in self.fence_settings:
            self.fence_settings[fences] = as_text(internals.fence_settings(fences))
        return self.fence_settings[fences]

    def highlight_fence(self, src, language, class_name, options, md, **kwargs):
        """SuperFences' own highlighting of a fenced block, stored by its content.

        The block's number on its page is part of the key (line anchors carry
        it); on a hit the converter's block counter moves on as the formatter
        would have moved it.
        """
        fences = internals.default_formatter(md)
        found = self.store("highlight")
        if found is None:
            return fences.highlight(src=src, language=language, options=options, md=md,
                                    **kwargs)
        key = digest(SALT, self._settings(fences), src, language, as_text(options),
                     as_text(kwargs), internals.next_code_block(fences))
        html = found.get(key)
        if html is None:
            html = fences.highlight(src=src, language=language, options=options, md=md,
                                    **kwargs)
            if STASH_MARK not in html:
                found.put(key, html)
        else:
            internals.skip_code_block(fences)
        return html

    # -----------------------------------------------------------------------
    # Journal pages

    def _project_notebooks(self) -> set[str]:
        """Every project notebook (path under ``projects/``), listed once per build."""
        if not self.notebooks:
            self.notebooks.update(p.relative_to(paths.PROJECTS).as_posix()
                                  for p in paths.project_notebooks())
        return self.notebooks

    def notebook_digest(self, rel: str) -> str:
        """SHA-256 of the file of ``projects/<rel>``, read once per build."""
        if rel not in self.file_digests:
            path = paths.PROJECTS / rel
            self.file_digests[rel] = digest(path.read_bytes()) if path.is_file() \
                else "missing"
        return self.file_digests[rel]

    def post_key(self, markdown: str, source: str, page_url: str, line_offset: int,
                 repo_url: str | None, stamps, notebooks, live_key: str = "") -> str:
        """What a post's Markdown as the site renders it is made from: its expanded
        markers and its "Re-run this post" box (`journal.site.rerun`).

        Besides the post: the verification report, and for every notebook a
        marker names (all of them when one is not found), its file and what the
        report says of it now. ``notebooks`` is the build's
        `journal.embed.NotebookCache`; ``live_key`` what decides the posts' "Run
        in your browser" controls.
        """
        named = set(self.memo("markers", digest(SALT, "markers", markdown), lambda: sorted(
            {posixpath.normpath(rel) for m in markdown_source.markers(markdown)
             if (rel := markdown_source.marker_notebook(m))})))
        parts = []
        if named:
            known = self._project_notebooks()
            for rel in sorted(known if named - known else named):
                check = stamps.check(rel, notebooks.get(rel, Location(source)))
                parts += [rel, self.notebook_digest(rel), check.status.value,
                          check.reason]
        return digest(SALT, "post", markdown, source, page_url, line_offset, repo_url,
                      stamps.strict, self.report_digest, live_key, *parts)

    def notebook_page_key(self, html: str, rel: str, title: str, page_url: str, posts,
                          stamp: str) -> str:
        """What a notebook page is made from (`journal.site.notebook_page.finish`):
        mkdocs-jupyter's HTML, the notebook, its title and address, the posts
        that use it and its stamp."""
        return digest(SALT, "notebook-page", html, rel, self.notebook_digest(rel), title,
                      page_url, as_text(posts), stamp)

    def check_posts(self, folder: Path = paths.POSTS) -> None:
        """`journal.postcheck.check_posts`, skipping a post that passed unchanged.

        A post's checks read the post and whether the files it links to exist,
        so a pass is kept under the post and the list of files it could link to.
        A link to posts/ or projects/ means the top-level folders, never
        ``pages/posts`` or ``pages/projects`` (which the blog plugin makes, empty,
        in the first build), so those are not in the list.
        """
        if not self.uses("postcheck"):
            return postcheck.check_posts(folder)
        shadowed = (paths.ROOT / "pages" / "posts", paths.ROOT / "pages" / "projects")
        around = digest(*sorted(p.relative_to(paths.ROOT).as_posix()
                                for root in (paths.POSTS, paths.PROJECTS,
                                             paths.ROOT / "pages")
                                for p in root.rglob("*")
                                if not any(p == s or p.is_relative_to(s)
                                           for s in shadowed)))
        for path in sorted(Path(folder).rglob("*.md")):
            key = digest(SALT, "postcheck", around, path.as_posix(), path.read_bytes())
            self.memo("postcheck", key, lambda: postcheck.check_post(path) or "passed")

    def claims_in_file(self, text: str, source: str) -> list:
        """`journal.claims.claims_in_file`, read once per version of a post (a
        malformed marker is not kept: it fails every build)."""
        found = self.memo("claims", digest(SALT, "claims", text), lambda: [
            [line, dataclasses.asdict(claim)]
            for line, claim in claims.claims_in_file(text, source)])
        return [(line, claims.Claim(**claim)) for line, claim in found]

    def verdict(self, claim, first: dict, second: dict):
        """`journal.claims.judge`, once per claim and pair of metric records."""
        key = digest(SALT, "verdict", repr(claim), as_text(first), as_text(second))
        found = self.memo("claims", key, lambda: dataclasses.asdict(
            claims.judge(claim, first, second)))
        return claims.Verdict(**{**found, "runs": tuple(found["runs"])})

    def scan_notebook(self, nb, name: str, names: dict[str, str] | None = None):
        """`journal.safety.scan_notebook`, once per version of a notebook and of
        the local names it looks for."""
        names = safety.local_names() if names is None else names
        # A notebook `read_notebook` parsed is known by its file's content.
        content = next((key for key, parsed in self.parsed.items() if parsed is nb),
                       None) or json.dumps(nb)
        key = digest(SALT, "safety", name, as_text(names), content)
        found = self.memo("safety", key, lambda: [
            [f.file, f.where, f.kind, f.excerpt]
            for f in safety.scan_notebook(nb, name, names)])
        return [safety.Finding(*f) for f in found]

    def read_notebook(self, path: Path):
        """`journal.nbfile.read`, validating a notebook file only the first time
        and parsing it once per process (``mkdocs serve`` rebuilds)."""
        if not self.uses("notebook"):
            return nbfile.read(path)
        key = digest(SALT, "notebook", Path(path).read_bytes())
        text = self.memo("notebook", key, lambda: json.dumps(nbfile.read(path)))
        if key not in self.parsed:
            self.parsed[key] = nbformat.from_dict(json.loads(text))
        self.parsed_now.add(key)
        return self.parsed[key]

    def cleaned_notebook(self, path: Path) -> str | None:
        """`journal.site.mount.cleaned` of a notebook under ``projects/``, once per
        version of its file."""
        if not self.uses("sanitized"):
            return mount.cleaned(path)
        rel = Path(path).relative_to(paths.PROJECTS).as_posix()
        key = digest(SALT, "sanitized", self.notebook_digest(rel))
        return self.memo("sanitized", key, lambda: mount.cleaned(path) or "") or None

    def quoted_by(self, path: Path):
        """`journal.site.projects.quoted_by`, read once per version of the post."""
        if not self.uses("quoted"):
            return projects.quoted_by(path)
        found = self.memo("quoted", digest(SALT, "quoted", path.name, path.read_bytes()),
                          lambda: _as_stored(projects.quoted_by(path)))
        return None if found == "draft" else (projects.Post(*found[0]), found[1])

    def readtime_of(self, html: str, words_per_minute: int) -> int:
        """The blog plugin's reading time of a post's ``html``, in minutes (its
        own measure, so a cached one is the same number)."""
        return self.memo("readtime", digest(SALT, "readtime", words_per_minute, html),
                         lambda: internals.readtime(html, words_per_minute))

    def reading_time(self, page, html: str, config) -> None:
        """Give a post the blog plugin's reading time from the cache when it has one.

        The blog plugin measures a post only when its front matter does not set
        ``readtime``; this sets it to what the plugin measured for the same HTML.
        """
        blog = config.plugins.get("material/blog")
        post_config = getattr(page, "config", None)
        if not self.uses("readtime") or blog is None or not blog.config.post_readtime \
                or getattr(page, "excerpt", None) is None \
                or getattr(post_config, "readtime", None):
            return
        post_config.readtime = self.readtime_of(
            html, blog.config.post_readtime_words_per_minute)

    # -----------------------------------------------------------------------
    # Pages: a Markdown page converted once for the same text, links and settings

    def render_page(self, page, config, files) -> None:
        """At ``on_pre_page``: convert the page's Markdown at most once per content.

        What MkDocs' ``Page.render`` makes (the HTML, the table of contents, the
        title found in it, the anchors it holds and the anchors it links to) is
        kept under the page's Markdown, its address, the files its snippet lines
        include and the Markdown settings, with the files its links looked up: a
        hit needs each of those to be where it was. A hit logs again what the
        conversion logged, so a strict build still fails on a broken link.
        """
        if not self.uses("page") or not page.file.src_uri.endswith(".md"):
            return
        convert = page.render  # MkDocs' own, for a miss
        pages = self.store("page")

        def render(config, files):
            included = _included(page.markdown)
            if included is None:
                return convert(config, files)
            key = digest(SALT, "page", page.markdown, page.file.src_uri, page.url,
                         page.file.inclusion.name, *included,
                         as_text([config["markdown_extensions"], config["mdx_configs"],
                                  config["validation"], config["use_directory_urls"]]))
            found = pages.get(key)
            if found is None or any(_seen(files.get_file_from_path(path)) != seen
                                    for path, seen in found["lookups"].items()):
                found = _convert(page, convert, config, files)
                if STASH_MARK not in page.content:
                    pages.put(key, found)
                return
            for name, level, message in found["log"]:
                logging.getLogger(name).log(level, message)
            page.content = found["content"]
            page.toc = get_toc(found["toc"])
            checks_anchors = logging.getLogger(
                "mkdocs.structure.pages").getEffectiveLevel() > logging.DEBUG
            internals.restore_render_results(
                page, found["title"], found["anchors"],
                {files.get_file_from_path(src): links
                 for src, links in found["links"].items()} if checks_anchors else None)

        internals.replace_render(page, render)


def _as_stored(quoted):
    return "draft" if quoted is None else [[quoted[0].src_uri, quoted[0].title],
                                           quoted[1]]




class _Lookups:
    """The build's files, as a page's conversion sees them, noting what it looks up.

    MkDocs resolves a page's links with ``files.get_file_from_path`` and nothing
    else, so those lookups are all a converted page depends on among the files.
    """

    def __init__(self, files):
        self.files, self.found = files, {}

    def get_file_from_path(self, path: str):
        file = self.files.get_file_from_path(path)
        self.found[path] = _seen(file)
        return file

    def __getattr__(self, name):
        return getattr(self.files, name)


def _seen(file) -> list[str] | None:
    """What a link to ``file`` turns into: where it is, and whether it is published."""
    return None if file is None else [file.url, file.inclusion.name]


def _included(markdown: str) -> list[str] | None:
    """The files the page's snippet lines include, or None when one is not a
    plain ``--8<-- "path"`` line (the page is then converted every time)."""
    found = []
    for line in markdown.splitlines():
        match = markdown_source.snippet_line(line)
        if match is None or match.group("section"):
            continue
        if not match.group("path") or match.group("rest").strip():
            return None
        path = paths.ROOT / match.group("path")
        if ":" in path.name:  # "file.py:section"
            path = path.with_name(path.name.rsplit(":", 1)[0])
        if not path.is_file():
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
        if any((inner := markdown_source.snippet_line(other)) is not None
               and not inner.group("section") for other in text.splitlines()):
            return None  # an include that includes: followed no further
        found += [match.group("path"), digest(text)]
    return found


class _Warnings(logging.Handler):
    """What MkDocs logs while a page is converted (broken links, for one)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.records: list[list] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append([record.name, record.levelno, record.getMessage()])


def _convert(page, convert, config, files) -> dict:
    """MkDocs' conversion of ``page``, and what a later hit needs of it."""
    lookups, warnings = _Lookups(files), _Warnings()
    logging.getLogger("mkdocs").addHandler(warnings)
    try:
        convert(config, lookups)
    finally:
        logging.getLogger("mkdocs").removeHandler(warnings)
    done = internals.render_results(page)
    return {"content": page.content, "toc": _toc_tokens(page.toc),
            "title": done["title"], "anchors": done["anchors"],
            "links": {f.src_uri: links for f, links in done["links"].items()},
            "lookups": lookups.found, "log": warnings.records}


def _toc_tokens(toc) -> list[dict]:
    """The table of contents as the tokens `mkdocs.structure.toc.get_toc` reads."""
    return [{"level": item.level, "id": item.id, "name": item.title,
             "children": _toc_tokens(item.children)} for item in toc]
