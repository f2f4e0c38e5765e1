"""The site's reader-facing pieces, without a build: project titles and summaries,
the navigation, repository links, the re-run box and the notebook page's HTML."""

import base64
import hashlib

import nbformat
import pytest
from bs4 import BeautifulSoup

from journal import embed, nbfile, paths, project_info
from journal.site import notebook_page, projects, repository, rerun
from journal.verification import Check, Status

NOTEBOOKS = paths.project_notebooks()
REPO = "https://github.com/someone/ml-journal"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_project_has_a_title_and_a_one_line_summary(path):
    meta = nbfile.read(path).metadata.get("journal", {})
    assert meta.get("title"), f"{paths.display_path(path)}: no metadata.journal.title"
    summary = meta.get("summary", "")
    assert summary and "\n" not in summary, (
        f"{paths.display_path(path)}: metadata.journal.summary must be one line")


def test_title_falls_back_to_the_first_heading_then_the_name():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Intro\n\n# Real")])
    assert project_info.title(nb, "x/tiny-mlp.ipynb") == "Real"
    nb.metadata["journal"] = {"title": "Given"}
    assert project_info.title(nb, "x/tiny-mlp.ipynb") == "Given"
    assert project_info.title(nbformat.v4.new_notebook(), "x/tiny-mlp.ipynb") == "Tiny mlp"


def test_posts_using_reads_the_markers_of_published_posts(tmp_path):
    (tmp_path / "2026-01-01-a.md").write_text(
        '---\ndraft: false\n---\n# First post\n\n'
        '{% value "b/b.ipynb" "m" %} and {% embed "a/a.ipynb" tag="t" %}\n'
        '`{% embed "c/c.ipynb" tag="shown, not used" %}`\n')
    (tmp_path / "2026-01-02-b.md").write_text(
        '---\ndraft: true\n---\n# A draft\n\n{% embed "a/a.ipynb" tag="t" %}\n')
    (tmp_path / "2026-01-03-c.md").write_text('# Second\n\n{% value "./a/a.ipynb" "m" %}\n')
    used = projects.posts_using(tmp_path)
    assert [p.title for p in used["a/a.ipynb"]] == ["First post", "Second"]
    assert [p.src_uri for p in used["b/b.ipynb"]] == ["posts/2026-01-01-a.md"]
    assert "c/c.ipynb" not in used
    order = projects.in_reading_order([("z/z.ipynb", None), ("a/a.ipynb", None),
                                       ("b/b.ipynb", None)], used)
    assert [rel for rel, _ in order] == ["b/b.ipynb", "a/a.ipynb", "z/z.ipynb"]


def test_notebook_pages_join_the_nav_after_the_projects_index():
    nav = [{"Journal": ["index.md"]},
           {"Projects": ["projects/index.md", {"Kept": "projects/b/b.ipynb"}]},
           {"About": "about.md"}]
    assert projects.add_to_nav(nav, [("a/a.ipynb", "A"), ("b/b.ipynb", "B")])
    assert nav[1] == {"Projects": ["projects/index.md", {"Kept": "projects/b/b.ipynb"},
                                   {"A": "projects/a/a.ipynb"}]}
    assert not projects.add_to_nav([{"About": "about.md"}], [("a/a.ipynb", "A")])


def test_repo_links_become_forge_links_outside_code():
    markdown = ("See [data](repo:journal/datasets.py) and [it][d].\n\n"
                "`[x](repo:shown.py)`\n\n[d]: repo:snippets/data.py\n")
    out = repository.expand_links(markdown, REPO + "/")
    assert f"[data]({REPO}/blob/main/journal/datasets.py)" in out
    assert f"[d]: {REPO}/blob/main/snippets/data.py" in out
    assert "`[x](repo:shown.py)`" in out
    assert repository.clone_url(REPO) == REPO + ".git"
    assert repository.folder_name(REPO) == "ml-journal"
    with pytest.raises(ValueError, match="repo_url"):
        repository.expand_links(markdown, None)


def verified(seconds=13.77, device="cpu"):
    return Check(Status.VERIFIED, {
        "date": "2026-11-23T15:13:06Z", "seconds": seconds,
        "platform": {"cpu": "AMD EPYC", "threads": 1, "device": device}}, "")


