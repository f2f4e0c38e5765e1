"""Maths as MathML made at build time (journal/site/maths.py): in posts, in the
Markdown cells of notebook pages, and a formula that cannot be converted."""

import nbformat
import pytest
from bs4 import BeautifulSoup

from built_site import build_copy, site_copy
from journal.errors import JournalError
from journal.site import maths

POST = r"""---
date:
  created: 2026-01-02
categories:
  - From scratch
---

# Softmax by hand

For scores \(z_1, \dots, z_C\) and a true class $y$ the loss is this.

<!-- more -->

$$
L = -\log \frac{e^{z_y}}{\sum_{j=1}^{C} e^{z_j}}, \qquad a < b.
$$

That is all.
"""


def test_arithmatex_maths_becomes_mathml_keeping_its_tex():
    page = ('<p>For <span class="arithmatex">\\(a &lt; b\\)</span> and</p>\n'
            '<div class="arithmatex">\\[\n\\frac{1}{m}\\sum_i x_i\n\\]</div>')
    out = BeautifulSoup(maths.convert_arithmatex(page, "posts/a.md"), "html.parser")
    inline, block = out.find_all("math")
    assert inline.parent.name == "span" and inline.get("display") is None
    assert block.parent.name == "div" and block["display"] == "block"
    assert block.parent["tabindex"] == "0"  # scrolls sideways on a phone
    assert inline.find("annotation", encoding="application/x-tex").text == "a < b"
    assert block.find("mfrac") is not None and block.find("munder") is not None
    assert "\\(" not in out.text.replace(inline.text, "")
    # converting again changes nothing: the blog's excerpts pass through twice
    assert maths.convert_arithmatex(str(out), "posts/a.md") == str(out)


def test_a_formula_the_converter_refuses_names_the_page_and_the_formula():
    page = '<p><span class="arithmatex">\\(\\frac{1}{\\nosuchcommand}\\)</span></p>'
    with pytest.raises(JournalError) as err:
        maths.convert_arithmatex(page, "posts/a.md")
    message = str(err.value)
    assert message.startswith("posts/a.md: cannot convert the formula "
                              "'\\\\frac{1}{\\\\nosuchcommand}'"), message
    assert "\n" not in message


def test_tex_in_notebook_markdown_cells_becomes_mathml_and_code_is_left_alone():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("intro"),
                                         nbformat.v4.new_code_cell("x = '$a$'"),
                                         nbformat.v4.new_markdown_cell("maths")])
    page = ('<div class="jp-Cell jp-MarkdownCell"><p>It costs $5 and $6.</p></div>'
            '<div class="jp-Cell jp-CodeCell"><pre>x = \'$a$\'</pre></div>'
            '<div class="jp-Cell jp-MarkdownCell"><p>The loss $L = -\\log p$, so\n'
            '$$\n\\sum_i x_i &lt; 1\n$$\n<code>$not$</code></p>'
            '<p>\\begin{align} a &amp;= b \\end{align}</p></div>')
    soup = BeautifulSoup(page, "html.parser")
    maths.convert_notebook_markdown(soup, nb, "projects/x/x.ipynb")
    first, code, second = soup.select(".jp-Cell")
    assert first.find("math") is None and "$5 and $6" in first.text
    assert code.find("math") is None and "$a$" in code.text
    found = second.find_all("math")
    assert [m.get("display") for m in found] == [None, "block", "block"]
    assert [m.annotation.text for m in found] == [
        "L = -\\log p", "\\sum_i x_i < 1", "\\begin{align} a &= b \\end{align}"]
    assert second.code.text == "$not$"


def test_a_bad_formula_in_a_notebook_names_the_notebook_and_its_cell():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("$x^^2$")])
    nb.cells[0].id = "loss"
    soup = BeautifulSoup('<div class="jp-MarkdownCell"><p>$x^^2$</p></div>',
                         "html.parser")
    with pytest.raises(JournalError, match=r"^projects/x/x\.ipynb, markdown cell 1 of 1 "
                                           r"\(id loss\): cannot convert the formula "):
        maths.convert_notebook_markdown(soup, nb, "projects/x/x.ipynb")


def test_a_post_with_maths_builds_to_mathml_with_no_script(tmp_path):
    post = tmp_path / "2026-01-02-softmax-by-hand.md"
    post.write_text(POST, encoding="utf-8")
    root = site_copy(tmp_path / "repo", posts=[post])
    result = build_copy(root, tmp_path / "out", reports=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    [page] = (tmp_path / "out").glob("2026/01/02/*/index.html")
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article")
    found = article.find_all("math")
    assert [m.get("display") for m in found] == [None, None, "block"]
    assert [m.annotation.text for m in found] == [
        "z_1, \\dots, z_C", "y", POST.split("$$")[1].strip()]
    assert "\\(" not in article.text.replace("".join(m.text for m in found), "")
    scripts = [s.get("src", "inline") for s in soup.find_all("script")]
    assert not [s for s in scripts if "math" in s.lower()], scripts
    assert not list((tmp_path / "out").rglob("*mathjax*"))
    # the excerpt on the blog's index shows the inline maths as MathML too
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'class="arithmatex"><math>' in index and "\\(" not in index


def test_a_bad_formula_fails_the_strict_build_naming_the_page(tmp_path):
    post = tmp_path / "2026-01-02-softmax-by-hand.md"
    post.write_text(POST.replace(r"\qquad", r"\qquadd"), encoding="utf-8")
    root = site_copy(tmp_path / "repo", posts=[post])
    result = build_copy(root, tmp_path / "out", reports=tmp_path)
    assert result.returncode != 0
    [line] = [line for line in result.stderr.splitlines() if "cannot convert" in line]
    assert "posts/2026-01-02-softmax-by-hand.md: cannot convert the formula" in line, line
    assert "\\qquadd" in line and 'Unknown command "\\qquadd"' in line
