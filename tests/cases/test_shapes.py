"""Dimension expressions: parsed once by a small parser, evaluated per case, never eval'd."""

from __future__ import annotations

import re

import pytest

from grader.cases.shapes import ShapeSyntaxError, evaluate_shape, parse_dim, parse_shape

DIMS = {"N": 5, "D": 3, "K": 4}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("N", 5),
        (7, 7),
        ("7", 7),
        ("D+1", 4),
        ("2*(K-1)", 6),
        ("N+D*K", 17),  # * binds tighter than +
        ("(N+D)*K", 32),
        ("N//2", 2),
        ("N-D-1", 1),  # left-associative
        ("-D+N", 2),
        (" N + 1 ", 6),
        ("0", 0),
    ],
)
def test_expression_evaluates(text: str | int, value: int) -> None:
    assert parse_dim(text, frozenset(DIMS)).evaluate(DIMS) == value


def test_names_lists_the_dimensions_used() -> None:
    assert parse_dim("2*(K-1)+N").names == {"K", "N"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("N+", "bad dimension expression 'N+'"),
        ("N**2", "bad dimension expression 'N**2'"),
        ("N/2", "bad dimension expression 'N/2'"),
        ("2N", "bad dimension expression '2N'"),
        ("(N+1", "missing ')'"),
        ("N)", "bad dimension expression 'N)'"),
        ("", "empty dimension expression"),
        ("__import__('os')", "bad dimension expression"),
        (-1, "cannot be negative"),
        (True, "expected a dimension"),
        (1.5, "expected a dimension name or expression"),
    ],
)
def test_bad_expression_is_rejected(text: object, message: str) -> None:
    with pytest.raises(ShapeSyntaxError, match=re.escape(message)):
        parse_dim(text, frozenset(DIMS))  # type: ignore[arg-type]


def test_undeclared_dimension_is_named_with_the_declared_ones() -> None:
    with pytest.raises(ShapeSyntaxError) as info:
        parse_dim("N*M", frozenset({"N", "D"}))

    assert "undeclared dimension M" in str(info.value)
    assert "declared: D, N" in str(info.value)


def test_unrestricted_parse_accepts_any_name() -> None:
    assert parse_dim("M+1").evaluate({"M": 2}) == 3


def test_shape_is_a_list_or_a_single_dimension() -> None:
    assert evaluate_shape(parse_shape(["N", "D+1"]), DIMS) == (5, 4)
    assert evaluate_shape(parse_shape("K"), DIMS) == (4,)
    assert evaluate_shape(parse_shape([]), DIMS) == ()


def test_negative_evaluated_shape_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"evaluates to \(-2,\)"):
        evaluate_shape(parse_shape(["D-N"]), DIMS)
