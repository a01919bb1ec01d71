"""The shipped example submissions graded against hw2: the exact score of every part of every
submission, each explained by what the submission's docstring says it gets wrong."""

from __future__ import annotations

import json
import re
import time

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.grading import Grader
from grader.intake.submissions import discover, one_submission
from grader.results import PartResult, SubmissionResult
from grader.sandbox.runner import RunOptions
from grader.spec import Assignment

from ._mini import HW2, SUBMISSIONS

PARTS: dict[str, float] = {  # part -> points
    "sigmoid": 5, "neuron_gradients": 6, "gradient_descent_step": 4,
    "centering_jacobian": 4, "batchnorm_forward": 4, "batchnorm_backward": 7,
    "softmax": 5, "softmax_jacobian": 5, "cross_entropy_grad_logits": 4, "mlp_grad_W1": 6,
    "numerical_hessian": 10,
    "expected_dropout_grad": 8, "expected_dropout_loss": 7,
    "newton_minimize": 10,
    "cross_entropy_hessian": 15,
}
FULL = dict(PARTS)

# Each lost point is explained by the submission's docstring; the fraction is the cases passed.
EXPECTED: dict[str, dict[str, float]] = {
    "correct": FULL,
    "buggy": {
        **FULL,
        "sigmoid": 5 * 10 / 12,  # unstable: overflows on the 2 cases with z = -1000
        "neuron_gradients": 6 * 1 / 10,  # mean, not sum: right only for the batch of one
        "batchnorm_forward": 0,  # unbiased variance (NaN for the batch of one)
        "batchnorm_backward": 7 * 1 / 11,  # no variance term: right only for a batch of one
        "softmax": 5 * 9 / 12,  # no max shift: overflows on the 3 cases with |z| = 1000
        "softmax_jacobian": 0,  # diag(p) alone
        "mlp_grad_W1": 0,  # plain ReLU derivative: every case has negative pre-activations
        # forward differences, h = 1e-2: exact on the 3 quadratics, close enough on the public
        # log-sum-exp case but not on the hidden one, off on the 6 with sines and exponentials
        "numerical_hessian": 10 * 4 / 11,
        "expected_dropout_grad": 8 * 2 / 9,  # no sigma^2 term: right only where sigma = 0
        "cross_entropy_hessian": 0,  # diag(p) alone
    },
    "missing_functions": {
        **FULL, "numerical_hessian": 0, "newton_minimize": 0, "cross_entropy_hessian": 0},
    "syntax_error": dict.fromkeys(PARTS, 0),
    "noisy": {**FULL, "softmax_jacobian": 0},
    # Correct, in float32 throughout: the tolerances accept it wherever float32 can reach the
    # answer; Newton's stopping test at 1e-10 cannot be met (4 of 10 cases still converge).
    "float32": {**FULL, "newton_minimize": 10 * 4 / 10},
    # Derived from the answer sheet's docstring, then checked case by case (see below).
    "answer_sheet": {
        **FULL,
        "sigmoid": 5 * 10 / 12,  # 1 / (1 + e^{-z}): overflows on the 2 cases with z = -1000
        "batchnorm_backward": 7 * 1 / 11,  # no variance term: right only for a batch of one
        "softmax": 5 * 9 / 12,  # no max shift: overflows on the 3 cases with |z| = 1000
        "mlp_grad_W1": 6 * 6 / 10,  # slope 0.01: wrong on the 4 cases with another alpha
        "expected_dropout_loss": 7 * 2 / 9,  # no sigma^2 term: right only where sigma = 0
        "cross_entropy_hessian": 15 * 7 / 10,  # unshifted softmax: the 3 extreme-logit cases
    },
}

# Notebooks score exactly as their .py twins (tools/example_notebooks.py writes them: the same
# code in cells, and in notebook_plots magics, shell lines, a plot and display besides).
NOTEBOOK_TWINS = {"notebook_correct": "correct", "notebook_buggy": "buggy",
                  "notebook_syntax_error": "syntax_error", "notebook_plots": "correct"}
