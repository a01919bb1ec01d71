"""The grading pipeline: what students return, selection of cases, scoring through a spec, and
the shipped example submissions graded against their expected scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import SpecError, UsageError
from grader.grading import GradeOptions, Grader
from grader.intake.submissions import Submission, one_submission
from grader.results import GradeReport, PartResult, SubmissionResult
from grader.spec import Assignment, load_assignment

from ._mini import (
    BUGGY_FULL,
    BUGGY_LOSES,
    MINI_PROBLEM,
    MINI_REFERENCE,
    edited,
    make_assignment,
    write_student,
)


def grade(grader: Grader, folder: Path, extra: str) -> SubmissionResult:
    return grader.grade(write_student(folder, extra))


def part(result: SubmissionResult, function: str) -> PartResult:
    return next(p for problem in result.problems for p in problem.parts
                if p.function == function)


def with_problem(tmp_path: Path, problem: dict[str, object],
                 reference: str = MINI_REFERENCE) -> Assignment:
    return load_assignment(make_assignment(tmp_path / "hw", problems={"q1": problem},
                                           reference=reference))


# --- what a student function returns -------------------------------------------------------

@pytest.mark.parametrize(
    ("function", "body", "message"),
    [
        # None is a value (a reference may return it), compared as any other
        ("double", "return None", "returned None, expected an array of shape ("),
        ("double", "return 'twice'", "bad output: not a numeric array (str with dtype <U5)"),
        ("double", "return {'x': 2 * x}", "expected an array of shape ("),  # (a structure)
        ("double", "return 2j * x", "bad output: not a numeric array (ndarray with complex "
                                    "values)"),
        ("split", "return x, -x, 0", "bad output: returned a tuple of 3 outputs, expected 2"),
        ("split", "return x", "bad output: returned ndarray, expected a tuple of 2 outputs"),
        ("split", "return x, None", "output 1 (neg): returned None, expected an array"),
        ("total", "return np.array([np.sum(x)])",
         "shape mismatch: expected a scalar (shape ()), got shape (1,)"),
        ("double", "return (2 * x)[None, :]", "shape mismatch: expected shape"),
    ],
)
def test_unusable_return_values_fail_with_a_reason(mini_grader: Grader, tmp_path: Path,
                                                   function: str, body: str,
                                                   message: str) -> None:
    result = grade(mini_grader, tmp_path,
                   f"import numpy as np\ndef {function}(x):\n    {body}\n")

    broken = part(result, function)
    assert broken.score == 0
    assert broken.cases[0].message.startswith(message)
    assert result.score == result.max_score - broken.max_score


@pytest.mark.parametrize(
    ("function", "body"),
    [
        ("double", "return list(2 * x)"),
        ("double", "return [float(v) * 2 for v in x]"),
        ("double", "return (2 * x).astype(np.float32).astype(np.float64)"),
        ("total", "return np.float64(np.sum(x))"),
        ("total", "return float(np.sum(x))"),
        ("total", "return np.array(np.sum(x))"),
        ("total", "return np.sum(x)"),
        ("split", "return [x, -x]"),
        ("split", "return (list(x), -x)"),
    ],
)
def test_acceptable_return_values_pass(mini_grader: Grader, tmp_path: Path, function: str,
                                       body: str) -> None:
    result = grade(mini_grader, tmp_path,
                   f"import numpy as np\ndef {function}(x):\n    {body}\n")

    assert part(result, function).message == ""
    assert result.score == result.max_score


def test_mutating_the_input_does_not_change_the_expected_output(mini_grader: Grader,
                                                                tmp_path: Path) -> None:
    result = grade(mini_grader, tmp_path, "def double(x):\n    x *= 2\n    return x\n")

    assert part(result, "double").score == 3


def test_warnings_fail_parts_marked_warnings_fail(mini_grader: Grader, tmp_path: Path) -> None:
    noisy = """
        import numpy as np
        def {name}(x):
            np.exp(np.array([1000.0]))  # overflows: a RuntimeWarning
            return {factor} * x
        """
    submission = write_student(tmp_path, noisy.format(name="quiet", factor=3)
                               + noisy.format(name="double", factor=2))

    result = mini_grader.grade(submission)

    quiet = part(result, "quiet")
    assert quiet.score == 0
    assert quiet.cases[0].status == "fail"
    assert quiet.cases[0].message.startswith(
        "emitted RuntimeWarning: overflow encountered in exp (hw.py, line ")
    assert part(result, "double").score == 3  # warnings: ignore (the default)


def test_explicit_warning_fails_a_warnings_fail_part(mini_grader: Grader,
                                                     tmp_path: Path) -> None:
    result = grade(mini_grader, tmp_path, """
        import warnings
        def quiet(x):
            warnings.warn("careful")
            return 3 * x
        """)

    assert part(result, "quiet").cases[0].message.startswith("emitted UserWarning: careful")


def test_silencing_warnings_at_import_does_not_hide_them(mini_grader: Grader,
                                                         tmp_path: Path) -> None:
    result = grade(mini_grader, tmp_path, """
        import warnings
        warnings.simplefilter("ignore")
        def quiet(x):
            warnings.warn("careful")
            return 3 * x
        """)

    assert part(result, "quiet").score == 0


def test_silencing_numpy_errors_at_import_does_not_hide_them(mini_grader: Grader,
                                                             tmp_path: Path) -> None:
    result = grade(mini_grader, tmp_path, """
        import numpy as np
        np.seterr(all="ignore")
        def quiet(x):
            np.exp(np.array([1000.0]))  # overflows: a RuntimeWarning, unless silenced
            return 3 * x
        """)

    assert part(result, "quiet").score == 0
    assert part(result, "quiet").cases[0].message.startswith("emitted RuntimeWarning: overflow")


@pytest.mark.parametrize("silencer", [
    'np.seterr = lambda *a, **k: {}',
    'warnings.simplefilter = lambda *a, **k: None\nwarnings.filterwarnings("ignore")',
    'class Quiet:\n'
    '    def __enter__(self):\n'
    '        warnings.simplefilter("ignore")\n'
    '        return []\n'
    '    def __exit__(self, *a):\n'
    '        return False\n'
    'warnings.catch_warnings = lambda *a, **k: Quiet()',
    'warnings._showwarnmsg = lambda msg: None\nwarnings.showwarning = lambda *a, **k: None',
    'import sys, types\nsys.modules["warnings"] = types.ModuleType("warnings")',
], ids=["seterr", "simplefilter", "catch_warnings", "showwarning", "sys.modules"])
def test_the_warnings_machinery_replaced_at_import_still_catches_a_calls_warning(
        mini_grader: Grader, tmp_path: Path, silencer: str) -> None:
    result = grade(mini_grader, tmp_path, "import numpy as np\nimport warnings\n"
                   + "np.seterr(all='ignore')\n" + silencer + "\n"
                   + "def quiet(x):\n"
                   + "    np.exp(np.array([1000.0]))  # overflows\n"
                   + "    return 3 * x\n")

    assert part(result, "quiet").score == 0, part(result, "quiet").cases[0].message
    assert part(result, "quiet").cases[0].message.startswith("emitted RuntimeWarning: overflow")


# --- scoring through a spec ----------------------------------------------------------------

def test_partial_credit_on_exactly_one_failing_case(tmp_path: Path) -> None:
    problem = edited(MINI_PROBLEM, "parts[0].cases", [
        {"name": "ones", "count": 2, "args": {"x": [1.0, 1.0]}},
        {"name": "twos", "args": {"x": [2.0, 2.0]}},
    ])
    grader = Grader(with_problem(tmp_path, problem))

    result = grade(grader, tmp_path / "s",
                   "def double(x):\n    return 2 * x if x[0] == 1 else x\n")

    broken = part(result, "double")
    assert (broken.passed, broken.total, broken.score) == (2, 3, 2.0)
    assert broken.message.startswith("case q1/double/2: ")
    problem_result = result.problems[0]
    assert (problem_result.score, problem_result.max_score) == (10, 11)
    assert problem_result.status == "partial"


def test_all_or_nothing_part(tmp_path: Path) -> None:
    problem = edited(MINI_PROBLEM, "parts[0].scoring", "all_or_nothing")
    problem = edited(problem, "parts[0].cases", [
        {"name": "ones", "count": 2, "args": {"x": [1.0, 1.0]}},
        {"name": "twos", "args": {"x": [2.0, 2.0]}},
    ])
    grader = Grader(with_problem(tmp_path, problem))

    result = grade(grader, tmp_path / "s",
                   "def double(x):\n    return 2 * x if x[0] == 1 else x\n")

    broken = part(result, "double")
    assert (broken.passed, broken.total, broken.score, broken.scoring) == (
        2, 3, 0, "all_or_nothing")


def test_problem_status_and_totals(mini_grader: Grader, tmp_path: Path) -> None:
    failed = grade(mini_grader, tmp_path / "a", "import sys\nsys.exit(1)\n")
    passed = grade(mini_grader, tmp_path / "b", "")

    assert (failed.problems[0].status, failed.score) == ("failed", 0)
    assert (passed.problems[0].status, passed.score, passed.max_score) == ("passed", 11, 11)


def test_full_marks_on_parts_worth_a_third_is_passed(tmp_path: Path) -> None:
    third = 1 / 3
    problem = {
        "id": "q1", "title": "Thirds", "points": 1,
        "parts": [edited(MINI_PROBLEM["parts"][i], "points", third) for i in range(3)],
    }
    grader = Grader(with_problem(tmp_path, problem))

    result = grade(grader, tmp_path / "s", "")

    assert result.problems[0].score == result.problems[0].max_score
    assert result.problems[0].status == "passed"
    assert result.score == result.max_score == 1


def test_compare_selects_which_outputs_count(tmp_path: Path) -> None:
    problem = edited(MINI_PROBLEM, "parts[3].compare", [0])
    grader = Grader(with_problem(tmp_path, problem))

    result = grade(grader, tmp_path / "s", "def split(x):\n    return x, 'not compared'\n")

    assert part(result, "split").score == 2


def test_any_of_several_references_is_accepted(tmp_path: Path) -> None:
    reference = MINI_REFERENCE + "\n\ndef double_other(x):\n    return x + x + 1\n"
    problem = edited(MINI_PROBLEM, "parts[0].reference",
                     ["solution:double", "solution:double_other"])
    grader = Grader(with_problem(tmp_path, problem, reference))

    result = grade(grader, tmp_path / "s", "def double(x):\n    return 2 * x + 1\n")

    assert part(result, "double").score == 3


def test_reference_that_raises_is_a_spec_error_naming_the_case(tmp_path: Path) -> None:
    reference = MINI_REFERENCE + "\n\ndef fragile(x):\n    raise ZeroDivisionError('oops')\n"
    problem = edited(MINI_PROBLEM, "parts[1].reference", "solution:fragile")
    assignment = with_problem(tmp_path, problem, reference)

    with pytest.raises(SpecError) as info:
        Grader(assignment)

    assert info.value.key == "parts[1].reference"
    assert "solution:fragile failed on case q1/halve/0: ZeroDivisionError: oops" in str(info.value)


def test_compare_index_beyond_the_outputs_is_a_spec_error(tmp_path: Path) -> None:
    problem = edited(MINI_PROBLEM, "parts[3].compare", [2])
    with pytest.raises(SpecError) as info:
        Grader(with_problem(tmp_path, problem))

    assert info.value.key == "parts[3].compare"
    assert "a tuple of 2" in str(info.value)


# --- selecting cases ----------------------------------------------------------------------

def test_public_only_runs_the_public_cases(mini: Assignment, tmp_path: Path) -> None:
    grader = Grader(mini, GradeOptions(public_only=True))

    result = grade(grader, tmp_path, "")

    assert part(result, "double").total == 1
    assert part(result, "halve").total == 0
    assert part(result, "halve").message == "no cases selected"
    assert result.score == 3 + 0 + 0 + 0 + 0


def test_case_ids_run_exactly_those_cases(mini: Assignment, tmp_path: Path) -> None:
    grader = Grader(mini, GradeOptions(case_ids=frozenset({"q1/halve/1"})))

    result = grade(grader, tmp_path, "")

    assert [p.function for pr in result.problems for p in pr.parts] == ["halve"]
    assert [c.id for c in part(result, "halve").cases] == ["q1/halve/1"]


def test_unknown_case_id_is_a_usage_error(mini: Assignment) -> None:
    with pytest.raises(UsageError, match="unknown case id 'q1/halve/9'"):
        Grader(mini, GradeOptions(case_ids=frozenset({"q1/halve/9"})))


def test_seed_override_changes_the_cases(mini: Assignment) -> None:
    default = Grader(mini).parts[0].cases[0].args[0]
    other = Grader(mini, GradeOptions(seed=99)).parts[0].cases[0].args[0]

    assert default.tobytes() != other.tobytes()


def test_folder_without_the_module_scores_zero_with_a_reason(mini_grader: Grader,
                                                             tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()

    result = mini_grader.grade(one_submission(tmp_path / "empty", "hw.py"))

    assert result.score == 0
    assert result.error == "no hw.py in empty/"


def test_report_keeps_submission_order_and_scope(mini: Assignment, tmp_path: Path) -> None:
    subs = [write_student(tmp_path / name, "" if name == "b" else "del double\n")
            for name in ("a", "b")]
    grader = Grader(mini, GradeOptions(public_only=True))
    report = grader.report(grader.grade_all(subs))

    assert [s.id for s in report.submissions] == ["a", "b"]
    assert [s.score for s in report.submissions] == [0, 3]
    assert report.cases == "public"
    assert report.assignment.max_score == 11


# --- the shipped example --------------------------------------------------------------------

def hw2_parts(submission: SubmissionResult, problem_id: str) -> dict[str, PartResult]:
    problem = submission.problem(problem_id)
    assert problem is not None, f"{submission.id} has no {problem_id}"
    return {p.function: p for p in problem.parts}


def by_id(report: GradeReport, submission_id: str) -> SubmissionResult:
    return next(s for s in report.submissions if s.id == submission_id)


def test_correct_example_gets_full_marks_on_q1_and_q3(hw2_report: GradeReport) -> None:
    correct = by_id(hw2_report, "correct")

    q1, q3 = correct.problem("q1"), correct.problem("q3")
    assert q1 is not None and q3 is not None
    assert (q1.score, q1.max_score) == (15, 15)
    assert (q3.score, q3.max_score) == (20, 20)
    assert q1.score + q3.score == 35
    assert correct.score == correct.max_score
    assert correct.error == ""


def test_buggy_example_loses_points_exactly_where_it_is_wrong(hw2_report: GradeReport) -> None:
    buggy = by_id(hw2_report, "buggy")
    graded = {**hw2_parts(buggy, "q1"), **hw2_parts(buggy, "q3")}

    losing = {f for f, p in graded.items() if p.score < p.max_score}
    assert losing == set(BUGGY_LOSES)
    for function in BUGGY_FULL:
        assert graded[function].score == graded[function].max_score
        assert graded[function].message == ""


def test_buggy_example_failures_name_the_mistake(hw2_report: GradeReport) -> None:
    buggy = by_id(hw2_report, "buggy")
    graded = {**hw2_parts(buggy, "q1"), **hw2_parts(buggy, "q3")}

    def messages(function: str) -> list[str]:
        return [" | ".join((c.message, *c.details)) for c in graded[function].cases
                if not c.passed]

    overflow = "emitted RuntimeWarning: overflow encountered in exp"
    assert any(m.startswith(overflow) for m in messages("sigmoid"))
    assert all(m.startswith(overflow) or "NaN or inf" in m for m in messages("softmax"))
    assert all(m.startswith("output 0 (dw): ") for m in messages("neuron_gradients"))
    assert all("elements mismatched; worst at index [" in m
               for m in messages("softmax_jacobian"))


def test_grading_the_same_submission_twice_is_identical(mini_grader: Grader,
                                                        tmp_path: Path) -> None:
    submission: Submission = write_student(tmp_path, "def halve(x):\n    return x / 2.001\n")

    first, second = mini_grader.grade(submission), mini_grader.grade(submission)

    def strip_times(result: SubmissionResult) -> list[tuple[str, str, str]]:
        return [(c.id, c.status, c.message) for pr in result.problems for p in pr.parts
                for c in p.cases]

    assert strip_times(first) == strip_times(second)
    assert first.score == second.score


def test_answers_equal_to_the_reference_still_get_the_property_checks(tmp_path: Path) -> None:
    # The reference's own outputs fail this check: an answer bit-for-bit equal to them (judged
    # once, then remembered) must fail it every time, and a merely close answer too.
    problem = edited(MINI_PROBLEM, "parts[0].checks", [{"rows_sum": 123}])
    grader = Grader(with_problem(tmp_path, problem))
    close = "def double(x):\n    return 2 * x * (1 + 1e-12)\n"

    first = part(grade(grader, tmp_path / "a", ""), "double")
    again = part(grade(grader, tmp_path / "b", ""), "double")
    near = part(grade(grader, tmp_path / "c", close), "double")

    for result in (first, again, near):
        assert result.score == 0
        assert result.message.split(": ", 1)[1].startswith(
            "property 'rows sum to 123' does not hold: the vector sums to")
    assert [(c.status, c.message) for c in first.cases] == [(c.status, c.message)
                                                            for c in again.cases]


def test_each_case_keeps_a_digest_of_the_answer_not_the_answer(mini_grader: Grader,
                                                               tmp_path: Path) -> None:
    def digests(result: SubmissionResult) -> dict[str, str]:
        return {c.id: c.digest for p in result.problems for part in p.parts
                for c in part.cases}

    first = digests(mini_grader.grade(write_student(tmp_path / "a")))
    again = digests(mini_grader.grade(write_student(tmp_path / "b")))
    other = digests(mini_grader.grade(write_student(
        tmp_path / "c", "def double(x):\n    return 2.0 * x + 1e-12\n")))

    assert first == again and all(len(d) == 16 for d in first.values())
    assert {i for i in first if first[i] != other[i]} == {
        i for i in first if i.startswith("q1/double/")}


# --- several accepted references ---------------------------------------------------------------

TWO_CONVENTIONS = MINI_REFERENCE + "\n\ndef triple(x):\n    return 3 * x\n"
# Doubles where x[0] > 0 and triples elsewhere: each case matches one convention or the other.
MIXED = """
def double(x):
    return (2 if x.flat[0] > 0 else 3) * x
