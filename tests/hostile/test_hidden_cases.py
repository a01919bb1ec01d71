"""A student who knows the seed and the case specs cannot rebuild a hidden case.

The attack: the seed is printed in every student-facing report (so that a student can rerun
a public case), and the handout names the case groups. A student copies the specs, marks
every case public, and lets ``grader check --seed SEED`` draw them all. Were hidden cases drawn
from the seed, that would print every hidden input; they are drawn from the assignment's
secret key instead, so the copy draws other inputs.

Runs with the isolation ``auto`` gives: the attack needs no sandbox escape.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .._cli import run
from .._mini import MINI_PROBLEM, make_assignment, write_student

# Every answer wrong, so that every case's inputs are in the instructor's report.
WRONG = """
def double(x):
    return x + 1
def halve(x):
    return x + 1
def total(x):
    return float(sum(x)) + 1
def split(x):
    return x + 1, x - 1
def quiet(x):
    return x + 1
"""


def _inputs(report: dict[str, Any]) -> dict[str, str]:
    """Case id -> the summary of its inputs, for every case of the report's submission."""
    return {c["id"]: c["inputs"] for p in report["submissions"][0]["problems"]
            for part in p["parts"] for c in part["cases"]}


def _hidden(report: dict[str, Any]) -> set[str]:
    return {c["id"] for p in report["submissions"][0]["problems"] for part in p["parts"]
            for c in part["cases"] if not c["public"]}


def _all_public_copy(root: Path, copy: Path) -> Path:
    """The attacker's copy of the assignment: the same specs with every case public, the
    reference replaced by their own code, and no key."""
    problem = yaml.safe_load((root / "q1.yaml").read_text(encoding="utf-8"))
    for part in problem["parts"]:
        for group in part["cases"]:
            group["public"] = True
    made = make_assignment(copy, problems={"q1": problem})
    (made / "hidden.key").unlink()
    return made


@pytest.mark.parametrize("vary", [False, True], ids=["assignment seed", "per-student seed"])
def test_the_shown_seed_does_not_rebuild_hidden_cases(tmp_path: Path, vary: bool) -> None:
    assignment = make_assignment(tmp_path / "course", problems={"q1": MINI_PROBLEM})
    student = write_student(tmp_path / "mallory", extra=WRONG).folder
    flags = ["--vary-by-student"] if vary else []
    shown = run("grade", assignment, student, "--format", "markdown", *flags,
                "--run-dir", tmp_path / "run-md")
    assert shown.exit_code == 0, shown.output
    match = re.search(r"seed (\d+)", shown.stdout)  # what the student reads
    assert match is not None, shown.stdout
    seed = match[1]
    graded = json.loads(run("grade", assignment, student, "--format", "json", *flags,
                            "--run-dir", tmp_path / "run-json").stdout)
    assert str(graded["submissions"][0]["seed"]) == seed
    truth = _inputs(graded)
    hidden = _hidden(graded)
    assert len(hidden) >= 8 and all(truth.values())

    copy = _all_public_copy(assignment, tmp_path / "attacker")
    drawn = run("check", copy, student, "--seed", seed, "--format", "json")
    assert drawn.exit_code == 0, drawn.output
    guessed = _inputs(json.loads(drawn.stdout))
    public = set(truth) - hidden
    assert all(guessed[i] == truth[i] for i in public)  # the attack copies the specs right
    rebuilt = sorted(i for i in hidden if guessed[i] == truth[i])
    assert rebuilt == [], f"hidden cases rebuilt from the seed: {rebuilt}"
