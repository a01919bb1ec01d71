"""The command line: every test checks both the exit code and what was printed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import Result

from ._cli import one_line, run
from ._mini import BUGGY_FULL, BUGGY_LOSES, HW2, REPO_ROOT, SUBMISSIONS, write_student
from ._reports import table_rows

BUGGY = SUBMISSIONS / "buggy"
CORRECT = SUBMISSIONS / "correct"


# --- grade --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def graded_table() -> Result:
    return run("grade", HW2, SUBMISSIONS)


@pytest.fixture(scope="module")
def graded_json() -> Result:
    return run("grade", HW2, SUBMISSIONS, "--format", "json")


def test_grade_table_on_the_shipped_example(graded_table: Result) -> None:
    assert graded_table.exit_code == 0, graded_table.output
    rows = table_rows(graded_table.stdout)

    assert rows["correct"]["q1 /15"] == "15"
    assert rows["correct"]["q3 /20"] == "20"
    total = next(k for k in rows["correct"] if k.startswith("total /"))
    assert rows["correct"][total] == total.removeprefix("total /")
    assert float(rows["buggy"]["q1 /15"]) < 15
    assert float(rows["buggy"]["q3 /20"]) < 20
    assert graded_table.stdout.startswith("Homework 2: ")
    assert "(all cases, assignment " in graded_table.stdout.splitlines()[0]


def test_grade_progress_goes_to_stderr_only(graded_table: Result) -> None:
    assert "graded " in graded_table.stderr
    assert "results in " in graded_table.stderr
    assert "graded " not in graded_table.stdout


def test_grade_json_has_the_documented_fields(graded_json: Result) -> None:
    assert graded_json.exit_code == 0, graded_json.output
    report = json.loads(graded_json.stdout)

    assert report["assignment"]["name"].startswith("Homework 2")
    assert report["assignment"]["max_score"] == sum(
        p["points"] for p in report["assignment"]["problems"])
    subs = {s["id"]: s for s in report["submissions"]}
    assert {"buggy", "correct"} <= set(subs)
    for sub in subs.values():
        assert {"id", "score", "max_score", "problems"} <= set(sub)
        assert sub["max_score"] == report["assignment"]["max_score"]
        for problem in sub["problems"]:
            assert {"id", "score", "max_score", "status", "parts"} <= set(problem)
            for part in problem["parts"]:
                assert {"function", "score", "max_score", "passed", "total", "message"} <= set(part)


def test_grade_json_scores_match_the_expected_pattern(graded_json: Result) -> None:
    subs = {s["id"]: s for s in json.loads(graded_json.stdout)["submissions"]}

    correct = {p["id"]: p for p in subs["correct"]["problems"]}
    assert (correct["q1"]["score"], correct["q1"]["status"]) == (15, "passed")
    assert (correct["q3"]["score"], correct["q3"]["status"]) == (20, "passed")
    assert subs["correct"]["score"] == subs["correct"]["max_score"]

    buggy_parts = {part["function"]: part for problem in subs["buggy"]["problems"]
                   if problem["id"] in ("q1", "q3") for part in problem["parts"]}
    assert {f for f, p in buggy_parts.items() if p["score"] < p["max_score"]} == set(BUGGY_LOSES)
    for function in BUGGY_FULL:
        part = buggy_parts[function]
        assert (part["score"], part["passed"]) == (part["max_score"], part["total"])


def test_grade_output_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"

    result = run("grade", HW2, CORRECT, "--format", "json", "-o", target)

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"wrote {target}" in result.stderr
    report = json.loads(target.read_text(encoding="utf-8"))
    assert [s["id"] for s in report["submissions"]] == ["correct"]


def test_grade_output_to_unwritable_path_exits_2(tmp_path: Path) -> None:
    result = run("grade", HW2, CORRECT, "-o", tmp_path / "no" / "such" / "dir" / "r.txt")

    assert result.exit_code == 2
    assert "grader: error: cannot write " in result.stderr
    assert "Traceback" not in result.output


def test_missing_assignment_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run("grade", tmp_path / "nowhere", SUBMISSIONS)

    assert result.exit_code == 2
    assert one_line(result) == f"grader: error: {tmp_path / 'nowhere'}: assignment folder not found"


def test_missing_submissions_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run("grade", HW2, tmp_path / "nobody")

    assert result.exit_code == 2
    assert one_line(result) == f"grader: error: submissions not found: {tmp_path / 'nobody'}"


@pytest.mark.parametrize("timeout", ["0", "-1", "inf", "nan"])
def test_unusable_timeout_is_rejected_as_a_usage_error(mini_root: Path, tmp_path: Path,
                                                       timeout: str) -> None:
    write_student(tmp_path / "subs" / "alice")

    result = run("grade", mini_root, tmp_path / "subs", "--timeout", timeout)

    assert result.exit_code == 2, (result.output, result.exception)
    assert "--timeout" in result.output
    assert "Traceback" not in result.output


# --- check --------------------------------------------------------------------------------

def test_check_folder_runs_public_cases_only(tmp_path: Path) -> None:
    result = run("check", HW2, BUGGY, "--format", "json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["cases"] == "public"
    cases = [c for p in report["submissions"][0]["problems"] for part in p["parts"]
             for c in part["cases"]]
    assert cases and all(c["public"] for c in cases)


def test_check_all_runs_hidden_cases_too() -> None:
    public = json.loads(run("check", HW2, BUGGY, "--format", "json").stdout)
    everything = run("check", HW2, BUGGY, "--all", "--format", "json")

    assert everything.exit_code == 0
    report = json.loads(everything.stdout)
    assert report["cases"] == "all"

    def count(r: dict[str, object]) -> int:
        return sum(part["total"] for p in r["submissions"][0]["problems"]  # type: ignore[index]
                   for part in p["parts"])

    assert count(report) > count(public)
    assert any(not c["public"] for p in report["submissions"][0]["problems"]
               for part in p["parts"] for c in part["cases"])


def test_check_text_names_the_failure_and_the_rerun_command() -> None:
    result = run("check", HW2, BUGGY)

    assert result.exit_code == 0
    text = result.stdout
    assert "FAIL  sigmoid" in text
    assert "PASS  cross_entropy_grad_logits" in text
    assert f"rerun:  grader check {HW2} {BUGGY} --case q1/" in text
    assert "(public cases only; --all runs every case, seed 20241105)" in text


def test_check_accepts_the_module_file_itself() -> None:
    by_folder = json.loads(run("check", HW2, BUGGY, "--all", "--format", "json").stdout)
    by_file = run("check", HW2, BUGGY / "hw2.py", "--all", "--format", "json")

    assert by_file.exit_code == 0, by_file.output
    report = json.loads(by_file.stdout)
    assert report["submissions"][0]["id"] == "buggy"
    assert report["submissions"][0]["score"] == by_folder["submissions"][0]["score"]


def test_check_case_reruns_exactly_one_case() -> None:
    result = run("check", HW2, BUGGY, "--case", "q1/sigmoid/6", "--format", "json")

    assert result.exit_code == 0, result.output
    sub = json.loads(result.stdout)["submissions"][0]
    cases = [c for p in sub["problems"] for part in p["parts"] for c in part["cases"]]
    assert [c["id"] for c in cases] == ["q1/sigmoid/6"]


def test_check_case_text_shows_the_whole_explanation() -> None:
    result = run("check", HW2, BUGGY, "--case", "q1/neuron_gradients/0")

    assert result.exit_code == 0
    assert "0/1 cases" in result.stdout
    assert "case q1/neuron_gradients/0: output 0 (dw): " in result.stdout
    assert "max abs err" in result.stdout


def test_check_unknown_case_exits_2_with_one_line() -> None:
    result = run("check", HW2, BUGGY, "--case", "q1/sigmoid/999")

    assert result.exit_code == 2
    line = one_line(result)
    assert line.startswith("grader: error: unknown case id 'q1/sigmoid/999'")


def test_check_fail_under_exits_1_when_below() -> None:
    result = run("check", HW2, BUGGY, "--all", "--fail-under", "99")

    assert result.exit_code == 1
    assert "is below --fail-under 99" in result.stderr
    assert "Score: " in result.stdout


def test_check_fail_under_exits_0_when_met_exactly() -> None:
    report = json.loads(run("check", HW2, CORRECT, "--format", "json").stdout)
    score = report["submissions"][0]["score"]

    result = run("check", HW2, CORRECT, "--fail-under", f"{score}")

    assert result.exit_code == 0, result.output
    assert "fail-under" not in result.output


def test_check_seed_changes_the_cases_and_is_in_the_rerun_command() -> None:
    result = run("check", HW2, BUGGY, "--seed", "5")

    assert result.exit_code == 0
    assert "seed 5)" in result.stdout
    assert f"grader check {HW2} {BUGGY} --seed 5 --case " in result.stdout


def test_check_missing_submission_exits_2(tmp_path: Path) -> None:
    result = run("check", HW2, tmp_path / "gone")

    assert result.exit_code == 2
    assert one_line(result) == f"grader: error: submission not found: {tmp_path / 'gone'}"


# --- validate -----------------------------------------------------------------------------

def test_validate_bad_spec_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "hw").mkdir()

    result = run("validate", tmp_path / "hw")

    assert result.exit_code == 2
    assert one_line(result).endswith("assignment.yaml: file not found")


def test_version_and_help() -> None:
    assert run("--version").exit_code == 0
    help_result = run("--help")
    assert help_result.exit_code == 0
    assert "grade" in help_result.stdout and "check" in help_result.stdout


# --- the installed script -----------------------------------------------------------------

@pytest.mark.slow
def test_installed_script_grades_the_shipped_example() -> None:
    completed = subprocess.run(
        ["grader", "grade", "problems/hw2", "submissions/"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )

    assert completed.returncode == 0, completed.stderr
    rows = table_rows(completed.stdout)
    assert (rows["correct"]["q1 /15"], rows["correct"]["q3 /20"]) == ("15", "20")
    assert float(rows["buggy"]["q1 /15"]) < 15
    assert float(rows["buggy"]["q3 /20"]) < 20
    assert "Traceback" not in completed.stderr
    assert "graded " in completed.stderr


@pytest.mark.slow
def test_installed_script_reports_a_spec_error_in_one_line(tmp_path: Path) -> None:
    completed = subprocess.run(
        ["grader", "grade", str(tmp_path / "nowhere"), "submissions/"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.strip().splitlines() == [
        f"grader: error: {tmp_path / 'nowhere'}: assignment folder not found"]
