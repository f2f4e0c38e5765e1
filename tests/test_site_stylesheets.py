"""Notebook pages' stylesheets cut to what the page can use (journal/site/stylesheets.py)."""

from journal.site import stylesheets

PAGE = ('<div class="jupyter-wrapper"><div class="jp-Cell jp-CodeCell">'
        '<pre class="out">1</pre></div><table><tr><td>x</td></tr></table></div>')


def test_rules_for_what_the_page_has_are_kept_and_others_dropped():
    css = """.jupyter-wrapper .jp-Cell { color: red }
.jupyter-wrapper .jp-Dialog { color: blue }
.jupyter-wrapper .jp-Cell:hover > pre::before { content: "x" }
.jupyter-wrapper :is(.jp-Menu, .jp-Cell) { margin: 0 }
.jupyter-wrapper :not(.jp-Menu) pre.out { padding: 0 }
[data-md-color-scheme=slate] .jupyter-wrapper td { color: white }
.jupyter-wrapper video { width: 1px }
#toolbar { display: none }
.jupyter-wrapper ::-moz-selection, .jupyter-wrapper .jp-Cell ::selection { color: red }
"""
    out = stylesheets.used_by(css, PAGE)
    assert ".jp-Cell { " not in out  # written again, compactly
    kept = [line.split("{")[0] for line in out.splitlines()]
    assert kept == [".jupyter-wrapper .jp-Cell",
                    ".jupyter-wrapper .jp-Cell:hover > pre::before",
                    ".jupyter-wrapper :is(.jp-Menu, .jp-Cell)",
                    ".jupyter-wrapper :not(.jp-Menu) pre.out",
                    "[data-md-color-scheme=slate] .jupyter-wrapper td",
                    # a list is kept whole: a browser drops it whole or not at all
                    ".jupyter-wrapper ::-moz-selection, .jupyter-wrapper .jp-Cell ::selection"]


def test_media_rules_are_cut_inside_and_keyframes_kept_when_named():
    css = """@media (max-width: 600px) { .jp-Cell { color: red } .jp-Dialog { color: blue } }
@media print { .jp-Dialog { color: blue } }
@keyframes spin { to { transform: rotate(1turn) } }
@keyframes fade { to { opacity: 0 } }
.jp-CodeCell { animation: spin 1s }
"""
    out = stylesheets.used_by(css, PAGE)
    assert "@media (max-width: 600px){.jp-Cell{color:red}}" in out
    assert "print" not in out and "jp-Dialog" not in out
    assert "@keyframes spin" in out and "fade" not in out


def test_custom_properties_are_kept_when_a_kept_rule_reads_them():
    css = """.jupyter-wrapper { --a: var(--b); --b: 1px; --unused: 2px; --c: 3px }
.jp-Cell { margin: var(--a) }
.jp-Dialog { margin: var(--c) }
"""
    theme = ".jupyter-wrapper { --theme: red; --other: blue }"
    page_rules = css + ".jp-Cell { color: var(--theme) }"
    out = stylesheets.used_by(page_rules, PAGE)
    assert "--a:var(--b)" in out and "--b:1px" in out
    assert "--unused" not in out and "--c" not in out
    # read in one stylesheet, defined in another of the same page
    assert stylesheets.used_by(theme, PAGE, (theme, page_rules)) == \
        ".jupyter-wrapper{--theme:red}\n"


def test_a_stylesheet_the_page_cannot_use_at_all_is_empty():
    assert stylesheets.used_by(".jp-Mermaid { display: none }", PAGE) == ""
