"""The internals of MkDocs, Material, pymdownx and mkdocs-jupyter the site relies on.

Each is reached from here only, listed in `INTERNALS` with the versions it was
checked against: from the one requirements.lock pins to the next minor release,
with a check of its presence that guards the rest of that range.
tests/test_site_internals.py fails, naming the internal, when an upgrade moves
one or leaves the checked range, and fails when a module elsewhere in the
package reaches into another project's private attributes. What each one buys
is measured by ``make bench`` (bench/scale.py switches each cache layer and the
index trim off through the plugin's options).
"""

import inspect
import re
from dataclasses import dataclass
from importlib import import_module, metadata
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

# Hack: Material's search index and its HTML parser have no public API; the
# index's stored sections need them (journal.site.search).
from material.plugins.blog.readtime import readtime
from material.plugins.search.plugin import Element, Parser, SearchIndex, Section
from mkdocs.structure.pages import Page
from pymdownx.highlight import HighlightExtension
from pymdownx.superfences import SuperFencesBlockPreprocessor

__all__ = ["Element", "Parser", "SearchIndex", "Section", "readtime"]


@dataclass(frozen=True)
class Internal:
    name: str        # what is relied on, as the code spells it
    package: str     # the distribution that has it
    checked: str     # the versions it was checked against
    why: str
    present: object  # () -> bool: whether the installed version still has it


def _has(owner, *names: str):
    """Whether the class ``owner`` has the methods or sets the attributes ``names``."""
    def present() -> bool:
        source = inspect.getsource(owner)
        return all(hasattr(owner, n) or re.search(rf"self\.{n}\s*=", source)
                   for n in names)
    return present


def _page_attributes() -> bool:
    page = Page.__new__(Page)
    source = inspect.getsource(Page)
    return all(f"self.{name}" in source for name in
               ("_title_from_render", "present_anchor_ids", "links_to_anchors")) \
        and callable(getattr(page, "render", None)) \
        and list(inspect.signature(Page.render).parameters) == ["self", "config", "files"]


def _counter() -> bool:
    return "self.pygments_code_block = -1" in inspect.getsource(HighlightExtension) \
        and "highlight_ext.pygments_code_block += 1" in inspect.getsource(
            SuperFencesBlockPreprocessor)


def _jupyter_cache() -> bool:
    plugin = import_module("mkdocs_jupyter.plugin").Plugin
    return any(name == "cache" for name, _ in plugin.config_scheme) \
        and 'if not self.config["cache"]' in inspect.getsource(plugin.on_post_build)


def _search_index() -> bool:
    plugin = import_module("material.plugins.search.plugin").SearchPlugin
    return "self.search_index = SearchIndex(" in inspect.getsource(plugin.on_config) \
        and _has(SearchIndex, "add_entry_from_context", "create_entry_for_section",
                 "generate_search_index")() \
        and _has(Parser, "data")() and _has(Section, "is_excluded", "id", "title",
                                            "text")()


def _excerpt_converter() -> bool:
    post = import_module("material.plugins.blog.structure").Excerpt
    return "self.md = Markdown(" in inspect.getsource(post.__init__)


def _stop_words_found() -> bool:
    return "the" in lunr_stop_words()


INTERNALS = [
    Internal("Page.render, replaced per page", "mkdocs", ">=1.6.1,<1.7",
             "a converted page kept by content: MkDocs has no event between "
             "reading a page and converting it", _page_attributes),
    Internal("Page._title_from_render, .present_anchor_ids, .links_to_anchors",
             "mkdocs", ">=1.6.1,<1.7",
             "what a conversion leaves on the page, set again on a cache hit",
             _page_attributes),
    Internal("HighlightExtension.pygments_code_block", "pymdown-extensions",
             ">=13.1,<14", "a highlighted block from the cache keeps its number on "
             "the page (line anchors carry it)", _counter),
    Internal("md.preprocessors['fenced_code_block'].highlight, .highlight_ext, "
             ".config", "pymdown-extensions", ">=13.1,<14",
             "SuperFences' own formatter, called on a miss",
             _has(SuperFencesBlockPreprocessor, "highlight")),
    Internal("mkdocs-jupyter's config['cache'], set during a build",
             "mkdocs-jupyter", ">=0.26.3,<0.27",
             "its cache off with the journal's; its eviction skipped after a "
             "dirty rebuild that converted no notebook", _jupyter_cache),
    Internal("SearchPlugin.search_index, SearchIndex, Parser, Section, Element",
             "mkdocs-material", ">=9.8.1,<9.9",
             "an index from parses kept by content, code as names, prose "
             "without stop words", _search_index),
    Internal("blog Excerpt.md, readtime()", "mkdocs-material", ">=9.8.1,<9.9",
             "excerpts converted up to the separator; reading time from the "
             "cache", _excerpt_converter),
    Internal("lunr's English stop words, in the search worker", "mkdocs-material",
             ">=9.8.1,<9.9", "prose stored without the words search drops",
             _stop_words_found),
]


