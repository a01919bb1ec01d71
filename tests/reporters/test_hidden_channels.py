"""What a student can read carries nothing their code chose once a hidden input had arrived.

A hidden case's message, details, inputs, file and line are all set (or shaped) by the
student's process after it received the case's inputs, so each is a channel out for those
inputs. Every student-facing format (gradescope, junit, markdown, github and ``grader
check``'s text) is rendered here with every such field set to a marker, under both values of
``ReportOptions.hidden_detail``, and must not contain it. The same tests check that text bound
for a terminal (table, check, validate) is inert and that markdown links nothing by itself.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any

import pytest

from grader.reporters import FORMATS, HIDDEN_DETAILS, STUDENT_FACING, ReportOptions, feedback
from grader.reporters import check as check_reporter
from grader.reporters import markdown as markdown_reporter
from grader.reporters import validation as validation_reporter
from grader.reporters._visible import HIDDEN_STATUS
from grader.results import (
    AssignmentInfo,
    CaseResult,
    GradeReport,
    PartResult,
    ProblemResult,
    SubmissionResult,
)
from grader.validate import PartCheck, ValidationReport

from .._reports import annotations, md_table

MARK = "LEAK-1234"
LINE = 987_654  # a line number the student chose: the number itself is the channel
HOSTILE = f"{MARK} \x1b[2J\r\n::error::{MARK} @octocat https://{MARK}.example \x00"


def hidden(part: str, index: int, status: str) -> CaseResult:
    """A failing hidden case whose every student-chosen field carries the marker."""
    return CaseResult(f"q1/{part}/{index}", index, False, status, message=HOSTILE,
                      details=(HOSTILE, f"{MARK}Error: {MARK}"), inputs=f"x={MARK}",
                      file=f"{MARK}.py", line=LINE, seconds=LINE / 1000,
                      digest=f"{MARK}digest")


def public(part: str, index: int, status: str = "pass", **fields: Any) -> CaseResult:
    return CaseResult(f"q1/{part}/{index}", index, True, status, **fields)


def hidden_report() -> GradeReport:
    """Three parts: one losing hidden cases only (every kind of failure), one failing a
    public case with a location and hidden cases with their own, one failing a public case
    without a location and a hidden case with one."""
    statuses = list(HIDDEN_STATUS)
    only_hidden = PartResult(
        "f", "f", 1.0, 5.0, 2, 10, f"case q1/f/2: {HOSTILE}",
        cases=(public("f", 0), public("f", 1),
               *(hidden("f", 2 + i, s) for i, s in enumerate(statuses))))
    located = PartResult(
        "g", "g", 0.0, 3.0, 0, 3, "case q1/g/0: ValueError: bad",
        cases=(public("g", 0, "error", message="ValueError: bad", file="hw.py", line=7),
               hidden("g", 1, "error"), hidden("g", 2, "fail")))
    unlocated = PartResult(
        "h", "h", 1.0, 2.0, 1, 2, "case q1/h/0: wrong",
        cases=(public("h", 0, "fail", message="1 of 3 elements mismatched",
                      details=("max abs err 1",), inputs="x=[1]"),
               hidden("h", 1, "error")))
    parts = (only_hidden, located, unlocated)
    problem = ProblemResult("q1", "First", 2.0, 10.0, "partial", parts)
    sub = SubmissionResult("alice", "/subs/alice/hw.py", 2.0, 10.0, (problem,), seed=3,
                           output=f"{MARK}\n{HOSTILE}", seconds=LINE)
    info = AssignmentInfo("Mini", "hw", 10.0, "abc", (("q1", "First", 10.0),))
    return GradeReport(info, (sub,), cases="all", meta={"seed": 3})


def student_views(report: GradeReport, detail: str) -> dict[str, str]:
    """Every student-facing rendering of ``report``."""
    options = ReportOptions(root="/subs", hidden_detail=detail)
    views = {name: FORMATS[name](report, options) for name in STUDENT_FACING}
    for verbose, full in ((False, False), (True, False), (True, True)):
        views[f"text v={verbose} full={full}"] = check_reporter.render(
            report, lambda case: f"grader check --case {case}", verbose=verbose, full=full,
            options=options)
    for fmt in feedback.FORMATS:  # (grader grade --feedback-dir)
        views[f"feedback {fmt}"] = "".join(text for _, text in
                                           feedback.pages(report, fmt, options))
    return views


HIDDEN_IDS = [c.id for part in hidden_report().submissions[0].problems[0].parts
              for c in part.cases if not c.public]


@pytest.mark.parametrize("detail", HIDDEN_DETAILS)
def test_no_student_chosen_hidden_text_reaches_a_student_facing_format(detail: str) -> None:
    for name, text in student_views(hidden_report(), detail).items():
        assert MARK not in text, name
        assert str(LINE) not in text and "987.654" not in text, name
        assert "\x1b[2J" not in text and "\r" not in text and "\x00" not in text, name


def test_by_default_hidden_cases_are_counts_without_ids_or_kinds() -> None:
    kinds = [k for k in HIDDEN_STATUS.values() if k != "not defined"]
    for name, text in student_views(hidden_report(), "counts").items():
        assert "hidden: 0 of 8 passed" in text or "0 of 8 hidden cases passed" in text, name
        for case_id in HIDDEN_IDS:
            assert case_id not in text, (name, case_id)
        for kind in kinds:
            assert kind not in text, (name, kind)


def test_hidden_detail_cases_lists_ids_and_kinds_in_the_graders_words() -> None:
    views = student_views(hidden_report(), "cases")

    for name in ("gradescope", "junit", "text v=True full=False"):
        for case_id in HIDDEN_IDS:
            assert case_id in views[name], (name, case_id)
        for kind in HIDDEN_STATUS.values():
            assert kind in views[name], (name, kind)
    assert "q1/f/4: timed out" in views["markdown"]
    assert "case q1/f/4 (hidden case): timed out" in views["github"].replace("%0A", "\n")


@pytest.mark.parametrize("detail", HIDDEN_DETAILS)
def test_github_never_locates_a_hidden_case(detail: str) -> None:
    found = annotations(FORMATS["github"](hidden_report(), ReportOptions(
        root="/subs", hidden_detail=detail)))

    located = [a for a in found if "file" in a or "line" in a]
    assert [(a["file"], a["line"]) for a in located] == [("alice/hw.py", "7")]
    assert len([a for a in found if a["level"] == "error"]) == 3


@pytest.mark.parametrize("detail", HIDDEN_DETAILS)
def test_gradescope_hidden_tests_hold_only_the_counts_or_the_graders_words(
        detail: str) -> None:
    data = json.loads(FORMATS["gradescope"](hidden_report(), ReportOptions(
        hidden_detail=detail)))

    hidden_tests = {t["name"]: t for t in data["tests"] if "(hidden cases)" in t["name"]}
    assert set(hidden_tests) == {"q1 f (hidden cases)", "q1 g (hidden cases)",
                                 "q1 h (hidden cases)"}
    lines = hidden_tests["q1 g (hidden cases)"]["output"].splitlines()
    if detail == "counts":
        assert lines == ["0 of 2 hidden cases passed."]
    else:
        assert lines == ["0 of 2 hidden cases passed.",
                         "case q1/g/1 (hidden case): raised an exception",
                         "case q1/g/2 (hidden case): wrong result"]
    assert set(data["extra_data"]) == {"assignment", "seed", "cases"}
    assert "execution_time" not in data


@pytest.mark.parametrize("detail", HIDDEN_DETAILS)
def test_junit_hidden_failure_is_the_graders_words(detail: str) -> None:
    root = ET.fromstring(FORMATS["junit"](hidden_report(), ReportOptions(hidden_detail=detail)))

    case = root.find("testsuite/testcase[@name='f']")
    assert case is not None
    (element,) = list(case)
    if detail == "counts":  # not even whether it raised or returned wrong values
        assert (element.tag, element.get("type")) == ("failure", "hidden")
        assert element.get("message") == "hidden: 0 of 8 passed"
    else:
        assert (element.tag, element.get("type")) == ("failure", "fail")
        assert (element.get("message") or "").startswith(
            "hidden: 0 of 8 passed; failing: q1/f/2: wrong result; q1/f/3: raised")


def test_a_public_failure_is_shown_whole() -> None:
    views = student_views(hidden_report(), "counts")

    assert "case q1/h/0: 1 of 3 elements mismatched" in views["junit"]
    assert "max abs err 1" in views["gradescope"] and "x=[1]" in views["gradescope"]
    assert "rerun:  grader check --case q1/h/0" in views["text v=False full=False"]


def test_check_text_withholds_printed_output_once_hidden_cases_ran() -> None:
    text = student_views(hidden_report(), "cases")["text v=True full=True"]

    assert "What your code printed is not shown" in text
    assert "instructor's --format json" in text
    assert "rerun:  grader check --case q1/f/" not in text  # hidden cases: no rerun command


def test_the_instructors_json_keeps_everything() -> None:
    text = FORMATS["json"](hidden_report())

    assert MARK in text and str(LINE) in text


# --- text bound for a terminal ---------------------------------------------------------------

ESCAPES = "\x1b[2J\x1b[1A\rbob      10      10"  # clears, moves up, fakes a row
FILE = f"hw{ESCAPES}.py"


def terminal_report() -> GradeReport:
    case = public("f", 0, "error", message=f"ValueError: {ESCAPES}", details=(ESCAPES,),
                  inputs=f"x={ESCAPES}", file=FILE, line=3)
    part = PartResult("f", "f", 0.0, 1.0, 0, 1, "", cases=(case,))
    problem = ProblemResult("q1", "First", 0.0, 1.0, "failed", (part,))
    sub = SubmissionResult(f"eve{ESCAPES}", f"/subs/eve/{FILE}", 0.0, 1.0, (problem,),
                           output=ESCAPES, error=f"import failed: SyntaxError ({FILE}, line 3)")
    info = AssignmentInfo("Mini", "hw", 1.0, "abc", (("q1", "First", 1.0),))
    return GradeReport(info, (sub,), cases="public", meta={"seed": 3})


def test_table_and_check_text_show_control_characters_escaped() -> None:
    report = terminal_report()
    texts = {"table": FORMATS["table"](report),
             "text": check_reporter.render(report, lambda c: c, verbose=True, full=True)}

    for name, text in texts.items():
        assert "\r" not in text and "\x1b[2J" not in text and "\x1b[1A" not in text, name
        assert "\\x1b[2J\\x1b[1A\\r" in text, name
    assert len(texts["table"].splitlines()) == 5  # title, blank, header, rule, eve's row


def test_student_facing_formats_carry_no_raw_control_characters() -> None:
    """A submission's id and path (folder names a student chose), its messages and file
    names: escaped in every student-facing format, as on a terminal (a CI log shows the
    GitHub format's lines as they are)."""
    for name in STUDENT_FACING:  # (grader check's text: above; its colours are its own)
        text = FORMATS[name](terminal_report(), ReportOptions(root="/subs"))
        assert "\x1b" not in text and "\r" not in text, name
    github = FORMATS["github"](terminal_report(), ReportOptions(root="/subs"))
    assert "\\x1b[2J\\x1b[1A%0Dbob" in github  # the \r encoded, as workflow commands do


def test_validate_text_shows_control_characters_escaped() -> None:
    check = PartCheck("q1", "f", "f", 3, 1, notes=(ESCAPES,), problems=(ESCAPES,))

    text = validation_reporter.render("Mini", ValidationReport((check,), problems=(ESCAPES,)))

    assert "\r" not in text and "\x1b" not in text


# --- markdown links nothing a student wrote ------------------------------------------------

ZWSP = "\u200b"


@pytest.mark.parametrize(("raw", "live"), [
    ("ping @octocat now", "@octocat"),
    ("mail eve@example.com", "eve@example.com"),
    ("see https://evil.example/x", "https://"),
    ("see HTTP://evil.example/x", "HTTP://"),
    ("go to www.evil.example", "www."),
    ("fixes #12", "#12"),
])
def test_markdown_neutralizes_mentions_references_and_autolinks(raw: str, live: str) -> None:
    escaped = markdown_reporter.escape(raw)

    assert live not in escaped.replace("\\", "")
    assert escaped.replace(ZWSP, "").replace("\\", "") == raw


def test_markdown_neutralizes_student_text_in_every_cell() -> None:
    report = terminal_report()
    sub = replace(report.submissions[0], id="@eve www.eve.example",
                  error="contact eve@example.com or https://eve.example")
    case = public("f", 0, "error", message="@octocat see https://x.example")
    part = replace(sub.problems[0].parts[0], cases=(case,))
    sub = replace(sub, problems=(replace(sub.problems[0], parts=(part,)),))

    text = FORMATS["markdown"](replace(report, submissions=(sub,)))

    plain = text.replace("\\", "")
    for live in ("@eve", "www.eve", "eve@example", "https://", "@octocat"):
        assert live not in plain, live
    assert len(md_table(text)) == 3
