"""The cheat corpus: every way a page could show what the suite did not re-derive.

tests/fixtures/cheats/honest.ipynb publishes one output of every kind (a
metric, a metric over runs, a count, an expected error, a grid of mistakes, a
bar chart). Each other notebook there is a copy with one dishonest or careless
edit (`make_notebooks.CHEATS`) to its outputs or markers, never to its code.
The honest notebook is re-run once, and each cheat is judged in process against
that run exactly as the pytest plugin judges a cell: each must fail in the
cell it touched, with a message that says what is wrong. The honest notebook
is the control: it passes too, re-run on 4 threads while it was published from
a run on 1. (The plugin end to end, with its nbval run and its verdicts, is in
test_realistic_notebooks.py and test_claim_checks.py.)

The posts' half of the corpus (numbers typed in prose) is in test_bad_inputs.py.
"""

import runpy

import pytest
from verdicts import judge, rerun

from journal import errors, nbfile, paths

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
    builder = runpy.run_path(str(paths.TESTS / "fixtures" / "make_notebooks.py"),
                             run_name="make_notebooks")  # its main() is not run
    assert set(builder["CHEATS"]) == set(EXPECTED)
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