def problems() -> list[str]:
    """Every internal the installed versions no longer have, or have outside the
    range it was checked against."""
    found = []
    for internal in INTERNALS:
        version = metadata.version(internal.package)
        try:
            present = internal.present()
        except Exception as err:  # an upgrade may move anything: report, do not crash
            present, why = False, f"{type(err).__name__}: {err}"
        else:
            why = "not found"
        if not present:
            found.append(f"{internal.name} ({internal.package} {version}): {why}")
        elif Version(version) not in SpecifierSet(internal.checked):
            found.append(f"{internal.name}: checked against {internal.package}"
                         f"{internal.checked}, installed {version}; check it again, "
                         f"then widen the range")
    return found


# ---------------------------------------------------------------------------
# MkDocs pages

def replace_render(page, render) -> None:
    """Hack: ``page.render`` replaced on this page only, as mkdocs-jupyter does
    for notebooks: MkDocs has no event between reading a page and converting it."""
    page.render = render


def render_results(page) -> dict:
    """What MkDocs' ``Page.render`` leaves on ``page`` besides content and toc."""
    return {"title": page._title_from_render,
            "anchors": sorted(page.present_anchor_ids or ()),
            "links": page.links_to_anchors or {}}


def restore_render_results(page, title, anchors, links) -> None:
    """Put back what `render_results` read (``links`` None: leave them unset, as
    MkDocs does when it will not validate anchors)."""
    page._title_from_render = title
    page.present_anchor_ids = set(anchors)
    if links is not None:
        page.links_to_anchors = links


# ---------------------------------------------------------------------------
# pymdownx SuperFences and Highlight

def default_formatter(md):
    """SuperFences' own formatter of the Markdown converter ``md``."""
    return md.preprocessors["fenced_code_block"]


def fence_settings(fences) -> list:
    """The options that shape a highlighted block: SuperFences' and Highlight's."""
    own = {k: v for k, v in fences.config.items() if k != "custom_fences"}
    return [own, fences.highlight_ext.getConfigs()]


def next_code_block(fences) -> int:
    """The number Highlight gives the page's next code block."""
    return fences.highlight_ext.pygments_code_block + 1


def skip_code_block(fences) -> None:
    """Number a block taken from the cache as the formatter would have."""
    fences.highlight_ext.pygments_code_block += 1


# ---------------------------------------------------------------------------
# mkdocs-jupyter

def set_jupyter_cache(config, on: bool) -> None:
    """mkdocs-jupyter's ``cache`` option, changed for the rest of this build
    (its ``on_post_build`` evicts what it did not convert only when it is on).
    The option is read again from mkdocs.yml for the next build."""
    jupyter = (config.get("plugins") or {}).get("mkdocs-jupyter")
    if jupyter is not None:
        jupyter.config["cache"] = on


# ---------------------------------------------------------------------------
# Material

def install_search_index(config, index_class) -> None:
    """Have Material's search plugin (when on) index with ``index_class``; its
    ``on_config`` must have run."""
    plugin = (config.get("plugins") or {}).get("material/search")
    if plugin is not None and plugin.config.enabled:
        plugin.search_index = index_class(**plugin.config)


def excerpt_converter(page):
    """The Markdown converter the blog plugin keeps on a post's excerpt, or None."""
    excerpt = getattr(page, "excerpt", None)
    return None if excerpt is None else excerpt.md


STOP_WORDS = re.compile(r"generateStopWordFilter\(\[([^\]]*)\]\)")


def lunr_stop_words() -> frozenset[str]:
    """lunr's English stop words, as Material's search worker ships them (the
    first list the worker builds a stop-word filter from)."""
    workers = Path(import_module("material").__file__).parent / "templates" / \
        "assets" / "javascripts" / "workers"
    for worker in sorted(workers.glob("search.*.min.js")):
        found = STOP_WORDS.search(worker.read_text(encoding="utf-8"))
        if found:
            return frozenset(re.findall(r'"([^"]+)"', found.group(1)))
    raise RuntimeError(f"no stop-word list in Material's search worker under {workers}")
