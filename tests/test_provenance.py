"""Provenance stamps and the inputs fingerprint that decides what `journal run` skips."""

import os
import shutil

import nbformat
import pytest

from journal import paths, provenance

V4 = nbformat.v4


def notebook(*sources):
    nb = V4.new_notebook()
    nb.cells = [V4.new_code_cell(s) for s in sources]
    return nb


@pytest.fixture
def snippets_copy(tmp_path):
    """A throwaway copy of snippets/ plus two small modules that import each other."""
    copy = tmp_path / "snippets"
    shutil.copytree(paths.SNIPPETS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "alpha.py").write_text("from snippets.beta import helper\n")
    (copy / "beta.py").write_text("from . import gamma\n\ndef helper():\n    pass\n")
    (copy / "gamma.py").write_text("X = 1\n")
    (copy / "delta.py").write_text("Y = 2\n")
    lock = tmp_path / "requirements.lock"
    lock.write_text("numpy==2.0.0\n")
    return {"snippets": copy, "journal": paths.JOURNAL}, lock


def test_imports_found_transitively(snippets_copy):
    snippets, _ = snippets_copy
    nb = notebook("from journal.notebook import setup\n\ndevice = setup(seed=0)",
                  "%matplotlib inline\nimport snippets.alpha as a")
    found = {p.relative_to(p.parent.parent).as_posix()
             for p in provenance.snippet_modules(nb, snippets)}
    # journal.notebook pulls in the kernel-side modules; a submodule runs __init__
    assert found == {"journal/__init__.py", "journal/notebook.py", "journal/runtime.py",
                     "journal/datasets.py", "journal/report.py", "journal/figures.py",
                     "journal/settings.py",
                     "snippets/__init__.py", "snippets/alpha.py", "snippets/beta.py",
                     "snippets/gamma.py"}
    other = notebook("from snippets import delta")
    assert {p.name for p in provenance.snippet_modules(other, snippets)} == {
        "__init__.py", "delta.py"}


def test_real_notebook_imports():
    nb = nbformat.read(paths.PROJECTS / "digits-baselines" / "digits-baselines.ipynb", 4)
    names = {p.name for p in provenance.snippet_modules(nb)}
    assert {"runtime.py", "datasets.py", "plots.py", "baselines.py", "report.py"} <= names


def record_run(nb, snippets, lock, datasets=None):
    prov = {"date": "2026-11-23T06:00:00Z", "datasets": datasets or {}}
    nb.metadata["journal"] = {
        "provenance": prov,
        "inputs": provenance.inputs(nb, prov["datasets"], packages=snippets,
                                    lock_file=lock),
    }


def test_changing_an_imported_module_makes_exactly_that_notebook_stale(snippets_copy):
    snippets, lock = snippets_copy
    uses_gamma = notebook("from snippets.alpha import helper")
    uses_delta = notebook("from snippets.delta import Y")
    for nb in (uses_gamma, uses_delta):
        record_run(nb, snippets, lock)
    kw = dict(packages=snippets, lock_file=lock)
    assert provenance.status(uses_gamma, **kw) is provenance.Freshness.UP_TO_DATE
    assert provenance.status(uses_delta, **kw) is provenance.Freshness.UP_TO_DATE

    gamma = snippets["snippets"] / "gamma.py"
    gamma.write_text(gamma.read_text() + "# a comment\n")
    assert provenance.status(uses_gamma, **kw) is provenance.Freshness.UP_TO_DATE
    gamma.write_text(gamma.read_text() + "Z = 1\n")
    assert provenance.status(uses_gamma, **kw) is provenance.Freshness.STALE
    assert provenance.status(uses_delta, **kw) is provenance.Freshness.UP_TO_DATE


def test_code_lock_and_dataset_changes_make_stale(snippets_copy, monkeypatch):
    snippets, lock = snippets_copy
    kw = dict(packages=snippets, lock_file=lock)
    digest = "0b3e4ee14f82503950f2fd8375b2e78056c1dd5ef2cb04e4cd0cc4827c0e6bb6"
    nb = notebook("x = 1")
    record_run(nb, snippets, lock, {"digits": digest})
    assert provenance.status(nb, **kw) is provenance.Freshness.UP_TO_DATE

    nb.cells[0].source = "x = 2"
    assert provenance.status(nb, **kw) is provenance.Freshness.STALE
    nb.cells[0].source = "x = 1"
    nb.cells.append(V4.new_markdown_cell("prose does not count"))
    assert provenance.status(nb, **kw) is provenance.Freshness.UP_TO_DATE

    lock.write_text("numpy==2.0.1\n")
    assert provenance.status(nb, **kw) is provenance.Freshness.STALE
    lock.write_text("numpy==2.0.0\n")

    from journal import datasets as data
    monkeypatch.setitem(data.EXPECTED_SHA256, "digits", "f" * 64)
    assert provenance.status(nb, **kw) is provenance.Freshness.STALE