def test_rerun_box_gives_commands_download_time_and_machine():
    nb = nbformat.v4.new_notebook()
    nb.metadata["journal"] = {"title": "Baselines"}
    ctx = embed.Context("posts/2026-11-02-x.md", page_url="2026/11/02/x/")
    box = rerun.box([("digits/digits.ipynb", nb, verified())], ctx, REPO)
    assert box.startswith('<details class="journal-rerun" markdown="1">')
    assert "<summary>Re-run this post</summary>" in box
    assert f"git clone {REPO}.git\ncd ml-journal\n" in box
    assert "make test PYTEST_ARGS=projects/digits\n" in box
    assert "journal run --force projects/digits" in box
    assert "[Baselines](../projects/digits/digits.ipynb)" in box
    assert 'href="../../../../projects/digits/digits/digits.ipynb" download' in box
    assert "took 14 s on AMD EPYC, 1 CPU thread" in box and "(2026-11-23)" in box
    assert rerun.NO_LAUNCH in box and box.rstrip().endswith("</details>")
    two = rerun.box([("a/a.ipynb", nb, verified()),
                     ("b/b.ipynb", nb, Check(Status.MISSING, None, "none"))], ctx, REPO)
    assert 'make test PYTEST_ARGS="projects/a projects/b"' in two
    assert "not verified, so there is no verified run time to quote" in two
    assert rerun.box([], ctx, REPO) == ""


def test_rerun_box_names_a_gpu():
    assert "took 2.5 s on cuda, on AMD EPYC" in rerun.last_run(verified(2.5, "cuda"))


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
# mkdocs-jupyter's own copy-button script, as its template writes it
COPY_BUTTON = next(body for body in notebook_page.template_scripts()
                   if "clipboard-copy" in body)
RENDERED = f"""<script src="clipboard.js"></script>
<script>
{COPY_BUTTON}
</script>
<script>document.title = 'not the template's'</script>
<style type="text/css">.jupyter-wrapper {{ color: red }}</style>
<style>['pre {{ line-height: 125%; }}']</style>
<script src=""> </script>
<script type="text/x-mathjax-config">init_mathjax()</script>
<div class="jupyter-wrapper"><div class="jp-RenderedMarkdown">
<h1 id="the-posts-title">The post's title<a class="anchor-link" href="#the-posts-title">¶</a></h1>
</div>
<div class="jp-Cell jp-CodeCell celltag_setup celltag_hide-input"><div class="jp-Cell-inputWrapper">
<div class="celltoolbar">
<div class="button_container tags_button_container">
<span class="tag-container"><span class="cell-tag">setup</span></span>
</div>
<div class="button_container tags_button_container">
<span class="tag-container"><span class="cell-tag">hide-input</span></span>
</div>
</div>
<div class="jp-InputArea jp-Cell-inputArea"><div class="jp-InputPrompt">In [1]:</div>
<div class="jp-InputArea-editor"><pre>device = setup(seed=0)</pre></div></div></div>
<img alt="" src="data:image/png;base64,{base64.b64encode(PNG).decode()}"/>
</div></div>
<script type="application/vnd.jupyter.widget-state+json">{{}}</script>
"""


def test_notebook_page_is_light_titled_and_keeps_tags_for_authors():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "device = setup(seed=0)", metadata={"tags": ["setup", "hide-input"]})])
    shared = notebook_page.SharedFiles()
    head = notebook_page.header("One line.", [("A post", "../../../2026/x/")],
                                "x.ipynb", '<details class="journal-check"></details>')
    page = notebook_page.render(RENDERED, nb, title="Baselines", head=head,
                                page_url="projects/x/x/", shared=shared)
    assert "<style" not in page and "data:image" not in page
    assert "cell-tag" not in page and "celltoolbar" not in page
    assert "celltag_setup" in page  # the tags stay, as classes
    assert "mathjax" not in page and 'src=""' not in page and "['pre" not in page
    soup = BeautifulSoup(page, "html.parser")
    assert [link["href"][:25] for link in soup.select("link[rel=stylesheet]")] == [
        "../../../assets/notebook/"]
    # only the template's own script is kept, shared; a script file or another
    # inline script is dropped
    assert [s["src"][:25] for s in soup.select("script[src]")] == [
        "../../../assets/notebook/"]
    assert "not the template" not in page
    assert "widget-state+json" in page
    assert sorted(u.rsplit(".", 1)[1] for u in shared.files) == ["css", "js"]
    uri = embed.image_uri(PNG, "png")
    assert f'src="../../../{uri}"' in page
    assert '<h1 id="the-posts-title">Baselines<a class="anchor-link"' in page
    assert "The post's title" not in page
    after_title = page.split("</h1>", 1)[1]
    assert after_title.lstrip().startswith('<p class="journal-summary">One line.</p>')
    assert '<a href="../../../2026/x/">A post</a>' in after_title
    assert '<a download="" href="x.ipynb">' in after_title
    assert after_title.index("journal-used-in") < after_title.index("journal-check")
    post = notebook_page.relative("2026/11/02/a/", "projects/x/x/")
    assert post == "../../../2026/11/02/a/"
    folded = page.split('<details class="journal-hidden-input">', 1)
    # the code is folded, its "In [1]:" prompt stays in sight before it
    assert "In [1]:" in folded[0] and "In [1]:" not in folded[1]
    assert folded[1].startswith(f"<summary>{notebook_page.FOLDED}</summary>")
    assert "setup(seed=0)" in folded[1]



