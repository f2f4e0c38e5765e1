"""The drift check's policy with a fake runner: no venvs are made, nothing is installed.

A planted model of the packages (`FakeRunner.outcome`): scikit-learn 1.10 moves
the MLP's accuracy in one notebook, NumPy 2.5 makes another raise, a third never
moves. The check must name the right package for each, re-run only what moved,
report what cannot be resolved or installed, and render hostile text inertly.
One test runs the real plugin (in this interpreter, not a new venv) on the
small verification fixture, to check the values the drift plugin records.
"""

import json
import re
import sys
from pathlib import Path

import markdown
import pytest
from packaging.requirements import Requirement

import drift as drift_bench  # bench/drift.py (bench/ is on sys.path: conftest.py)
from journal import drift, drift_capture, paths
from journal.site import pages, stamps

MLP = "projects/digits/digits.ipynb"
NUMPY_USER = "projects/arrays/arrays.ipynb"
STABLE = "projects/stable/stable.ipynb"
NOTEBOOKS = [MLP, NUMPY_USER, STABLE]

DIRECT = [Requirement(r) for r in ("torch==2.13.0", "numpy>=2.0,<3",
                                   "matplotlib>=3.9,<4", "scikit-learn>=1.5,<2",
                                   "mnist1d>=0.0.2")]
LOCK = {"torch": "2.13.0", "numpy": "2.4.6", "matplotlib": "3.11.2",
        "scikit-learn": "1.9.1", "scipy": "1.17.1", "mnist1d": "0.0.2.post1"}
NEWEST = {**LOCK, "torch": "2.13.0+cpu", "numpy": "2.5.0", "scikit-learn": "1.10.0",
          "scipy": "1.18.0"}
OLDEST = {**LOCK, "numpy": "2.0.0", "matplotlib": "3.9.0", "scikit-learn": "1.5.0",
          "scipy": "1.13.0"}
PUBLISHED = 0.9722


def entry(cells: list[dict], error=None) -> dict:
    """A verification report entry, as journal.verification writes it."""
    ok = error is None and all(c["passed"] for c in cells)
    return {"verdict": "passed" if ok else "failed", "error": error,
            "date": "2026-12-01T00:00:00Z",
            "outputs": {"total": 2 * len(cells),
                        "verified": 2 * sum(c["passed"] for c in cells)},
            "cells": [{"cell": c["cell"], "passed": c["passed"], "skipped": False,
                       "exempt": False, "seconds": 0.1, "checked": [], "unverified": [],
                       "problems": c.get("problems", [])} for c in cells]}


def lock_report() -> dict:
    return {"date": "2026-12-01T00:00:00Z", "notebooks": {
        nb: entry([{"cell": 0, "passed": True}, {"cell": 1, "passed": True}])
        for nb in NOTEBOOKS}}


