"""Shared fixtures: the shipped example graded once, and the small assignment of _mini.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.grading import GradeOptions, Grader
from grader.intake.submissions import discover
from grader.results import GradeReport
from grader.sandbox.runner import RunOptions
from grader.spec import Assignment, load_assignment

from ._mini import HW2, SUBMISSIONS, make_assignment

# A failure of the grader itself while grading a submission raises here, loudly, instead of
# becoming that submission's "not graded" result (tests of that containment turn it off).
os.environ["GRADER_RAISE_ERRORS"] = "1"


@pytest.fixture(scope="session")
def mini_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_assignment(tmp_path_factory.mktemp("mini"))


@pytest.fixture(scope="session")
def mini(mini_root: Path) -> Assignment:
    return load_assignment(mini_root)


@pytest.fixture(scope="session")
def mini_grader(mini: Assignment) -> Iterator[Grader]:
    with Grader(mini) as grader:
        yield grader


@pytest.fixture(scope="session")
def hw2() -> Assignment:
    return load_assignment(HW2)


@pytest.fixture(scope="session")
def hw2_report(hw2: Assignment) -> GradeReport:
    """The shipped example submissions graded on every case, once per test session."""
    with Grader(hw2, GradeOptions(run=RunOptions())) as grader:
        return grader.report(grader.grade_all(discover(SUBMISSIONS, hw2.module_file)))


@pytest.fixture(scope="session", autouse=True)
def _run_folders_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Run folders and the expected-output cache live under $HOME; keep the tests' elsewhere.

    Session-scoped and autouse, so it is in force before any other fixture grades anything.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield
