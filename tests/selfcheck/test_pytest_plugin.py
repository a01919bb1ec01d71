"""The pytest plugin (grader.selfcheck.pytest_plugin): a submission's parts, or its public
cases, as test items once configured; nothing at all otherwise."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.bundles.export import export_bundle
from grader.cases.build import part_case_ids
from grader.spec import load_assignment

from .._mini import HW2, REPO_ROOT, SUBMISSIONS


@pytest.fixture(scope="module")
def student(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A student's folder: the buggy hw2.py and the bundle they were given."""
    folder = tmp_path_factory.mktemp("student")
    export_bundle(load_assignment(HW2), folder / "hw2-bundle")
    shutil.copyfile(SUBMISSIONS / "buggy" / "hw2.py", folder / "hw2.py")
    return folder


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A student's pytest run in ``folder`` (without Hypothesis's plugin, if installed: it
    costs a second a run and has no part here)."""
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p",
                           "no:cacheprovider", "-p", "no:hypothesispytest", *args],
                          cwd=folder, capture_output=True,
                          text=True, timeout=300, check=False)


def outcomes(output: str) -> dict[str, str]:
    """Each test's outcome, from pytest's ``-rA`` summary."""
    return {m[2]: m[1] for m in re.finditer(r"^(PASSED|FAILED) (\S+?)(?: - .*)?$", output,
                                            re.M)}


def test_each_part_is_a_test_that_fails_with_grader_checks_words(student: Path) -> None:
    done = pytest_in(student, "--grader-assignment", "hw2-bundle",
                     "--grader-submission", "hw2.py")
    assert done.returncode == 1, done.stdout[-3000:]
    found = outcomes(done.stdout)
    passing = {"q1::gradient_descent_step", "q2::centering_jacobian",
               "q3::cross_entropy_grad_logits", "q5::expected_dropout_loss",
               "q6::newton_minimize"}  # (buggy's parts that pass their public cases)
    parts = [f"{q.id}::{p.id}" for q in load_assignment(HW2).problems for p in q.parts]
    assert found == {f"hw2.py::{p}": "PASSED" if p in passing else "FAILED" for p in parts}
    assert "matches the known mistake unstable" in done.stdout
    assert "rerun:  grader check" in done.stdout


def test_one_test_per_public_case_and_never_a_hidden_one(student: Path) -> None:
    done = pytest_in(student, "--grader-assignment", "hw2-bundle",
                     "--grader-submission", "hw2.py", "--grader-cases")
    found = outcomes(done.stdout)
    hw2 = load_assignment(HW2)
    public = {f"hw2.py::{case_id}" for q in hw2.problems for p in q.parts
              for case_id, is_public in part_case_ids(p, q) if is_public}
    assert set(found) == public and len(public) < sum(p.case_count for q in hw2.problems
                                                      for p in q.parts)
    assert found["hw2.py::q1/sigmoid/0"] == "PASSED"
    assert found["hw2.py::q1/sigmoid/6"] == "FAILED"  # (an overflow: buggy's sigmoid)


def test_ini_settings_configure_it_too(student: Path) -> None:
    (student / "pytest.ini").write_text("[pytest]\ngrader_assignment = hw2-bundle\n"
                                        "grader_submission = hw2.py\n", encoding="utf-8")
    try:
        done = pytest_in(student)
    finally:
        (student / "pytest.ini").unlink()
    assert len(outcomes(done.stdout)) == 15


def test_unconfigured_it_collects_nothing(student: Path) -> None:
    done = pytest_in(student, "--collect-only")
    assert done.returncode == 5, done.stdout  # (no tests collected)
    own = subprocess.run([sys.executable, "-m", "pytest", "--trace-config", "--collect-only",
                          "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
                          "tests/test_scoring.py"], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=300, check=False)
    assert own.returncode == 0 and "::q1::" not in own.stdout
    assert "grader.selfcheck.pytest_plugin" in own.stdout  # (registered: the entry point)


def test_an_editor_runs_one_part_or_one_question_by_its_id(student: Path,
                                                           tmp_path: Path) -> None:
    # (the submission, named on the command line, is not also imported as a test module)
    folder = tmp_path / "mine"
    folder.mkdir()
    source = (student / "hw2.py").read_text()
    (folder / "hw2.py").write_text("open('IMPORTED_BY_PYTEST', 'w').close()\n" + source)
    options = ("--grader-assignment", str(student / "hw2-bundle"),  # (elsewhere: absolute)
               "--grader-submission", "hw2.py")
    done = pytest_in(folder, *options, "hw2.py::q1::sigmoid")
    assert outcomes(done.stdout) == {"hw2.py::q1::sigmoid": "FAILED"}, done.stdout[-3000:]
    done = pytest_in(folder, *options, "hw2.py::q1")
    assert set(outcomes(done.stdout)) == {"hw2.py::q1::sigmoid", "hw2.py::q1::neuron_gradients",
                                          "hw2.py::q1::gradient_descent_step"}
    assert not (folder / "IMPORTED_BY_PYTEST").exists()


@pytest.mark.parametrize(("options", "said"), [
    (["--grader-assignment", "hw2-bundle"],
     "--grader-assignment is set but not --grader-submission"),
    (["--grader-assignment", "nope", "--grader-submission", "hw2.py"],
     "grader plugin: --grader-assignment nope: "),
    (["--grader-assignment", "hw2-bundle", "--grader-submission", "hw3.py"],
     "grader plugin: --grader-submission hw3.py: no such file"),
])
def test_a_setting_half_given_or_naming_nothing_is_a_usage_error(
        student: Path, options: list[str], said: str) -> None:
    done = pytest_in(student, *options)
    assert done.returncode == 4, done.stdout[-2000:]  # (pytest's usage error)
    assert said in done.stderr and "Traceback" not in done.stderr, done.stderr
