"""The instructor's HTML report (grader.reporters.html): its sections, that it is one
self-contained file, and that a student's text is inert wherever it lands. The rendering in
a real browser is tests/reporters/test_html_browser.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from grader.reporters import FORMATS
from grader.reporters.classview import class_view, histogram, kind
from grader.results import CaseResult, GradeReport

# What a hostile student puts in everything they control.
PAYLOAD = ('<script>document.body.setAttribute("data-pwned", "1")</script>'
           '<img src=x onerror="document.body.setAttribute(\'data-pwned\', \'2\')">'
           '</td></tr></table><u>escaped?</u>')


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of the document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


def test_the_report_has_every_section(hw2_report: GradeReport) -> None:
    page = FORMATS["html"](hw2_report)
    tags = parse(page)
    svgs = [attrs for tag, attrs in tags.tags if tag == "svg"]
    assert len(svgs) == 1 + len(hw2_report.assignment.problems)  # totals, each question
    assert all(attrs.get("class") == "histogram" for attrs in svgs)
    for section in ("totals", "questions", "parts", "troubles", "summary", "students"):
        assert (("h2", {"id": section})) in tags.tags, section
    anchors = {attrs["id"] for tag, attrs in tags.tags if tag == "section"}
    assert len(anchors) == len(hw2_report.submissions)
    rows = re.search(r'<table id="summary-table">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert rows and rows[1].count("<tr>") == len(hw2_report.submissions)
    text = "".join(tags.text)
    assert "unstable" in text and "did not import" in text  # a named mistake, a failure kind


def test_it_is_one_file_that_fetches_nothing(hw2_report: GradeReport) -> None:
    tags = parse(FORMATS["html"](hw2_report))
    for tag, attrs in tags.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
    scripts = [attrs for tag, attrs in tags.tags if tag == "script"]
    assert scripts == [{}]  # the one that sorts the table, inline


def _hostile(report: GradeReport) -> GradeReport:
    """The report with a student's id, printed output, error, messages and inputs hostile."""
    sub = report.submissions[0]
    problems = []
    for problem in sub.problems:
        parts = []
        for part in problem.parts:
            cases = tuple(replace(c, status="error", message=f"ValueError: {PAYLOAD}",
                                  inputs=PAYLOAD) for c in part.cases)
            parts.append(replace(part, score=0, passed=0, cases=cases, message=PAYLOAD))
        problems.append(replace(problem, parts=tuple(parts)))
    hostile = replace(sub, id=PAYLOAD, output=PAYLOAD, error=PAYLOAD, notes=(PAYLOAD,),
                      problems=tuple(problems))
    return replace(report, submissions=(hostile, *report.submissions[1:]))


def test_a_students_markup_is_text_wherever_it_lands(hw2_report: GradeReport) -> None:
    page = FORMATS["html"](_hostile(hw2_report))
    tags = parse(page)
    assert [tag for tag, _ in tags.tags if tag in ("script", "img", "u")] == ["script"]
    assert not any(name.startswith("on") for _, attrs in tags.tags for name in attrs)
    assert "".join(tags.text).count("data-pwned") >= 5  # (shown, as text)
    # Only the report's own script may run, by its hash, whatever got through.
    policy = re.search(r'Content-Security-Policy" content="([^"]*)"', page)
    assert policy and "script-src 'sha256-" in policy[1] and "default-src 'none'" in policy[1]


def test_a_failure_kind_is_shared_by_the_submissions_that_fail_alike() -> None:
    def case(status: str, message: str) -> CaseResult:
        return CaseResult(id="q1/f/0", index=0, public=True, status=status, message=message)

    assert kind(case("fail", "output 0 (dx): 23 of 24 elements mismatched; worst at [5]")) == \
        kind(case("fail", "output 0 (dx): 2 of 6 elements mismatched; worst at [1]")) == \
        "wrong: output 0 (dx): elements mismatched"
    assert kind(case("fail", "emitted RuntimeWarning: overflow in exp (hw2.py, line 58)")) == \
        "wrong: emitted RuntimeWarning: overflow in exp"
    assert kind(case("fail", "property 'rows sum to 0' does not hold: row [0] sums to 1")) == \
        "wrong: property 'rows sum to 0' does not hold"
    assert kind(case("error", "NotImplementedError: TODO (hw2.py, line 3)")) == \
        "NotImplementedError"
    assert kind(case("timeout", "timed out after 5s")) == "timed out"


def test_histograms_put_every_score_in_a_bin() -> None:
    bins = histogram("t", [0, 9.99, 10, 55, 100, 100], 100).bins
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert (bins[0].low, bins[-1].high) == (0, 100)


def test_troubles_and_each_students_failures(hw2_report: GradeReport) -> None:
    view = class_view(hw2_report)
    troubles = {(t.submission, t.kind) for t in view.troubles}
    assert ("syntax_error", "did not import") in troubles
    students = {s.id: s for s in view.students}
    assert students["correct"].failures == ()
    assert students["syntax_error"].error and students["syntax_error"].failures == ()
    # (its error says why every part is 0: no row per part)
    buggy = {f.part: f for f in students["buggy"].failures}
    assert "unstable" in buggy["q1/sigmoid"].mistakes


def test_the_same_results_give_the_same_page_in_any_process(
        hw2_report: GradeReport, tmp_path: Path) -> None:
    # (ties between failure kinds are broken by their words, not by a set's order, which
    # string hashing makes differ from one process to the next)
    report = tmp_path / "report.json"
    report.write_text(FORMATS["json"](hw2_report))
    script = ("import json, sys; from grader.reporters import FORMATS; "
              "from grader.results import GradeReport; sys.stdout.write(FORMATS['html']("
              f"GradeReport.from_dict(json.load(open({str(report)!r})))))")
    pages = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
             for seed in ("1", "2", "3")}
    assert len(pages) == 1


def test_a_case_s_own_shapes_and_a_word_memory_do_not_make_a_kind() -> None:
    def case(status: str, message: str) -> CaseResult:
        return CaseResult(id="q1/f/0", index=0, public=True, status=status, message=message)

    shapes = {kind(case("fail", f"output 1 (db): shape mismatch: expected a scalar (shape "
                                f"()), got shape ({n},)")) for n in (1, 2, 6)}
    assert shapes == {"wrong: output 1 (db): shape mismatch"}
    from grader.reporters.classview import _trouble

    assert _trouble(case("error", "KeyError: 'memory'")) is None
    assert _trouble(case("error", "MemoryError: Unable to allocate 8 GiB")) == \
        "ran out of memory"
