"""Embedding notebook cells in posts: every show mode, the cell tags, bad markers."""

import base64
import hashlib

import nbformat
import pytest

from journal import embed

V4 = nbformat.v4
# A 1x1 PNG, as notebooks store it (base64 text).
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
       "AAAABJRU5ErkJggg==")
PNG_BYTES = base64.b64decode(PNG)
PNG_URI = f"assets/embeds/{hashlib.sha256(PNG_BYTES).hexdigest()[:16]}.png"


def code(source, tags=(), outputs=(), id="c-0"):
    cell = V4.new_code_cell(source, metadata={"tags": list(tags)}, id=id)
    cell.outputs = list(outputs)
    cell.execution_count = 1
    return cell


def stream(text):
    return V4.new_output("stream", name="stdout", text=text)


def display(data):
    return V4.new_output("display_data", data=data)


@pytest.fixture
def projects(tmp_path):
    nb = V4.new_notebook()
    nb.cells = [
        V4.new_markdown_cell("# Demo", id="intro"),
        code("print('hello')", ["greeting"], [stream("hello\n")], id="c-hello"),
        code("plot()", ["figure"], [stream("drawing\n"),
                                    display({"image/png": PNG, "text/plain": "<Figure>"})],
             id="c-figure"),
        code("df", ["table"], [display({"text/html": "<table><tr><td>1</td></tr></table>",
                                        "text/plain": "   a\n0  1"})], id="c-table"),
        code("secret()", ["quiet", "remove-input"], [stream("only output\n")], id="c-q"),
        code("noisy()", ["quiet2", "remove-output"], [stream("noise\n")], id="c-n"),
        code("gone()", ["gone", "remove-cell"], [stream("gone\n")], id="c-gone"),
        code("folded()", ["fold", "hide-input"], [stream("shown\n")], id="c-fold"),
        code("a = 1", ["pair"], id="c-pair1"),
        code("print(a)", ["pair"], [stream("1\n")], id="c-pair2"),
    ]
    folder = tmp_path / "demo"
    folder.mkdir()
    nbformat.write(nb, folder / "demo.ipynb")
    return tmp_path


def expand(projects, text, source="posts/2026-01-01-x.md"):
    ctx = embed.Context(source, page_url="2026/01/01/x/")
    return embed.expand(text, source, embed.NotebookCache(projects), ctx=ctx)


def marker(rest):
    return '{% embed "demo/demo.ipynb" ' + rest + " %}"


def test_show_code_output_both(projects):
    only_code = expand(projects, marker('tag="greeting" show="code"'))
    assert "```python\nprint('hello')\n```" in only_code
    assert f"```{embed.OUTPUT_FENCE}\nhello\n```" not in only_code
    only_out = expand(projects, marker('tag="greeting" show="output"'))
    assert f"```{embed.OUTPUT_FENCE}\nhello\n```" in only_out
    assert "print('hello')" not in only_out
    both = expand(projects, marker('tag="greeting" show="both"'))
    output = both.index(f"```{embed.OUTPUT_FENCE}\nhello\n```")
    assert both.index("print('hello')") < output
    default = expand(projects, marker('tag="greeting"'))
    assert default == both


def test_select_by_id_and_several_cells_by_tag(projects):
    by_id = expand(projects, marker('id="c-pair2" show="code"'))
    assert "print(a)" in by_id and "a = 1" not in by_id
    pair = expand(projects, marker('tag="pair"'))
    output = pair.index(f"```{embed.OUTPUT_FENCE}\n1\n```")
    assert pair.index("a = 1") < pair.index("print(a)") < output


def test_figure_becomes_an_image_file_not_base64(projects):
    text = expand(projects, marker('tag="figure" show="output"'))
    assert f"](../{PNG_URI})" in text
    assert PNG not in text and "base64" not in text
    assert f"```{embed.OUTPUT_FENCE}\ndrawing\n```" in text
    assert "<Figure>" not in text  # the image wins over its text fallback
    assert list(embed.images_in(embed.NotebookCache(projects).get("demo/demo.ipynb", "x"))
                ) == [(PNG_URI, PNG_BYTES)]


def test_html_output_stays_html(projects):
    text = expand(projects, marker('tag="table" show="output"'))
    assert "<table><tbody><tr><td>1</td></tr></tbody></table>" in text
    assert '<div class="journal-output" markdown="0">' in text
    assert "0  1" not in text


def test_remove_and_hide_tags(projects):
    quiet = expand(projects, marker('tag="quiet"'))
    assert "secret()" not in quiet and "only output" in quiet
    noisy = expand(projects, marker('tag="quiet2"'))
    assert "noisy()" in noisy and "noise\n" not in noisy
    gone = expand(projects, marker('tag="gone"'))
    assert "gone()" not in gone and "gone\n" not in gone
    fold = expand(projects, marker('tag="fold"'))
    assert '??? "code"\n\n    ```python\n    folded()\n    ```' in fold
    assert f"```{embed.OUTPUT_FENCE}\nshown\n```" in fold


def test_links_and_stamp_follow_every_embed(projects):
    text = expand(projects, marker('tag="greeting"'))
    assert '/projects/demo/demo/">Demo</a>' in text  # the project's page
    # mkdocs-jupyter's copy of the source, relative to the post's URL
    assert '<a href="../../../../projects/demo/demo/demo.ipynb" download>' in text
    assert "not yet run by `journal run`" in text


def test_value_marker_unchanged(projects, tmp_path):
    nb = V4.new_notebook()
    nb.cells = [code("m", outputs=[V4.new_output("execute_result", data={
        "text/plain": "acc = 0.9", "application/vnd.journal.metric+json":
        {"metrics": [{"name": "acc", "value": 0.912, "tol": {"abs": 0.01}}]}})])]
    (tmp_path / "m").mkdir()
    nbformat.write(nb, tmp_path / "m" / "m.ipynb")
    text = expand(projects, 'got {% value "m/m.ipynb" "acc" format=".1%" %} right')
    assert text == "got 91.2% right"


def test_indented_marker_keeps_indent(projects):
    text = expand(projects, "- item\n\n    " + marker('tag="pair" show="code"'))
    assert "\n    ```python\n    print(a)\n    ```" in text


@pytest.mark.parametrize("rest, message", [
    ('tag="nope"', "has no cell tagged 'nope'"),
    ('id="nope"', "has no cell with id 'nope'"),
    ('show="code"', 'needs tag="..." or id="..."'),
    ('tag="greeting" show="all"', "show must be one of code, output, both"),
])
def test_unknown_tag_or_id_names_post_and_line(projects, rest, message):
    text = "# Post\n\nsome text\n" + marker(rest) + "\n"
    with pytest.raises(embed.EmbedError) as err:
        expand(projects, text)
    assert str(err.value).startswith("posts/2026-01-01-x.md:4: ")
    assert message in str(err.value)


def test_unknown_notebook_names_post_and_line(projects):
    text = 'line one\n\n{% embed "nope/nope.ipynb" tag="x" %}\n'
    with pytest.raises(embed.EmbedError, match=r"^posts/2026-01-01-x.md:3: unknown "
                                               r"notebook 'nope/nope.ipynb'"):
        expand(projects, text)


def test_notebook_outside_projects_is_refused(projects):
    with pytest.raises(embed.EmbedError, match="unknown notebook"):
        expand(projects, '{% embed "../../etc/x.ipynb" tag="x" %}')


def test_markers_in_fenced_code_are_shown_not_expanded(projects):
    shown = '```text\n' + marker('tag="nope"') + '\n```\n'
    text = shown + "\n" + marker('tag="pair" show="code"') + "\n\n````md\n```\n" \
        + marker('tag="nope"') + "\n````\n"
    out = expand(projects, text)
    assert out.startswith(shown)
    assert "print(a)" in out and out.count('tag="nope"') == 2


def test_literal_is_marked_visibly_as_not_verified():
    out = embed.expand('Someone else measured {% literal "12.5 MB" %} here.\n',
                       "posts/x.md")
    assert '<span class="journal-literal" title="Typed by the author: not re-derived' \
        in out
    assert "12.5 MB<a" in out and "{%" not in out
    # the dagger links to the line that explains it, and says it in words too
    assert f'href="#{embed.LITERAL_ANCHOR}"' in out
    assert f'<span class="journal-sr"> ({embed.LITERAL_NOTE})</span>' in out


def test_value_with_runs_shows_its_spread():
    rec = {"name": "acc", "value": 0.988, "runs": [0.989, 0.986, 0.989], "spread": 0.0017,
           "tol": {"abs": 0.005}}
    marker = embed.Marker("value", "nb.ipynb", ["acc"], {"format": ".1%"}, 1)
    assert embed.render_value(rec, marker, "posts/x.md:1") == "98.8% ± 0.2% over 3 seeds"


# --- outputs are data: cleaned, shielded from snippets ----------------------------

from journal import paths, sanitize_html, snippet_quotes  # noqa: E402
from journal.errors import PostError  # noqa: E402

PANDAS = ('<table border="1" class="dataframe"><thead><tr style="text-align: right;">'
          '<th>model</th></tr></thead><tbody><tr><td>0.987</td></tr></tbody></table>')


