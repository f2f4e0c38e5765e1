"""Shared fixtures: one verified notebook and one built site per pytest run.

Under pytest-xdist every worker asks for them, and the first one to ask makes
them under a file lock in the run's shared temporary folder; the others wait
and reuse them (pytest-xdist's documented recipe for session data).
"""

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock
from hypothesis import settings
from xdist.scheduler import LoadScopeScheduling

from journal import paths
from journal.live import dist

# The page-weight budget and the local server live with the benchmarks, which
# use them too (bench/weight.py, bench/preview.py).
sys.path.insert(0, str(paths.ROOT / "bench"))

import prewarmed  # noqa: E402
from built_site import VERIFIED_NOTEBOOK, build_site  # noqa: E402

pytest_plugins = ["pytester"]

# Property tests check what is computed, never how fast: Hypothesis's default
# deadline per example turns a busy machine into a failure (speed lives in
# `make bench`).
settings.register_profile("journal", deadline=None)
settings.load_profile("journal")

# The test processes collect garbage with the thresholds of the builds' children
# (tests/prewarmed.py says why): over three workers the collector takes a quarter
# to a third of the CPU time it takes with Python's defaults (on one 2-core
# machine, 2.6-3.1 s against 8.6-10.1 s; the seconds vary with the machine).
gc.set_threshold(*prewarmed.GC_THRESHOLD)

# Notebooks kept as bad-input fixtures are data, not project notebooks.
collect_ignore_glob = ["fixtures/*"]

# Sites that tests build from copies of the repository take the pinned Pyodide
# from this checkout's cache (`make setup` fetched it) instead of fetching again.
os.environ.setdefault(dist.CACHE_ENV, str(dist.default_cache()))


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent under -p no:xdist
def pytest_xdist_auto_num_workers(config):
    """``-n auto`` (``make test``): one worker per CPU, and one more. While one
    worker builds the shared site, another waits for it (the second browser
    group), and a few tests wait out a timeout: the extra worker keeps the CPUs
    busy meanwhile. More cost more than they give: each worker imports torch,
    scikit-learn and the site's libraries again, and for browser tests starts
    its own Chromium."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else os.cpu_count() or 1  # macOS has no affinity
    return cpus + 1


# The browser tests run in two groups, each on one worker with one Chromium
# (starting one, with Playwright's driver, costs seconds of CPU): every module
# with a test that opens a browser is in one of them, so no other worker starts
# its own (pytest_collection_modifyitems refuses one that is not). The two
# sweeps of every page (test_pages.py) are the longest tests of all, so each
# group has one; the hostile site comes first in the second group, whose worker
# builds it while the first makes the shared site. A nodeid belongs to the
# group of the first prefix it starts with.
BROWSER_GROUPS = {
    "browser: the blog": ("tests/browser/test_pages.py::TestTheBlog",
                          "tests/browser/test_run_in_browser.py",
                          "tests/browser/test_page_weight.py"),
    "browser: the other pages": ("tests/test_site_hostile.py",
                                 "tests/browser/test_pages.py::TestTheOtherPages",
                                 "tests/browser/test_pages.py",
                                 "tests/browser/test_themes.py"),
}


def browser_group(nodeid: str) -> tuple[int, int] | None:
    """(group, prefix) indices of a browser test in `BROWSER_GROUPS`, else None."""
    for group, prefixes in enumerate(BROWSER_GROUPS.values()):
        for position, prefix in enumerate(prefixes):
            if nodeid.startswith(prefix):
                return group, position
    return None


class BrowserGroups(LoadScopeScheduling):
    """pytest-xdist's ``loadscope`` (whole modules, or classes, per worker), with
    the browser tests in the scopes of `BROWSER_GROUPS`: xdist's own loadgroup
    scheduler is this override, with its groups named by marks."""

    def _split_scope(self, nodeid: str) -> str:
        found = browser_group(nodeid)
        if found is None:
            return super()._split_scope(nodeid)
        return list(BROWSER_GROUPS)[found[0]]


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook, as above
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") == "loadscope":
        return BrowserGroups(config, log)
    return None


def pytest_collection_modifyitems(items):
    """The browser groups first (the first to ask makes the shared site), every
    module that does not need the site next, the modules with a test that needs
    it last: while one worker makes the site, the others run the rest instead
    of waiting for it (``make test`` keeps this order with xdist's
    ``--no-loadscope-reorder``). xdist hands out whole modules, so a module is
    placed by its tests that wait longest. A test that opens a browser outside
    `BROWSER_GROUPS` is refused: its worker would start a Chromium of its own."""
    outside = []  # tests that open a browser outside the groups

    def rank(item):
        fixtures = getattr(item, "fixturenames", ())
        group = browser_group(item.nodeid)
        if group is not None:
            return (0, *group)
        if "browser" in fixtures:
            outside.append(item.nodeid)
        return (2 if "reports_dir" in fixtures else 1, 0, 0)

    ranks = {item.nodeid: rank(item) for item in items}
    if outside:
        raise pytest.UsageError(
            f"{outside[0]} opens a browser but is in no group of tests/conftest.py's "
            f"BROWSER_GROUPS ({len(outside)} in all): its worker would start a "
            "Chromium of its own")

    modules = {}  # module -> the rank of its test that waits longest
    for nodeid, own in ranks.items():
        if own[0]:  # not a browser group
            module = nodeid.split("::")[0]
            modules[module] = max(modules.get(module, own), own)

    def place(item):
        own = ranks[item.nodeid]
        return own if own[0] == 0 else modules[item.nodeid.split("::")[0]]

    items.sort(key=place)


def made_once(tmp_path_factory, name: str, make) -> Path:
    """The folder ``name`` filled by ``make(folder)`` once per pytest run.

    A failure is recorded, so the other workers fail with its message instead
    of trying again.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:  # one process: nothing to share
        folder = tmp_path_factory.mktemp(name)
        make(folder)
        return folder
    root = tmp_path_factory.getbasetemp().parent  # one per run, shared by workers
    folder, outcome = root / name, root / f"{name}.outcome"
    with FileLock(root / f"{name}.lock"):
        if not outcome.exists():
            folder.mkdir()
            try:
                make(folder)
            except BaseException as err:
                outcome.write_text(f"failed: {err}"[:5000], encoding="utf-8")
                raise
            outcome.write_text("ok", encoding="utf-8")
    result = outcome.read_text(encoding="utf-8")
    if result != "ok":
        pytest.fail(f"{name}, made by another worker, {result}")
    return folder


