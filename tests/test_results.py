"""Results are values: they round-trip through plain data, and reporters only read them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from grader.grading import GradeOptions, Grader
from grader.reporters import FORMATS
from grader.reporters import check as check_reporter
from grader.reporters._format import points
from grader.results import (
    AssignmentInfo,
    CaseResult,
    GradeReport,
    PartResult,
    ProblemResult,
    SubmissionResult,
)
from grader.spec import Assignment

from ._mini import write_student

PASS = CaseResult("q1/f/0", 0, True, "pass", inputs="x=[1]")
FAIL = CaseResult("q1/f/1", 1, False, "fail", "1 of 1 elements mismatched",
                  ("max abs err 1",), "x=[2]", "hw.py", 3, 0.01)
PART = PartResult("f", "f", 2.5, 5, 1, 2, "case q1/f/1: 1 of 1 elements mismatched",
                  cases=(PASS, FAIL))
PROBLEM = ProblemResult("q1", "First", 2.5, 5, "partial", (PART,))
SUBMISSION = SubmissionResult("alice", "/subs/alice/hw.py", 2.5, 5, (PROBLEM,), seed=7,
                              output="hello\n", seconds=0.2)
REPORT = GradeReport(AssignmentInfo("Mini", "hw", 5, "abc123", (("q1", "First", 5.0),)),
                     (SUBMISSION,), cases="all", meta={"seed": 7})


@pytest.mark.parametrize("value", [PASS, FAIL, PART, PROBLEM, SUBMISSION, REPORT],
                         ids=lambda v: type(v).__name__)
def test_round_trip_through_plain_data(value: object) -> None:
    data = value.to_dict()  # type: ignore[attr-defined]

    assert type(value).from_dict(json.loads(json.dumps(data))) == value  # type: ignore[attr-defined]


def test_real_report_round_trips(mini: Assignment, tmp_path: Path) -> None:
    subs = [write_student(tmp_path / "a", "def halve(x):\n    return x\n")]
    grader = Grader(mini, GradeOptions())
    report = grader.report(grader.grade_all(subs))

    assert GradeReport.from_dict(json.loads(FORMATS["json"](report))) == report


def test_results_are_frozen() -> None:
    with pytest.raises(AttributeError):
        PART.score = 5  # type: ignore[misc]


def test_first_failure_and_problem_lookup() -> None:
    assert PART.first_failure == FAIL
    assert PartResult("g", "g", 1, 1, 1, 1, "", cases=(PASS,)).first_failure is None
    assert SUBMISSION.problem("q1") == PROBLEM
    assert SUBMISSION.problem("q9") is None
    assert PASS.passed and not FAIL.passed


@pytest.mark.parametrize(
    ("value", "text"),
    [(15, "15"), (7.5, "7.5"), (10 / 3, "3.33"), (0, "0"), (-0.0, "0"), (0.001, "0")],
)
def test_points_format(value: float, text: str) -> None:
    assert points(value) == text


def test_table_shows_each_problem_and_total() -> None:
    text = FORMATS["table"](REPORT)

    lines = text.splitlines()
    assert lines[0] == "Mini (all cases, assignment abc123)"
    assert "q1 /5" in lines[2] and "total /5" in lines[2]
    alice = next(line for line in lines if line.startswith("alice"))
    assert alice.split() == ["alice", "2.5", "2.5"]


def test_table_notes_a_submission_error_shortened() -> None:
    broken = SubmissionResult("bob", "/subs/bob", 0, 5, (), error="x" * 200)
    text = FORMATS["table"](GradeReport(REPORT.assignment, (broken,)))

    bob = next(line for line in text.splitlines() if line.startswith("bob"))
    assert bob.split()[1:3] == ["-", "0"]
    assert bob.rstrip().endswith("x" * 57 + "...")


def test_json_is_the_full_result_data() -> None:
    data = json.loads(FORMATS["json"](REPORT))

    assert data["assignment"]["name"] == "Mini"
    assert data["submissions"][0]["problems"][0]["parts"][0]["cases"][1]["line"] == 3


def _public(report: GradeReport) -> GradeReport:
    """``report`` with its one hidden case made public."""
    part = replace(PART, cases=(PASS, replace(FAIL, public=True)))
    problem = replace(PROBLEM, parts=(part,))
    sub = replace(report.submissions[0], problems=(problem,))
    return replace(report, submissions=(sub,))


def test_check_report_shows_the_first_failure_and_how_to_rerun() -> None:
    text = check_reporter.render(_public(REPORT), lambda case: f"grader check --case {case}")

    assert "Mini (assignment abc123)" in text
    assert "case q1/f/1: 1 of 1 elements mismatched" in text
    assert "inputs: x=[2]" in text
    assert "rerun:  grader check --case q1/f/1" in text
    assert "Score: 2.5 / 5" in text
    assert "Your code printed" not in text


def test_check_report_shows_a_hidden_case_only_as_counts() -> None:
    text = check_reporter.render(REPORT, lambda case: f"grader check --case {case}",
                                 verbose=True)

    assert "hidden: 0 of 1 passed" in text
    assert "q1/f/1" not in text and "mismatched" not in text and "x=[2]" not in text
    assert "--format json" in text
    assert "hello" not in text  # what it printed could echo a hidden input


def test_check_report_verbose_shows_printed_output() -> None:
    text = check_reporter.render(_public(REPORT), lambda case: case, verbose=True)

    assert "Your code printed (each line marked with '|'):\n  | hello" in text


def test_check_report_quotes_printed_control_characters() -> None:
    sub = replace(_public(REPORT).submissions[0], output="a\rScore: 9 / 9\n\x1b[2Jb")
    report = replace(REPORT, submissions=(sub,))

    text = check_reporter.render(report, lambda case: case, verbose=True)

    assert "  | a\\rScore: 9 / 9\n  | \\x1b[2Jb" in text
    assert "\r" not in text and "\x1b[2J" not in text
