"""Shared fixtures: the shipped example graded once, and the small assignment of _mini.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.grading import GradeOptions, Grader
from grader.results import GradeReport
from grader.runner import RunOptions
from grader.spec import Assignment, load_assignment
from grader.submissions import discover

from ._mini import HW2, SUBMISSIONS, make_assignment


@pytest.fixture(scope="session")
def mini_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_assignment(tmp_path_factory.mktemp("mini"))


@pytest.fixture(scope="session")
def mini(mini_root: Path) -> Assignment:
    return load_assignment(mini_root)


@pytest.fixture(scope="session")
def mini_grader(mini: Assignment) -> Grader:
    return Grader(mini)


@pytest.fixture(scope="session")
def hw2() -> Assignment:
    return load_assignment(HW2)


@pytest.fixture(scope="session")
def hw2_report(hw2: Assignment) -> GradeReport:
    """The shipped example submissions graded on every case, once per test session."""
    return Grader(hw2, GradeOptions(run=RunOptions())).report(
        discover(SUBMISSIONS, hw2.module_file))
