"""What the search index holds (journal/site/search.py) and excerpts that stop
at the separator (journal/site/excerpts.py)."""

import json
import re
from types import SimpleNamespace

import markdown
import pytest
import yaml
from hypothesis import given, strategies as st

from journal import paths
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
<p class="journal-used-in">Used in <a href="p/">A post</a>. <a download>Download</a></p>
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
    assert 'class="journal-source"' in marked and marked.count("data-search-exclude") == 6
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
                     "In [1]", "import numpy", "Used in", "Download"):
        assert left_out not in text
    assert [e["location"] for e in index.entries] == ["post/", "post/#more"]


CLAIM_AND_CONTROLS = """<h1 id="title">Title</h1>
<p class="journal-live-jump" markdown="0"><a href="#run-nb">Run \u201cNb\u201d in your \
browser</a>: each number below is re-derived on your machine.</p>
<p>Ten epochs beat five on every seed: <span class="journal-claim" title="Judged">higher: \
higher in 3 of 3 seeds; paired difference +0.5 points</span>, so ten it is. The target \
was <span class="journal-literal" title="Typed">94%<a class="journal-dagger" \
href="#journal-hand-typed"><sup aria-hidden="true">\u2020</sup><span class="journal-sr"> \
(typed by hand, not re-derived)</span></a></span> accuracy.</p>
"""


def test_verdicts_jump_links_and_hand_typed_marks_are_left_out():
    index = search.JournalIndex(lang=["en"], separator=r"[\s\-]+", pipeline=[],
                                fields={})
    index.add_entry_from_context(page(search.leave_out(CLAIM_AND_CONTROLS)))
    text = " ".join(e["text"] for e in index.entries)
    # the author's sentences stay, and a number typed by hand stays with them
    assert "Ten epochs beat five on every seed:" in text and "so ten it is" in text
    assert "94%" in text and "accuracy" in text
    for left_out in ("paired difference", "in your browser", "re-derived",
                     "typed by hand", "\u2020"):
        assert left_out not in text, left_out



def test_a_formula_is_indexed_as_its_tex_not_as_drawn():
    from journal.site import maths
    html = maths.convert_arithmatex(
        '<h1 id="t">T</h1><p>The mean <span class="arithmatex">\\(\\mu = '
        '\\frac{1}{m}\\sum_i x_i\\)</span> of a channel.</p>', "posts/a.md")
    assert "<math" in html and "<mi>μ</mi>" in html
    index = search.JournalIndex(lang=["en"], separator=r"[\s\-]+", pipeline=[],
                                fields={})
    index.add_entry_from_context(page(html))
    text = index.entries[0]["text"]
    assert text == "<p>The mean \\mu = \\frac{1}{m}\\sum_i x_i of a channel.</p>"
    drawn = search.JournalIndex(lang=["en"], separator=r"[\s\-]+", pipeline=[],
                                fields={}, off={"leave-out"})
    drawn.add_entry_from_context(page(html))
    assert "μ=" in drawn.entries[0]["text"]

