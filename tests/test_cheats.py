"""The cheat corpus: every way a page could show what the suite did not re-derive.

tests/fixtures/cheats/honest.ipynb publishes one output of every kind (a
metric, a metric over runs, a count, an expected error, a grid of mistakes, a
bar chart). Each other notebook there is a copy with one dishonest or careless
edit (`make_notebooks.CHEATS`); all of them go through one pytest run, and each
must fail in the cell it touched, with a message that says what is wrong. The
honest notebook is the control: it passes, on 1 thread and on 4.

The posts' half of the corpus (numbers typed in prose) is in test_bad_inputs.py.
"""

import runpy
import shutil
import subprocess
import sys

import pytest

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


def run_pytest(notebooks, cwd, *extra):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "journal.pytest_notebooks", "-p",
         "no:cacheprovider", "-p", "no:xdist", "-q", "-rA",
         "--continue-on-collection-errors", *extra,
         *map(str, notebooks)],
        cwd=cwd, capture_output=True, text=True, timeout=900,
    )


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("cheats")
    copies = [shutil.copy(CHEATS / f"{name}.ipynb", work) for name in EXPECTED]
    before = {p: open(p, "rb").read() for p in copies}
    result = run_pytest(copies, work)
    assert all(open(p, "rb").read() == b for p, b in before.items()), \
        "verification wrote to a notebook"
    return work, result


def test_every_cheat_is_in_the_corpus():
    builder = runpy.run_path(str(paths.TESTS / "fixtures" / "make_notebooks.py"),
                             run_name="make_notebooks")  # its main() is not run
    assert set(builder["CHEATS"]) == set(EXPECTED)
    assert {p.stem for p in CHEATS.glob("*.ipynb")} == set(EXPECTED) | {"honest"}


@pytest.mark.parametrize("name", EXPECTED)
def test_cheat_fails_naming_notebook_and_cell(corpus_run, name):
    work, result = corpus_run
    cell, message = EXPECTED[name]
    lead = f"{cell_at(work / f'{name}.ipynb', cell)}: "
    lines = [line for line in result.stdout.splitlines() if line.startswith(lead)]
    assert any(message in line for line in lines), \
        f"{lead}{message!r} not found in:\n" + "\n".join(lines or [result.stdout[-3000:]])


@pytest.mark.parametrize("threads", [1, 4])
def test_honest_notebook_passes(tmp_path, threads):
    copy = shutil.copy(CHEATS / "honest.ipynb", tmp_path)
    result = run_pytest([copy], tmp_path, f"--journal-threads={threads}")
    assert result.returncode == 0, result.stdout[-3000:]
