"""The harness must catch a published number that a re-run does not reproduce."""

import json
import shutil
import subprocess
import sys

import pytest

from journal import paths

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
    cell = edit_first_output(notebook_copy, "4 of 450 test images wrong",
                             "3 of 450 test images wrong")
    before = notebook_copy.read_bytes()
    result = run_pytest_on(notebook_copy, tmp_path)
    assert result.returncode == 1
    assert f"{notebook_copy.name} cell {cell}: verification failed" in result.stdout
    assert "3 of 450" in result.stdout and "4 of 450" in result.stdout
    assert notebook_copy.read_bytes() == before  # verification never writes
