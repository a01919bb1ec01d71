"""Shared fixtures: the shipped example graded once, and the small assignment of _mini.py."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.grading import GradeOptions, Grader
from grader.intake.submissions import discover
from grader.results import GradeReport
from grader.sandbox.runner import RunOptions
from grader.spec import Assignment, load_assignment

from ._mini import HW2, SUBMISSIONS, make_assignment

# Test modules about what only Linux has: not collected on macOS and Windows, where the
# workflow (.github/workflows/tests.yml) runs the rest; the run's header says so. What those
# platforms get instead is tested here by tests/sandbox/test_portable.py.
LINUX_ONLY = {
    "hostile": "the hostile suite: namespaces, Landlock, seccomp, /proc and a subreaper",
    "sandbox/test_confined.py": "the confined level (Landlock, seccomp)",
    "sandbox/test_landlock.py": "Landlock",
    "sandbox/test_dockerlike.py": "a Docker-like place made with Linux namespaces",
    "sandbox/test_runner.py": "fork servers, pidfds, cgroups and /proc",
    "batch/test_containment.py": "job processes forked from the grader",
    "batch/test_run.py": "runs killed with signals and resumed",
    "batch/test_cluster.py": "Dask workers grade at full or confined isolation only",
    "batch/test_scheduler_examples.py": "the Slurm, Kubernetes and Actions examples' bash",
}
_TESTS = Path(__file__).resolve().parent


def _linux_only(path: Path) -> str | None:
    """Why ``path`` is collected on Linux only, or None."""
    relative = path.resolve().relative_to(_TESTS).as_posix()
    return next((why for prefix, why in LINUX_ONLY.items()
                 if relative == prefix or relative.startswith(prefix + "/")), None)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if sys.platform.startswith("linux") or not collection_path.is_relative_to(_TESTS):
        return None
    return True if _linux_only(collection_path) else None


def pytest_report_header(config: pytest.Config) -> list[str]:
    if sys.platform.startswith("linux"):
        return []
    return [f"not collected on {sys.platform} (Linux only): tests/{prefix}: {why}"
            for prefix, why in LINUX_ONLY.items()]


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