EXPECTED.update({notebook: EXPECTED[twin] for notebook, twin in NOTEBOOK_TWINS.items()})

# The groups of cases each answer-sheet part fails; every other case of the part passes.
ANSWER_SHEET_FAILS = {
    "sigmoid": {"extreme logits", "extreme matrix"},
    "batchnorm_backward": {"random", "batch of two", "one feature", "explicit eps",
                           "small variance", "constant feature"},
    "softmax": {"single class", "extreme logits", "extreme wide"},
    "mlp_grad_W1": {"other slope", "one input, two classes"},
    "expected_dropout_loss": {"random", "one weight", "two weights"},
    "cross_entropy_hessian": {"extreme logits", "large equal logits",
                              "one class, extreme logit"},
}


@pytest.fixture(scope="module")
def graded(hw2: Assignment) -> dict[str, SubmissionResult]:
    with Grader(hw2) as grader:
        return {s.id: grader.grade(s) for s in discover(SUBMISSIONS, hw2.module_file)}


def parts_of(result: SubmissionResult) -> dict[str, PartResult]:
    return {p.id: p for problem in result.problems for p in problem.parts}


def test_every_example_is_graded(graded: dict[str, SubmissionResult], hw2: Assignment) -> None:
    assert sorted(graded) == sorted(EXPECTED)
    assert {p.id: p.points for q in hw2.problems for p in q.parts} == PARTS


@pytest.mark.parametrize("submission", sorted(EXPECTED))
def test_score_of_every_part(graded: dict[str, SubmissionResult], submission: str) -> None:
    result = graded[submission]
    scores = {part: p.score for part, p in parts_of(result).items()}

    assert scores == pytest.approx(EXPECTED[submission], abs=1e-6)
    assert result.score == pytest.approx(sum(EXPECTED[submission].values()), abs=1e-6)
    assert result.max_score == 100


def test_correct_gets_full_marks_everywhere(graded: dict[str, SubmissionResult]) -> None:
    result = graded["correct"]

    assert (result.score, result.error) == (100, "")
    for part in parts_of(result).values():
        assert (part.passed, part.message) == (part.total, ""), part.id


def test_buggy_loses_points_in_exactly_its_buggy_functions(
        graded: dict[str, SubmissionResult]) -> None:
    losing = {part for part, p in parts_of(graded["buggy"]).items() if p.score < p.max_score}

    assert losing == {
        "sigmoid", "neuron_gradients", "softmax", "softmax_jacobian", "mlp_grad_W1",
        "batchnorm_forward", "batchnorm_backward", "numerical_hessian",
        "expected_dropout_grad", "cross_entropy_hessian"}


def test_missing_functions_are_named(graded: dict[str, SubmissionResult]) -> None:
    result = graded["missing_functions"]
    parts = parts_of(result)

    assert result.score == 65
    for name in ("numerical_hessian", "newton_minimize", "cross_entropy_hessian"):
        assert parts[name].message == (
            f"case {parts[name].cases[0].id}: hw2.py does not define {name}()")
    assert {q.id: q.score for q in result.problems if q.score == 0} == {
        "q4": 0, "q6": 0, "q7": 0}


def test_syntax_error_names_the_line_in_every_part(graded: dict[str, SubmissionResult]) -> None:
    result = graded["syntax_error"]
    source = (SUBMISSIONS / "syntax_error" / "hw2.py").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(source, 1) if re.fullmatch(r"def softmax\(z\)", text))

    assert result.score == 0
    assert f"SyntaxError: expected ':' (hw2.py, line {line})" in result.error
    for part in parts_of(result).values():
        assert "SyntaxError" in part.message, part.id
        assert f"line {line})" in part.message, part.id


def test_noisy_loses_only_the_function_that_raises(graded: dict[str, SubmissionResult]) -> None:
    result = graded["noisy"]
    jacobian = parts_of(result)["softmax_jacobian"]

    assert result.score == 95
    assert jacobian.score == 0
    assert "NotImplementedError: TODO: finish the Jacobian" in jacobian.message


