"""Notebooks as people write them: what `journal run` publishes, the check verifies.

tests/fixtures/realistic/ holds the common habits of people who write
notebooks (`make_realistic.HABITS`), one section each in one notebook, and a
notebook saved with a cell never run. Copies of them go through one `journal
run`, then one verification run of the plugin (what `journal check` runs):
every cell must match, with no false alarm. The refusals are checked apart: a
published notebook without the set-up cell, a notebook saved with a cell never
run, and a cell that raises without saying it should.
"""

import argparse
import re
import shutil
import subprocess
import sys

import fixture_builders
import in_process
import nbformat
import pytest

from built_site import build_copy, site_copy
from journal import cli, compare, errors, execute, nbfile, paths

CORPUS = paths.TESTS / "fixtures" / "realistic"
RUNNABLE = ["habits", "unexecuted-cell"]


def journal(*args, cwd=paths.ROOT):
    return subprocess.run([sys.executable, "-m", "journal.cli", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def verify(notebooks, cwd, report):
    """The plugin over ``notebooks``, as `journal check` runs it."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "journal.pytest_notebooks",
         "-p", "no:cacheprovider", "-p", "no:xdist", "-q", "-rA",
         f"--journal-report={report}", *map(str, notebooks)],
        cwd=cwd, capture_output=True, text=True, timeout=600)


def habit_cells(nb, habit: str) -> list:
    """The code cells of one habit (their ids are ``<habit>-<step>``), in order."""
    return [c for c in nbfile.code_cells(nb) if c.id.startswith(f"{habit}-")]


def outputs(work, habit: str) -> list[list]:
    """The outputs `journal run` wrote for each code cell of ``habit``."""
    return [c.outputs for c in habit_cells(nbfile.read(work / "habits.ipynb"), habit)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Copies of the runnable notebooks after one `journal run`, and its result."""
    work = tmp_path_factory.mktemp("realistic")
    copies = [shutil.copy(CORPUS / f"{name}.ipynb", work) for name in RUNNABLE]
    ran = journal("run", *copies)
    return work, ran


def test_every_habit_is_in_the_corpus():
    builder = fixture_builders.load("make_realistic")
    notebooks = {p.stem for p in CORPUS.glob("*.ipynb")}
    assert notebooks == set(RUNNABLE) | set(builder.NOTEBOOKS)
    nb = nbfile.read(CORPUS / "habits.ipynb")
    sections = [c.id for c in nb.cells if c.cell_type == "markdown"]
    assert sections == list(builder.HABITS)
    assert all(habit_cells(nb, habit) for habit in sections)


def test_run_is_quiet_and_stamps_every_notebook(corpus):
    work, ran = corpus
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout.count("stamped") == len(RUNNABLE)
    noise = [line for line in ran.stderr.splitlines()
             if not line.startswith(f"  {work}")]  # progress lines only
    assert noise == [], noise


def test_what_run_wrote_passes_verification(corpus, pytester, monkeypatch):
    """`journal run` ran each notebook on 1 thread; the check runs them on 2."""
    work, _ = corpus
    notebooks = sorted(work.glob("*.ipynb"))
    before = {path: path.read_bytes() for path in notebooks}
    checked = in_process.run_plugin(pytester, monkeypatch, "--journal-threads=2", *notebooks)
    stdout = checked.stdout.str()
    assert checked.ret == 0, stdout[-4000:]
    counts = {name: len(nbfile.code_cells(nbfile.read(work / f"{name}.ipynb")))
              for name in RUNNABLE}
    for name, count in counts.items():
        assert f"{work / name}.ipynb: {count} code cells re-executed and matched" \
            in stdout, stdout[-4000:]
    assert "FAILED" not in stdout and "SKIPPED" not in stdout
    checked.assert_outcomes(passed=sum(counts.values()))
    assert {path: path.read_bytes() for path in notebooks} == before, \
        "verification wrote to a notebook"


def test_trailing_semicolon_hides_the_result(corpus):
    work, _ = corpus
    cells = outputs(work, "semicolons")
    kinds = [[o.output_type for o in outs] for outs in cells]
    # plot;  ->  the figure only; len(x); -> nothing; len(x) -> its value
    assert kinds[1:] == [["display_data"], ["display_data"], [], ["execute_result"]]
    assert "image/png" in cells[1][0].data


def test_display_keeps_every_object_in_order(corpus):
    work, _ = corpus
    first, rich, interleaved = outputs(work, "display-several")
    assert [o.data.get("text/markdown", o.data["text/plain"]) for o in first] == \
        ["**Two tables**", "42", "[1, 2, 3]"]
    assert [o.output_type for o in rich] == ["display_data"] * 2 + ["execute_result"]
    assert all("text/html" in o.data for o in rich)
    assert [(o.output_type, o.get("text")) for o in interleaved] == \
        [("stream", "before\n"), ("display_data", None), ("stream", "after\n")]


def test_pandas_tables_are_published_as_html_and_text(corpus):
    work, _ = corpus
    for outs in outputs(work, "pandas-tables"):
        assert [o.output_type for o in outs] == ["execute_result"]
        assert {"text/html", "text/plain"} <= set(outs[0].data)


def test_progress_bar_keeps_what_was_drawn_last(corpus):
    work, _ = corpus
    loop, _ = outputs(work, "progress-stderr")
    stderr = "".join(o.text for o in loop if o.get("name") == "stderr")
    assert "\r" not in stderr
    assert stderr.endswith("[####################] epoch 20/20 loss 0.0115\n")
    assert "epoch 1/20" not in stderr  # redrawn over: not what a reader saw
    assert [o.output_type for o in loop].count("execute_result") == 0


def test_warnings_are_shown_on_stderr(corpus):
    work, _ = corpus
    numpy_warning, own_warning, _ = outputs(work, "warnings")
    assert any("RuntimeWarning: divide by zero" in o.get("text", "")
               for o in numpy_warning if o.get("name") == "stderr")
    assert any("FutureWarning: this option will change" in o.get("text", "")
               for o in own_warning if o.get("name") == "stderr")


def test_error_on_purpose_is_published_and_verified(corpus):
    work, _ = corpus
    _, raised, after = outputs(work, "raises-on-purpose")
    assert [(o.output_type, o.ename) for o in raised] == [("error", "ValueError")]
    assert after[0].output_type == "execute_result"


def test_error_not_declared_stops_the_run_naming_the_cell(tmp_path, capsys):
    """The habit's own cells only, its `raises-exception` tag taken off."""
    path = tmp_path / "raises.ipynb"
    nb = nbformat.read(CORPUS / "habits.ipynb", 4)
    nb.cells = habit_cells(nb, "raises-on-purpose")
    nb.cells[1].metadata["tags"] = []
    nbformat.write(nb, path)
    before = open(path, "rb").read()
    status, _, err = in_process.journal(capsys, "run", path)
    assert status == 1
    assert (f"{path}, code cell 2 of 3 (id raises-on-purpose-2): raised ValueError: "
            f"expected a matrix, got shape (3, 4, 5)") in err
    assert err.count("raised ValueError") == 1  # shown once
    assert open(path, "rb").read() == before


def test_unexecuted_cell_is_refused_by_the_check_until_run(pytester, monkeypatch):
    path = shutil.copy(CORPUS / "unexecuted-cell.ipynb", pytester.path)
    result = in_process.run_plugin(pytester, monkeypatch, path)
    assert result.ret != 0
    assert (f"{path}, code cell 2 of 2 (id step-2): committed without outputs "
            f"(1 code cell(s) never run); run `journal run {path}`") \
        in result.stdout.str()


def test_published_notebook_without_setup_cell_is_refused_before_running(
        tmp_path, monkeypatch, capsys):
    projects = tmp_path / "projects"
    path = projects / "no-setup" / "no-setup.ipynb"
    path.parent.mkdir(parents=True)
    shutil.copy(CORPUS / "no-setup.ipynb", path)
    before = path.read_bytes()
    monkeypatch.setattr(paths, "PROJECTS", projects)
    ran = []
    monkeypatch.setattr(execute, "NotebookClient", lambda *a, **k: ran.append(a))
    args = argparse.Namespace(paths=[str(path)], force=False, threads=None)
    assert cli.cmd_run(args) == 1
    out, err = capsys.readouterr()
    assert "running" not in out
    assert err.startswith(f"error: {path}: the first code cell must call `setup()`")
    assert ran == [] and path.read_bytes() == before  # refused before any kernel
    # The check applies the same rule with the same words (at collection).
    with pytest.raises(errors.NotebookError) as refused:
        execute.check_rules(nbfile.read(path), path)
    assert f"error: {refused.value}\n" in err


def test_published_notebook_needs_title_and_one_line_summary(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "PROJECTS", tmp_path)
    path = tmp_path / "p" / "p.ipynb"
    nb = nbfile.read(CORPUS / "habits.ipynb")
    execute.check_rules(nb, path)
    nb.metadata["journal"]["summary"] = ""
    with pytest.raises(errors.NotebookError, match="a title and a one-line summary"):
        execute.check_rules(nb, path)


def test_a_committed_notebook_runs_and_verifies_on_one_executor(tmp_path, request):
    """conv-batchnorm: what `journal run` writes, the check accepts unchanged."""
    if request.config.getoption("no_notebooks"):
        pytest.skip("runs a project notebook twice; part of the notebook runs")
    source = paths.PROJECTS / "conv-batchnorm" / "conv-batchnorm.ipynb"
    path = shutil.copy(source, tmp_path)
    ran = journal("run", "--force", path)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "KeyboardInterrupt" not in ran.stderr and "ERROR" not in ran.stderr
    result = verify([path], tmp_path, tmp_path / "verification.json")
    assert result.returncode == 0, result.stdout[-4000:]


def test_only_the_kernel_process_id_is_hidden_in_a_warning_location():
    rules = compare.load_sanitizer()
    warning = "<tmp>/ipykernel_{pid}/{cell}.py:1: FutureWarning: this option will change"

    def seen(pid, cell):
        return compare.sanitize(warning.format(pid=pid, cell=cell), rules)[0]

    assert seen(22422, 2115146696) == seen(23271, 2115146696)
    assert seen(22422, 2115146696) != seen(22422, 3333146696)


def test_the_site_renders_what_run_wrote(corpus):
    """mkdocs-jupyter's rendering (what notebook pages are made from)."""
    from mkdocs_jupyter.convert import nb2html  # deferred: only this test needs it

    work, _ = corpus
    nb = nbfile.read(work / "habits.ipynb")
    page = nb2html(str(work / "habits.ipynb"))  # as the strict build converts it
    assert page.count("<img") == 2  # the two plots, once each
    # In [k] is code cell k (every cell ran once, in order, counted as Jupyter
    # counts); Out[k] only for the cells with a result, and of the plots and
    # lengths only for the one cell without `;`
    cells = nbfile.code_cells(nb)
    number = {cell.id: str(k) for k, cell in enumerate(cells, 1)}
    assert re.findall(r"In\xa0\[(\d+)\]", page) == list(number.values())
    shown = re.findall(r"Out\[(\d+)\]:", page)
    assert shown == [number[c.id] for c in cells
                     if any(o.output_type == "execute_result" for o in c.outputs)]
    plots = {number[c.id] for c in habit_cells(nb, "semicolons")}
    assert [n for n in shown if n in plots] == [number["semicolons-5"]]
    assert "\r" not in page
    assert "ValueError" in page


def test_the_corpus_builds_strictly_without_a_warning(corpus, tmp_path):
    """What `journal run` wrote, published as project pages: the strict build
    (any warning fails it) finds nothing to clean, escape or refuse."""
    work, _ = corpus
    root = site_copy(tmp_path / "repo", projects=[])
    for name in RUNNABLE:
        (root / "projects" / name).mkdir()
        shutil.copy(work / f"{name}.ipynb", root / "projects" / name / f"{name}.ipynb")
    built = build_copy(root, root / "site")
    warnings = [line for line in built.stderr.splitlines()
                if line.startswith(("WARNING", "ERROR"))]
    assert built.returncode == 0 and not warnings, "\n".join(warnings) or built.stderr[-3000:]
    for name in RUNNABLE:
        assert (root / "site" / "projects" / name / name / "index.html").is_file(), name
