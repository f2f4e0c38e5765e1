"""The harness must catch a published number that a re-run does not reproduce."""

import json
import re
import shutil
import subprocess
import sys

import pytest

from journal import errors, nbfile, paths

NOTEBOOK = paths.PROJECTS / "digits-baselines" / "digits-baselines.ipynb"


def run_pytest_on(notebook, cwd):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "journal.pytest_notebooks",
         "-p", "no:cacheprovider", "-q", str(notebook)],
        cwd=cwd, capture_output=True, text=True, timeout=600,
    )


@pytest.fixture
def notebook_copy(tmp_path):
    copy = tmp_path / NOTEBOOK.name
    shutil.copy(NOTEBOOK, copy)
    return copy


def wrong_count_line(path) -> str:
    """The printed "N of 450 test images wrong" (N depends on the best model)."""
    match = re.search(r"\d+ of 450 test images wrong", path.read_text())
    assert match, f"no count of wrong test images in {path}"
    return match.group(0)


def edit_first_output(path, old, new):
    """Replace text in the first stream output that contains ``old``."""
    nb = json.loads(path.read_text())
    code_index = -1
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        code_index += 1
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", []))
            if old in text:
                out["text"] = text.replace(old, new)
                path.write_text(json.dumps(nb, indent=1))
                return code_index
    raise AssertionError(f"{old!r} not found in {path}")


def test_untouched_notebook_passes(notebook_copy, tmp_path):
    result = run_pytest_on(notebook_copy, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "code cells re-executed and matched" in result.stdout


def test_edited_printed_number_fails_naming_notebook_and_cell(notebook_copy, tmp_path):
    shown = wrong_count_line(notebook_copy)
    edited = re.sub(r"\d+ of", lambda m: f"{int(m.group(0)[:-3]) + 1} of", shown)
    cell = edit_first_output(notebook_copy, shown, edited)
    before = notebook_copy.read_bytes()
    result = run_pytest_on(notebook_copy, tmp_path)
    assert result.returncode == 1
    where = errors.cell_at(str(notebook_copy), nbfile.code_cells(nbfile.read(notebook_copy)),
                           cell)
    assert f"{where}: stream stdout differs" in result.stdout
    assert shown in result.stdout and edited in result.stdout
    assert notebook_copy.read_bytes() == before  # verification never writes