class FakeRunner:
    """Environments as dicts of versions; notebooks as functions of them."""

    def __init__(self, unresolvable=(), releases=None, broken_envs=()):
        self.envs: dict[str, dict] = {}
        self.unresolvable, self.broken_envs = set(unresolvable), set(broken_envs)
        self.index = releases or {}
        self.upgrades: list[str] = []
        self.verified: list[tuple[str, list[str]]] = []

    def resolve(self, specs):
        bad = {s: f"No matching distribution found for {s}" for s in specs
               if s in self.unresolvable}
        if bad:
            return drift.Resolution(None, bad, "ResolutionImpossible")
        newest = any(">" in s for s in specs)   # the oldest set is all name==version
        return drift.Resolution(dict(NEWEST if newest else OLDEST))

    def releases(self, name):
        return self.index.get(name, [])

    def prepare(self, env, pins):
        if env in self.broken_envs:
            raise drift.EnvError("could not install: ERROR: no wheel for scipy==1.18.0")
        self.envs[env] = dict(pins)
        return dict(pins)

    def upgrade(self, env, requirement):
        name, version = requirement.split("==")
        self.upgrades.append(requirement)
        self.envs[env][name] = version
        if name == "scikit-learn":   # brings its own SciPy along
            self.envs[env]["scipy"] = NEWEST["scipy"]
        return dict(self.envs[env])

    def verify(self, env, notebooks):
        self.verified.append((env, list(notebooks)))
        versions = self.envs[env]
        found = {nb: self.outcome(nb, versions) for nb in notebooks}
        return drift.notebook_results(
            notebooks, {"notebooks": {nb: e for nb, (e, _) in found.items()}},
            {nb: v for nb, (_, v) in found.items()}, failure="")

    @staticmethod
    def outcome(nb, versions):
        """The planted model: what each notebook reproduces with ``versions``."""
        if nb == MLP:
            acc = PUBLISHED if versions["scikit-learn"] == "1.9.1" else PUBLISHED - 0.006
            ok = abs(acc - PUBLISHED) <= 0.005
            row = {"name": "MLP / test accuracy", "published": PUBLISHED,
                   "reproduced": acc, "reproduced_ok": ok}
            problems = [] if ok else [f"MLP / test accuracy published {PUBLISHED}, "
                                      f"reproduced {acc}, tolerance ±0.005"]
            cells = [{"cell": 0, "passed": True},
                     {"cell": 1, "passed": ok, "problems": problems}]
            return entry(cells), {"1": {"metrics": [row], "tags": ["accuracy-table"],
                                        "id": "cell-07", "error": None}}
        if nb == NUMPY_USER and versions["numpy"] == "2.5.0":
            cells = [{"cell": 0, "passed": True}, {"cell": 1, "passed": False}]
            return entry(cells), {"1": {"metrics": [], "error":
                                        "AttributeError: np.float_ was removed"}}
        return entry([{"cell": 0, "passed": True}, {"cell": 1, "passed": True}]), {}


def run_check(runner, **kwargs):
    return drift.check(runner, NOTEBOOKS, lock_report(), DIRECT, LOCK,
                       log=lambda *a: None, **kwargs)


# -- which package moved it -------------------------------------------------------------

def test_planted_move_is_attributed_to_the_package_that_made_it():
    runner = FakeRunner()
    report = run_check(runner, sets=(drift.NEWEST,))
    mlp = report["notebooks"][MLP]
    (move,) = mlp["moves"][drift.NEWEST]
    assert move["what"] == "MLP / test accuracy"
    assert move["by"] == pytest.approx(0.006)
    why = mlp["moved_by"][drift.NEWEST]
    assert (why["package"], why["old"], why["new"]) == ("scikit-learn", "1.9.1", "1.10.0")
    assert why["with"] == {"scipy": ["1.17.1", "1.18.0"]}
    # NumPy was upgraded first and did not move the MLP: it is not blamed for it.
    assert report["notebooks"][NUMPY_USER]["moved_by"][drift.NEWEST]["package"] == "numpy"
    assert drift.describe_cause(why) == ("scikit-learn 1.9.1 -> 1.10.0 moves 'MLP / test "
                                         "accuracy' by 0.006 (0.9722 -> 0.9662)")


def test_only_drifted_notebooks_are_rerun_and_same_release_is_not_upgraded():
    runner = FakeRunner()
    run_check(runner, sets=(drift.NEWEST,))
    # torch 2.13.0 -> 2.13.0+cpu is the same release; matplotlib did not change.
    assert runner.upgrades == ["numpy==2.5.0", "scikit-learn==1.10.0"]
    stepwise = [nbs for env, nbs in runner.verified if env == drift.STEPWISE]
    assert stepwise == [[MLP, NUMPY_USER], [MLP]]
    assert runner.envs[drift.STEPWISE]["scikit-learn"] == "1.10.0"


TWO = "projects/two/two.ipynb"


class TwoCauseRunner(FakeRunner):
    """One notebook, two metrics: NumPy 2.5 moves one, scikit-learn 1.10 the other."""

    @staticmethod
    def outcome(nb, versions):
        moved = {"numpy": versions["numpy"] != "2.4.6",
                 "scikit-learn": versions["scikit-learn"] != "1.9.1"}
        cells, values = [], {}
        for i, package in enumerate(moved):
            value = 0.5 + 0.1 * moved[package]
            cells.append({"cell": i, "passed": not moved[package]})
            values[str(i)] = {"metrics": [{"name": f"{package} metric", "published": 0.5,
                                           "reproduced": value,
                                           "reproduced_ok": not moved[package]}]}
        return entry(cells), values


