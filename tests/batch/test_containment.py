"""A failure of the grader itself costs only the submission it was grading.

A judge that raises on one submission's answers, or a job process killed while grading one,
gives that submission a "not graded ... grade it again" result; the others are graded as
usual and the run completes. With ``raise_errors`` (the test suite's setting, see conftest)
the same failures raise.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader import grading
from grader.grading import GradeOptions, Grader
from grader.results import SubmissionResult
from grader.spec import Assignment

from .._mini import write_student

MARKER = 777.0  # what the unlucky submission's double() returns
UNLUCKY = f"def double(x):\n    return x * 0 + {MARKER}\n"


def _on_marker(action: Callable[[], None]) -> Callable[..., Any]:
    """case_result, but doing ``action`` first when an answer holds the marker."""
    real = grading.case_result

    def patched(prepared: Any, case: Any, outcome: Any, expected: Any) -> Any:
        if any(np.any(np.asarray(v) == MARKER) for v in outcome.outputs.values()):
            action()
        return real(prepared, case, outcome, expected)

    return patched


def _explode() -> None:
    raise RuntimeError("judging exploded")


def _kill_job() -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # (in a forked job process: that process)


def _grade(mini: Assignment, tmp_path: Path, jobs: int,
           raise_errors: bool = False) -> dict[str, SubmissionResult]:
    names = ["alice", "bob", "carol", "dave"]
    subs = [write_student(tmp_path / name, extra=UNLUCKY if name == "bob" else "")
            for name in names]
    with Grader(mini, GradeOptions(raise_errors=raise_errors)) as grader:
        return {r.id: r for r in grader.grade_all(subs, jobs=jobs)}


def _only_bob_lost(results: dict[str, SubmissionResult], why: str) -> None:
    bob = results.pop("bob")
    assert bob.score == 0
    assert bob.error.startswith("not graded: ") and bob.error.endswith("; grade it again")
    assert why in bob.error
    for other in results.values():
        assert other.score == other.max_score, other


@pytest.mark.parametrize("jobs", [1, 2], ids=["in this process", "in job processes"])
def test_a_failing_judge_costs_one_submission(mini: Assignment, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch, jobs: int,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(grading, "case_result", _on_marker(_explode))
    results = _grade(mini, tmp_path, jobs)
    _only_bob_lost(results, "the grader failed while grading it (RuntimeError: judging "
                            "exploded)")
    assert "Traceback" in capfd.readouterr().err  # the log has what went wrong


def test_a_killed_job_process_costs_one_submission(mini: Assignment, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if not grading.forking_supported():
        pytest.skip("job processes are forked on Linux only")
    monkeypatch.setattr(grading, "case_result", _on_marker(_kill_job))
    results = _grade(mini, tmp_path, jobs=2)
    _only_bob_lost(results, "the grader's job process grading it died")


def test_the_test_suites_setting_raises_instead(mini: Assignment, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grading, "case_result", _on_marker(_explode))
    with pytest.raises(RuntimeError, match="judging exploded"):
        _grade(mini, tmp_path, jobs=1, raise_errors=True)
    assert GradeOptions().raise_errors  # (conftest sets GRADER_RAISE_ERRORS=1)