# The site's search settings: its separator, and the plugin's pipeline for English.
SEARCH = next(p["search"] for p in yaml.safe_load(
    (paths.ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["plugins"]
    if isinstance(p, dict) and "search" in p)
SPLIT = re.compile(SEARCH["separator"])


def site_index():
    return search.JournalIndex(lang=["en"], separator=SEARCH["separator"],
                               pipeline=["stopWordFilter"], fields={})


def indexed(text: str) -> list[str]:
    """The words Material's search worker takes from an entry's text, in order:
    split at tags and at the separator, lower-cased, less lunr's stop words."""
    return [word for piece in re.split(r"<[^>]*>", text)
            for word in (w.lower() for w in SPLIT.split(piece))
            if word and word not in search.STOP_WORDS]


PROSE = """<h1 id="title">Title</h1>
<p>It is not the model that is wrong; it's the labels (all of them, in fact).</p>
<p>A loss of 0.5, and <code>the_model.fit</code> in the loop; is it? Then
<code>a</code> and <code>b</code> are the same.</p>
<ul><li>the</li><li>a plot of the loss</li></ul>
<div class="highlight"><pre><code>def fit(X, y):
    return np.linalg.lstsq(X, y)
</code></pre></div>
<h2 id="later">What I did with it</h2>
<p>However, the gradients of <code>Linear.backward</code> (from <code>snippets/nn.py</code>) agree.</p>
"""


def test_prose_goes_without_stop_words_and_indexes_the_same_words():
    index = site_index()
    index.add_entry_from_context(page(PROSE))
    first, later = index.entries
    assert first["text"] == (
        "<p>not model wrong; it's labels, (fact).</p>"
        "<p>loss 0.5, <code>the_model.fit</code> loop; it? <code>a</code> "
        "<code>b</code> same.</p><ul><li>plot loss</li></ul>"
        "<pre><code>fit np.linalg.lstsq</code></pre>")
    assert later["title"] == "What I did with it"  # headings stay whole
    assert later["text"] == ("<p>gradients <code>Linear.backward</code> "
                             "(<code>snippets/nn.py</code>) agree.</p>")
    # what the worker indexes is unchanged, word for word and in order
    plain = search.JournalIndex(lang=["en"], separator=SEARCH["separator"],
                                pipeline=[], fields={})
    plain.add_entry_from_context(page(PROSE))
    assert [indexed(e["text"]) for e in plain.entries] == \
        [indexed(e["text"]) for e in index.entries]
    assert "<code>the_model.fit</code>" in plain.entries[0]["text"]


def test_stop_words_stay_where_the_worker_would_not_drop_them():
    # other languages, or a pipeline without the filter, index stop words too
    for config in ({"lang": ["de"], "pipeline": ["stopWordFilter"]},
                   {"lang": ["en"], "pipeline": ["stemmer"]}):
        index = search.JournalIndex(separator=SEARCH["separator"], fields={}, **config)
        index.add_entry_from_context(page(PROSE))
        assert index.entries[0]["text"].startswith("<p>It is not the model that is wrong;")


CHUNKS = st.builds(
    lambda before, word, upper, after: before + (word.upper() if upper else word) + after,
    st.sampled_from(["", "(", '"', "[", "`", "“"]),
    st.sampled_from(sorted(search.STOP_WORDS) + [
        "model", "Loss", "x", "0.5", "it's", "I've", "NumPy", "np.zeros", "fan_in",
        "1e-6", "±", "3,200", "&lt;the", "nn.Module"]),
    st.booleans(),
    st.sampled_from(["", ",", ".", ":", ";", "?", ")", '"', "!", "...", ").", "'", "”"]))
PROSE_TEXT = st.lists(
    st.tuples(st.lists(CHUNKS, max_size=10).map(" ".join),
              st.sampled_from(["", "<code>the x</code>", "<code>a</code> "])),
    min_size=1, max_size=4,
).map(lambda parts: "<p>" + " ".join(words + code for words, code in parts) + "</p>")


@given(PROSE_TEXT)
def test_dropping_stop_words_never_changes_what_is_indexed(text):
    shorter = search.drop_stop_words(text, SPLIT)
    assert indexed(shorter) == indexed(text)
    assert re.findall(r"<code>.*?</code>", shorter) == re.findall(r"<code>.*?</code>", text)
    # and none is left standing on its own outside code
    for piece in re.sub(r"<code>.*?</code>|<[^>]*>", " ", shorter).split():
        found = search.PUNCTUATED.fullmatch(piece)
        assert not (found and found.group(2).lower() in search.DROPPED
                    and not search.words(found.group(1) + found.group(3), SPLIT)), \
            (piece, shorter)


def test_a_pages_tags_go_on_its_first_entry_only():
    index = site_index()
    tagged = page(PROSE)
    tagged.meta = {"tags": ["numpy", "mnist"]}
    index.add_entry_from_context(tagged)
    assert [e.get("tags") for e in index.entries] == [["numpy", "mnist"], None]


def test_the_index_file_keeps_characters_as_they_are():
    index = site_index()
    index.add_entry_from_context(page("<h1 id='t'>Title</h1><p>91.8% ± 0.8% → 2×</p>"))
    data = index.generate_search_index(None)
    assert "± 0.8% → 2×" in data and "\\u" not in data
    assert json.loads(data)["docs"][0]["text"] == "<p>91.8% ± 0.8% → 2×</p>"


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
    # the verification line under a post's title is one element, closed on its line
    stamped = POST[:2] + [STAMP_LINE, ""] + POST[2:]
    assert excerpts.shorten(stamped, SEPARATOR) == stamped[:7] + ["",
                                                                  excerpts.PLACEHOLDER]


STAMP_LINE = ('<div class="journal-line" markdown="span"><span aria-hidden="true">'
              '\u2713</span> 3 numbers re-derived \u00b7 [what this means](x.md)</div>')


@pytest.mark.parametrize("lines", [
    ["Intro", "", "    indented code", "", SEPARATOR, "", "more"],
    ["Intro", "```", "code", "```", SEPARATOR, "", "more"],
    ["<div markdown>", "Intro", SEPARATOR, "</div>", "more"],
    ["Intro [ref][r]", SEPARATOR, "", "[r]: https://example.org"],
    ["Intro[^1]", SEPARATOR, "", "[^1]: a footnote"],
    ["Intro", SEPARATOR, "", '--8<-- "snippets/x.md"'],
    ["Intro", "no separator", "more"],
    ["Intro", SEPARATOR, "", "  "],
    ["<div><div>Intro</div>", SEPARATOR, "</div>", "more"],
    ["<div>Intro</div><div>", SEPARATOR, "</div>", "more"],
], ids=["indented", "fenced", "html", "reference", "footnote", "snippet", "none",
        "nothing-after", "html-left-open", "html-opened-again"])
def test_excerpt_is_left_whole_when_its_start_could_depend_on_the_rest(lines):
    assert excerpts.shorten(lines, SEPARATOR) == lines


@pytest.mark.parametrize("post", [POST, POST[:2] + [STAMP_LINE, ""] + POST[2:]],
                         ids=["plain", "stamped"])
def test_shortened_excerpt_converts_to_the_same_html_before_the_separator(post):
    extensions = ["toc", "attr_list", "md_in_html", "footnotes", "pymdownx.superfences",
                  "pymdownx.highlight"]
    whole = markdown.Markdown(extensions=extensions).convert("\n".join(post))
    shortened = excerpts.shorten(post, SEPARATOR)
    assert shortened != post
    short = markdown.Markdown(extensions=extensions).convert("\n".join(shortened))
    assert short.split(SEPARATOR)[0] == whole.split(SEPARATOR)[0]
    assert short.split(SEPARATOR)[1].strip()  # the view still has more to link to


def test_each_trim_can_be_undone_on_its_own():
    # search_trim_off: the benchmark measures what each trim saves
    def first_text(*off):
        index = search.JournalIndex(lang=["en"], separator=SEARCH["separator"],
                                    pipeline=["stopWordFilter"], fields={}, off=off)
        index.add_entry_from_context(page(PROSE))
        return index.entries[0]["text"]

    trimmed = first_text()
    assert "<pre><code>fit np.linalg.lstsq</code></pre>" in trimmed
    whole_code = first_text("code-names")
    assert "def fit(X, y):" in whole_code and "It is not" not in whole_code
    with_stop_words = first_text("stop-words")
    assert with_stop_words.startswith("<p>It is not the model that is wrong;")
    assert "fit np.linalg.lstsq" in with_stop_words
    assert set(search.TRIMS) == {"leave-out", "code-names", "stop-words", "utf-8"}