def test_each_moved_output_gets_its_own_package():
    report = drift.check(TwoCauseRunner(), [TWO], {"notebooks": {TWO: entry(
        [{"cell": 0, "passed": True}, {"cell": 1, "passed": True}])}}, DIRECT, LOCK,
        sets=(drift.NEWEST,), log=lambda *a: None)
    why = report["notebooks"][TWO]["moved_by"][drift.NEWEST]
    assert why["package"] == "numpy"
    assert [m["what"] for m in why["moves"]] == ["numpy metric"]
    (more,) = why["more"]
    assert more["package"] == "scikit-learn"
    assert [m["what"] for m in more["moves"]] == ["scikit-learn metric"]
    assert why["unexplained"] == []
    assert "; scikit-learn 1.9.1 -> 1.10.0 moves 'scikit-learn metric' by 0.1" in \
        drift.describe_cause(why)


def test_a_notebook_that_fails_to_run_is_recorded_with_its_error():
    report = run_check(FakeRunner(), sets=(drift.NEWEST,), attribution=False)
    col = report["notebooks"][NUMPY_USER]["columns"][drift.NEWEST]
    assert col["verdict"] == "failed"
    assert col["error"] == "AttributeError: np.float_ was removed"
    (move,) = report["notebooks"][NUMPY_USER]["moves"][drift.NEWEST]
    assert move["what"] == "raises AttributeError: np.float_ was removed"
    assert "moved_by" not in report["notebooks"][MLP]
    assert report["notebooks"][STABLE]["moves"][drift.NEWEST] == []


def test_a_run_that_reports_nothing_is_an_error_per_notebook():
    results = drift.notebook_results([MLP], {"notebooks": {}}, {},
                                     failure="ImportError: cannot import name 'x'")
    assert results[MLP]["verdict"] == "error"
    assert "ImportError: cannot import name 'x'" in results[MLP]["error"]
    lock = drift.column(lock_report()["notebooks"][MLP])
    assert drift.moves(lock, results[MLP])[0]["what"].startswith("does not run")


def test_a_notebook_failing_under_the_lock_too_is_not_drift():
    failed = drift.column(entry([{"cell": 0, "passed": False}]))
    assert drift.moves(failed, failed) == []


# -- what cannot be resolved or installed ---------------------------------------------------

def test_an_unresolvable_package_is_named_and_its_column_unavailable():
    runner = FakeRunner(unresolvable={"mnist1d==0.0.2"})
    report = run_check(runner)
    oldest = report["sets"][drift.OLDEST]
    assert not oldest["available"]
    assert "mnist1d==0.0.2" in oldest["unresolved"]
    assert all(drift.OLDEST not in e["columns"] for e in report["notebooks"].values())
    assert report["sets"][drift.NEWEST]["available"]   # the other column still runs
    page = drift.render_page(report)
    assert "Oldest allowed: unavailable" in page and "mnist1d==0.0.2" in page


def test_a_missing_lower_bound_release_falls_back_to_the_oldest_allowed():
    runner = FakeRunner(unresolvable={"mnist1d==0.0.2"},
                        releases={"mnist1d": ["0.0.2.post1", "0.0.1.post1", "0.1.0rc1"]})
    report = run_check(runner, sets=(drift.OLDEST,))
    oldest = report["sets"][drift.OLDEST]
    assert "mnist1d==0.0.2.post1" in oldest["requirements"]
    assert "0.0.2.post1" in oldest["substituted"]["mnist1d"]
    assert oldest["available"]


def test_an_install_failure_marks_the_column_unavailable_without_crashing():
    report = run_check(FakeRunner(broken_envs={drift.NEWEST}), sets=(drift.NEWEST,))
    newest = report["sets"][drift.NEWEST]
    assert not newest["available"] and "scipy==1.18.0" in newest["error"]
    line = drift.summary_line(report, MLP)
    assert "not checked" in line and "scipy==1.18.0" in line


