"""Property checks: each built-in property on good and bad matrices, tolerance scaling, custom
properties, and a student's answer graded end to end with the failed property named."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.grading import Grader
from grader.judge.properties import PropertyCheck, property_failures
from grader.results import CaseResult
from grader.spec import load_assignment

from .._mini import MINI_ASSIGNMENT, make_assignment, write_student

SYMMETRIC = PropertyCheck("symmetric", "symmetric")
PSD = PropertyCheck("psd", "psd")
FINITE = PropertyCheck("finite", "finite")


def rows_sum(value: float) -> PropertyCheck:
    return PropertyCheck(f"rows sum to {value:g}", "rows_sum", value=value)


def custom(function: Callable[..., Any]) -> PropertyCheck:
    return PropertyCheck("custom", "custom", function=function)


SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.0], [0.5, 0.0, 2.0]])


# --- built-in properties ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("check", "array"),
    [
        (SYMMETRIC, SPD),
        (SYMMETRIC, np.array([[0.0, -2.0], [-2.0, 5.0]])),
        (SYMMETRIC, np.array([[7.0]])),
        (PSD, SPD),
        (PSD, np.outer([1.0, -2.0, 0.5], [1.0, -2.0, 0.5])),  # singular: eigenvalues 0 and 5.25
        (PSD, np.zeros((2, 2))),
        (FINITE, SPD),
        (FINITE, np.array(3.5)),
        (FINITE, np.array([1, 2, 3])),
        (rows_sum(1), np.array([[0.2, 0.8], [0.5, 0.5], [1.0, 0.0]])),
        (rows_sum(0), np.array([[1.0, -1.0], [-0.25, 0.25]])),
        (rows_sum(0), np.zeros((2, 3, 4))),
        # empty outputs: nothing can break a property
        (SYMMETRIC, np.zeros((0, 0))),
        (PSD, np.zeros((0, 0))),
        (FINITE, np.zeros(0)),
        (rows_sum(1), np.zeros((0, 3))),
        # bool and int outputs
        (SYMMETRIC, np.array([[True, False], [False, True]])),
        (SYMMETRIC, np.array([[3, -2], [-2, 5]])),
        (PSD, np.array([[2, 1], [1, 2]], dtype=np.uint8)),
        (FINITE, np.array([True, False])),
        (rows_sum(1), np.eye(3, dtype=bool)),
        # positive semi-definite means x^T A x >= 0: the symmetric part counts (here I)
        (PSD, np.array([[1.0, -4.0], [4.0, 1.0]])),
    ],
)
def test_a_property_holds_on_a_good_array(check: PropertyCheck, array: np.ndarray) -> None:
    assert check.check(array) is None


@pytest.mark.parametrize(
    ("check", "array", "message"),
    [
        (SYMMETRIC, np.array([[1.0, 2.0, 3.0], [2.0, 1.0, 0.0], [4.0, 0.0, 1.0]]),
         "A[0, 2] = 3 but A[2, 0] = 4"),
        (SYMMETRIC, np.array([[1.0, 0.5], [-0.5, 1.0]]), "A[0, 1] = 0.5 but A[1, 0] = -0.5"),
        (SYMMETRIC, np.ones((2, 3)), "expected a square matrix, got shape (2, 3)"),
        (SYMMETRIC, np.ones(3), "expected a square matrix, got shape (3,)"),
        (PSD, np.array([[1.0, 0.0], [0.0, -2.0]]), "has a negative eigenvalue -2"),
        (PSD, np.array([[1.0, 2.0], [2.0, 1.0]]), "has a negative eigenvalue -1"),
        (PSD, np.ones((3, 2)), "expected a square matrix, got shape (3, 2)"),
        (FINITE, np.array([1.0, np.nan, np.inf, -np.inf]), "3 element(s) are NaN or inf"),
        (rows_sum(1), np.array([[0.2, 0.8], [0.25, 0.25], [1.0, 0.0]]),
         "row [1] sums to 0.5, expected 1"),
        (rows_sum(0), np.array([[[0.0, 0.0], [0.0, 0.0]], [[1.5, 0.0], [0.0, 0.0]]]),
         "row [1, 0] sums to 1.5, expected 0"),
        (rows_sum(0), np.array(2.0), "expected an array, got a scalar"),
        (rows_sum(1), np.zeros((2, 0)), "row [0] sums to 0, expected 1"),
        (SYMMETRIC, np.zeros((0, 3)), "expected a square matrix, got shape (0, 3)"),
        (SYMMETRIC, np.array([[True, False], [True, True]]), "A[0, 1] = 0 but A[1, 0] = 1"),
        (SYMMETRIC, np.array([[0, 1], [2, 0]], dtype=np.uint8), "A[0, 1] = 1 but A[1, 0] = 2"),
        (rows_sum(1), np.array([[True, True], [False, True]]), "row [0] sums to 2, expected 1"),
        (PSD, np.array([[1, 2], [2, 1]], dtype=np.int64), "has a negative eigenvalue -1"),
        # A non-symmetric matrix: its symmetric part [[1, 2], [2, 1]] is what x^T A x sees
        (PSD, np.array([[1.0, 4.0], [0.0, 1.0]]), "has a negative eigenvalue -1"),
    ],
)
def test_a_property_fails_naming_what_is_wrong(check: PropertyCheck, array: np.ndarray,
                                               message: str) -> None:
    assert check.check(array) == message


def test_rows_sum_on_a_vector_names_no_empty_row_index() -> None:
    # A 1-D output (a softmax of one vector, say) is a single row.
    message = rows_sum(1).check(np.array([0.2, 0.3]))

    assert message is not None
    assert "sums to 0.5, expected 1" in message
    assert "row []" not in message


@pytest.mark.parametrize("check", [SYMMETRIC, PSD, rows_sum(1)], ids=lambda c: c.kind)
def test_nan_and_inf_are_left_to_the_comparison(check: PropertyCheck) -> None:
    # The comparison already says "NaN where a number was expected"; a property can't tell.
    assert check.check(np.array([[np.nan, 1.0], [0.0, np.inf]])) is None


# --- tolerance, relative to max(1, max |A|) --------------------------------------------------

def asymmetric(scale: float, gap: float) -> np.ndarray:
    return np.array([[scale, scale / 2 + gap], [scale / 2, scale]])


@pytest.mark.parametrize(
    ("check", "array", "holds"),
    [
        (SYMMETRIC, asymmetric(1.0, 0.9e-8), True),
        (SYMMETRIC, asymmetric(1.0, 1.1e-8), False),
        (SYMMETRIC, asymmetric(1e4, 0.9e-4), True),  # the tolerance grows with the entries
        (SYMMETRIC, asymmetric(1e4, 1.1e-4), False),
        (SYMMETRIC, asymmetric(1e-6, 0.9e-8), True),  # ... but never shrinks below tol itself
        (SYMMETRIC, asymmetric(1e-6, 1.1e-8), False),
        (PropertyCheck("symmetric", "symmetric", tol=1e-3), asymmetric(1.0, 0.9e-3), True),
        (PropertyCheck("symmetric", "symmetric", tol=1e-3), asymmetric(1.0, 1.1e-3), False),
        (PSD, np.diag([1.0, -0.9e-8]), True),
        (PSD, np.diag([1.0, -1.1e-8]), False),
        (PSD, np.diag([1e4, -0.9e-4]), True),
        (PSD, np.diag([1e4, -1.1e-4]), False),
        (rows_sum(0), np.array([[1.0, -1.0 + 0.9e-8]]), True),
        (rows_sum(0), np.array([[1.0, -1.0 + 1.1e-8]]), False),
        (rows_sum(0), np.array([[1e4, -1e4 + 0.9e-4]]), True),
        (rows_sum(0), np.array([[1e4, -1e4 + 1.1e-4]]), False),
    ],
)
def test_tolerance_scales_with_the_largest_entry(check: PropertyCheck, array: np.ndarray,
                                                 holds: bool) -> None:
    assert (check.check(array) is None) == holds


EXACT = 2.0**-20  # a tolerance, and errors, that floats hold exactly


@pytest.mark.parametrize(
    ("kind", "on_the_limit", "past_it"),
    [
        ("symmetric", [[1.0, 0.5 + EXACT], [0.5, 1.0]], [[1.0, 0.5 + 2 * EXACT], [0.5, 1.0]]),
        ("psd", np.diag([1.0, -EXACT]), np.diag([1.0, -2 * EXACT])),
        ("rows_sum", [[EXACT, 0.0]], [[2 * EXACT, 0.0]]),
    ],
)
def test_an_error_equal_to_the_tolerance_is_allowed(kind: str, on_the_limit: Any,
                                                    past_it: Any) -> None:
    check = PropertyCheck(kind, kind, tol=EXACT)

    assert check.check(np.array(on_the_limit)) is None
    assert check.check(np.array(past_it)) is not None


def test_an_unknown_kind_is_a_bug_not_a_pass() -> None:
    with pytest.raises(ValueError, match="unknown property kind 'diagonal'"):
        PropertyCheck("diagonal", "diagonal").check(np.eye(2))


# --- custom properties -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("verdict", "message"),
    [
        (True, None),
        (None, None),
        (np.True_, None),  # what np.all(...) returns when the property holds
        (False, "does not hold"),
        (np.False_, "does not hold"),
        ("column 2 has mean 0.5, expected 0", "column 2 has mean 0.5, expected 0"),
    ],
    ids=["True", "None", "np.True_", "False", "np.False_", "message"],
)
def test_custom_property_verdicts(verdict: Any, message: str | None) -> None:
    assert custom(lambda output: verdict).check(np.ones(2)) == message


def test_custom_property_that_raises_could_not_be_checked() -> None:
    def broken(output: np.ndarray) -> bool:
        raise ValueError("boom")

    assert custom(broken).check(np.ones(2)) == "could not be checked (ValueError: boom)"


def test_custom_property_receives_the_output_and_the_call_arguments() -> None:
    seen: list[tuple[Any, ...]] = []

    def record(output: np.ndarray, x: np.ndarray, *, eps: float) -> None:
        seen.append((output, x, eps))

    output, x = np.array([1.0]), np.array([2.0])

    assert custom(record).check(output, (x,), {"eps": 0.5}) is None
    assert seen == [(output, x, 0.5)]


def test_property_failures_names_each_failed_property() -> None:
    checks = [SYMMETRIC, PSD, rows_sum(0), PropertyCheck("second is finite", "finite", output=1)]
    outputs = {0: np.array([[1.0, 2.0], [0.0, 1.0]]), 1: np.array([np.nan])}

    assert property_failures(checks, outputs) == [
        "property 'symmetric' does not hold: A[0, 1] = 2 but A[1, 0] = 0",
        "property 'rows sum to 0' does not hold: row [0] sums to 3, expected 0",
        "property 'second is finite' does not hold: 1 element(s) are NaN or inf",
    ]


def test_property_of_an_output_not_compared_is_skipped() -> None:
    on_output_1 = PropertyCheck("finite", "finite", output=1)

    assert property_failures([on_output_1], {0: np.array([np.nan])}) == []


# --- end to end: a student's answer that breaks a property -----------------------------------

GRAM_REFERENCE = textwrap.dedent('''\
    import numpy as np


    def gram(x):
        return np.outer(x, x)


    def diagonal_is_square(G, x):
        d = np.diagonal(G)
        bad = np.abs(d - x**2) > 1e-8
        if bad.any():
            i = int(np.argmax(bad))
            return f"G[{i}, {i}] = {d[i]:.6g}, expected x[{i}]^2 = {x[i] ** 2:.6g}"
        return None
    ''')

GRAM_PROBLEM = {
    "id": "q1",
    "title": "Gram matrix",
    "points": 3,
    "parts": [{
        "function": "gram", "points": 3, "reference": "solution:gram",
        "tolerance": {"rtol": 1.0e-4, "atol": 1.0e-6, "reason": "loose, to test properties"},
        "checks": ["symmetric", "psd",
                   {"name": "diagonal is x squared", "property": "solution:diagonal_is_square"}],
        "cases": [{"name": "random", "count": 3, "dims": {"N": [2, 4]},
                   "args": {"x": {"normal": ["N"]}}}],
    }],
}


@pytest.fixture
def gram_grader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Grader]:
    root = make_assignment(tmp_path_factory.mktemp("gram"), MINI_ASSIGNMENT,
                           {"q1": GRAM_PROBLEM}, GRAM_REFERENCE)
    with Grader(load_assignment(root)) as grader:
        yield grader


def first_case(grader: Grader, folder: Path, body: str) -> CaseResult:
    source = f"import numpy as np\n\n\ndef gram(x):\n    {body}\n"
    result = grader.grade(write_student(folder, base=source))
    part = result.problems[0].parts[0]
    assert part.score == 0, part
    return part.cases[0]


def test_a_correct_answer_passes_every_property(gram_grader: Grader, tmp_path: Path) -> None:
    result = gram_grader.grade(write_student(tmp_path, base=GRAM_REFERENCE))

    assert (result.score, result.problems[0].parts[0].message) == (3, "")


def test_an_answer_within_tolerance_still_fails_a_property(gram_grader: Grader,
                                                          tmp_path: Path) -> None:
    case = first_case(gram_grader, tmp_path,
                      "G = np.outer(x, x)\n    G[0, 1] += 5e-7\n    return G")

    assert case.status == "fail"
    assert case.message.startswith("property 'symmetric' does not hold: A[0, 1] = ")
    # The values themselves are within tolerance: no mismatch among the details.
    assert not any("mismatched" in line for line in case.details)


def test_a_wrong_answer_is_reported_by_the_property_it_breaks(gram_grader: Grader,
                                                             tmp_path: Path) -> None:
    case = first_case(gram_grader, tmp_path, "return -np.outer(x, x)")

    assert case.message.startswith("property 'psd' does not hold: has a negative eigenvalue -")
    assert any("elements mismatched" in line for line in case.details)


def test_a_custom_property_is_reported_by_its_name(gram_grader: Grader,
                                                   tmp_path: Path) -> None:
    case = first_case(gram_grader, tmp_path, "return np.outer(x, x) + np.eye(len(x))")

    assert case.message.startswith(
        "property 'diagonal is x squared' does not hold: G[0, 0] = ")
    assert ", expected x[0]^2 = " in case.message


def test_psd_of_an_answer_near_the_float_range_is_a_failure_not_an_error() -> None:
    """(a + a.T) / 2 overflows to inf, where eigvalsh would raise: the student's answer
    fails the check; the grader does not fail judging it."""
    answer = np.full((3, 3), 1e308)
    answer[0, -1] = -1e308
    why = PropertyCheck("psd", "psd").check(answer, (), {})
    assert why == "its eigenvalues cannot be computed: not finite"
