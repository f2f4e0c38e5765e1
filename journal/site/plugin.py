"""The journal's MkDocs plugin (``plugins: - journal`` in mkdocs.yml).

Its event handlers, in the order of a build, are the table of contents of how
the site is made; each hands over to one module of `journal.site`. Its options
are `JournalConfig`'s; its state lives on the instance, made afresh in
``on_config`` for every build (the build cache stays for the process, so
``mkdocs serve`` keeps it in memory between rebuilds).
"""

import contextlib
import html
import logging
import os
from pathlib import Path

from mkdocs.config import base, config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files

from journal import (claim_checks, drift, embed, markdown_source, paths, project_info,
                     safety, sanitize_html, snippet_quotes, verification)
from journal.errors import JournalError, Location
from journal.site import (cache, csp, excerpts, handmade, live, maths, mount, notebook_page,
                          pages, projects, repository, rerun, search, stamps)
from journal.site.cache import LAYERS
from journal.site.rebuild import Rebuild

log = logging.getLogger("mkdocs.plugins.journal")


class JournalConfig(base.Config):
    # A strict build (`mkdocs build --strict`) publishes only notebooks that
    # passed `make test`; this lets it show unverified ones with their banner.
    # JOURNAL_ALLOW_UNVERIFIED=1 in the environment sets it too (the tests and
    # the benchmark build before verifying).
    allow_unverified = c.Type(bool, default=False)
    # The build cache (journal.site.cache). JOURNAL_NO_CACHE=1 in the
    # environment turns it off too (the tests compare builds with and without).
    cache = c.Type(bool, default=True)
    cache_dir = c.Type(str, default=".cache/journal")  # from mkdocs.yml's folder
    # Layers of the cache turned off on their own (journal.site.cache.LAYERS),
    # for measuring what each saves (bench/scale.py).
    cache_off = c.ListOfItems(c.Choice(LAYERS), default=[])
    # "journal": the search index of journal.site.search (code as names, prose
    # without stop words, parses cached); "stock": Material's own, with only
    # the documented data-search-exclude marks.
    search_index = c.Choice(("journal", "stock"), default="journal")
    # Trims of the journal's index undone one by one (journal.site.search.TRIMS),
    # for measuring what each saves (bench/scale.py).
    search_trim_off = c.ListOfItems(c.Choice(search.TRIMS), default=[])


@contextlib.contextmanager
def as_plugin_error():
    """A `JournalError` raised inside stops the build as MkDocs reports its
    plugins' errors: the one-line message, without a traceback."""
    try:
        yield
    except JournalError as err:
        raise PluginError(str(err)) from None


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def source_and_offset(page) -> tuple[str | None, int]:
    """A page's source file and how many lines its front matter takes."""
    source = getattr(page.file, "abs_src_path", None)
    if source and Path(source).is_file():
        return source, markdown_source.split_front_matter(
            Path(source).read_text(encoding="utf-8-sig"))[2]
    return source, 0


def is_notebook(page) -> bool:
    src = page.file.src_uri
    return src.startswith("projects/") and src.endswith(".ipynb")