def test_never_run():
    assert provenance.status(notebook("x = 1")) is provenance.Freshness.NEVER_RUN


def test_stamp_text():
    prov = {"date": "2026-11-23T06:41:07Z", "commit": "abc1234567", "python": "3.11.7",
            "torch": "2.13.0", "numpy": "2.1.3", "device": "cpu",
            "device_name": "Some CPU", "threads": 1, "seed": 0,
            "datasets": {"digits": "0b3e4ee14f825039"}, "wall_seconds": 12.34}
    text = provenance.stamp_text(prov, paths.PROJECTS / "demo" / "demo.ipynb")
    assert text == (
        "reproduced on 2026-11-23 at `abc1234567` with Python 3.11.7, torch 2.13.0, "
        "NumPy 2.1.3 on Some CPU, 1 thread, seed 0, data digits `0b3e4ee14f82`, "
        "in 12.3 s — re-run with `journal run projects/demo`")


def test_recorded_stamp_of_the_real_notebook_is_complete():
    nb = nbformat.read(paths.PROJECTS / "digits-baselines" / "digits-baselines.ipynb", 4)
    prov = provenance.recorded(nb)["provenance"]
    for key in ("date", "commit", "python", "torch", "numpy", "device_name", "threads",
                "seed", "wall_seconds", "cell_seconds", "datasets"):
        assert prov.get(key) is not None, key
    code_ids = {c.id for c in nb.cells if c.cell_type == "code"}
    assert set(prov["cell_seconds"]) == code_ids
    assert prov["datasets"]["digits"].startswith("0b3e4ee14f82")
    assert os.path.basename(provenance.run_command(paths.PROJECTS / "x" / "x.ipynb")) == "x"


@pytest.fixture
def journal_copy(tmp_path):
    """A throwaway copy of the journal package, for editing its modules."""
    copy = tmp_path / "journal"
    shutil.copytree(paths.JOURNAL, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return {"snippets": paths.SNIPPETS, "journal": copy}


def fingerprints(packages) -> dict[str, str]:
    found = {}
    for path in paths.project_notebooks():
        nb = nbformat.read(path, 4)
        datasets = provenance.recorded(nb).get("provenance", {}).get("datasets", {})
        found[path.name] = provenance.inputs(nb, datasets, packages=packages)["fingerprint"]
    return found


@pytest.mark.parametrize("judge", ["compare.py", "verification.py",
                                   "pytest_notebooks.py", "sanitize.cfg"])
def test_changing_how_results_are_judged_leaves_every_notebook_fresh(journal_copy, judge):
    before = fingerprints(journal_copy)
    module = journal_copy["journal"] / judge
    module.write_text(module.read_text() + "\nJUDGED_DIFFERENTLY = True\n")
    assert fingerprints(journal_copy) == before


def test_changing_what_a_notebook_runs_makes_it_stale(journal_copy):
    before = fingerprints(journal_copy)
    module = journal_copy["journal"] / "report.py"
    module.write_text(module.read_text() + "\nRENDERED_DIFFERENTLY = True\n")
    after = fingerprints(journal_copy)
    assert all(after[name] != before[name] for name in before)


def test_rewording_a_comment_or_docstring_leaves_every_notebook_fresh(journal_copy):
    """What Python runs is hashed, not how the file reads."""
    before = fingerprints(journal_copy)
    module = journal_copy["journal"] / "runtime.py"
    text = module.read_text()
    first = text.index('"""', 3)  # the end of the module docstring
    module.write_text(text[:first] + " Reworded." + text[first:]
                      .replace("def setup(", "# a comment\ndef setup(", 1))
    assert module.read_text() != text
    assert fingerprints(journal_copy) == before
    module.write_text(text.replace("return torch.device(name)", "return  torch.device(name)"))
    assert fingerprints(journal_copy) == before  # layout only
    module.write_text(text.replace("setup.last = None", "setup.last = 0"))
    assert all(after != before[name] for name, after in fingerprints(journal_copy).items())


def test_committed_notebooks_are_up_to_date():
    stale = [paths.display_path(p) for p in paths.project_notebooks()
             if provenance.status(nbformat.read(p, 4)) is not
             provenance.Freshness.UP_TO_DATE]
    assert not stale, f"stale notebooks, run `journal run`: {stale}"
