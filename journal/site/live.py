"""The "Run in your browser" control, and the files behind it (`journal.live`).

`Live` decides which notebooks are offered (`journal.live.plan`), writes the
control (a button, a line of text and ``live/live.js`` with Subresource
Integrity) after a post's last embed or under a notebook page's stamp, with a
link to it near the top of a post (`Live.jump`), and adds the files under
``live/``: scripts, Python files, data, one bundle per notebook and the pinned
Pyodide, checked on every build (`journal.live.dist`). Plans and bundles are
kept in the build cache by what they are made from.
How it works: pages/site.md, "Running a notebook in the reader's browser".
"""

import dataclasses
import html
import json
import posixpath
from pathlib import Path

from mkdocs.structure.files import File

from journal import compare, paths, project_info
from journal.live import bundle, dist, plan
from journal.site import cache

SCRIPTS = ("live.js", "worker.js")
LIVE_DIR = paths.JOURNAL / "live"


EXCERPT_END = "<!-- more -->"


def after_excerpt(markdown: str, block: str) -> str:
    """``block`` after a post's excerpt (its ``<!-- more -->``, which
    `journal.postcheck` requires); unchanged without one."""
    head, more, rest = markdown.partition(EXCERPT_END)
    if not more:
        return markdown
    return head + more + "\n\n" + block + "\n\n" + rest.lstrip("\n")