def test_noisy_output_is_captured_and_truncated(graded: dict[str, SubmissionResult]) -> None:
    output = graded["noisy"].output
    kept, marker, rest = output.partition("\n... [output truncated: ")

    assert kept.startswith("debug: importing hw2 ====")
    assert marker, "the output is marked as truncated"
    assert len(kept.encode()) <= RunOptions().capture_bytes
    # The import alone prints 2000 lines of about 20 bytes: all counted, none kept.
    assert int(rest.removesuffix(" more bytes]")) > 30_000


def test_noisy_output_never_reaches_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    result = CliRunner().invoke(main, ["grade", str(HW2), str(SUBMISSIONS / "noisy"),
                                       "--format", "json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["submissions"][0]["score"] == 95
    assert "debug:" not in result.stderr
    # Nor the real file descriptors, which a child process would inherit.
    captured = capfd.readouterr()
    assert "debug:" not in captured.out + captured.err


def test_answer_sheet_fails_only_the_cases_its_docstring_explains(
        graded: dict[str, SubmissionResult], hw2: Assignment) -> None:
    groups = {(q.id, p.id): [g.name for g in p.groups for _ in range(g.count)]
              for q in hw2.problems for p in q.parts}
    failing = {}
    for problem in graded["answer_sheet"].problems:
        for part in problem.parts:
            failed = {groups[problem.id, part.id][c.index] for c in part.cases if not c.passed}
            passed = {groups[problem.id, part.id][c.index] for c in part.cases if c.passed}
            assert not failed & passed, f"{part.id}: a group both passes and fails"
            if failed:
                failing[part.id] = failed

    assert failing == ANSWER_SHEET_FAILS


def test_grading_the_correct_submission_is_quick(hw2: Assignment) -> None:
    # A loose sanity check; the 2-second target is measured outside the tests.
    start = time.perf_counter()
    with Grader(hw2) as grader:
        result = grader.grade(one_submission(SUBMISSIONS / "correct", hw2.module_file))
    seconds = time.perf_counter() - start

    assert result.score == 100
    assert sum(p.total for p in parts_of(result).values()) == sum(
        p.case_count for q in hw2.problems for p in q.parts)
    assert seconds < 5


def test_the_handouts_table_states_each_parts_points_cases_tolerance_and_time(
        hw2: Assignment) -> None:
    """problems/hw2/README.md tells students each part's settings: they must be the specs'."""
    text = (HW2 / "README.md").read_text(encoding="utf-8")
    rows = {m["function"]: m for m in re.finditer(
        r"^\| `(?P<function>\w+)` \| (?P<points>[\d.]+) \| (?P<public>\d+) / (?P<total>\d+) \| "
        r"(?P<rtol>[\de.-]+) \| (?P<atol>[\de.-]+) \| (?P<timeout>[\d.]+) s \|", text, re.M)}
    parts = [part for problem in hw2.problems for part in problem.parts]
    assert sorted(rows) == sorted(p.function for p in parts)
    for part in parts:
        row = rows[part.function]
        stated = (float(row["points"]), int(row["public"]), int(row["total"]),
                  float(row["rtol"]), float(row["atol"]), float(row["timeout"]))
        assert stated == (part.points, sum(g.public for g in part.groups), part.case_count,
                          part.tolerance.rtol, part.tolerance.atol, part.timeout), part.function


def test_a_notebooks_failures_point_at_its_cells(graded: dict[str, SubmissionResult]) -> None:
    broken = graded["notebook_syntax_error"]
    assert broken.error == "import failed: SyntaxError: expected ':' (hw2.ipynb, cell 9, line 1)"
    sigmoid = parts_of(graded["notebook_buggy"])["sigmoid"].first_failure
    assert sigmoid is not None
    assert (sigmoid.file, sigmoid.line) == ("hw2.ipynb, cell 3", 6)
