"""The ways a result could reach a page past the check, each closed as a class.

- what a page shows of a metric or a figure: only types checked against the
  record (a page shows text/html, Markdown, LaTeX or SVG before text/plain/PNG);
- numbers typed in what readers read: notebook markdown, notebook titles and
  summaries, posts' front matter, alt texts;
- pictures: in a post, declared drawn by hand and marked so on the page; in a
  notebook, only figures with their record (not in markdown, not as JPEG/SVG);
- a figure's loose picture tolerance: it covers only marks its data moved.

Each planted case must fail naming the file and the cell or line; each control
passes. Everything is built here, in process: no kernel, no site build.
"""

import base64
import io
import json

import markdown
import matplotlib
import nbformat
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from IPython.core.pylabtools import print_figure  # noqa: E402

from journal import compare, errors, figures, paths, postcheck, report  # noqa: E402
from journal.errors import JournalError  # noqa: E402
from journal.pytest_notebooks import unverifiable  # noqa: E402
from journal.site import handmade  # noqa: E402

NOTEBOOK = "projects/escapes/escapes.ipynb"


def judge(published: list, reproduced: list) -> list[str]:
    """Each problem as the plugin reports it: naming notebook and code cell."""
    found = []
    for i, (pub, rep) in enumerate(zip(published, reproduced)):
        verdict = compare.compare_cell(pub.outputs, rep.outputs, rules=[])
        found += [str(JournalError(p, at=errors.cell_at(NOTEBOOK, published, i)))
                  for p in verdict.problems]
    return found


def code_cells(*outputs_per_cell) -> list:
    return [nbformat.v4.new_code_cell(f"cell_{i}()", id=f"c{i}", execution_count=i + 1,
                                      outputs=[nbformat.from_dict(o) for o in outputs])
            for i, outputs in enumerate(outputs_per_cell)]


def metric_output(**extra) -> dict:
    bundle = report.metric("test_accuracy", 0.985, abs=0.005)._repr_mimebundle_()
    return {"output_type": "display_data", "metadata": {},
            "data": {**bundle, **extra}}


# -- 1. every type a page may show of a metric or a figure --------------------------

@pytest.mark.parametrize("mime, shown", [
    ("text/html", "<b>test_accuracy = 0.9990</b>"),
    ("text/markdown", "**test_accuracy = 0.9990**"),
    ("text/latex", r"$\mathrm{accuracy} = 0.999$"),
    ("image/svg+xml", "<svg xmlns='http://www.w3.org/2000/svg'><text>0.999</text></svg>"),
])
def test_a_metric_shown_as_another_type_fails_naming_the_cell(mime, shown):
    honest = code_cells([metric_output()], [metric_output()])
    cheat = code_cells([metric_output()], [metric_output(**{mime: shown})])
    (problem,) = judge(cheat, honest)
    assert problem.startswith(f"{NOTEBOOK}, code cell 2 of 2 (id c1): the published "
                              f"metric also carries {mime}, which is not checked")


def line_figure(y, *, size=(3, 2), **tol) -> dict:
    """A figure output as IPython's inline backend shows it, with its record."""
    with plt.style.context(str(paths.JOURNAL / "journal.mplstyle")):
        fig, ax = plt.subplots(figsize=size)
        ax.plot(np.arange(len(y)), y, marker="o", label="loss")
        ax.set(xlabel="epoch", ylabel="loss", title="training")
        ax.legend()
        if tol:
            figures.figure_tolerance(fig, **tol)
        record = figures.describe(fig)
        png = base64.b64encode(print_figure(fig, "png")).decode()
        plt.close(fig)
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": png, "text/plain": "<Figure>", figures.MIME: record}}


@pytest.mark.parametrize("mime", ["image/svg+xml", "text/html", "image/jpeg"])
def test_a_figure_shown_as_another_type_fails(mime):
    honest = line_figure([3.0, 2.0, 1.5])
    cheat = {**honest, "data": {**honest["data"], mime: "drawn elsewhere"}}
    (problem,) = judge(code_cells([cheat]), code_cells([honest]))
    assert f"code cell 1 of 1 (id c0): the published figure also carries {mime}" in problem


def test_a_bundle_the_code_itself_adds_to_fails_on_the_rerun_too():
    extra = metric_output(**{"text/html": "<b>0.999</b>"})
    (problem,) = judge(code_cells([metric_output()]), code_cells([extra]))
    assert "the reproduced metric also carries text/html" in problem


def test_controls_honest_metric_and_figure_outputs_pass():
    outputs = [metric_output()], [line_figure([3.0, 2.0, 1.5])]
    assert judge(code_cells(*outputs), code_cells(*outputs)) == []


