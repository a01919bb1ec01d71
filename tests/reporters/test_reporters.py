"""Every output format is a view of the same results: totals agree with the JSON report,
counts agree with the results, student text is escaped, and hidden cases stay hidden."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import pytest

from grader.errors import UsageError
from grader.grading import GradeOptions, Grader
from grader.reporters import FORMATS, VISIBILITIES, ReportOptions, table
from grader.reporters import github as github_reporter
from grader.reporters import markdown as markdown_reporter
from grader.reporters._format import exact
from grader.results import (
    AssignmentInfo,
    CaseResult,
    GradeReport,
    PartResult,
    ProblemResult,
    SubmissionResult,
)
from grader.spec import Assignment

from .._cli import run
from .._mini import HW2, REPO_ROOT, SUBMISSIONS, write_student
from .._reports import (
    COMMAND,
    annotations,
    assert_gfm_table,
    md_table,
    table_rows,
    without_timings,
)

HOSTILE = 'a|b\r\n::error::x %0A <b>&amp;</b> `c` *d* [e](f) $g$ "h", i: \x1b[31m\x00]]> \ud800'


def one(report: GradeReport, sub_id: str) -> GradeReport:
    return replace(report, submissions=tuple(s for s in report.submissions if s.id == sub_id))


def parts_of(sub: SubmissionResult) -> list[tuple[ProblemResult, PartResult]]:
    return [(problem, part) for problem in sub.problems for part in problem.parts]


def hostile_report() -> GradeReport:
    """A report whose student-controlled text (id, path, messages, inputs) is hostile."""
    public = CaseResult("q1/f/0", 0, True, "error", HOSTILE, (HOSTILE,), HOSTILE,
                        file="we,ird:hw.py", line=7)
    hidden = CaseResult("q1/f/1", 1, False, "fail", "got SECRET-VALUE, expected 3",
                        ("SECRET-DETAIL",), "x=SECRET-INPUT")
    part = PartResult("f", "f", 0.0, 4.0, 0, 2, f"case q1/f/0: {HOSTILE}",
                      cases=(public, hidden))
    problem = ProblemResult("q1", "First", 0.0, 4.0, "failed", (part,))
    sub = SubmissionResult("=cmd|' /C calc'!A0", "/subs/x/we,ird:hw.py", 0.0, 4.0, (problem,),
                           seed=3, output="SECRET-PRINT", error=HOSTILE)
    info = AssignmentInfo("Mini", "hw", 4.0, "abc", (("q1", "First", 4.0),))
    return GradeReport(info, (sub,), cases="all", meta={"seed": 3})


@pytest.mark.parametrize(("value", "text"), [(15.0, "15"), (-0.0, "0"), (7.5, "7.5"),
                                             (44.476262626, "44.476262626"), (0.1 + 0.2, None)])
def test_exact_scores_read_back_as_the_same_float(value: float, text: str | None) -> None:
    assert float(exact(value)) == value
    if text is not None:
        assert exact(value) == text


# --- csv ----------------------------------------------------------------------------------

def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_totals_equal_the_json_totals(hw2_report: GradeReport) -> None:
    rows = read_csv(FORMATS["csv"](hw2_report))
    data = json.loads(FORMATS["json"](hw2_report))

    total = f"total ({data['assignment']['max_score']:g})"
    assert [r["submission"] for r in rows] == [s["id"] for s in data["submissions"]]
    for row, sub in zip(rows, data["submissions"], strict=True):
        assert float(row[total]) == sub["score"]
        for problem in sub["problems"]:
            points = next(p["points"] for p in data["assignment"]["problems"]
                          if p["id"] == problem["id"])
            assert float(row[f"{problem['id']} ({points:g})"]) == problem["score"]
        assert row["error"] == sub["error"]


def test_csv_header_names_each_question_with_its_points(hw2_report: GradeReport) -> None:
    header = next(csv.reader(io.StringIO(FORMATS["csv"](hw2_report))))

    assert header == ["submission", "q1 (15)", "q2 (15)", "q3 (20)", "q4 (10)", "q5 (15)",
                      "q6 (10)", "q7 (15)", "total (100)", "error"]


def test_csv_quotes_student_text_and_defuses_formulas() -> None:
    rows = list(csv.reader(io.StringIO(FORMATS["csv"](hostile_report()), newline="")))

    assert len(rows) == 2 and len(rows[1]) == len(rows[0])
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    assert rows[1][-1].startswith("a|b\r\n::error::")  # kept whole, in one quoted cell


def test_gradebooks_show_each_seed_when_seeds_vary_by_student(hw2_report: GradeReport) -> None:
    report = replace(hw2_report, meta={**hw2_report.meta, "vary_by_student": True})

    rows = read_csv(FORMATS["csv"](report))
    table = md_table(FORMATS["markdown"](report))

    assert [r["seed"] for r in rows] == [str(s.seed) for s in report.submissions]
    assert table[0][:2] == ["submission", "seed"]
    assert_gfm_table(table, len(report.submissions))
    assert "seed" not in read_csv(FORMATS["csv"](hw2_report))[0]


# --- junit --------------------------------------------------------------------------------

def test_junit_counts_match_the_results(hw2_report: GradeReport) -> None:
    root = ET.fromstring(FORMATS["junit"](hw2_report))

    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    expected = [(f"{s.id}.{p.id}", p) for s in hw2_report.submissions for p in s.problems]
    assert [s.get("name") for s in suites] == [name for name, _ in expected]
    for suite, (_, problem) in zip(suites, expected, strict=True):
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [p.id for p in problem.parts]
        lost = sum(p.passed < p.total for p in problem.parts)
        failures, errors = (sum(c.find(tag) is not None for c in cases)
                            for tag in ("failure", "error"))
        assert (int(suite.get("tests", -1)), failures + errors) == (len(problem.parts), lost)
        assert (int(suite.get("failures", -1)), int(suite.get("errors", -1))) == (failures,
                                                                                   errors)
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert float(props["score"] or "nan") == problem.score
    for key in ("tests", "failures", "errors", "skipped"):
        assert int(root.get(key, -1)) == sum(int(s.get(key, -1)) for s in suites)
    assert int(root.get("tests", -1)) == sum(len(parts_of(s)) for s in hw2_report.submissions)


def test_junit_failure_for_wrong_values_error_for_exceptions(hw2_report: GradeReport) -> None:
    root = ET.fromstring(FORMATS["junit"](hw2_report))

    def case(suite: str, name: str) -> ET.Element:
        found = root.find(f"testsuite[@name='{suite}']/testcase[@name='{name}']")
        assert found is not None
        return found

    wrong = case("buggy.q1", "neuron_gradients").find("failure")
    assert wrong is not None and wrong.get("type") == "fail"
    assert (wrong.get("message") or "").startswith("case q1/neuron_gradients/")
    raised = case("noisy.q3", "softmax_jacobian").find("error")
    assert raised is not None and "NotImplementedError" in (raised.get("message") or "")
    assert list(case("correct.q1", "sigmoid")) == []


def test_junit_escapes_student_text_and_keeps_hidden_cases_hidden() -> None:
    text = FORMATS["junit"](hostile_report())
    root = ET.fromstring(text)  # parses: markup escaped, control characters written out

    error = root.find("testsuite/testcase/error")
    assert error is not None
    message = error.get("message") or ""
    assert message.startswith("case q1/f/0: a|b")
    assert "\\x1b[31m\\x00]]>" in message and "\\ud800" in message
    assert "SECRET" not in text
    assert int(root.get("errors", -1)) == 1


def test_junit_part_without_cases_is_skipped() -> None:
    report = hostile_report()
    sub = report.submissions[0]
    empty = PartResult("g", "g", 0.0, 1.0, 0, 0, "no cases selected")
    problem = replace(sub.problems[0], parts=(*sub.problems[0].parts, empty))
    report = replace(report, submissions=(replace(sub, problems=(problem,)),))

    root = ET.fromstring(FORMATS["junit"](report))

    assert (root.get("tests"), root.get("skipped"), root.get("errors")) == ("2", "1", "1")


# --- gradescope ---------------------------------------------------------------------------

def gradescope(report: GradeReport, **options: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FORMATS["gradescope"](report, ReportOptions(**options)))
    return data


@pytest.mark.parametrize("sub_id", ["answer_sheet", "buggy", "correct", "missing_functions",
                                    "noisy", "syntax_error"])
def test_gradescope_tests_add_up_to_the_total(hw2_report: GradeReport, sub_id: str) -> None:
    report = one(hw2_report, sub_id)
    sub = report.submissions[0]

    data = gradescope(report)

    assert {"score", "output", "tests"} <= set(data)
    assert "execution_time" not in data  # students could time their code on hidden inputs
    assert data["score"] == sub.score
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(sub.score, abs=1e-9)
    assert sum(t["max_score"] for t in data["tests"]) == pytest.approx(sub.max_score)
    for test in data["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["status"] == ("passed" if test["score"] == pytest.approx(test["max_score"])
                                  else "failed")
        assert 0 <= test["score"] <= test["max_score"] + 1e-9


def test_gradescope_splits_each_part_into_public_and_hidden_tests(
        hw2_report: GradeReport) -> None:
    sub = one(hw2_report, "buggy").submissions[0]

    tests = {t["name"]: t for t in gradescope(one(hw2_report, "buggy"))["tests"]}

    problem, part = parts_of(sub)[0]
    public = tests[f"{problem.id} {part.id} (public cases)"]
    hidden = tests[f"{problem.id} {part.id} (hidden cases)"]
    assert public["visibility"] == "visible"
    assert hidden["visibility"] == "after_published"
    assert public["score"] + hidden["score"] == pytest.approx(part.score)
    assert public["max_score"] + hidden["max_score"] == pytest.approx(part.max_score)
    n_public = sum(c.public for c in part.cases)
    assert public["output"].startswith(
        f"{sum(c.passed for c in part.cases if c.public)} of {n_public} public cases passed.")


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_gradescope_hidden_visibility_is_configurable(hw2_report: GradeReport,
                                                      visibility: str) -> None:
    tests = gradescope(one(hw2_report, "buggy"), hidden_visibility=visibility)["tests"]

    assert {t["visibility"] for t in tests if "(hidden cases)" in t["name"]} == {visibility}
    assert {t["visibility"] for t in tests if "(public cases)" in t["name"]} == {"visible"}


def test_gradescope_never_shows_hidden_inputs_values_or_prints(hw2_report: GradeReport) -> None:
    checked = 0
    for sub in hw2_report.submissions:
        text = FORMATS["gradescope"](one(hw2_report, sub.id))
        cases = [c for _, part in parts_of(sub) for c in part.cases if not c.passed]
        # A public case may read the same as a hidden one ("sums to 1, expected 0").
        public = {c.message for c in cases if c.public} | {c.inputs for c in cases if c.public}
        for case in (c for c in cases if not c.public and c.status == "fail"):
            if case.message not in public:
                assert case.message not in text
                checked += 1
            assert not case.inputs or case.inputs in public or case.inputs not in text
        assert not sub.output or sub.output.strip() not in text
    assert checked > 10
    noisy = one(hw2_report, "noisy").submissions[0]
    assert noisy.output  # the example prints, so the check above is not vacuous

    text = FORMATS["gradescope"](hostile_report())
    assert "SECRET" not in text
    assert json.loads(text)["output_format"] == "text"


def test_gradescope_all_or_nothing_part_pays_no_test_unless_every_case_passed() -> None:
    passed = CaseResult("q1/f/0", 0, True, "pass")
    failed = CaseResult("q1/f/1", 1, False, "fail", "wrong")
    part = PartResult("f", "f", 0.0, 3.0, 1, 2, "case q1/f/1: wrong", "all_or_nothing",
                      (passed, failed))
    report = replace(hostile_report(), submissions=(SubmissionResult(
        "a", "/a/hw.py", 0.0, 3.0, (ProblemResult("q1", "First", 0.0, 3.0, "failed", (part,)),)),))

    tests = gradescope(report)["tests"]

    assert [(t["score"], t["max_score"], t["status"]) for t in tests] == [
        (0.0, 1.5, "failed"), (0.0, 1.5, "failed")]
    assert "all-or-nothing" in tests[0]["output"]


def test_gradescope_needs_exactly_one_submission(hw2_report: GradeReport) -> None:
    with pytest.raises(UsageError, match="one submission"):
        FORMATS["gradescope"](hw2_report)


# --- markdown -----------------------------------------------------------------------------

def test_markdown_gradebook_is_a_table_of_submissions(hw2_report: GradeReport) -> None:
    text = FORMATS["markdown"](hw2_report)

    rows = md_table(text)
    assert_gfm_table(rows, len(hw2_report.submissions))
    assert rows[0][0] == "submission" and rows[0][-2] == "total (100)"
    totals = {r[0].replace("\\_", "_"): r[-2] for r in rows[2:]}
    assert totals == {s.id: f"{s.score:.2f}".rstrip("0").rstrip(".")
                      for s in hw2_report.submissions}


def test_markdown_for_one_submission_is_a_table_of_parts(hw2_report: GradeReport) -> None:
    report = one(hw2_report, "buggy")

    text = FORMATS["markdown"](report)

    rows = md_table(text)
    assert_gfm_table(rows, len(parts_of(report.submissions[0])))
    assert rows[0] == ["question", "part", "result", "cases", "points", "first failure"]
    assert text.startswith("### ") and "buggy: 43.57 / 100" in text.splitlines()[0]
    passed = {r[1].replace("\\_", "_"): r[2] for r in rows[2:]}
    assert passed["gradient_descent_step"] == "✅" and passed["sigmoid"] == "❌"


def test_markdown_escapes_pipes_newlines_and_markup() -> None:
    text = FORMATS["markdown"](hostile_report())

    rows = md_table(text)
    assert_gfm_table(rows, 1)
    cell = rows[2][-1]
    assert cell.startswith("case q1/f/0: a\\|b ::error::x %0A \\<b\\>\\&amp;\\</b\\> \\`c\\`")
    assert "\\$g\\$" in cell and "\\*d\\*" in cell and "\\[e\\](f)" in cell
    assert "\x1b" not in text and "\x00" not in text and "\r" not in text
    assert "SECRET" not in text
    assert markdown_reporter.escape("x" * 500).endswith("...")


# --- github -------------------------------------------------------------------------------

def test_github_annotations_point_at_the_students_file_and_line(
        hw2_report: GradeReport) -> None:
    text = FORMATS["github"](one(hw2_report, "noisy"), ReportOptions(root=str(REPO_ROOT)))

    found = annotations(text)
    located = [a for a in found if "file" in a]
    assert [(a["level"], a["file"], a["line"]) for a in located] == [
        ("error", "submissions/noisy/hw2.py", "73")]
    assert located[0]["title"].startswith("q3 softmax_jacobian%3A 0/")
    assert "NotImplementedError: TODO" in located[0]["message"]
    assert found[-1]["level"] == "notice" and "noisy: 95 / 100" in found[-1]["message"]


def test_github_failing_parts_without_location_get_plain_errors(
        hw2_report: GradeReport) -> None:
    sub = one(hw2_report, "buggy").submissions[0]

    found = annotations(FORMATS["github"](one(hw2_report, "buggy")))

    errors = [a for a in found if a["level"] == "error"]
    assert len(errors) == sum(p.passed < p.total for _, p in parts_of(sub))
    # Wrong values have no place in the code; a forbidden warning points where it was raised.
    warned = {p.function for _, p in parts_of(sub)
              if p.first_failure is not None and p.first_failure.message.startswith("emitted")}
    located = [a for a in errors if "file" in a]
    assert warned == {"sigmoid", "softmax"}
    assert len(located) == len(warned)
    assert all(a["file"].endswith("submissions/buggy/hw2.py") for a in located)


def test_github_one_annotation_for_a_module_that_does_not_import(
        hw2_report: GradeReport) -> None:
    found = annotations(FORMATS["github"](one(hw2_report, "syntax_error"),
                                          ReportOptions(root=str(SUBMISSIONS))))

    errors = [a for a in found if a["level"] == "error"]
    assert len(errors) == 1
    assert (errors[0]["file"], errors[0]["line"]) == ("syntax_error/hw2.py", "54")
    assert "SyntaxError" in errors[0]["message"] and "14 more part(s)" in errors[0]["title"]


def test_github_and_markdown_pass_over_parts_with_no_cases_run() -> None:
    report = hostile_report()
    sub = report.submissions[0]
    empty = PartResult("g", "g", 0.0, 1.0, 0, 0, "no cases selected")
    problem = replace(sub.problems[0], parts=(*sub.problems[0].parts, empty))
    report = replace(report, submissions=(replace(sub, problems=(problem,)),))

    found = annotations(FORMATS["github"](report))
    rows = md_table(FORMATS["markdown"](report))

    assert [a["level"] for a in found] == ["error", "notice"]
    assert rows[-1][:3] == ["q1", "g", "not run"]


def test_github_escapes_messages_and_properties() -> None:
    text = FORMATS["github"](hostile_report(), ReportOptions(root="/subs"))

    lines = text.splitlines()
    assert len(lines) == 2  # one error and the notice: no line break got through
    found = annotations(text)
    assert found[0]["file"] == "x/we%2Cird%3Ahw.py"
    assert found[0]["message"].startswith("case q1/f/0: a|b%0D%0A::error::x %250A <b>")
    assert "SECRET" not in text
    assert github_reporter.escape_property("a%b\r\n:,") == "a%25b%0D%0A%3A%2C"
    assert github_reporter.escape_data("a%b\r\n:,") == "a%25b%0D%0A:,"


# --- the same run, every format, through the CLI ------------------------------------------


EXTRA = ("csv", "junit", "markdown", "github", "json")


def grade_every_format(folder: Path) -> dict[str, str]:
    result = run("grade", HW2, SUBMISSIONS, "--format", "table",
                 *[a for f in EXTRA for a in ("--also", f"{f}:{folder / f}")])
    assert result.exit_code == 0, result.output
    texts = {f: (folder / f).read_text(encoding="utf-8") for f in EXTRA}
    texts["table"] = result.stdout
    gs = run("grade", HW2, SUBMISSIONS / "buggy", "--format", "gradescope")
    assert gs.exit_code == 0, gs.output
    texts["gradescope"] = gs.stdout
    return texts



@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, str]]:
    return (grade_every_format(tmp_path_factory.mktemp("first")),
            grade_every_format(tmp_path_factory.mktemp("second")))


def test_cli_formats_of_one_run_agree(two_runs: tuple[dict[str, str], dict[str, str]]) -> None:
    texts = two_runs[0]
    data = json.loads(texts["json"])
    scores = {s["id"]: s["score"] for s in data["submissions"]}

    assert {r["submission"]: float(r["total (100)"]) for r in read_csv(texts["csv"])} == scores
    root = ET.fromstring(texts["junit"])
    assert int(root.get("tests", -1)) == sum(len(p["parts"]) for s in data["submissions"]
                                             for p in s["problems"])
    assert_gfm_table(md_table(texts["markdown"]), len(scores))
    notices = [a for a in annotations(texts["github"]) if a["level"] == "notice"]
    assert len(notices) == len(scores)
    gs = json.loads(texts["gradescope"])
    assert gs["score"] == scores["buggy"]
    assert sum(t["score"] for t in gs["tests"]) == pytest.approx(scores["buggy"])


@pytest.mark.parametrize("fmt", ["csv", "junit", "markdown", "github", "table"])
def test_cli_same_run_twice_gives_the_same_bytes(
        two_runs: tuple[dict[str, str], dict[str, str]], fmt: str) -> None:
    first, second = two_runs

    assert first[fmt] == second[fmt]


@pytest.mark.parametrize("fmt", ["json", "gradescope"])
def test_cli_same_run_twice_gives_the_same_json_apart_from_timings(
        two_runs: tuple[dict[str, str], dict[str, str]], fmt: str) -> None:
    first, second = (without_timings(json.loads(run[fmt])) for run in two_runs)

    assert first == second


def test_cli_gradescope_refuses_several_submissions_before_grading() -> None:
    result = run("grade", HW2, SUBMISSIONS, "--format", "gradescope")

    assert result.exit_code == 2
    assert "gradescope format is one submission's results.json" in result.stderr
    assert "graded " not in result.stderr


def test_cli_hidden_visibility_option(tmp_path: Path) -> None:
    result = run("grade", HW2, SUBMISSIONS / "correct", "--format", "gradescope",
                 "--hidden-visibility", "hidden")

    assert result.exit_code == 0, result.output
    tests = json.loads(result.stdout)["tests"]
    assert {t["visibility"] for t in tests} == {"visible", "hidden"}
    bad = run("grade", HW2, SUBMISSIONS / "correct", "--hidden-visibility", "never")
    assert bad.exit_code == 2 and "--hidden-visibility" in bad.output


@pytest.mark.parametrize("also", ["junit", "nope:x.xml", ":x.xml", "junit:"])
def test_cli_also_needs_format_and_file(also: str) -> None:
    result = run("check", HW2, SUBMISSIONS / "correct", "--also", also)

    assert result.exit_code == 2
    assert "expected FORMAT:FILE" in result.output


def test_cli_check_writes_every_report_then_fails_under(tmp_path: Path) -> None:
    result = run("check", HW2, SUBMISSIONS / "buggy", "--format", "github", "--fail-under",
                 "99", "--also", f"text:{tmp_path / 'a.txt'}",
                 "--also", f"junit:{tmp_path / 'a.xml'}")

    assert result.exit_code == 1
    assert "is below --fail-under 99" in result.stderr
    assert all(COMMAND.fullmatch(line) for line in result.stdout.splitlines())
    assert "Score: " in (tmp_path / "a.txt").read_text(encoding="utf-8")
    assert ET.parse(tmp_path / "a.xml").getroot().tag == "testsuites"


# --- real student text through real grading -----------------------------------------------

def test_hostile_exception_message_is_escaped_in_every_format(mini: Assignment,
                                                              tmp_path: Path) -> None:
    # double() has a public case: only a public case may give the annotation a location.
    student = write_student(tmp_path / "s", '''
        def double(x):
            raise ValueError("a|b ::error::pwn %0A <i>x</i>, k: v ]]> `q`")
        ''')
    grader = Grader(mini, GradeOptions())
    report = grader.report(grader.grade_all([student]))
    options = ReportOptions(root=str(tmp_path))

    for name, render in FORMATS.items():
        text = render(report, options)
        assert text.endswith("\n"), name
    ET.fromstring(FORMATS["junit"](report))
    found = annotations(FORMATS["github"](report, options))
    assert any(a.get("file") == "s/hw.py" for a in found)
    rows = md_table(FORMATS["markdown"](report))
    assert_gfm_table(rows, len(parts_of(report.submissions[0])))
    assert read_csv(FORMATS["csv"](report))[0]["submission"] == "s"


def test_json_class_report_is_one_line_per_submission_and_parses(
        hw2_report: GradeReport) -> None:
    from grader.reporters import json as json_reporter

    text = json_reporter.render(hw2_report)
    lines = text.splitlines()

    assert json.loads(text) == hw2_report.to_dict()
    for submission in hw2_report.submissions:
        assert sum(f'"id": "{submission.id}"' in line and line.startswith("    {")
                   for line in lines) == 1
    single = replace(hw2_report, submissions=hw2_report.submissions[:1])
    assert json.loads(json_reporter.render(single)) == single.to_dict()
    assert len(json_reporter.render(single).splitlines()) > 50  # indented throughout


def test_check_names_a_part_by_its_id_where_it_differs_from_its_function() -> None:
    """Two parts may grade one function (the whole output, then one key of it): the text
    view tells them apart."""
    from grader.reporters.check import render_submission

    whole = PartResult("loss", "loss", 2.0, 2.0, 2, 2, "", "partial", ())
    grads = PartResult("loss_first_layer", "loss", 0.0, 2.0, 0, 2, "", "partial", ())
    sub = SubmissionResult("a", "/a/hw.py", 2.0, 4.0, (
        ProblemResult("q1", "First", 2.0, 4.0, "", (whole, grads)),))

    text = render_submission(sub, lambda case_id: f"grader check --case {case_id}", "all")

    assert "  loss  " in text or " loss " in text
    assert "loss_first_layer (loss)" in text


def test_check_keeps_its_columns_aligned_for_long_part_names() -> None:
    from grader.reporters.check import render_submission

    short = PartResult("f", "f", 1.0, 1.0, 1, 1, "", "partial", ())
    long = PartResult("conv_backward", "conv_backward_naive", 1.0, 1.0, 1, 1, "", "partial",
                      ())
    sub = SubmissionResult("a", "/a/hw.py", 2.0, 2.0, (
        ProblemResult("q1", "First", 2.0, 2.0, "", (short, long)),))

    text = click.unstyle(render_submission(sub, lambda case_id: case_id, "all"))
    rows = [line for line in text.splitlines() if line.startswith("  PASS")]
    assert len({line.index("1/1 cases") for line in rows}) == 1, rows


def test_check_says_an_import_failure_once_not_under_every_part(
        hw2_report: GradeReport) -> None:
    from grader.reporters.check import render_submission

    sub = one(hw2_report, "syntax_error").submissions[0]
    text = click.unstyle(render_submission(sub, lambda case_id: f"rerun {case_id}", "all"))

    assert text.count("SyntaxError") == 1
    assert "rerun" not in text and "inputs:" not in text
    assert text.count("FAIL") == sum(1 for _ in parts_of(sub))


# --- the gradebook table -----------------------------------------------------------------------

def test_table_columns_per_part_add_up_to_the_questions(hw2_report: GradeReport) -> None:
    by_question = table_rows(table.render(hw2_report))
    by_part = table_rows(table.render(hw2_report, ReportOptions(columns="parts")))
    for sub in hw2_report.submissions:
        for problem in sub.problems:
            column = next(c for c in by_question[sub.id] if c.startswith(f"{problem.id} /"))
            parts = [float(cell) for header, cell in by_part[sub.id].items()
                     if header.startswith(f"{problem.id}/")]
            assert len(parts) == len(problem.parts)
            assert sum(parts) == pytest.approx(float(by_question[sub.id][column]), abs=0.02)


def test_table_notes_name_the_parts_lost_to_errors_and_shorten_long_ids(
        hw2_report: GradeReport) -> None:
    long_id = "Lastname, Firstname Middlename_123456_7890_late_hw2"
    subs = [replace(sub, id=long_id) if sub.id == "noisy" else sub
            for sub in hw2_report.submissions]
    rows = table_rows(table.render(replace(hw2_report, submissions=tuple(subs))))

    shown = next(k for k in rows if k.startswith("Lastname"))
    assert len(shown) <= table.ID_WIDTH and "..." in shown and shown.endswith("late_hw2")
    assert rows[shown]["notes"].startswith(
        "q3/softmax_jacobian: NotImplementedError: TODO: finish the Jacobian")
    assert rows["missing_functions"]["notes"].startswith(
        "q4/numerical_hessian: hw2.py does not define numerical_hessian()")
    assert rows["correct"]["notes"] == ""
    # buggy returns wrong values only: the notes name its known mistakes.
    assert rows["buggy"]["notes"].startswith("q1/sigmoid: known mistake unstable; ")


def test_long_ids_that_would_look_alike_stay_whole(hw2_report: GradeReport) -> None:
    names = [f"student_with_a_long_name_{x}_xxxxxxxxxxxxxxxx_end" for x in ("AAAA", "BBBB")]
    subs = [replace(sub, id=names[i]) for i, sub in enumerate(hw2_report.submissions[:2])]
    rows = table_rows(table.render(replace(hw2_report, submissions=tuple(subs))))
    assert sorted(rows) == sorted(names)