class ConflictingRunner(FakeRunner):
    """pip's answer when two lower bounds cannot be installed together."""

    def resolve(self, specs):
        if {"mkdocs-material==9.5", "pymdown-extensions==10"} <= set(specs):
            return drift.Resolution(None, {}, (
                "ERROR: Cannot install mkdocs-material==9.5 and pymdown-extensions==10 "
                "because these package versions have conflicting dependencies."))
        if "torch==9" in specs:
            return drift.Resolution(None, {}, "ERROR: ResolutionImpossible")
        return super().resolve(specs)


def test_conflicting_lower_bounds_are_left_to_pip_and_reported():
    direct = DIRECT + [Requirement("mkdocs-material>=9.5,<10"),
                       Requirement("pymdown-extensions>=10")]
    report = drift.check(ConflictingRunner(), NOTEBOOKS, lock_report(), direct, LOCK,
                         sets=(drift.OLDEST,), log=lambda *a: None)
    oldest = report["sets"][drift.OLDEST]
    assert oldest["available"]
    assert "mkdocs-material==9.5" in oldest["requirements"]
    assert "pymdown-extensions>=10" in oldest["requirements"]
    assert list(oldest["relaxed"]) == ["pymdown-extensions"]
    assert "pymdown-extensions==10 cannot be installed with mkdocs-material" in \
        drift.render_page(report)


def test_a_conflict_pip_does_not_explain_leaves_the_column_unavailable():
    direct = [Requirement("torch==9")] + DIRECT[1:]
    report = drift.check(ConflictingRunner(), NOTEBOOKS, lock_report(), direct, LOCK,
                         sets=(drift.OLDEST,), log=lambda *a: None)
    oldest = report["sets"][drift.OLDEST]
    assert not oldest["available"] and "ResolutionImpossible" in oldest["error"]
    assert "ResolutionImpossible" in drift.render_page(report)


# -- what to install ---------------------------------------------------------------------------

def test_oldest_pins_each_direct_dependency_at_its_lower_bound():
    specs = drift.specs_for(drift.OLDEST, DIRECT)
    assert specs == ["torch==2.13.0", "numpy==2.0", "matplotlib==3.9", "scikit-learn==1.5",
                     "mnist1d==0.0.2"]
    assert drift.specs_for(drift.NEWEST, DIRECT)[0] == "torch==2.13.0"
    project = drift.direct_requirements()
    assert "torch==2.13.0" in drift.specs_for(drift.NEWEST, project)
    assert "torch==2.13.0" in drift.specs_for(drift.OLDEST, project)


def test_oldest_release_skips_prereleases_and_versions_outside_the_range():
    req = Requirement("scikit-learn>=1.5,<2")
    assert drift.oldest_release(req, ["1.4.2", "1.5.0rc1", "1.5.1", "1.5.0", "2.0"]) \
        == "1.5.0"
    assert drift.oldest_release(req, ["1.4.2"]) is None
    assert drift.same_release("2.13.0", "2.13.0+cpu")
    assert not drift.same_release("1.9.1", "1.10.0")


def test_a_malformed_lock_line_is_named(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("numpy==2.4.6\nscipy>=1\n")
    with pytest.raises(SystemExit, match=r"requirements.lock:2: expected name==version"):
        drift.read_pins(lock)


# -- what the author and the reader are told ---------------------------------------------------

def test_advice_names_the_notebooks_to_rerun_and_the_claims_to_reread(tmp_path):
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "2026-01-01-p.md").write_text(
        "# P\n\nThe MLP reaches\n"
        '{% value "digits/digits.ipynb" "MLP / test accuracy" format=".1%" %}.\n\n'
        '{% value "digits/digits.ipynb" "tree / test accuracy" %}\n\n'
        '{% embed "digits/digits.ipynb" tag="accuracy-table" show="output" %}\n\n'
        'It beats the tree {% claim "digits/digits.ipynb" "MLP / test accuracy" >\n'
        '  "tree / test accuracy" unpaired %}.\n')
    report = run_check(FakeRunner(), sets=(drift.NEWEST,))
    lines = drift.advice(report, posts)
    assert lines[0].startswith(f"re-run {MLP}")
    assert "moved by: scikit-learn 1.9.1 -> 1.10.0" in lines[1]
    reread = [line.strip() for line in lines if "re-read" in line]
    assert reread == [f"re-read {paths.display_path(posts / '2026-01-01-p.md')}:4 quotes "
                      f"'MLP / test accuracy'",
                      f"re-read {paths.display_path(posts / '2026-01-01-p.md')}:8 shows "
                      f"the cell 'accuracy-table'",
                      f"re-read {paths.display_path(posts / '2026-01-01-p.md')}:10 compares "
                      f"'MLP / test accuracy'"]
    assert any(line.startswith(f"re-run {NUMPY_USER}") for line in lines)
    assert not any(STABLE in line for line in lines)


