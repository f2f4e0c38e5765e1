"""The GitHub workflows and .ci/run stay valid and run the test suite and the build."""

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


def test_pages_publish_only_a_green_verified_build():
    import yaml

    ci = yaml.safe_load((paths.ROOT / ".github" / "workflows" / "ci.yml").read_text())
    pages = yaml.safe_load((paths.ROOT / ".github" / "workflows" / "pages.yml").read_text())
    assert ci["jobs"]["site"]["needs"] == "notebooks"
    # "on" is read by YAML 1.1 as the boolean True
    trigger = pages[True]["workflow_run"]
    assert trigger["workflows"] == ["CI"] and trigger["branches"] == ["main"]
    assert pages["jobs"]["deploy"]["if"] == \
        "github.event.workflow_run.conclusion == 'success'"
