"""What the search index holds (journal/site/search.py) and excerpts that stop
at the separator (journal/site/excerpts.py)."""

import re
from types import SimpleNamespace

import markdown
import pytest

from journal.site import excerpts, search

# How Material's search plugin removes the attribute from a page it has indexed.
STRIP = re.compile(r"\s?data-search-\w+=\"[^\"]+\"")

PAGE = """<h1 id="title">Title</h1>
<p>Prose with <code>inline_code</code>.</p>
<div class="highlight"><pre><code>import numpy as np

MODELS = {"a": 1}


def fit(X, y):
    return np.linalg.lstsq(X, y)
</code></pre></div>
<div class="highlight" data-search-exclude="output"><pre><code>4 of 450 wrong
</code></pre></div>
<small class="journal-source">From the notebook <a href="x">x</a></small>
<details class="journal-check journal-verified"><summary>verified</summary></details>
<h2 id="more">More</h2>
<div class="jp-RenderedText jp-OutputArea-output"><pre>training log</pre></div>
<div class="jp-InputPrompt jp-InputArea-prompt">In [1]:</div>
<pre><code>MODELS = fit(np.linalg.lstsq)
result = other.call()</code></pre>
"""


def page(content: str):
    return SimpleNamespace(content=content, toc=[], url="post/", title="Title",
                           meta={})


def test_leave_out_marks_what_the_plugin_then_strips():
    marked = search.leave_out(PAGE)
    assert 'class="journal-source"' in marked and marked.count("data-search-exclude") == 5
    assert 'data-search-exclude="journal" class="jp-InputPrompt' in marked
    assert STRIP.sub("", marked) == STRIP.sub("", PAGE)  # readers get the same page


def test_index_keeps_prose_and_code_names_not_outputs_or_stamps():
    index = search.JournalIndex(lang=["en"], separator=r"[\s\-]+", pipeline=[],
                                fields={})
    index.add_entry_from_context(page(search.leave_out(PAGE)))
    text = " ".join(e["text"] for e in index.entries)
    assert "Prose with <code>inline_code</code>" in text
    assert "<pre><code>MODELS fit np.linalg.lstsq</code></pre>" in text
    # each name once per page: the second block adds only what is new
    assert "<pre><code>result other.call</code></pre>" in text
    for left_out in ("450 wrong", "From the notebook", "verified", "training log",
                     "In [1]", "import numpy"):
        assert left_out not in text
    assert [e["location"] for e in index.entries] == ["post/", "post/#more"]


def test_code_names_are_definitions_and_dotted_names():
    seen = set()
    code = "class A:\n    def go(self):\n        self.x = np.zeros(3)\nB: int = 2\n"
    assert search.code_names(code, seen) == ["A", "go", "B", "np.zeros"]
    assert search.code_names("np.zeros(1)\nC = 1", seen) == ["C"]


SEPARATOR = "<!-- more -->"
POST = ["# Title", "", "First paragraph, with a [link](other.md) and `code`.", "",
        SEPARATOR, "", "## Later", "", "```python", "x = 1", "```", "", "Prose."]


def test_excerpt_stops_at_the_separator_with_a_placeholder():
    assert excerpts.shorten(POST, SEPARATOR) == POST[:5] + ["", excerpts.PLACEHOLDER]


@pytest.mark.parametrize("lines", [
    ["Intro", "", "    indented code", "", SEPARATOR, "", "more"],
    ["Intro", "```", "code", "```", SEPARATOR, "", "more"],
    ["<div markdown>", "Intro", SEPARATOR, "</div>", "more"],
    ["Intro [ref][r]", SEPARATOR, "", "[r]: https://example.org"],
    ["Intro[^1]", SEPARATOR, "", "[^1]: a footnote"],
    ["Intro", SEPARATOR, "", '--8<-- "snippets/x.md"'],
    ["Intro", "no separator", "more"],
    ["Intro", SEPARATOR, "", "  "],
], ids=["indented", "fenced", "html", "reference", "footnote", "snippet", "none",
        "nothing-after"])
def test_excerpt_is_left_whole_when_its_start_could_depend_on_the_rest(lines):
    assert excerpts.shorten(lines, SEPARATOR) == lines


def test_shortened_excerpt_converts_to_the_same_html_before_the_separator():
    extensions = ["toc", "attr_list", "md_in_html", "footnotes", "pymdownx.superfences",
                  "pymdownx.highlight"]
    whole = markdown.Markdown(extensions=extensions).convert("\n".join(POST))
    short = markdown.Markdown(extensions=extensions).convert(
        "\n".join(excerpts.shorten(POST, SEPARATOR)))
    assert short.split(SEPARATOR)[0] == whole.split(SEPARATOR)[0]
    assert short.split(SEPARATOR)[1].strip()  # the view still has more to link to
