"""Judging edited copies of a notebook in process, as the pytest plugin would.

A copy whose code is the original's reproduces what the original reproduces,
so the original is re-run once (`rerun`) and every copy is judged against that
run (`judge`) with the plugin's own checks: what fails collection
(`journal.pytest_notebooks.unverifiable`) and what fails a cell
(`journal.compare.compare_cell`, with the committed sanitizer).
"""

from pathlib import Path

import nbformat

from journal import compare, execute, nbfile, safety
from journal.execute import exemption
from journal.pytest_notebooks import unverifiable


def rerun(path: Path, threads: int = 1, record: dict | None = None) -> list:
    """The code cells of the notebook at ``path`` as re-executed now (one kernel);
    ``record`` receives what `journal.execute.execute` records of the run."""
    nb = nbformat.read(path, 4)
    return nbfile.code_cells(execute.execute(nb, path, threads=threads, record=record))


def judge(path: Path, reran: list) -> list[str]:
    """Every failure the plugin would report for ``path``, as ``cell N: problem``."""
    nb = nbformat.read(path, 4)
    problem = unverifiable(nb, path)
    if problem:
        return [f"cell {problem.cell}: {problem.message}"]
    cells = nbfile.code_cells(nb)
    assert [c.source for c in cells] == [c.source for c in reran], \
        f"{path.name}: its code is not the code that was re-run"
    rules = compare.load_sanitizer()
    found = []
    for i, (cell, again) in enumerate(zip(cells, reran)):
        if exemption(cell):
            continue
        verdict = compare.compare_cell(
            cell.outputs, again.outputs, rules=rules,
            clean=lambda t: safety.normalise_text(t, path.parent))
        found += [f"cell {i}: {p}" for p in verdict.problems]
    return found