def test_tables_styles_images_and_links_stay():
    out = sanitize_html.clean(PANDAS + '<img src="data:image/png;base64,iVBO" alt="f">'
                              '<a href="https://example.org/x">x</a><a href="../y/">y</a>')
    assert '<table border="1" class="dataframe">' in out
    assert 'style="text-align:right"' in out
    assert 'src="data:image/png;base64,iVBO"' in out
    assert 'href="https://example.org/x"' in out and 'href="../y/"' in out
    assert sanitize_html.removed(PANDAS) == []


@pytest.mark.parametrize("payload, finding", [
    ('<img src=x onerror="alert(1)">', "onerror= handler on <img>"),
    ('<svg><animate onbegin="alert(1)"/></svg>', "<svg> element"),
    ('<iframe srcdoc="<script>alert(1)</script>"></iframe>', "<iframe> element"),
    ('<a href=" java\tscript:alert(1)">x</a>', "java\tscript: URL in <a href>"),
    ('<details open ontoggle="alert(1)">x</details>', "ontoggle= handler on <details>"),
    ('<script>alert(1)</script>', "<script> element"),
    ('<form action="/x"><input></form>', "<form> element"),
    ('<a href="data:text/html,x">x</a>', "data: URL in <a href>"),
    ('<img src="data:image/svg+xml;base64,AA">', "data: URL in <img src>"),
])
def test_hostile_html_is_removed_and_reported(payload, finding):
    out = sanitize_html.clean(payload)
    for word in ("onerror", "onbegin", "ontoggle", "script", "iframe", "form", "data:"):
        assert word not in out.lower(), out
    assert finding in sanitize_html.removed(payload)


def test_markdown_output_is_rendered_and_cleaned():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x")]
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", {
        "text/markdown": "**b** <details open ontoggle=alert(1)>x</details>"})]
    assert sanitize_html.clean_notebook(nb)
    shown = nb.cells[0].outputs[0]["data"]
    assert "text/markdown" not in shown and "<strong>b</strong>" in shown["text/html"]
    assert "ontoggle" not in shown["text/html"]


def test_svg_is_cleaned_when_written():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2" onload="x()">'
           '<script>x()</script><rect width="2" height="2"/><foreignObject/></svg>')
    content = embed.image_bytes("image/svg+xml", svg)
    assert b"viewBox" in content and b"<rect" in content
    assert b"script" not in content and b"onload" not in content
    assert b"foreignObject" not in content


def test_printed_snippet_lines_are_shielded():
    import markdown
    text = 'a\n--8<-- "mkdocs.yml"\n  ;--8<-- "x"\nb --8<-- [start:s] c\n--8<--'
    html = markdown.markdown(snippet_quotes.shield(text), extensions=["pymdownx.snippets"],
                             extension_configs={"pymdownx.snippets": {
                                 "base_path": [str(paths.ROOT)], "check_paths": True}})
    assert "site_name" not in html
    for line in ('--8&lt;-- "mkdocs.yml"', ';--8&lt;-- "x"', "b --8&lt;-- [start:s] c"):
        assert line in html


@pytest.mark.parametrize("line, message", [
    ('--8<-- ".git/config"', "only files under snippets/ can be quoted"),
    ('--8<-- "snippets/../mkdocs.yml"', "only files under snippets/ can be quoted"),
    ('--8<-- "snippets/no_such_module.py:part"', "no such file snippets/no_such_module.py"),
    ('--8<-- "https://example.org/x.py"', "only files under snippets/ can be quoted"),
])
def test_quotes_outside_snippets_or_missing_name_the_line(line, message):
    with pytest.raises(PostError) as err:
        snippet_quotes.check(f"# Post\n\ntext\n{line}\n", "posts/p.md", line_offset=5)
    assert str(err.value).startswith("posts/p.md:9: ") and message in str(err.value)


def test_real_posts_quote_only_snippets():
    for post in paths.POSTS.glob("*.md"):
        snippet_quotes.check(post.read_text(encoding="utf-8"), str(post))


def test_a_matplotlib_svg_keeps_its_drawing_and_reports_nothing():
    import io

    from matplotlib.figure import Figure  # no pyplot: the backend stays as it is

    fig = Figure()
    ax = fig.subplots()
    ax.plot([1, 2, 3])
    ax.set_title("loss")
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    content, found = sanitize_html.clean_svg(buffer.getvalue())
    assert found == []
    text = content.decode()
    # glyphs drawn by reference to their paths, the references intact
    assert text.count("<use ") == buffer.getvalue().count("<use ") > 0
    assert 'xlink:href="#' in text and "viewBox" in text


def test_an_svg_with_entity_declarations_is_not_expanded():
    svg = ('<!DOCTYPE s [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
           '<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>')
    content, found = sanitize_html.clean_svg(svg)
    assert content == sanitize_html.EMPTY_SVG and "unreadable SVG" in found[0]
