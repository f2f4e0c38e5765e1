"""TeX to MathML at build time, so pages with maths need no script.

The maths pymdownx.arithmatex marks in a Markdown page (generic mode: inline
``<span class="arithmatex">\\(...\\)</span>``, display ``<div
class="arithmatex">\\[...\\]</div>``) and the maths left as TeX in a notebook's
Markdown cells (``$...$``, ``$$...$$``, ``\\begin{...}...\\end{...}``) become
``<math>`` elements (MathML Core, which browsers render themselves), made by
math-core with the TeX source kept as an annotation. A formula math-core cannot
convert is a `JournalError` naming the page and the formula.
"""

import html
import re

import math_core
from bs4 import BeautifulSoup, NavigableString

from journal import errors
from journal.errors import JournalError

CONVERTER = math_core.LatexToMathML(annotation=True, fancy_error=False)

# arithmatex's generic output: the TeX between \( \) or \[ \], escaped as text
# (no tag inside: maths already made MathML is not converted twice).
ARITHMATEX = re.compile(r'(<(span|div) class="arithmatex">)([^<]*)(</\2>)')
WRAPPED = re.compile(r"\A\s*\\[(\[](.*)\\[)\]]\s*\Z", re.DOTALL)
# TeX as Jupyter leaves it in a rendered Markdown cell: display first.
NOTEBOOK_TEX = re.compile(
    r"\$\$(?P<d1>.+?)\$\$|\\\[(?P<d2>.+?)\\\]"
    r"|(?P<env>\\begin\{(?P<name>[A-Za-z]+\*?)\}.*?\\end\{(?P=name)\})"
    r"|\\\((?P<i1>.+?)\\\)|\$(?P<i2>[^\s$](?:[^$]*?[^\s$])?)\$", re.DOTALL)
MARKDOWN_CELL = ".jp-MarkdownCell"
NOT_MATHS = ("code", "pre", "script", "style", "math")


def to_mathml(tex: str, *, display: bool, where: str) -> str:
    """``tex`` as a ``<math>`` element; ``where`` names the page for an error."""
    try:
        return CONVERTER.convert_with_local_state(tex.strip(), displaystyle=display)
    except math_core.LatexError as err:
        formula = " ".join(tex.split())
        raise JournalError(f"{where}: cannot convert the formula {formula!r} to "
                           f"MathML: {' '.join(str(err).split())}") from None


def convert_arithmatex(page_html: str, where: str) -> str:
    """A Markdown page's HTML with arithmatex's maths as MathML (the marked
    ``span``/``div`` kept, so the theme's layout of maths still applies; a
    display formula wider than a phone scrolls, so it can take the focus)."""
    def replace(match: re.Match) -> str:
        start, tag, text, end = match.groups()
        tex = html.unescape(text)
        wrapped = WRAPPED.match(tex)
        if tag == "div":
            start = '<div class="arithmatex" tabindex="0">'
        return start + to_mathml(wrapped.group(1) if wrapped else tex,
                                 display=tag == "div", where=where) + end

    return ARITHMATEX.sub(replace, page_html)


def convert_notebook_markdown(soup: BeautifulSoup, nb, where: str) -> None:
    """The TeX in a notebook page's rendered Markdown cells as MathML, in place;
    code in those cells is left alone. ``where`` is the notebook's path."""
    cells = soup.select(MARKDOWN_CELL)
    sources = [c for c in nb.cells if c.cell_type == "markdown"]
    for k, cell in enumerate(cells):
        label = where
        if len(cells) == len(sources):
            label = f"{where}, {errors.cell_label(sources, k, 'markdown')}"
        for text in list(cell.find_all(string=NOTEBOOK_TEX)):
            # (a comment or CDATA is a NavigableString subclass: left alone)
            if type(text) is NavigableString and text.find_parent(NOT_MATHS) is None:
                text.replace_with(*_text_with_mathml(str(text), label))


def _text_with_mathml(text: str, where: str) -> list:
    parts, last = [], 0
    for match in NOTEBOOK_TEX.finditer(text):
        parts.append(text[last:match.start()])
        inline = match.group("i1") or match.group("i2")
        tex = inline or match.group("d1") or match.group("d2") or match.group("env")
        parts.append(BeautifulSoup(to_mathml(tex, display=not inline, where=where),
                                   "html.parser"))
        last = match.end()
    parts.append(text[last:])
    return [p if not isinstance(p, str) else NavigableString(p) for p in parts if p != ""]
