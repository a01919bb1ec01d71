"""The example GitHub workflow: its grading step, run here exactly as the runner would run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from ._mini import HW2, REPO_ROOT, SUBMISSIONS
from ._reports import COMMAND, annotations, assert_gfm_table, md_table

WORKFLOW = REPO_ROOT / "examples" / "github-classroom.yml"
SUDO = 'sudo -E env "PATH=$PATH"'


def workflow() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data


def steps() -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = workflow()["jobs"]["grade"]["steps"]
    return result


def grade_step() -> dict[str, Any]:
    return next(s for s in steps() if s.get("id") == "grade")


def run_grade_step(tmp_path: Path, student: str, **env: str) -> tuple[
        subprocess.CompletedProcess[str], Path, Path]:
    """Run the workflow's grading step on a checkout holding ``student``'s hw2.py.

    As GitHub runs a ``shell: bash`` step: the script in a file, ``bash --noprofile --norc
    -eo pipefail``, the workflow's env, the checkout as the working directory. A ``sudo``
    that refuses stands in for the runner's, so the test never gains privileges.
    """
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy(SUBMISSIONS / student / "hw2.py", checkout / "hw2.py")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "sudo").write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    (fake / "sudo").chmod(0o755)
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier output of this step\n", encoding="utf-8")
    script = tmp_path / "step.sh"
    script.write_text(grade_step()["run"], encoding="utf-8")
    environment = {**os.environ, **{k: str(v) for k, v in workflow()["env"].items()},
                   "ASSIGNMENT": str(HW2), "GITHUB_STEP_SUMMARY": str(summary),
                   "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", **env}
    completed = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=checkout, env=environment, capture_output=True, text=True, timeout=300,
        check=False)
    return completed, summary, checkout


def test_workflow_grades_pull_requests_and_keeps_the_junit_report() -> None:
    data = workflow()
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads the key `on` as true

    assert "pull_request" in triggers
    assert data["jobs"]["grade"]["runs-on"] == "ubuntu-24.04"
    uses = [s.get("uses", "") for s in steps()]
    assert any(u.startswith("actions/checkout@") for u in uses)
    assert any(u.startswith("actions/setup-python@") for u in uses)
    upload = next(s for s in steps() if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "grader-junit.xml"
    script = grade_step()["run"]
    assert "grader check " in script and "--fail-under" in script
    assert "--format github" in script and "$GITHUB_STEP_SUMMARY" in script


def test_readme_and_workflow_agree_on_sudo() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")

    assert SUDO in grade_step()["run"]
    assert SUDO in readme
    assert "examples/github-classroom.yml" in readme


@pytest.mark.slow
def test_grading_step_annotates_summarizes_and_writes_junit(tmp_path: Path) -> None:
    completed, summary, checkout = run_grade_step(tmp_path, "noisy")

    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    lines = completed.stdout.splitlines()
    assert lines and all(COMMAND.fullmatch(line) for line in lines), completed.stdout
    found = annotations(completed.stdout)
    located = [a for a in found if "file" in a]
    assert [(a["level"], a["file"], a["line"]) for a in located] == [("error", "hw2.py", "73")]
    assert any(a["level"] == "notice" and "95 / 100 (public cases only" in a["message"]
               for a in found)

    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier output of this step\n### ")  # appended, not replaced
    rows = md_table(text)
    assert_gfm_table(rows, 15)  # one row per part of hw2

    root = ET.parse(checkout / "grader-junit.xml").getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("15", "0", "1")


@pytest.mark.slow
def test_grading_step_fails_under_the_threshold_after_writing_everything(
        tmp_path: Path) -> None:
    completed, summary, checkout = run_grade_step(tmp_path, "buggy", FAIL_UNDER="99")

    assert completed.returncode == 1
    assert "is below --fail-under 99" in completed.stderr
    assert "### " in summary.read_text(encoding="utf-8")
    root = ET.parse(checkout / "grader-junit.xml").getroot()
    assert int(root.get("failures", 0)) > 0
    assert any(a["level"] == "notice" for a in annotations(completed.stdout))
