"""A notebook page as readers get it, made from the HTML mkdocs-jupyter renders.

`render` and `finish` make mkdocs-jupyter's self-contained page light and plain:
figures point at the image files `journal.site.pages` writes, outputs are
cleaned (`journal.sanitize_html`), styles (cut by `journal.site.stylesheets`)
and the template's scripts move into shared files named by their content
(`SharedFiles`), other scripts are dropped, TeX becomes MathML
(`journal.site.maths`), tag chips go, ``hide-input`` cells fold their code,
figures get alt text (`journal.readable`), and the project's title, summary,
posts, download link and stamp head the page. Why: pages/site.md, "What the
build adds" and "Outputs are data".
"""

import base64
import functools
import hashlib
import html
import posixpath
import re
from pathlib import Path

import mkdocs_jupyter
from bs4 import BeautifulSoup

from journal import embed, figures, project_info, readable, sanitize_html
from journal.site import maths, projects, stylesheets

SHARED_DIR = "assets/notebook"
FOLDED = "Show the code"  # the summary of a hide-input cell's folded code
STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.DOTALL)
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL)
TYPE = re.compile(r"""\btype=["']([^"']*)["']""")
EMPTY_SRC = re.compile(r"""\bsrc=["']\s*["']""")
HAS_SRC = re.compile(r"\bsrc=")
DATA_IMAGE = re.compile(r'src="data:image/(png|jpeg|gif);base64,([^"]+)"')
TAG_CHIPS = re.compile(r'<div class="celltoolbar">(?:\s*<div class="button_container '
                       r'tags_button_container">.*?</div>)*\s*</div>', re.DOTALL)
SCRIPT_TYPES = {"", "text/javascript", "module"}  # what a browser runs
TEMPLATES = Path(mkdocs_jupyter.__file__).parent / "templates" / "mkdocs_html"
OUTPUT = "div.jp-OutputArea-output"
SVG_DATA = "data:image/svg+xml;base64,"
MIME_EXT = {"png": "png", "jpeg": "jpg", "gif": "gif"}


class SharedFiles:
    """Styles and scripts shared by the notebook pages of one build: {site path: text}."""

    def __init__(self):
        self.files: dict[str, str] = {}

    def add(self, text: str, ext: str) -> str:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        uri = f"{SHARED_DIR}/{digest}.{ext}"
        self.files[uri] = text
        return uri


def relative(uri: str, page_url: str) -> str:
    """A URL from the page at ``page_url`` (``projects/x/x/``) to a site path."""
    url = posixpath.relpath(uri, page_url.rstrip("/") or ".")
    return url + "/" if uri.endswith("/") and not url.endswith("/") else url


@functools.cache
def template_scripts() -> frozenset[str]:
    """The scripts mkdocs-jupyter's template writes itself: the only ones shared.

    Its ``notebook.html.j2`` holds some inline and includes its ``assets/*.js``
    (checked against mkdocs-jupyter 0.26; tests/test_site_pages.py fails if a
    notebook page's scripts stop matching).
    """
    template = (TEMPLATES / "notebook.html.j2").read_text(encoding="utf-8")
    bodies = {body.strip() for _, body in SCRIPT.findall(template) if "{" + "{" not in body}
    bodies |= {path.read_text(encoding="utf-8").strip()
               for path in (TEMPLATES / "assets").glob("*.js")}
    return frozenset(bodies)


def share_styles_and_scripts(page: str, page_url: str, shared: SharedFiles,
                             added: str = "") -> str:
    """Styles (cut to what the page and the ``added`` HTML use) and the
    template's scripts as shared files; other scripts dropped."""
    sheets = tuple(css.strip() for css in STYLE.findall(page)
                   if not css.strip().startswith("['"))
    html_only = STYLE.sub("", page) + added
    cut = stylesheets.used_by_each(sheets, html_only)

    def style(match):
        css = match.group(1).strip()
        if css.startswith("['"):  # mkdocs-jupyter's code styles again, as a list's repr
            return ""
        css = cut[css]
        if not css:
            return ""
        href = relative(shared.add(css, "css"), page_url)
        return f'<link rel="stylesheet" href="{html.escape(href)}">'

    def script(match):
        attrs, body = match.groups()
        kind = TYPE.search(attrs)
        kind = kind.group(1).strip().lower() if kind else ""
        if EMPTY_SRC.search(attrs) or kind == "text/x-mathjax-config":
            return ""
        if kind not in SCRIPT_TYPES:
            return match.group(0)  # data (widget state), never run
        if HAS_SRC.search(attrs) or body.strip() not in template_scripts():
            return ""  # not the template's: nothing from a notebook runs
        src = relative(shared.add(body.strip() + "\n", "js"), page_url)
        module = ' type="module"' if kind == "module" else ""
        return f'<script{module} src="{html.escape(src)}"></script>'

    return SCRIPT.sub(script, STYLE.sub(style, page))


def figures_as_files(page: str, page_url: str) -> str:
    """Inline base64 figures as links to their files under assets/embeds/."""
    def link(match):
        content = base64.b64decode(match.group(2))
        uri = embed.image_uri(content, MIME_EXT[match.group(1)])
        return f'src="{html.escape(relative(uri, page_url))}"'
    return DATA_IMAGE.sub(link, page)


