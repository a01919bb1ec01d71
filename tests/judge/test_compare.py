"""Comparison verdicts and their messages (grader.judge.compare.compare_array and judge)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from grader.judge.compare import Verdict, compare_array, judge
from grader.judge.expected import Output
from grader.outcomes import CallOutcome, Status
from grader.spec import Tolerance

TOL = Tolerance(rtol=1e-6, atol=1e-9)


def a(value: object, dtype: object = None) -> np.ndarray:
    return np.asarray(value, dtype=dtype)


# --- shapes: their own sentence, no broadcasting --------------------------------------------

@pytest.mark.parametrize(
    ("got", "expected", "sentence"),
    [
        (a([1.0, 2.0, 3.0]), a([[1.0, 2.0, 3.0]]),
         "shape mismatch: expected shape (1, 3), got shape (3,)"),
        (a(1.0), a([1.0]), "shape mismatch: expected shape (1,), got a scalar (shape ())"),
        (a([1.0]), a(1.0), "shape mismatch: expected a scalar (shape ()), got shape (1,)"),
        (a([]), a([1.0, 2.0]), "shape mismatch: expected shape (2,), got shape (0,)"),
        (a([1.0, 2.0]), a([]), "shape mismatch: expected shape (0,), got shape (2,)"),
        (a([[1.0], [2.0]]), a([[1.0, 2.0]]),
         "shape mismatch: expected shape (1, 2), got shape (2, 1)"),
    ],
    ids=["no-broadcast-row", "scalar-vs-1", "1-vs-scalar", "empty-got", "empty-expected",
         "transposed"],
)
def test_shape_mismatch_is_its_own_sentence(got: np.ndarray, expected: np.ndarray,
                                             sentence: str) -> None:
    verdict = compare_array(got, expected, TOL)

    assert not verdict.passed
    assert verdict.message == sentence


def test_equal_empty_arrays_pass() -> None:
    assert compare_array(a([]).reshape(0, 3), a([]).reshape(0, 3), TOL).passed


# --- NaN and infinity -----------------------------------------------------------------------

@pytest.mark.parametrize(("bad", "word"), [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "inf")])
def test_non_finite_where_reference_finite_fails_and_is_called_out(bad: float,
                                                                   word: str) -> None:
    verdict = compare_array(a([1.0, bad, 3.0]), a([1.0, 2.0, 3.0]),
                            Tolerance(rtol=1e9, atol=1e9))

    assert not verdict.passed
    assert f"{word} at index [1]" in verdict.message
    assert "1 of 3 elements mismatched" in verdict.message
    assert any("NaN or inf where the reference is finite" in d for d in verdict.details)


def test_non_finite_is_reported_before_a_larger_finite_error() -> None:
    verdict = compare_array(a([100.0, np.nan]), a([1.0, 2.0]), TOL)

    assert "2 of 2 elements mismatched" in verdict.message
    assert "NaN at index [1]" in verdict.message


def test_nan_where_reference_nan_passes() -> None:
    assert compare_array(a([1.0, np.nan]), a([1.0, np.nan]), TOL).passed


def test_matching_infinities_pass_and_opposite_ones_fail() -> None:
    assert compare_array(a([np.inf, -np.inf]), a([np.inf, -np.inf]), TOL).passed
    assert not compare_array(a([-np.inf]), a([np.inf]), TOL).passed


def test_finite_where_reference_nan_fails() -> None:
    assert not compare_array(a([1.0]), a([np.nan]), TOL).passed


# --- tolerance boundaries: |got - expected| <= atol + rtol * |expected| ----------------------

@pytest.mark.parametrize(
    ("got", "expected", "tol", "passed"),
    [
        (2.5, 2.0, Tolerance(rtol=0.25, atol=0.0), True),  # exactly on the boundary
        (np.nextafter(2.5, 3.0), 2.0, Tolerance(rtol=0.25, atol=0.0), False),
        (1.5, 2.0, Tolerance(rtol=0.25, atol=0.0), True),
        (np.nextafter(1.5, 0.0), 2.0, Tolerance(rtol=0.25, atol=0.0), False),
        (0.5, 0.0, Tolerance(rtol=0.25, atol=0.5), True),  # atol alone at expected 0
        (np.nextafter(0.5, 1.0), 0.0, Tolerance(rtol=0.25, atol=0.5), False),
        (3.0, 2.0, Tolerance(rtol=0.25, atol=0.5), True),  # atol + rtol * |expected|
        (np.nextafter(3.0, 4.0), 2.0, Tolerance(rtol=0.25, atol=0.5), False),
        (-2.5, -2.0, Tolerance(rtol=0.25, atol=0.0), True),  # |expected| for negatives
        (1.0, 1.0, Tolerance(rtol=0.0, atol=0.0), True),
        (np.nextafter(1.0, 2.0), 1.0, Tolerance(rtol=0.0, atol=0.0), False),
    ],
)
def test_tolerance_boundary(got: float, expected: float, tol: Tolerance, passed: bool) -> None:
    assert compare_array(a([got]), a([expected]), tol).passed is passed


def test_rtol_is_relative_to_the_expected_value_not_the_obtained_one() -> None:
    tol = Tolerance(rtol=0.5, atol=0.0)

    assert compare_array(a([1.0]), a([2.0]), tol).passed  # 1 <= 0.5 * 2
    assert not compare_array(a([2.0]), a([1.0]), tol).passed  # 1 > 0.5 * 1


def test_a_sign_error_fails() -> None:
    assert not compare_array(a([-1.0, -2.0]), a([1.0, 2.0]), TOL).passed


def test_an_element_on_the_boundary_passes_beside_one_that_fails() -> None:
    verdict = compare_array(a([2.5, 9.0]), a([2.0, 2.0]), Tolerance(rtol=0.25, atol=0.0))

    assert verdict.message.startswith("1 of 2 elements mismatched; worst at index [1] (14x its "
                                      "tolerance): ")


def test_float32_values_are_judged_in_float64_arithmetic() -> None:
    # |got - expected| is 8.6969137e-4, just over rtol * |expected| = 8.6969131e-4; float32
    # arithmetic rounds the tolerance up to 8.6969137e-4 and would let it pass, but only when
    # every other element passes too.
    got, expected = np.float32(0.8705610036849976), np.float32(0.8696913123130798)
    tol = Tolerance(rtol=1e-3, atol=0.0)

    assert not compare_array(a([got]), a([expected]), tol).passed
    beside_a_failure = compare_array(a([got, 5.0], np.float32), a([expected, 1.0], np.float32),
                                     tol)
    assert beside_a_failure.message.startswith("2 of 2 elements mismatched")


def test_an_integer_answer_to_a_float_reference_is_judged_with_the_tolerance() -> None:
    assert compare_array(a([2, 3]), a([2.0, 3.000001]), TOL).passed

    verdict = compare_array(a([2, 5]), a([2.0, 3.0]), TOL)
    assert verdict.message.startswith(
        "1 of 2 elements mismatched; worst at index [1] (6.66e+05x its tolerance): got 5, "
        "expected 3 (abs err 2, ")


# --- the failure message -------------------------------------------------------------------

def test_message_names_worst_element_errors_tolerance_and_count() -> None:
    got = a([[1.0, 2.0], [3.0, 4.5]])
    expected = a([[1.0, 2.1], [3.0, 4.0]])

    verdict = compare_array(got, expected, Tolerance(rtol=1e-3, atol=1e-6))

    assert not verdict.passed
    message = verdict.message
    assert message.startswith("2 of 4 elements mismatched")
    assert "worst at index [1, 1]" in message
    assert "got 4.5, expected 4" in message
    assert "abs err 0.5" in message
    assert "rel err 0.125" in message
    assert "tolerance rtol=0.001, atol=1e-06" in message
    assert verdict.details[0].startswith("max abs err 0.5, max rel err 0.125")


def test_worst_is_relative_to_the_allowed_error() -> None:
    # index 0 is off by 1 but big; index 1 is off by 0.1 on a tiny value: worse relatively.
    verdict = compare_array(a([1001.0, 0.2]), a([1000.0, 0.1]), Tolerance(rtol=1e-6, atol=0.0))

    assert "worst at index [1]" in verdict.message


@pytest.mark.parametrize("special", [np.nan, np.inf, -np.inf])
def test_worst_is_never_a_matching_nan_or_inf(special: float) -> None:
    verdict = compare_array(a([special, 1.0, 1.5]), a([special, 1.0, 1.0]), TOL)

    assert verdict.message.startswith("1 of 3 elements mismatched; worst at index [2] (5e+05x "
                                      "its tolerance): got 1.5")


def test_any_error_where_no_error_is_allowed_is_the_worst() -> None:
    # Element 0 allows nothing (expected 0, atol 0), so its tiny error is infinitely worse
    # than element 1's large one.
    verdict = compare_array(a([1e-300, 2.0]), a([0.0, 1.0]), Tolerance(rtol=1e-6, atol=0.0))

    assert verdict.message.startswith(
        "2 of 2 elements mismatched; worst at index [0]: got 1e-300, expected 0 ")


def test_got_and_expected_show_digits_enough_to_differ() -> None:
    verdict = compare_array(a([1.80478123]), a([1.80478051]), Tolerance(rtol=1e-9, atol=0.0))
    assert "got 1.8047812, expected 1.8047805 " in verdict.message
    rows = compare_array(a(-1.638000058), a(-1.638), Tolerance(rtol=1e-9, atol=0.0))
    assert "got -1.6380001, expected -1.638 " in rows.message


@pytest.mark.parametrize("shape", [(3,), (1, 3), (3, 1), (1, 3, 1)])
def test_shape_squeeze_matches_shapes_that_differ_only_by_ones(shape: tuple[int, ...]) -> None:
    lenient = Tolerance(rtol=1e-9, atol=0.0, shape="squeeze")
    got = a([1.0, 2.0, 3.0]).reshape(shape)
    assert compare_array(got, a([[1.0, 2.0, 3.0]]), lenient).passed
    assert not compare_array(got, a([[1.0, 2.0, 3.5]]), lenient).passed
    assert compare_array(got, a([[1.0, 2.0, 3.0]]), TOL).passed == (shape == (1, 3))
    other = compare_array(a([1.0, 2.0]), a([[1.0, 2.0, 3.0]]), lenient)
    assert other.message == ("shape mismatch (dimensions of size 1 aside): expected shape "
                             "(1, 3), got shape (2,)")


def test_scalar_failure_has_no_index() -> None:
    verdict = compare_array(a(2.5), a(2.0), TOL)

    assert re.search(r"1 of 1 elements mismatched; worst \(2\.5e\+05x its tolerance\): got 2\.5, "
                     r"expected 2 ", verdict.message)


def test_label_prefixes_the_message() -> None:
    verdict = compare_array(a([1.0]), a([2.0]), TOL, label="output 0 (dw)")

    assert verdict.message.startswith("output 0 (dw): 1 of 1 elements mismatched")


def test_relative_error_against_zero_is_inf_in_message_and_details() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # inf by rule, not by dividing by zero
        verdict = compare_array(a([0.0, 0.5]), a([0.0, 0.0]), Tolerance(rtol=1e-6, atol=1e-9))

    assert "rel err inf" in verdict.message
    assert verdict.details[0] == "max abs err 0.5, max rel err inf over mismatched elements"


def test_relative_errors_of_references_at_or_below_one() -> None:
    verdict = compare_array(a([1.5, 0.3]), a([1.0, 0.2]), TOL)

    assert "got 1.5, expected 1 (abs err 0.5, rel err 0.5; " in verdict.message
    assert verdict.details == ("max abs err 0.5, max rel err 0.5 over mismatched elements",)


def test_details_count_each_kind_of_mismatch() -> None:
    # NaN where 1 was expected, 5 for 2, 1 for the reference's NaN, a match, and an element
    # within atol whose relative error (199) is large but does not count: it matches.
    verdict = compare_array(a([np.nan, 5.0, 1.0, 1.0, 2e-10]),
                            a([1.0, 2.0, np.nan, 1.0, 1e-12]), TOL)

    assert verdict.message == "3 of 5 elements mismatched; NaN at index [0]: got nan, expected 1"
    assert verdict.details == (
        "max abs err 3, max rel err 1.5 over mismatched elements",
        "1 element(s) are NaN or inf where the reference is finite",
        "1 element(s) differ where the reference is NaN or inf",
    )


def test_only_a_nan_mismatched_has_no_error_statistics() -> None:
    verdict = compare_array(a([1.0, np.nan]), a([1.0, 2.0]), TOL)

    assert verdict.details == ("1 element(s) are NaN or inf where the reference is finite",)


def test_a_finite_value_against_an_infinite_reference() -> None:
    verdict = compare_array(a([1.0]), a([np.inf]), TOL)

    assert verdict.message == ("1 of 1 elements mismatched; first at index [0]: got 1, "
                               "expected inf (must match the reference's inf exactly)")
    assert verdict.details == ("1 element(s) differ where the reference is NaN or inf",)


@pytest.mark.parametrize(
    ("got", "expected"),
    [(-np.inf, np.inf), (1.0, np.inf), (np.nan, np.inf)],
    ids=["opposite-inf", "finite-vs-inf", "nan-vs-inf"],
)
def test_mismatch_against_an_infinite_reference_is_explained_cleanly(
    got: float, expected: float
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the grader's own arithmetic must not warn
        verdict = compare_array(a([got]), a([expected]), TOL)

    assert not verdict.passed
    assert "rel err nan" not in verdict.message
    assert not any("where the reference is finite" in d for d in verdict.details)


@pytest.mark.parametrize(
    ("got", "expected", "errors"),
    [([1.7e308], [-1.7e308], "abs err inf, rel err inf"),
     ([1e308], [1e-320], "abs err 1e+308, rel err inf"),
     ([1e300, 3.0], [1e-300, 3.0], "abs err 1e+300, rel err inf")],
    ids=["difference-overflows", "ratio-overflows", "relative-error-overflows"],
)
def test_answers_near_the_float_range_are_judged_without_a_numpy_warning(
    got: list[float], expected: list[float], errors: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow goes quietly to inf, never to stderr
        verdict = compare_array(a(got), a(expected), TOL)

    assert not verdict.passed
    assert errors in verdict.message


# --- exact comparison of integers and booleans --------------------------------------------

def test_integers_compare_exactly_whatever_the_tolerance() -> None:
    huge = Tolerance(rtol=1.0, atol=10.0)
    verdict = compare_array(a([1, 2, 4]), a([1, 2, 3]), huge)

    assert not verdict.passed
    assert verdict.message == ("1 of 3 elements differ; first at index [2]: got 4, expected 3 "
                               "(must match exactly)")


def test_large_integers_are_not_rounded_through_float() -> None:
    verdict = compare_array(a([2**53 + 1], np.int64), a([2**53], np.int64), TOL)

    assert not verdict.passed


def test_booleans_compare_exactly() -> None:
    assert compare_array(a([True, False]), a([True, False]), TOL).passed
    verdict = compare_array(a([True, False]), a([True, True]), Tolerance(rtol=1, atol=1))
    assert not verdict.passed
    assert "got False, expected True" in verdict.message


def test_a_float_answer_to_an_integer_reference_must_equal_it() -> None:
    # problems/README.md: integer and boolean outputs must match exactly, whatever the
    # answer's dtype (a float label 2.0 is 2; 2.0000001 is not, however wide the tolerance).
    huge = Tolerance(rtol=1.0, atol=10.0)
    assert compare_array(a([1.0, 2.0]), a([1, 2]), huge).passed
    verdict = compare_array(a([1.0, 2.0000001]), a([1, 2]), huge)
    assert not verdict.passed
    assert verdict.message.endswith("got 2.0000001, expected 2 (must match exactly)")
    assert not compare_array(a([np.nan]), a([0]), huge).passed
    assert compare_array(a([1.0, 0.0]), a([True, False]), TOL).passed
    assert not compare_array(a([0.5]), a([True]), huge).passed


def test_integer_dtypes_of_different_width_compare_by_value() -> None:
    assert compare_array(a([1, 2], np.uint8), a([1, 2], np.int64), TOL).passed


def test_unsigned_references_compare_exactly() -> None:
    huge = Tolerance(rtol=1.0, atol=10.0)
    verdict = compare_array(a([1, 4], np.uint8), a([1, 3], np.uint8), huge)

    assert verdict.message == ("1 of 2 elements differ; first at index [1]: got 4, expected 3 "
                               "(must match exactly)")
    assert not compare_array(a([2**63], np.uint64), a([2**63 + 1], np.uint64), TOL).passed


def test_unsigned_answers_to_a_signed_reference_are_not_rounded_through_float() -> None:
    assert not compare_array(a([2**53], np.uint64), a([2**53 + 1], np.int64), TOL).passed


def test_boolean_answers_to_an_integer_reference_compare_exactly() -> None:
    huge = Tolerance(rtol=1.0, atol=10.0)

    assert compare_array(a([True, False]), a([1, 0]), huge).passed
    verdict = compare_array(a([True]), a([2]), huge)
    assert verdict.message == ("1 of 1 elements differ; first at index [0]: got True, "
                               "expected 2 (must match exactly)")


def test_an_integer_scalar_mismatch_has_no_index() -> None:
    verdict = compare_array(a(3), a(2), TOL)

    assert verdict.message == ("1 of 1 elements differ; first: got 3, expected 2 "
                               "(must match exactly)")


# --- judge: one case, every output, every accepted reference ------------------------------

def ok(*outputs: np.ndarray, warnings: tuple[str, ...] = ()) -> CallOutcome:
    return CallOutcome(Status.OK, outputs=dict(enumerate(outputs)), warnings=warnings)


def test_tuple_output_is_labelled_by_index_and_name() -> None:
    expected = [Output({0: a([1.0, 2.0]), 1: a(4.0)}, arity=2)]

    verdict = judge(ok(a([1.0, 2.0]), a(3.0)), expected, TOL, names=("dw", "db"))

    assert not verdict.passed
    assert verdict.message.startswith("output 1 (db): 1 of 1 elements mismatched")


def test_tuple_output_without_names_is_labelled_by_index() -> None:
    expected = [Output({0: a([1.0]), 1: a(4.0)}, arity=2)]

    verdict = judge(ok(a([0.0]), a(4.0)), expected, TOL)

    assert verdict.message.startswith("output 0: 1 of 1 elements mismatched")


def test_outputs_beyond_the_names_given_are_labelled_by_index() -> None:
    # A spec whose `outputs:` names fewer values than the function returns.
    expected = [Output({0: a([1.0]), 1: a(4.0)}, arity=2)]

    verdict = judge(ok(a([1.0]), a(3.0)), expected, TOL, names=("dw",))

    assert verdict.message.startswith("output 1: 1 of 1 elements mismatched")


@pytest.mark.parametrize(
    ("arity", "names", "message"),
    [(2, ("dw", "db"), "output 1 (db): missing"), (2, None, "output 1: missing"),
     (None, None, "output: missing")],
)
def test_a_missing_output_fails(arity: int | None, names: tuple[str, ...] | None,
                                message: str) -> None:
    # Two outputs expected and one returned, or one expected and none returned.
    outcome, values = (ok(a([1.0])), {0: a([1.0]), 1: a(4.0)}) if arity else (ok(), {0: a(4.0)})

    verdict = judge(outcome, [Output(values, arity=arity)], TOL, names=names)

    assert (verdict.passed, verdict.message) == (False, message)


def test_every_failing_output_is_reported() -> None:
    expected = [Output({0: a([1.0]), 1: a(4.0)}, arity=2)]

    verdict = judge(ok(a([0.0]), a(3.0)), expected, TOL, names=("dw", "db"))

    assert verdict.message.startswith("output 0 (dw)")
    assert any(d.startswith("output 1 (db)") for d in verdict.details)


def test_single_output_has_no_label() -> None:
    verdict = judge(ok(a([0.0])), [Output({0: a([1.0])}, arity=None)], TOL)

    assert verdict.message.startswith("1 of 1 elements mismatched")


def test_any_accepted_reference_may_match() -> None:
    refs = [Output({0: a([1.0])}, None), Output({0: a([2.0])}, None)]

    assert judge(ok(a([2.0])), refs, TOL).passed
    verdict = judge(ok(a([3.0])), refs, TOL)
    assert not verdict.passed
    assert "matches none of the 2 accepted references" in verdict.details[0]


def test_a_failure_against_several_references_is_a_wrong_value_against_the_closest() -> None:
    # cause "values" is what lets the part's property checks run and name the fault. Both
    # references differ in one element; the second by less (3 against 2, not against 1).
    refs = [Output({0: a([1.0, 5.0])}, None), Output({0: a([2.0, 5.0])}, None)]

    verdict = judge(ok(a([3.0, 4.0])), refs, TOL)

    second = compare_array(a([3.0, 4.0]), a([2.0, 5.0]), TOL)
    assert (verdict.message, verdict.cause) == (second.message, "values")
    assert verdict.details == ("matches none of the 2 accepted references; compared with the "
                               "second, the closest to this answer", *second.details)


def test_feedback_is_about_the_output_wrong_under_the_closest_reference() -> None:
    # Two conventions for (loss, grad): the answer's loss is right under the second, its
    # gradient wrong under both. It must be told about its gradient, not its loss.
    first = Output({0: a(1.0), 1: a([1.0, 2.0])}, 2)
    second = Output({0: a(2.0), 1: a([2.0, 4.0])}, 2)
    answer = CallOutcome(Status.OK, outputs={0: a(2.0), 1: a([2.0, 4.5])})

    verdict = judge(answer, [first, second], TOL, names=("loss", "grad"))

    assert verdict.message.startswith("output 1 (grad): 1 of 2 elements mismatched")
    assert "compared with the second, the closest" in verdict.details[0]
    assert not any("output 0" in line for line in (verdict.message, *verdict.details))


def test_a_failure_against_one_reference_is_that_comparison() -> None:
    verdict = judge(ok(a([3.0, 4.0])), [Output({0: a([1.0, 5.0])}, None)], TOL)

    assert verdict == compare_array(a([3.0, 4.0]), a([1.0, 5.0]), TOL)


def test_warnings_fail_only_when_asked() -> None:
    outcome = ok(a([1.0]), warnings=("RuntimeWarning: overflow encountered in exp (hw.py, "
                                     "line 3)",))
    refs = [Output({0: a([1.0])}, None)]

    assert judge(outcome, refs, TOL).passed
    verdict = judge(outcome, refs, TOL, fail_on_warnings=True)
    assert not verdict.passed
    assert verdict.message == ("emitted RuntimeWarning: overflow encountered in exp "
                               "(hw.py, line 3)")


def test_the_first_warning_is_the_message_and_the_rest_are_details() -> None:
    first, second = "RuntimeWarning: overflow (hw.py, line 3)", "UserWarning: w (hw.py, line 4)"

    verdict = judge(ok(a([1.0]), warnings=(first, second)), [Output({0: a([1.0])}, None)], TOL,
                    fail_on_warnings=True)

    assert verdict == Verdict(False, f"emitted {first}", (second,), "warning")


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        (CallOutcome(Status.ERROR, "ValueError: bad", "hw.py", 7),
         "ValueError: bad (hw.py, line 7)"),
        (CallOutcome(Status.TIMEOUT, "timed out after 1s"), "timed out after 1s"),
        (CallOutcome(Status.BAD_OUTPUT, "returned None"), "bad output: returned None"),
        (CallOutcome(Status.MISSING, "hw.py does not define f()"), "hw.py does not define f()"),
        (CallOutcome(Status.NOT_RUN, "not run: case q1/f/0 timed out"),
         "not run: case q1/f/0 timed out"),
    ],
)
def test_failed_call_verdict_is_its_message(outcome: CallOutcome, message: str) -> None:
    verdict = judge(outcome, [Output({0: a([1.0])}, None)], TOL)

    assert not verdict.passed
    assert verdict.message == message


def test_equal_bytes_of_another_dtype_are_not_a_match() -> None:
    expected = np.array([1.5, -2.0])
    verdict = compare_array(expected.view(np.int64), expected, Tolerance())
    assert not verdict.passed


def test_the_references_own_nan_and_inf_match_when_returned_as_is() -> None:
    expected = np.array([np.nan, np.inf, 1.0])
    assert compare_array(expected.copy(), expected, Tolerance()).passed
    assert not compare_array(np.array([np.nan, -np.inf, 1.0]), expected, Tolerance()).passed
