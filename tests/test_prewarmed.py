"""A child forked from the warm process runs as ``python -m``/``-c`` would: the
journal's code from the folder it runs in, its exit status, what it printed."""

import os
import subprocess
import sys

import pytest

import prewarmed
from built_site import site_copy
from journal import paths


def test_a_child_imports_the_journal_from_the_folder_it_runs_in(tmp_path):
    root = site_copy(tmp_path / "repo")
    (root / "journal" / "__init__.py").write_text(
        (root / "journal" / "__init__.py").read_text() + "\nFROM_THE_COPY = True\n")
    result = prewarmed.run(
        ["-c", "import journal, sys; print(journal.__file__, journal.FROM_THE_COPY, "
               "sys.argv[1:])", "an-argument"],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(root / "journal" / "__init__.py"), "True",
                                     "['an-argument']"]


def test_status_and_both_streams_come_back(tmp_path):
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    result = prewarmed.run(["-c", code], cwd=tmp_path, env=dict(os.environ), timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")


def test_an_exception_is_a_failure_with_its_traceback(tmp_path):
    result = prewarmed.run(["-c", "raise ValueError('no')"], cwd=tmp_path,
                           env=dict(os.environ), timeout=60)
    assert result.returncode == 1
    assert "ValueError: no" in result.stderr


def test_a_child_past_its_time_is_killed(tmp_path):
    with pytest.raises(subprocess.TimeoutExpired):
        prewarmed.run(["-c", "import time; time.sleep(60)"], cwd=tmp_path,
                      env=dict(os.environ), timeout=1)


def test_only_module_and_code_are_run_forked(tmp_path):
    with pytest.raises(ValueError, match="only -m and -c"):
        prewarmed.run(["script.py"], cwd=tmp_path, env=dict(os.environ), timeout=60)


def test_the_test_folders_are_not_on_the_childs_path(tmp_path):
    result = prewarmed.run(["-c", "import sys; print('\\n'.join(sys.path))"], cwd=tmp_path,
                           env=dict(os.environ, PYTHONPATH=""), timeout=60)
    assert result.returncode == 0, result.stderr
    added = {str(paths.TESTS), str(paths.TESTS / "browser"), str(paths.ROOT / "bench")}
    assert added & set(sys.path)  # what the test process has
    assert not added & set(result.stdout.splitlines())
