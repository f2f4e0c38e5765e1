"""The `journal` command: new post/project, run (cached, atomic, interruptible), check.

Most of it is called through `journal.cli.main` in this process. The first run
and the interrupted runs are processes of their own, as the command is when
someone types it: what reaches the terminal, signals, a killed run.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date

import in_process
import nbformat
import pytest

from journal import cli, paths, provenance

FIXTURES = paths.TESTS / "fixtures" / "run"


def journal(*args, cwd=paths.ROOT, timeout=300):
    return subprocess.run([sys.executable, "-m", "journal.cli", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)


# --- new ------------------------------------------------------------------------

def test_new_post(tmp_path):
    path = cli.new_post("Why my loss went NaN — again!", date(2026, 12, 1), tmp_path)
    assert path.name == "2026-12-01-why-my-loss-went-nan-again.md"
    text = path.read_text()
    assert text.startswith("---\ndate:\n  created: 2026-12-01\n")
    assert "# Why my loss went NaN — again!" in text and "<!-- more -->" in text
    with pytest.raises(SystemExit, match="already exists"):
        cli.new_post("Why my loss went NaN — again!", date(2026, 12, 1), tmp_path)
    assert path.read_text() == text


def test_new_project(tmp_path):
    path = cli.new_project("tiny-mlp", tmp_path)
    assert path == tmp_path / "tiny-mlp" / "tiny-mlp.ipynb"
    nb = nbformat.read(path, 4)
    nbformat.validate(nb)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.source == ("from journal.notebook import setup\n\n"
                                 "device = setup(seed=0)")
    assert nb.metadata["journal"] == {"title": "Tiny mlp", "summary": ""}
    with pytest.raises(SystemExit, match="already exists"):
        cli.new_project("tiny-mlp", tmp_path)
    for bad in ("Tiny", "a b", "../x", "x--y", ""):
        with pytest.raises(SystemExit, match="not a valid name"):
            cli.new_project(bad, tmp_path)


# --- run ------------------------------------------------------------------------

@pytest.fixture
def quick(tmp_path):
    copy = tmp_path / "quick" / "quick.ipynb"
    copy.parent.mkdir()
    shutil.copy(FIXTURES / "quick.ipynb", copy)
    return copy


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """One `journal run` of the quick notebook, shared by the tests below."""
    copy = tmp_path_factory.mktemp("ran") / "quick" / "quick.ipynb"
    copy.parent.mkdir()
    shutil.copy(FIXTURES / "quick.ipynb", copy)
    result = journal("run", copy)
    return result, copy.read_bytes()


@pytest.fixture
def ran_quick(quick, first_run):
    quick.write_bytes(first_run[1])
    return quick


def test_run_executes_with_progress_and_stamps(first_run, ran_quick):
    first, _ = first_run
    assert first.returncode == 0, first.stderr
    assert "running 2 code cells" in first.stdout and "stamped" in first.stdout
    assert "quick.ipynb, code cell 1 of 2 (tag total)\n" in first.stderr
    assert "quick.ipynb, code cell 2 of 2 (tag double)\n" in first.stderr
    assert "KeyboardInterrupt" not in first.stderr  # the shutdown's interrupt
    assert "without encryption" not in first.stderr  # the kernel's TCP warning
    nb = nbformat.read(ran_quick, 4)
    assert nb.cells[1].outputs[0]["text"] == "45\n"
    prov = provenance.recorded(nb)["provenance"]
    assert set(prov["cell_seconds"]) == {"total", "double"}
    assert prov["threads"] == 1 and prov["python"].startswith("3.11")
    assert provenance.status(nb) is provenance.Freshness.UP_TO_DATE


def test_unchanged_notebook_is_skipped_until_forced(ran_quick, capsys):
    before = ran_quick.read_bytes()
    status, out, err = in_process.journal(capsys, "run", ran_quick)
    assert status == 0
    assert "up to date (inputs unchanged since" in out
    assert "skipped" in out and "nothing to run" in out
    assert "code cell 1 of 2" not in err
    assert ran_quick.read_bytes() == before

    status, out, err = in_process.journal(capsys, "run", "--force", ran_quick)
    assert status == 0 and "stamped" in out
    assert "code cell 2 of 2" in err


def test_changed_code_cell_makes_it_stale(ran_quick):
    nb = nbformat.read(ran_quick, 4)
    nb.cells[2].source = "total * 3"
    nbformat.write(nb, ran_quick)
    assert provenance.status(nbformat.read(ran_quick, 4)) is provenance.Freshness.STALE


def test_failing_run_leaves_file_unchanged(quick, capsys):
    nb = nbformat.read(quick, 4)
    nb.cells[2].source = "1 / 0"
    nbformat.write(nb, quick)
    before = quick.read_bytes()
    status, _, err = in_process.journal(capsys, "run", quick)
    assert status == 1
    assert "quick.ipynb, code cell 2 of 2 (tag double): raised ZeroDivisionError" in err
    assert "left unchanged" in err
    assert quick.read_bytes() == before
    assert sorted(p.name for p in quick.parent.iterdir()) == ["quick.ipynb"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"])
def test_killing_run_mid_cell_leaves_file_unchanged(tmp_path, sig):
    copy = tmp_path / "slow" / "slow.ipynb"
    copy.parent.mkdir()
    shutil.copy(FIXTURES / "slow.ipynb", copy)
    before = copy.read_bytes()
    proc = subprocess.Popen([sys.executable, "-m", "journal.cli", "run", str(copy)],
                            cwd=paths.ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        seen = ""
        deadline = time.monotonic() + 120
        while "code cell 2 of 2" not in seen and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            seen += line
        assert "code cell 2 of 2" in seen, seen
        time.sleep(1.0)  # well inside the two-minute sleep of cell 2
        assert proc.poll() is None
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        try:  # the kernel, if the runner could not shut it down itself
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert proc.returncode != 0
    assert copy.read_bytes() == before
    assert sorted(p.name for p in copy.parent.iterdir()) == ["slow.ipynb"]


def test_bad_path_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit, match="missing.ipynb: not a notebook"):
        in_process.journal(capsys, "run", tmp_path / "missing.ipynb")


# --- check ----------------------------------------------------------------------

def test_check_agrees_with_the_test_suite(ran_quick, tmp_path, capfd):
    """One check of two notebooks: the one `journal run` wrote passes, a copy
    with one output edited fails naming its cell, and neither is written to."""
    edited = tmp_path / "edited" / "quick.ipynb"
    edited.parent.mkdir()
    raw = json.loads(ran_quick.read_text())
    raw["cells"][1]["outputs"][0]["text"] = ["46\n"]
    edited.write_text(json.dumps(raw, indent=1))
    before = ran_quick.read_bytes(), edited.read_bytes()
    status, out, _ = in_process.journal(capfd, "check", ran_quick, edited)
    assert status == 1
    assert f"{ran_quick}: 2 code cells re-executed and matched" in out, out[-2000:]
    assert (f"{edited}, code cell 1 of 2 (tag total): stream stdout differs: "
            f"published '46\\n'") in out, out[-2000:]
    assert (ran_quick.read_bytes(), edited.read_bytes()) == before
