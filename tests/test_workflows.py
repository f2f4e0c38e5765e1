"""The GitHub workflows and .ci/run stay valid and run the test suite and the build."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from journal import paths

CHECK_JSONSCHEMA = str(Path(sys.executable).with_name("check-jsonschema"))
WORKFLOWS = sorted((paths.ROOT / ".github" / "workflows").glob("*.yml"))


def test_there_are_workflows():
    assert {w.name for w in WORKFLOWS} >= {"ci.yml", "pages.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_github_schema(workflow):
    exe = CHECK_JSONSCHEMA
    result = subprocess.run(
        [exe, "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_can_fail(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    steps: 3\n")
    exe = CHECK_JSONSCHEMA
    result = subprocess.run([exe, "--builtin-schema", "vendor.github-workflows",
                             str(bad)], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0


def test_ci_runs_the_test_suite_and_the_strict_build():
    ci = (paths.ROOT / ".ci" / "run").read_text()
    for command in ("make test", "make site"):
        assert command in ci
    for workflow in ("ci.yml",):
        text = (paths.ROOT / ".github" / "workflows" / workflow).read_text()
        assert "make test" in text and "make site" in text


def load(name):
    import yaml

    return yaml.safe_load((paths.ROOT / ".github" / "workflows" / name).read_text())


def test_pages_publish_only_a_green_push_or_weekly_check_of_this_repositorys_main():
    ci, pages, drift = load("ci.yml"), load("pages.yml"), load("drift.yml")
    assert ci["jobs"]["site"]["needs"] == "notebooks"
    # "on" is read by YAML 1.1 as the boolean True
    trigger = pages[True]["workflow_run"]
    assert trigger["workflows"] == ["CI", "Drift"] and trigger["branches"] == ["main"]
    assert set(drift[True]) == {"schedule", "workflow_dispatch"}
    condition = " ".join(pages["jobs"]["deploy"]["if"].split())
    run = "github.event.workflow_run"
    assert condition == " && ".join([
        f"{run}.conclusion == 'success'",
        f"({run}.event == 'push' || ({run}.name == 'Drift' "
        f"&& {run}.event == 'schedule'))",
        f"{run}.head_branch == 'main'",
        f"{run}.head_repository.full_name == github.repository"])


def test_the_weekly_drift_check_builds_the_site_it_publishes():
    steps = [s.get("run", "") for s in load("drift.yml")["jobs"]["drift"]["steps"]]
    assert steps.index("make drift") < steps.index("make site")
    ci_steps = [s.get("name", "") for s in load("ci.yml")["jobs"]["site"]["steps"]]
    assert ci_steps.index("Fetch the last drift report") \
        < ci_steps.index("Build the site strictly")


# -- hardening: pinned actions, no persisted credentials, least privilege ---------

USES = re.compile(r"^\s*(?:- )?uses:\s*(\S+)(.*)$")


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_version_named(workflow):
    lines = [m for m in map(USES.match, workflow.read_text().splitlines()) if m]
    assert lines
    for m in lines:
        action, comment = m.group(1), m.group(2).strip()
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"# v\d+\.\d+\.\d+", comment), f"{action} {comment}"


def jobs(name):
    return load(name)["jobs"].items()


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials_and_jobs_name_their_permissions(workflow):
    spec = load(workflow.name)
    assert spec["permissions"] == {}
    for name, job in spec["jobs"].items():
        assert isinstance(job.get("permissions"), dict), name
        assert "write" not in job["permissions"].values() or name == "deploy", name
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


ZIZMOR = str(Path(sys.executable).with_name("zizmor"))


def zizmor(*workflows):
    """zizmor's findings (offline audits, default persona) of medium severity or more."""
    result = subprocess.run(
        [ZIZMOR, "--offline", "--no-progress", "--format", "json",
         "--min-severity", "medium", *map(str, workflows)],
        capture_output=True, text=True, timeout=120)
    assert result.stdout, result.stderr
    found = []
    for finding in json.loads(result.stdout):
        where = finding["locations"][0]["concrete"]["location"]["start_point"]["row"] + 1
        found.append(f"{finding['ident']} ({finding['determinations']['severity']}) "
                     f"line {where}: {finding['desc']}")
    return found


def test_workflow_analysis_finds_nothing_medium_or_high():
    assert zizmor(*WORKFLOWS) == []


def test_workflow_analysis_can_fail(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-24.04\n"
                   "    permissions: {}\n    steps:\n      - uses: actions/checkout@v4\n")
    found = zizmor(bad)
    assert any(f.startswith("unpinned-uses (High) line 8") for f in found), found
    assert any(f.startswith("artipacked (Medium) line 8") for f in found), found


def test_ci_runs_the_workflow_analysis():
    steps = [s.get("run", "") for s in load("ci.yml")["jobs"]["unit"]["steps"]]
    assert any(s.startswith(".venv/bin/zizmor --offline --min-severity medium "
                            ".github/workflows") for s in steps)