def sanitize_outputs(soup: BeautifulSoup, page_url: str) -> None:
    """HTML and Markdown output areas cleaned as embeds are; SVG shown as its file.

    mkdocs-jupyter renders a cleaned copy of the notebook (`journal.site.mount`);
    this pass makes the page safe on its own too.
    """
    for area in soup.select(OUTPUT):
        mime = area.get("data-mime-type", "")
        if mime == "image/svg+xml":
            # nbconvert writes SVG as a data: URI of an <img>; anything else shown
            # for it (inline markup) is not trusted and becomes an empty image.
            img = area.find("img")
            src = img.get("src", "") if img is not None else ""
            text = ""
            if src.startswith(SVG_DATA):
                text = base64.b64decode(src.removeprefix(SVG_DATA)).decode("utf-8",
                                                                            "replace")
            content, _ = sanitize_html.clean_svg(text)
            src = relative(embed.image_uri(content, "svg"), page_url)
            area.clear()
            area.append(soup.new_tag("img", attrs={"src": src, "alt": "figure"}))
        elif mime == "application/javascript":
            area.clear()
        elif mime in ("text/html", "text/markdown"):
            # (text, images and LaTeX are written escaped by nbconvert itself)
            clean = sanitize_html.clean(area.decode_contents())
            area.clear()
            area.append(BeautifulSoup(clean, "html.parser"))


def describe_figures(soup: BeautifulSoup, nb, page_url: str) -> None:
    """Alt text on every figure from its verified record (`journal.readable`),
    instead of nbconvert's "No description has been provided for this image"."""
    alts = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if (image := embed.output_image(out)) is not None:
                alts[relative(image[0], page_url)] = readable.alt_text(
                    figures.record_in(out))
    for img in soup.select(f"{OUTPUT} img"):
        if img.get("src") in alts:
            img["alt"] = alts[img["src"]]


def fold_hidden_inputs(soup: BeautifulSoup, nb) -> None:
    """Wrap the code of every ``hide-input`` cell in a closed <details>; its
    "In [n]:" prompt stays in sight, so the numbering a reader sees starts at 1."""
    if not any("hide-input" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        return
    # mkdocs-jupyter nests two elements with the cell's classes: fold each input once.
    for inputs in soup.select(".jp-Cell.celltag_hide-input .jp-InputArea-editor"):
        if inputs.find_parent("details", class_="journal-hidden-input"):
            continue
        details = soup.new_tag("details", attrs={"class": "journal-hidden-input"})
        summary = soup.new_tag("summary")
        summary.string = FOLDED
        inputs.wrap(details)
        details.insert(0, summary)


def header(summary: str, posts: list[tuple[str, str]], download: str, stamp: str) -> str:
    """What follows the title: summary, the posts that use the notebook, the stamp.

    ``posts`` is ``[(title, url)]``; ``download`` the URL of the ``.ipynb``.
    """
    parts = []
    if summary:
        parts.append(f'<p class="journal-summary">{html.escape(summary)}</p>')
    links = ", ".join(f'<a href="{html.escape(url)}">{html.escape(title)}</a>'
                      for title, url in posts)
    used = f"Used in {links}. " if links else "Not used in a post yet. "
    parts.append(f'<p class="journal-used-in">{used}<a href="{html.escape(download)}" '
                 f'download>Download the notebook (.ipynb)</a></p>')
    return "\n".join(parts) + "\n" + stamp


def finish(page: str, nb, rel: str, *, page_title: str, page_url: str, posts, stamp: str,
           shared: SharedFiles) -> str:
    """The notebook page of ``rel`` (relative to projects/), made from mkdocs-jupyter's.

    ``posts`` is ``[(title, site URL)]`` of the posts that use it; ``stamp`` is
    its verification stamp (`journal.site.stamps`).
    """
    links = [(title, relative(url, page_url)) for title, url in posts]
    download = relative(projects.source_url(rel), page_url)
    head = header(project_info.summary(nb), links, download, stamp)
    return render(page, nb, title=page_title, page_url=page_url, head=head, shared=shared,
                  where=f"projects/{rel}")


def render(page: str, nb, *, title: str, page_url: str, head: str,
           shared: SharedFiles, where: str = "") -> str:
    """The notebook page: light, titled ``title``, with ``head`` under the title;
    ``where`` (the notebook's path, else ``page_url``) names it in errors."""
    page = share_styles_and_scripts(page, page_url, shared, added=head)
    page = TAG_CHIPS.sub("", figures_as_files(page, page_url))
    soup = BeautifulSoup(page, "html.parser")
    sanitize_outputs(soup, page_url)
    describe_figures(soup, nb, page_url)
    # Code and text that scroll sideways can be scrolled from the keyboard.
    for box in soup.select(".jp-InputArea-editor .highlight-ipynb, "
                           f"{OUTPUT} pre"):
        box["tabindex"] = "0"
    fold_hidden_inputs(soup, nb)
    maths.convert_notebook_markdown(soup, nb, where or page_url)
    extra = BeautifulSoup(head, "html.parser")
    h1 = soup.find("h1")
    if h1 is None:
        h1 = soup.new_tag("h1")
        soup.insert(0, h1)
    anchor = h1.find("a", class_="anchor-link")
    h1.clear()
    h1.append(html.unescape(title))  # the nav's title, escaped for the theme
    if anchor is not None:
        h1.append(anchor)
    h1.insert_after(extra)
    return str(soup)