# -- 2. numbers typed in what readers read ----------------------------------------------

def project_notebook(markdown_cells: list[str], summary="Fits four models.") -> tuple:
    nb = nbformat.v4.new_notebook()
    nb.metadata["journal"] = {"title": "Escapes", "summary": summary}
    nb.cells = [nbformat.v4.new_code_cell("from journal.notebook import setup\n"
                                          "device = setup(seed=0)", id="setup",
                                          execution_count=1)]
    nb.cells += [nbformat.v4.new_markdown_cell(text, id=f"m{i}")
                 for i, text in enumerate(markdown_cells)]
    return nb, paths.ROOT / NOTEBOOK


@pytest.mark.parametrize("text, line, number", [
    ("# Results\n\nThe network reached 97.5% on the test images.", 3, "97.5%"),
    ("Training loss fell to\n0.31 after ten epochs.", 2, "0.31"),
    ("![accuracy curve ending at 0.93](https://example.org/c.png)", 1, None),
])
def test_a_number_typed_in_notebook_markdown_fails_collection(text, line, number):
    nb, path = project_notebook(["# Escapes", text])
    problem = str(unverifiable(nb, path))
    assert problem.startswith(f"{NOTEBOOK}, markdown cell 2 of 2 (id m1): line {line}: ")
    if number:
        assert f"the number {number!r} is typed in prose" in problem
    else:  # a picture in markdown is refused whatever its alt text says
        assert "a picture in a markdown cell is not a checked figure" in problem


@pytest.mark.parametrize("field, value, number", [
    ("summary", "Reaches 98.6% on MNIST.", "98.6%"),
    ("title", "A 0.99 classifier", "0.99"),
])
def test_a_number_typed_in_notebook_metadata_fails(field, value, number):
    nb, path = project_notebook(["# Escapes"])
    nb.metadata["journal"][field] = value
    assert str(unverifiable(nb, path)) == (
        f"{NOTEBOOK}: the number {number!r} is typed in the metadata's "
        f"journal.{field}, which readers see; say it in words")


def test_a_marker_in_notebook_markdown_is_refused():
    nb, path = project_notebook(['Quoted: {% literal "0.5" %} as posts do.'])
    assert "is expanded only in posts" in str(unverifiable(nb, path))


def test_controls_settings_in_code_and_counts_in_words_pass():
    nb, path = project_notebook(["# Escapes", "SGD with `lr=0.1` for 20 epochs, three "
                                 "seeds; nine in ten of the eights.\n\n```python\n"
                                 "x = 0.5\n```"])
    assert unverifiable(nb, path) is None


def write_post(tmp_path, front: str, body: str) -> str:
    path = tmp_path / "2026-12-01-escape.md"
    path.write_text(f"---\ndate:\n  created: 2026-12-01\n{front}---\n\n# Escape\n\n"
                    f"First paragraph.\n\n<!-- more -->\n\n{body}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("front, line, field", [
    ('description: "A convnet at 99.1% on MNIST"\n', 4, "description"),
    ("title: Beating 0.98 with two blocks\n", 4, "title"),
    ("categories:\n  - Nets at 97%\n", 4, "categories"),
])
def test_a_number_typed_in_front_matter_fails_naming_the_line(tmp_path, front, line,
                                                              field):
    path = write_post(tmp_path, front, "Nothing typed here.")
    with pytest.raises(errors.PostError) as err:
        postcheck.check_post(path)
    assert str(err.value).startswith(f"{paths.display_path(path)}:{line}: the number ")
    assert f"front matter's {field}" in str(err.value)


# -- 3. pictures in posts ---------------------------------------------------------------

@pytest.mark.parametrize("body, line", [
    ("Text.\n\n![the loss I plotted](https://example.org/loss.png)", 14),
    ("Text.\n\nSee ![chart][c].\n\n[c]: https://example.org/c.png", 14),
    ('Text.\n\n<p><img src="https://example.org/loss.png" alt="loss"></p>', 14),
    ("Text.\n\n<svg width='10' height='10'><rect width='10' height='8'/></svg>", 14),
])
def test_an_undeclared_picture_in_a_post_fails_naming_the_line(tmp_path, body, line):
    path = write_post(tmp_path, "", body)
    with pytest.raises(errors.PostError) as err:
        postcheck.check_post(path)
    assert str(err.value).startswith(f"{paths.display_path(path)}:{line}: the picture ")
    assert "is not a figure of a checked notebook" in str(err.value)


