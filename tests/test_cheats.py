"""The cheat corpus: every way a page could show what the suite did not re-derive.

tests/fixtures/cheats/honest.ipynb publishes one output of every kind (a
metric, a metric over runs, a count, an expected error, a grid of mistakes, a
bar chart). Each other notebook there is a copy with one dishonest or careless
edit (`make_notebooks.CHEATS`) to its outputs or markers, never to its code.
The honest notebook is re-run once, and each cheat is judged in process against
that run exactly as the pytest plugin judges a cell: each must fail in the
cell it touched, with a message that says what is wrong. The honest notebook
is the control: it passes too, re-run on 4 threads while it was published from
a run on 1. The same run also judges copies whose values an author moved
consistently, markers left alone: a metric passes within its tolerance and
fails beyond it, and a printed count must match exactly.
(The plugin end to end, with its nbval run and its verdicts, is in
test_realistic_notebooks.py and test_claim_checks.py.)

The posts' half of the corpus (numbers typed in prose) is in test_bad_inputs.py.
"""

import fixture_builders
import nbformat
import pytest
from verdicts import judge, rerun

from journal import errors, nbfile, paths, report

CHEATS = paths.TESTS / "fixtures" / "cheats"


def cell_at(path, index: int) -> str:
    """How messages name code cell ``index`` (from 0) of the notebook at ``path``."""
    return str(errors.cell_at(str(path), nbfile.code_cells(nbfile.read(path)), index))

# cheat -> (code cell, what the failure must say)
EXPECTED = {
    "metric-text-edited": (1, "the text shown for the metric is not the rendering "
                              "of its record"),
    "tolerance-widened": (1, "test_accuracy: published tolerance ±0.5 is not the one "
                             "the code declares (±0.005)"),
    "metric-ignored-by-comment": (1, "publishes a metric or a figure and cannot be "
                                     "exempted from verification (output ignored"),
    "metric-ignored-by-tag": (1, "publishes a metric or a figure and cannot be "
                                 "exempted from verification (output ignored"),
    "figure-skipped-by-tag": (5, "publishes a metric or a figure and cannot be "
                                 "exempted from verification (skipped"),
    "seed-run-edited": (2, "the published mean and spread are not those of the "
                           "published runs"),
    "stored-error-changed": (4, "expected to raise TypeError, raised ValueError"),
    "grid-images-swapped": (5, "published images (with their titles) shown again, "
                               "declared overlap 0.9"),
    "figure-tolerance-widened": (6, "figure: published tolerance block 1, mean 0.5 "
                                    "is not the one the code declares (none declared)"),
    "figure-blanked": (6, "figure changed: mean difference"),
    "figure-mirrored": (6, "figure changed: mean difference"),
    "figure-from-another-notebook": (6, "figure changed size"),
    "figure-data-edited": (6, "figure bars: value 3 published 1"),
}


THREADS = 4  # the honest notebook was published from a run on 1


@pytest.fixture(scope="module")
def honest_run():
    """The honest notebook's code cells as re-executed now, in one kernel on
    `THREADS` threads, and what the kernel said it ran with."""
    record = {}
    cells = rerun(CHEATS / "honest.ipynb", threads=THREADS, record=record)
    return cells, record["kernel"]


@pytest.fixture(scope="module")
def honest_rerun(honest_run):
    return honest_run[0]


def test_every_cheat_is_in_the_corpus():
    assert set(fixture_builders.load("make_notebooks").CHEATS) == set(EXPECTED)
    assert {p.stem for p in CHEATS.glob("*.ipynb")} == set(EXPECTED) | {"honest"}


@pytest.mark.parametrize("name", EXPECTED)
def test_cheat_fails_naming_the_cell(honest_rerun, name):
    cell, message = EXPECTED[name]
    found = judge(CHEATS / f"{name}.ipynb", honest_rerun)
    assert any(f.startswith(f"cell {cell}: ") and message in f for f in found), \
        f"cell {cell}: {message!r} not found in:\n" + "\n".join(found)


def test_honest_notebook_passes_on_four_threads(honest_run):
    cells, kernel = honest_run
    assert kernel["threads"] == THREADS  # as the kernel's `setup` pinned them
    assert judge(CHEATS / "honest.ipynb", cells) == []


# -- values moved, markers left alone --------------------------------------------

ACCURACY_CELL, COUNT_CELL = 1, 3  # test_accuracy (±0.005), "N of M test images wrong"


def edited_copy(tmp_path, edit):
    """A copy of the honest notebook with ``edit`` applied to its outputs."""
    nb = nbformat.read(CHEATS / "honest.ipynb", 4)
    edit(nbfile.code_cells(nb))
    path = tmp_path / "edited.ipynb"
    nbformat.write(nb, path)
    return path


def accuracy(cells) -> float:
    return report.records_in(cells[ACCURACY_CELL].outputs[0])[0]["value"]


def move_accuracy(delta: float):
    """Move the published test accuracy by ``delta``: its record and its text."""
    def edit(cells):
        output = cells[ACCURACY_CELL].outputs[0]
        output.data[report.MIME]["metrics"][0]["value"] += delta
        output.data["text/plain"] = report.render(output.data[report.MIME])
    return edit


def test_a_metric_moved_within_its_tolerance_passes(honest_rerun, tmp_path):
    assert judge(edited_copy(tmp_path, move_accuracy(+0.004)), honest_rerun) == []


def test_a_metric_moved_beyond_its_tolerance_fails_with_both_values(honest_rerun, tmp_path):
    path = edited_copy(tmp_path, move_accuracy(+0.02))
    published = accuracy(nbfile.code_cells(nbformat.read(path, 4)))
    lead = (f"cell {ACCURACY_CELL}: test_accuracy published {published:.6g}, "
            f"reproduced {accuracy(honest_rerun):.6g}, tolerance ±0.005")
    found = judge(path, honest_rerun)
    assert len(found) == 1 and found[0].startswith(lead), found


def test_an_edited_count_fails(honest_rerun, tmp_path):
    def one_fewer_wrong(cells):
        output = cells[COUNT_CELL].outputs[0]
        wrong = int(output.text.split()[0])
        output.text = output.text.replace(f"{wrong} of", f"{wrong - 1} of", 1)

    found = judge(edited_copy(tmp_path, one_fewer_wrong), honest_rerun)
    assert found and all(f.startswith(f"cell {COUNT_CELL}: stream stdout differs: "
                                      "published '") for f in found), found