class Live:
    """The notebooks this build offers to run in the browser, and their files."""

    def __init__(self, notebooks, stamps, pyodide: Path | None = None, *,
                 stored: cache.BuildCache | None = None):
        self.stored = stored or cache.BuildCache(on=False)
        self.plans: dict[str, list[plan.CellPlan]] = {}
        self._index: plan.SnippetsIndex | None = None
        self.notebooks = dict(notebooks)
        self.stamps = stamps
        self.snippets = cache.digest(*(f"{p.name}\n{p.read_text(encoding='utf-8')}"
                                       for p in sorted(paths.SNIPPETS.glob("*.py"))))
        for rel, nb in self.notebooks.items():
            cells = self._plan(rel, nb)
            if any(p.runs and compare.publishes_results(nb.cells[p.index].get("outputs", []))
                   for p in cells):
                self.plans[rel] = cells
        self.pyodide = pyodide
        self.manifest: dict[str, str] = {}
        if self.plans:
            # Every shipped file is hashed on every build, by `dist.fetch` or
            # `dist.verify` (no memo that a file of the same size and time could
            # fool): about 50 MB, a fraction of a second.
            self.pyodide = pyodide or dist.fetch()
            self.manifest = dist.manifest(self.pyodide, dist.SITE_PACKAGES)
            if pyodide is not None:  # a folder given, not fetched: not checked yet
                dist.verify(self.pyodide, self.manifest)
        self.download_bytes = sum((self.pyodide / name).stat().st_size
                                  for name in self.manifest) if self.manifest else 0
        # The control names live.js by its digest: a changed script changes the posts.
        self.script_integrity = dist.sri(dist.sha256_of(LIVE_DIR / "live.js"))
        self.key = cache.digest(json.dumps(
            [sorted((rel, [(p.runs, p.why) for p in cells]) for rel, cells in self.plans.items()),
             self.download_bytes, self.script_integrity]))

    def _plan(self, rel: str, nb) -> list[plan.CellPlan]:
        """`journal.live.plan` of a notebook, kept in the build cache by content."""
        def make():
            cells = plan.plan(nb, paths.SNIPPETS, paths.PROJECTS / rel, self.index())
            return [dataclasses.asdict(p) for p in cells]
        key = cache.digest(cache.SALT, "live-plan", self.snippets,
                           self.stored.notebook_digest(rel))
        return [plan.CellPlan(**p) for p in self.stored.memo("live-plan", key, make)]

    def index(self) -> plan.SnippetsIndex:
        """What of `snippets` needs torch (`journal.live.plan.SnippetsIndex`), kept
        in the build cache by the snippets' content."""
        if self._index is None:
            def make():
                index = plan.SnippetsIndex.read(paths.SNIPPETS)
                return {"modules": sorted(index.modules),
                        "names": {m: sorted(names) for m, names in index.names.items()}}
            found = self.stored.memo("live-plan", cache.digest(
                cache.SALT, "snippets-index", self.snippets), make)
            self._index = plan.SnippetsIndex(
                set(found["modules"]),
                {m: set(names) for m, names in found["names"].items()})
        return self._index

    def runs(self, rel: str) -> bool:
        return rel in self.plans

    def control(self, rel: str, page_url: str, layout: str) -> str:
        """The button and its note, for a post (``layout="post"``) or notebook page."""
        cells = self.plans[rel]
        base = page_url if page_url.endswith("/") else posixpath.dirname(page_url)
        script = posixpath.relpath(f"{bundle.PREFIX}/live.js", base.rstrip("/") or ".")
        ran = sum(p.runs for p in cells)
        megabytes = self.download_bytes / 1e6
        title = project_info.title(self.notebooks[rel], rel)
        note = (f"Runs {ran} of the {len(cells)} code cells of “{html.escape(title)}” in your "
                f"browser with Pyodide {dist.PYODIDE_VERSION}, on the same data, and compares "
                f"every number with the published one. The first click downloads about "
                f"{megabytes:.0f} MB; before it, the page loads only a small script."
                + (" Cells that need PyTorch keep their verified outputs."
                   if ran < len(cells) else "")
                + self._duration(rel, cells))
        return (f'<div class="journal-live" id="{self.anchor(rel)}" data-layout="{layout}" '
                f'markdown="0">'
                f'<button type="button" class="journal-live-button md-button" '
                f'data-bundle="{html.escape(bundle.bundle_name(rel))}">'
                f'Run in your browser</button> '
                f'<small class="journal-live-note">{note}</small>'
                f'<script type="module" src="{html.escape(script)}" '
                f'integrity="{self.script_integrity}" crossorigin="anonymous"></script></div>')

    @staticmethod
    def anchor(rel: str) -> str:
        """The id of a notebook's control on a page."""
        return "run-" + posixpath.splitext(posixpath.basename(rel))[0]

    def jump(self, rel: str) -> str:
        """A line near the top of a post that leads to its control further down."""
        title = html.escape(project_info.title(self.notebooks[rel], rel))
        return (f'<p class="journal-live-jump" markdown="0"><a href="#{self.anchor(rel)}">'
                f'Run “{title}” in your browser</a>: each number below is re-derived '
                f'on your machine, with its verdict under the output it checks.</p>')

    def _duration(self, rel: str, cells: list[plan.CellPlan]) -> str:
        """How long those cells took when the test suite last verified them."""
        entry = self.stamps.check(rel, self.notebooks[rel]).entry or {}
        ran = {p.code_index for p in cells if p.runs}
        seconds = sum(c.get("seconds", 0.0) for c in entry.get("cells", [])
                      if c.get("cell") in ran)
        if not seconds:
            return ""
        cpu = html.escape(entry.get("platform", {}).get("cpu") or "its machine")
        return (f" The test suite's last run of these cells took {seconds:.0f} s on {cpu};"
                f" NumPy in a browser has no BLAS, so matrix work there takes many times"
                f" longer.")

    def files(self, config) -> list[File]:
        """Every file under ``live/``, for the build's file list."""
        if not self.plans:
            return []
        found = [File.generated(config, f"{bundle.PREFIX}/{name}",
                                abs_src_path=str(LIVE_DIR / name)) for name in SCRIPTS]
        sources = bundle.sources(index=self.index())
        found += [File.generated(config, bundle.SOURCES_DIR + path, content=text)
                  for path, text in sorted(sources.items())]
        data: dict[str, tuple[str, bytes]] = {}
        digests: dict[str, str] = {}
        versions = cache.as_text(bundle.locked_versions())
        for rel, cells in sorted(self.plans.items()):
            nb = self.notebooks[rel]
            used = bundle.datasets_used([nb.cells[p.index].source for p in cells if p.runs])
            for name in used:
                if name not in data:
                    data[name] = bundle.data_file(name)
                    digests[name] = cache.digest(data[name][1])
            entry = self.stamps.check(rel, nb).entry
            # The bundle as JSON, kept in the build cache by what it is made from.
            key = cache.digest(cache.SALT, "live-bundle", rel,
                               self.stored.notebook_digest(rel), repr(cells),
                               cache.as_text(entry), versions, *sorted(sources),
                               *(f"{name} {digests[name]}" for name in used))
            content = self.stored.memo("live-bundle", key, lambda: json.dumps(
                bundle.notebook_bundle(rel, nb, cells, data, entry, list(sources)),
                sort_keys=True))
            found.append(File.generated(config, bundle.bundle_name(rel), content=content))
        for uri, content in data.values():
            found.append(File.generated(config, uri, content=content))
        for name in sorted(self.manifest):
            found.append(File.generated(config, bundle.PYODIDE_DIR + name,
                                        abs_src_path=str(self.pyodide / name)))
        return found