class JournalPlugin(BasePlugin[JournalConfig]):
    def __init__(self):
        self.command = "build"
        self.cache: cache.BuildCache | None = None
        self.rebuild = Rebuild(None)
        self.notebooks = embed.NotebookCache()
        self.stamps: stamps.Verification | None = None
        self.shared = notebook_page.SharedFiles()
        self.used: dict[str, list[projects.Post]] = {}
        self.live: live.Live | None = None
        self.drift: dict | None = None

    # -----------------------------------------------------------------------
    # The build, event by event

    def on_startup(self, *, command, dirty):
        self.command, self.cache = command, None
        self.rebuild = Rebuild(None)
        self.rebuild.start(command, dirty)

    # At the default priority, after the search plugin's on_config made its index.
    def on_config(self, config):
        self.read_inputs(config)           # cache, verification report, notebooks
        self.check_posts()                 # errors that name the post and line
        self.check_claims(config)          # comparisons judged on the runs
        self.add_notebooks_to_nav(config)  # after the projects index
        if self.config.search_index == "journal":
            search.install(config, self.cache, lambda: self.rebuild.dirty,
                           off=frozenset(self.config.search_trim_off))
        self.rebuild.plan(config, lambda body, source, offset: self.post_markdown(
            repository.expand_links(body, config.get("repo_url")), source, None, offset,
            config))
        return config

    @event_priority(100)  # before the blog and mkdocs-jupyter plugins look at files
    def on_files(self, files: Files, *, config) -> Files:
        self.check_notebooks()      # nothing private published, outputs cleaned
        mount.mount(files, config,  # posts/ and projects/
                    clean=self.cache.cleaned_notebook)
        self.add_generated_files(files, config)
        return files

    def on_nav(self, nav, *, config, files):
        self.rebuild.keep_views(files)

    def on_pre_page(self, page, *, config, files):
        self.cache.render_page(page, config, files)

    def on_page_markdown(self, markdown: str, *, page, config, files) -> str:
        if is_notebook(page):
            return markdown  # rendered by mkdocs-jupyter, finished in on_page_content
        try:
            markdown = repository.expand_links(markdown, config.get("repo_url"))
        except ValueError as err:
            raise PluginError(f"{page.file.src_uri}: {err}") from err
        source, offset = source_and_offset(page)  # the file read once per page
        self.check_snippet_quotes(markdown, page, source, offset)
        if page.file.src_uri.startswith("posts/"):
            markdown = self.post_page_markdown(markdown, page, config, offset)
        return markdown

    @event_priority(50)  # before the blog plugin measures a post's reading time
    def on_page_content(self, html: str, *, page, config, files) -> str:
        with as_plugin_error():  # e.g. a formula the maths converter refuses
            if is_notebook(page):
                return self.notebook_page(html, page, files)
            # the maths as MathML, made here so no page needs a script for it
            html = maths.convert_arithmatex(html, page.file.src_uri)
        # hand-made pictures get "not re-derived" under them; phones get the date
        html = self.leave_out(stamps.post_date(handmade.mark(html), page))
        self.cache.reading_time(page, html, config)
        self.rebuild.record(page, html, config)
        if self.cache.uses("excerpts"):
            excerpts.stop_at_separator(page, config, self.cache)
        return html

    def on_post_page(self, output: str, *, page, config) -> str:
        """The maths the blog's excerpts bring to index pages, as MathML too
        (they are rendered apart from their posts' ``on_page_content``)."""
        if is_notebook(page):
            return output
        with as_plugin_error():
            return maths.convert_arithmatex(output, page.file.src_uri)

    def on_env(self, env, *, config, files):
        return self.cache.templates(env)

    @event_priority(100)  # before mkdocs-jupyter clears what it takes for stale
    def on_post_build(self, *, config):
        self.rebuild.keep_conversions(config)
        self.write_shared_files(Path(config["site_dir"]))
        # Every page checked for scripts not the site's own; `mkdocs build`
        # pages get their Content-Security-Policy (`csp`).
        for problem in csp.check_and_protect(Path(config["site_dir"]),
                                             config.get("site_url"),
                                             protect=self.command == "build",
                                             stored=self.cache):
            log.warning(problem)
        self.cache.end_build(prune=self.rebuild.whole)

    # -----------------------------------------------------------------------
    # What the events do

    def read_inputs(self, config) -> None:
        """The build cache (kept from the last build when its options are the
        same), the verification report and the notebooks, read once per build."""
        on = self.config.cache and not env_flag("JOURNAL_NO_CACHE")
        root = Path(config.get("config_file_path") or paths.ROOT / "mkdocs.yml").parent
        folder, off = root / self.config.cache_dir, frozenset(self.config.cache_off)
        if self.cache is None or (self.cache.folder, self.cache.on, self.cache.off) != \
                (folder, on, off):
            self.cache = cache.BuildCache(folder, on, off)
        self.rebuild.stored = self.cache
        strict = bool(config.get("strict")) and self.command == "build" and not (
            self.config.allow_unverified or env_flag("JOURNAL_ALLOW_UNVERIFIED"))
        try:
            report = verification.load(*verification.report_files())
            self.drift = drift.load_report()
        except ValueError as err:
            raise PluginError(str(err)) from err
        self.notebooks = embed.NotebookCache(read=self.cache.read_notebook)
        self.stamps = stamps.Verification(report, strict, self.drift)
        self.shared = notebook_page.SharedFiles()
        self.cache.start(config, {**report, "drift": self.drift})
        with as_plugin_error():
            self.live = live.Live(pages.project_notebooks(self.notebooks), self.stamps,
                                  stored=self.cache)

    def check_posts(self) -> None:
        """`journal.postcheck` on every post, and which notebooks each quotes."""
        with as_plugin_error():
            self.cache.check_posts(paths.POSTS)
            self.used = projects.posts_using(paths.POSTS, quoted=self.cache.quoted_by)

    def check_claims(self, config) -> None:
        """Every claim in the posts judged on the published runs and on the verdicts
        `make test` recorded (`journal.claim_checks`): a strict build fails on
        those that do not hold, naming post, line and both numbers; a preview
        warns and shows them marked as not supported."""
        with as_plugin_error():
            found = claim_checks.problems(self.notebooks.get, self.stamps.report,
                                          judged=self.stamps.strict,
                                          read=self.cache.claims_in_file,
                                          rule=self.cache.verdict)
        if found and config.get("strict"):
            raise PluginError("\n".join(found))
        for problem in found:
            log.warning(problem)

    def add_notebooks_to_nav(self, config) -> None:
        """Every notebook page after the projects index, under its project's title,
        in the order posts first use them."""
        with as_plugin_error():
            notebooks = projects.in_reading_order(
                pages.project_notebooks(self.notebooks), self.used)
        # The theme inserts nav titles as they are: a notebook's title is text.
        titles = [(rel, html.escape(project_info.title(nb, rel))) for rel, nb in notebooks]
        if config["nav"] is not None and not projects.add_to_nav(config["nav"], titles):
            raise PluginError(f"mkdocs.yml: the nav does not list {projects.INDEX}, "
                              f"after which the notebook pages go")

    def check_notebooks(self) -> None:
        """The privacy scan on every notebook the site publishes (`journal.safety`),
        and what cleaning changes in their outputs (`journal.sanitize_html`) as
        warnings, so a strict build fails naming notebook and cell."""
        with as_plugin_error():
            notebooks = list(pages.project_notebooks(self.notebooks))
            safety.check_notebooks(notebooks, scan=self.cache.scan_notebook)
        for rel, nb in notebooks:
            for finding in sanitize_html.findings(nb, rel):
                log.warning(finding)

    def check_snippet_quotes(self, markdown: str, page, source: str | None,
                             offset: int) -> None:
        """Every ``--8<--`` quote in a page's own Markdown names a file under
        snippets/ that exists (`journal.snippet_quotes`), named by post and line."""
        with as_plugin_error():
            snippet_quotes.check(markdown, paths.display_path(source) if source
                                 else page.file.src_uri, offset)

    def add_generated_files(self, files: Files, config) -> None:
        """Figure files, the Projects and Notebooks pages (`pages`), the files of
        browser runs (`live`)."""
        with as_plugin_error():
            notebooks = list(pages.project_notebooks(self.notebooks))
            for file in pages.generated_files(config, notebooks, self.stamps, self.used,
                                              self.drift):
                if files.get_file_from_path(file.src_uri) is None:
                    files.append(file)
            for file in self.live.files(config):
                files.append(file)

    def leave_out(self, page_html: str) -> str:
        """`journal.site.search.leave_out`, unless that trim is off."""
        if "leave-out" in self.config.search_trim_off:
            return page_html
        return search.leave_out(page_html)

    def write_shared_files(self, site: Path) -> None:
        """The styles and scripts notebook pages share, written once."""
        for uri, text in self.shared.files.items():
            target = site / uri
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")

    def post_page_markdown(self, markdown: str, page, config, offset: int) -> str:
        """A post's markers expanded, kept by content in the cache."""
        with as_plugin_error():
            key = self.cache.post_key(markdown, page.file.src_uri, page.url, offset,
                                      config.get("repo_url"), self.stamps,
                                      self.notebooks, self.live.key)
            return self.cache.memo("post", key, lambda: self.post_markdown(
                markdown, page.file.src_uri, page.url, offset, config))

    def post_markdown(self, markdown: str, source: str, page_url: str | None,
                      offset: int, config) -> str:
        """A post's Markdown with its markers (``{% embed %}``, ``{% value %}``,
        ``{% literal %}``, ``{% claim %}``, ``{% runs %}``) expanded
        (`journal.embed`), with verification
        stamps (`stamps`), the "Run in your browser" controls (`live`) and, when
        it quotes notebooks, the closing "Re-run this post" box (`rerun`)."""
        # Figures need no files here: `pages.generated_files` wrote every notebook's.
        ctx = embed.Context(source, page_url=page_url, verification=self.stamps,
                            live=self.live)
        expanded = embed.expand(markdown, source, cache=self.notebooks, ctx=ctx,
                                line_offset=offset)
        expanded = stamps.after_title(expanded, self.stamps.post_line(
            markdown, source, offset, self.notebooks,
            stamps.source_link(stamps.EXPLAINED_SOURCE, source),
            stamps.source_link(stamps.STILL_SOURCE, source)))
        runnable = [rel for rel in projects.notebooks_named(markdown, source, offset)
                    if self.live.runs(rel)]
        controls = [self.live.control(rel, ctx.page_url or "", "post") for rel in runnable]
        if runnable:  # a link to each control, near the top
            expanded = live.after_excerpt(expanded, "\n\n".join(map(self.live.jump,
                                                                   runnable)))
        box = rerun.for_post(markdown, offset, ctx, self.notebooks, self.stamps,
                             config.get("repo_url"))
        closing = "\n\n".join(controls + ([box] if box else []))
        return expanded.rstrip("\n") + "\n\n" + closing + "\n" if closing else expanded

    def notebook_page(self, html: str, page, files) -> str:
        """A notebook page made light, titled and stamped (`notebook_page`), kept
        by content in the cache, with what the search index leaves out marked."""
        rel = page.file.src_uri.removeprefix("projects/")
        nb = self.notebooks.get(rel, Location(page.file.src_uri))
        posts = [(post.title, file.url) for post in self.used.get(rel, [])
                 if (file := files.get_file_from_path(post.src_uri)) is not None]
        stamp = self.stamps.notebook_line(
            rel, nb, notebook_page.relative(stamps.EXPLAINED, page.url),
            notebook_page.relative(stamps.STILL, page.url))
        if self.live.runs(rel):
            stamp += "\n" + self.live.control(rel, page.url, "notebook")

        def finish() -> dict:
            shared = notebook_page.SharedFiles()  # what this page adds, kept with it
            html_out = notebook_page.finish(html, nb, rel, page_title=page.title,
                                            page_url=page.url, posts=posts, stamp=stamp,
                                            shared=shared)
            return {"html": self.leave_out(html_out), "shared": shared.files}

        key = self.cache.notebook_page_key(html, rel, page.title, page.url, posts, stamp)
        done = self.cache.memo("notebook-page", key, finish)
        self.shared.files.update(done["shared"])
        return done["html"]