def _verify(folder: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "journal.pytest_notebooks", "-p",
         "no:cacheprovider", "-p", "no:xdist", "-q", str(VERIFIED_NOTEBOOK),
         f"--journal-report={folder / 'verification.json'}"],
        cwd=paths.ROOT, capture_output=True, text=True, timeout=600,
    )
    (folder / "pytest.out").write_text(result.stdout, encoding="utf-8")
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.fixture(scope="session")
def reports_dir(tmp_path_factory) -> Path:
    """A verification report in which one real notebook was really re-run.

    The site tests must not depend on whether `make test` has already written
    reports/ on this machine, so they verify one notebook into a folder of
    their own; the other notebooks have no entry there and show as such. The
    run's output is kept beside it, as ``pytest.out``.
    """
    return made_once(tmp_path_factory, "reports", _verify)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory, reports_dir) -> Path:
    """The site, built once per run (strict, unverified pages bannered)."""
    def build(out: Path) -> None:
        result = build_site(out, reports_dir)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "WARNING" not in result.stderr, result.stderr

    return made_once(tmp_path_factory, "site", build)


# One headless Chromium per test process, for every module that reads pages
# (Playwright's sync API allows one running instance per thread).
@pytest.fixture(scope="session")
def browser():
    import preview  # bench/preview.py

    executable = preview.find_chromium()
    if executable is None:
        pytest.skip("no Chromium installed (Debian: apt-get install chromium); "
                    "browser tests skipped")
    with preview.chromium(executable) as chromium:
        yield chromium