def test_a_declared_picture_passes_and_the_page_says_it_is_not_rederived(tmp_path):
    body = ("![the loss I plotted](https://example.org/loss.png){ .journal-unverified }"
            '\n\n<img class="journal-unverified" src="https://example.org/b.png" alt="b">'
            "\n\n`![in code](x.png)` is not a picture.")
    postcheck.check_post(write_post(tmp_path, "", body))
    page = handmade.mark(markdown.markdown(body, extensions=["attr_list"]))
    assert page.count(handmade.NOTE) == 2
    # the mark is text, right after each picture, for readers and screen readers
    assert 'src="https://example.org/loss.png" />' + handmade.NOTE in page
    assert "not re-derived" in handmade.MARK


def test_control_a_page_without_declared_pictures_is_unchanged():
    html = '<p><img class="journal-figure" src="assets/embeds/ab.png" alt="f"></p>'
    assert handmade.mark(html) == html


# -- 4. a loose picture tolerance covers only what the data moved ----------------------

def paste(output: dict, x: int, y: int, size: int = 24, colour=(0, 0, 0, 255)) -> dict:
    image = compare.decode_png(output["data"]["image/png"]).convert("RGBA")
    image.paste(Image.new("RGBA", (size, size), colour), (x, y))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    data = {**output["data"], "image/png": base64.b64encode(buf.getvalue()).decode()}
    return {**output, "data": data}


LOOSE = {"abs": 0.05, "mean": 0.02, "block": 0.25}
Y = [3.0, 2.1, 1.6, 1.4, 1.3]


@pytest.fixture(scope="module")
def published():
    return line_figure(Y, **LOOSE)


@pytest.fixture(scope="module")
def rerun():
    """The same figure after a re-run moved every value by up to 0.04."""
    return line_figure(np.add(Y, [0.04, -0.03, 0.02, -0.04, 0.03]), **LOOSE)


def test_control_data_moved_within_tolerance_passes(published, rerun):
    verdict = compare.compare_cell([published], [rerun], rules=[])
    assert verdict.ok, verdict.problems
    assert compare.data_moved(published["data"][figures.MIME],
                              rerun["data"][figures.MIME])[1] == pytest.approx(0.04 / 1.74)


@pytest.mark.parametrize("where, colour", [
    ((4, 4), (0, 0, 0, 255)),            # a corner outside the axes
    ((140, 120), (214, 39, 40, 255)),    # beside the x label, in red
    ((-1, -1), (136, 136, 136, 255)),    # inside the axes, away from the line
])
def test_a_local_edit_passes_the_loose_fingerprint_but_fails(published, rerun, where,
                                                            colour):
    width, height = compare.decode_png(published["data"]["image/png"]).size
    x, y = (width - 60, 40) if where == (-1, -1) else where
    edited = paste(published, x, y, colour=colour)
    # what the declared tolerance alone let through
    assert compare.compare_figure(edited["data"]["image/png"], rerun["data"]["image/png"],
                                  tol=compare.pixel_tolerance({"tol": LOOSE})) == []
    (problem,) = judge(code_cells([edited]), code_cells([rerun]))
    assert problem.startswith(f"{NOTEBOOK}, code cell 1 of 1 (id c0): figure changed at ")
    assert "where its data cannot have moved it" in problem


def test_when_no_data_moved_a_loose_tolerance_allows_no_edit(published):
    edited = paste(published, 140, 120, size=12, colour=(119, 119, 119, 255))
    (problem,) = judge(code_cells([edited]), code_cells([published]))
    assert "(0.0% of a panel across, 0.0% up)" in problem


def test_committed_figures_with_a_declared_picture_tolerance_still_verify():
    """Every committed figure against itself: the new rules flag nothing there."""
    for path in paths.project_notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
        for cell in cells:
            verdict = compare.compare_cell(cell["outputs"], cell["outputs"], rules=[])
            assert verdict.ok, (path.name, verdict.problems)


# -- 3, in notebooks: a picture in an output is a figure with its record ---------------

@pytest.mark.parametrize("mime", ["image/jpeg", "image/svg+xml", "image/gif"])
def test_a_picture_that_is_not_a_recorded_figure_fails(mime):
    shown = {"output_type": "display_data", "metadata": {},
             "data": {mime: "R0lGODlh", "text/plain": "<IPython.core.display.Image>"}}
    (problem,) = judge(code_cells([shown]), code_cells([shown]))
    assert problem.startswith(f"{NOTEBOOK}, code cell 1 of 1 (id c0): output is a "
                              f"picture ({mime}) that is not a figure")