def test_summary_line_counts_outputs_and_names_the_package():
    report = run_check(FakeRunner(), sets=(drift.NEWEST,))
    line = drift.summary_line(report, MLP)
    day = report["date"][:10]
    assert line.startswith(f"with the newest releases on {day}: 2/4 outputs reproduce; "
                           f"scikit-learn 1.9.1 -&gt; 1.10.0 moves")
    assert drift.summary_line(report, STABLE).endswith(": 4/4 outputs reproduce")


HOSTILE = ('<script>alert(1)</script> | {% value "x" "y" %} [click](javascript:alert(1)) '
           '**bold** `code` \x1b[31mred\n# heading')


def test_page_renders_hostile_text_inertly():
    report = run_check(FakeRunner(), sets=(drift.NEWEST,), attribution=False)
    col = report["notebooks"][NUMPY_USER]["columns"][drift.NEWEST]
    col["error"] = HOSTILE
    col["cells"][1]["error"] = HOSTILE
    report["notebooks"][NUMPY_USER]["moves"][drift.NEWEST][0]["what"] = HOSTILE
    report["sets"][drift.NEWEST]["versions"]["numpy"] = "<img src=x onerror=alert(1)>"
    report["sets"][drift.OLDEST] = {"available": False, "unresolved": {HOSTILE: HOSTILE}}
    page = drift.render_page(report, browser={"numpy": "2.0.2</td><script>"})
    assert "{%" not in page and "\x1b" not in page
    built = markdown.markdown(page, extensions=["tables"])
    assert "<script" not in built and "<img" not in built and "<a " not in built
    assert "<strong>bold" not in built and "<code>code" not in built
    # Every table row keeps its columns: no text split a cell.
    for table in re.findall(r"<table>.*?</table>", built, flags=re.S):
        widths = {len(re.findall(r"<t[dh]", row)) for row in re.findall(r"<tr>.*?</tr>",
                                                                       table, flags=re.S)}
        assert len(widths) == 1
    assert "&lt;script&gt;alert" in built


def test_summary_line_escapes_hostile_errors():
    report = run_check(FakeRunner(), sets=(drift.NEWEST,), attribution=False)
    report["notebooks"][MLP]["columns"][drift.NEWEST] = drift.column(None, missing=HOSTILE)
    line = drift.summary_line(report, MLP)
    assert "does not run" in line and "<script" not in line and "|" not in line


# -- the plugin that records reproduced values ---------------------------------------------------

def test_cell_error_reads_the_raised_exception():
    outputs = [{"output_type": "stream", "text": "x"},
               {"output_type": "error", "ename": "ValueError", "evalue": "bad"}]
    assert drift_capture.cell_error(outputs, None) == "ValueError: bad"
    assert drift_capture.cell_error([], None) is None


class HereVenvs(drift.Venvs):
    """The real runner, with this interpreter's environment as the venv."""

    def _path(self, env):
        return Path(sys.prefix)


def test_real_plugin_records_reproduced_values():
    fixture = "tests/fixtures/verify/one-metric.ipynb"
    results = HereVenvs(log=lambda *a: None).verify("here", [fixture])
    col = results[fixture]
    assert col["verdict"] == "passed", col
    rows = [m for c in col["cells"] for m in c["metrics"]]
    assert [r["name"] for r in rows] == ["sample_spread"]
    assert rows[0]["reproduced"] == pytest.approx(0.9768, abs=0.005)
    assert rows[0]["reproduced_ok"]


def test_drift_command_refuses_a_bad_path(tmp_path):
    from journal import cli

    with pytest.raises(SystemExit, match=r"journal drift: .*nowhere.ipynb: not a notebook"):
        cli.main(["drift", str(tmp_path / "nowhere.ipynb")])