"""


@pytest.mark.parametrize("one_reference", [False, True])
def test_one_reference_requires_every_case_to_follow_the_same_convention(
        tmp_path: Path, one_reference: bool) -> None:
    problem = edited(MINI_PROBLEM, "parts[0].reference", ["solution:double", "solution:triple"])
    problem = edited(problem, "parts[0].cases[0].count", 8)
    if one_reference:
        problem = edited(problem, "parts[0].one_reference", True)
    with Grader(with_problem(tmp_path, problem, TWO_CONVENTIONS)) as grader:
        result = grade(grader, tmp_path / "s", MIXED)
        consistent = grade(grader, tmp_path / "t", "def double(x):\n    return 3 * x\n")
    cases = part(result, "double").cases
    by_reference = {c.references for c in cases}
    assert by_reference <= {(0,), (1,), ()} and len(by_reference) > 1  # both conventions seen
    assert part(consistent, "double").passed == part(consistent, "double").total
    if not one_reference:
        assert all(c.passed for c in cases)
        return
    failed = [c for c in cases if not c.passed]
    kept = [c for c in cases if c.passed]
    assert failed and kept and len(kept) >= len(failed)
    assert failed[0].message.endswith(
        "accepted reference, but this part's other cases match the "
        f"{('first', 'second')[kept[0].references[0]]}: all of them must follow one")


def test_one_reference_needs_several_references(tmp_path: Path) -> None:
    problem = edited(MINI_PROBLEM, "parts[0].one_reference", True)
    with pytest.raises(SpecError, match=r"parts\[0\]\.one_reference: needs several accepted "
                                        r"references"):
        with_problem(tmp_path, problem)