def test_only_mkdocs_jupyters_own_scripts_are_shared():
    copy_button = COPY_BUTTON
    page = (f"<script>\n{copy_button}\n</script>"
            "<script>document.title='PWNED'</script>"
            '<script src="https://cdn.example/x.js"></script>'
            '<script type="application/vnd.jupyter.widget-state+json">{}</script>')
    shared = notebook_page.SharedFiles()
    out = notebook_page.share_styles_and_scripts(page, "projects/x/x/", shared)
    assert list(shared.files.values()) == [copy_button.strip() + "\n"]
    assert "PWNED" not in out and "cdn.example" not in out
    assert "widget-state+json" in out  # data, never run


SITE_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script>var theme = 1</script>
<script src="/base/assets/javascripts/bundle.js"></script>
<title><img src=x onerror=nothing> is text here</title></head>
<body><div class="md-content"><article>{article}</article></div>
<script id="__config" type="application/json">{{}}</script></body></html>"""


@pytest.mark.parametrize("article, problem", [
    ("<p>fine</p>", None),
    ('<img src="x" onerror="alert(1)">', "inline onerror= handler"),
    ('<a href=" java\nscript:alert(1)">x</a>', "javascript: URL"),
    ("<script>alert(1)</script>", "inline script in the page's content"),
    ('<script src="https://cdn.example/x.js"></script>', "not the site's own"),
    ('<script src="../assets/embeds/x.js"></script>', "not the site's own"),
    ('<script src="../javascripts/missing.js"></script>', "not the site's own"),
    ('<script type="application/json">{"a": 1}</script>', None),
])
def test_site_check_names_page_and_element(tmp_path, article, problem):
    from journal.site import csp
    (tmp_path / "assets" / "javascripts").mkdir(parents=True)
    (tmp_path / "assets" / "javascripts" / "bundle.js").write_text("1")
    (tmp_path / "p").mkdir()
    page = tmp_path / "p" / "index.html"
    page.write_text(SITE_PAGE.format(article=article))
    found = csp.check_and_protect(tmp_path, "https://example.org/base/")
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].startswith("p/index.html: ") \
            and problem in found[0], found
    written = page.read_text()
    assert csp.check_and_protect(tmp_path, "https://example.org/base/") == found
    assert page.read_text() == written  # a second pass changes nothing
    # the policy comes right after <meta charset>, before any script
    assert written.index('http-equiv="Content-Security-Policy"') < written.index("<script")
    theme = base64.b64encode(hashlib.sha256(b"var theme = 1").digest()).decode()
    policy = BeautifulSoup(written, "html.parser").find(
        "meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert f"'sha256-{theme}'" in policy and "'unsafe-inline'" not in \
        policy.split("script-src")[1].split(";")[0]
    assert "img-src 'self' data:" in policy and "'wasm-unsafe-eval'" in policy


def test_site_check_keeps_each_parse_but_looks_for_script_files_every_time(tmp_path):
    from journal.site import cache, csp
    site = tmp_path / "site"
    (site / "assets" / "javascripts").mkdir(parents=True)
    bundle = site / "assets" / "javascripts" / "bundle.js"
    bundle.write_text("1")
    (site / "p").mkdir()
    (site / "p" / "index.html").write_text(SITE_PAGE.format(article="<p>fine</p>"))
    stored = cache.BuildCache(tmp_path / "cache")
    assert csp.check_and_protect(site, "https://example.org/base/", stored=stored) == []
    written = (site / "p" / "index.html").read_text()
    stored.end_build()
    assert (tmp_path / "cache" / "csp.json").is_file()
    bundle.unlink()  # the page is the same, its script file gone
    again = cache.BuildCache(tmp_path / "cache")
    found = csp.check_and_protect(site, "https://example.org/base/", stored=again)
    assert again.stores["csp"].used and not again.stores["csp"].changed  # kept parse
    assert len(found) == 1 and found[0].startswith("p/index.html: script that is not "
                                                   "the site's own"), found
    assert (site / "p" / "index.html").read_text() == written
    assert found == csp.check_and_protect(site, "https://example.org/base/")