def test_after_make_lock_the_committed_lock_is_the_baseline(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("scikit-learn==1.10.0\n")           # what `make lock` just wrote
    committed = "scikit-learn==1.9.1\n"
    pins, source = drift.verified_lock("2000-01-01T00:00:00Z", lock, committed)
    assert pins == {"scikit-learn": "1.9.1"} and "committed" in source
    # A report made after the new lock speaks for the file as it is.
    pins, source = drift.verified_lock("2999-01-01T00:00:00Z", lock, committed)
    assert pins == {"scikit-learn": "1.10.0"} and source == "requirements.lock"


class TransitiveRunner(FakeRunner):
    """The MLP moves with a package no direct dependency's upgrade brings."""

    @staticmethod
    def outcome(nb, versions):
        if nb == MLP and versions.get("joblib") == "9.0":
            return entry([{"cell": 0, "passed": False}]), {}
        return entry([{"cell": 0, "passed": True}]), {}

    def resolve(self, specs):
        res = super().resolve(specs)
        return drift.Resolution({**res.pins, "joblib": "9.0"})


def test_a_move_no_single_upgrade_explains_is_reported_as_such():
    report = drift.check(TransitiveRunner(), [MLP], lock_report(), DIRECT, LOCK,
                         sets=(drift.NEWEST,), log=lambda *a: None)
    why = report["notebooks"][MLP]["moved_by"][drift.NEWEST]
    assert why["package"] is None and "transitive" in why["note"]
    assert [m["cell"] for m in why["unexplained"]] == [0]
    assert why["tried"] == ["numpy 2.4.6 -> 2.5.0", "scikit-learn 1.9.1 -> 1.10.0"]


# -- the page readers see, and the benchmark row ---------------------------------------------

def test_the_site_page_reads_the_last_report_and_says_when_there_is_none(tmp_path):
    report = run_check(FakeRunner(), sets=(drift.NEWEST,))
    (tmp_path / drift.REPORT_NAME).write_text(json.dumps(report))
    page = pages.still_page(drift.load_report(tmp_path))
    assert page.startswith("# Still reproducible?")
    assert "scikit-learn 1.9.1 -&gt; 1.10.0 moves" in page
    assert drift.load_report(tmp_path / "nowhere") is None
    assert "No such check went into this\nbuild" in pages.still_page(None)


@pytest.mark.parametrize("text", ["{not json", '{"format": 99}', "[]"])
def test_an_unreadable_drift_report_is_named(tmp_path, text):
    (tmp_path / drift.REPORT_NAME).write_text(text)
    with pytest.raises(ValueError, match=r"drift\.json: .*(unreadable|format)"):
        drift.load_report(tmp_path)


def test_bench_reads_the_phases_of_the_last_check():
    report = run_check(FakeRunner(), sets=(drift.NEWEST,))
    report.update(seconds=1234.5, cores=2)
    result = drift_bench.from_report(report)
    rows = drift_bench.rows(result)
    assert rows[0]["value"].startswith("1234 s (check of ")
    assert "2 cores" in rows[0]["name"]
    assert "notebook(s) moved" in rows[1]["value"]
    assert "not measured" in drift_bench.rows(drift_bench.from_report(None))[0]["value"]


def test_a_page_gets_one_drift_line_for_the_notebooks_it_shows():
    report = run_check(FakeRunner(), sets=(drift.NEWEST,))
    verified = stamps.Verification({"notebooks": {}}, strict=False, drift_report=report)
    one = verified.drift_line(["digits/digits.ipynb"], "../still-reproducible/")
    assert "2/4 outputs reproduce; scikit-learn 1.9.1 -&gt; 1.10.0 moves" in one
    assert 'href="../still-reproducible/"' in one
    both = verified.drift_line(["digits/digits.ipynb", "stable/stable.ipynb"], "x/")
    assert ": 6/8 outputs reproduce; scikit-learn 1.9.1 -&gt; 1.10.0 moves" in both
    assert verified.drift_line(["unknown/unknown.ipynb"], "x/") == ""
    assert stamps.Verification({"notebooks": {}}, False).drift_line(
        ["digits/digits.ipynb"], "x/") == ""
