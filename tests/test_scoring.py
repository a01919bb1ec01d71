"""Scoring policy: verdict counts in, points out."""

from __future__ import annotations

import pytest

from grader.scoring import ALL_OR_NOTHING, PARTIAL, part_score, shares, status, total


@pytest.mark.parametrize(
    ("points", "passed", "cases", "score"),
    [
        (6, 6, 6, 6),
        (6, 3, 6, 3),
        (6, 0, 6, 0),
        (5, 7, 8, 4.375),
        (4, 1, 3, 1.333333),
        (0, 1, 2, 0),
    ],
)
def test_partial_credit_is_points_times_fraction_passed(points: float, passed: int,
                                                         cases: int, score: float) -> None:
    assert part_score(points, passed, cases, PARTIAL) == pytest.approx(score, abs=1e-6)


def test_partial_is_the_default() -> None:
    assert part_score(6, 3, 6) == 3


@pytest.mark.parametrize(("passed", "score"), [(5, 5), (4, 0), (0, 0)])
def test_all_or_nothing(passed: int, score: float) -> None:
    assert part_score(5, passed, 5, ALL_OR_NOTHING) == score


def test_no_cases_scores_nothing() -> None:
    assert part_score(5, 0, 0) == 0
    assert part_score(5, 0, 0, ALL_OR_NOTHING) == 0


def test_float_noise_is_rounded_away() -> None:
    assert part_score(5, 3, 3) == 5
    assert part_score(0.3, 3, 3) == 0.3
    assert total([0.1, 0.2]) == 0.3


def test_total_sums_parts() -> None:
    assert total([4.375, 0.857143, 0]) == 5.232143
    assert total([]) == 0


def test_three_thirds_make_one() -> None:
    # Three 1-point parts, each with 1 of 3 cases passed, earn 1 point in all.
    scores = [part_score(1, 1, 3) for _ in range(3)]

    assert total(scores) == pytest.approx(1.0, abs=1e-9)


def test_full_marks_on_parts_worth_a_third_are_full_marks() -> None:
    # A 1-point question split into three parts of 1/3 point each (YAML: 0.3333333333333333).
    third = 1 / 3
    score = total(part_score(third, 2, 2) for _ in range(3))
    max_score = total([third] * 3)

    assert score == pytest.approx(max_score, abs=1e-9)
    assert status(score, max_score) == "passed"


@pytest.mark.parametrize(
    ("score", "max_score", "expected"),
    [
        (15, 15, "passed"),
        (5.232143, 15, "partial"),
        (0, 15, "failed"),
        (0, 0, "passed"),
        (14.9999999999, 15, "passed"),
    ],
)
def test_status(score: float, max_score: float, expected: str) -> None:
    assert status(score, max_score) == expected


@pytest.mark.parametrize("scoring", [PARTIAL, ALL_OR_NOTHING])
@pytest.mark.parametrize(
    ("points", "groups"),
    [(5, [(3, 4), (7, 8)]), (5, [(4, 4), (8, 8)]), (6, [(0, 3), (7, 7)]), (7, [(2, 2)]),
     (4, [(1, 3), (0, 0)]), (10 / 3, [(1, 3), (2, 3), (3, 3)])],
)
def test_shares_add_up_to_the_part_score_and_points(points: float, groups: list[tuple[int, int]],
                                                    scoring: str) -> None:
    result = shares(points, groups, scoring)

    passed, cases = sum(p for p, _ in groups), sum(t for _, t in groups)
    assert len(result) == len(groups)
    assert sum(s for s, _ in result) == pytest.approx(part_score(points, passed, cases, scoring))
    assert sum(m for _, m in result) == pytest.approx(points)
    for (score, max_score), (_, group_total) in zip(result, groups, strict=True):
        assert max_score == pytest.approx(points * group_total / cases)
        assert -1e-12 <= score <= max_score + 1e-12


def test_shares_each_case_is_worth_the_same() -> None:
    assert shares(6, [(1, 2), (3, 4)]) == [(1.0, 2.0), (3.0, 4.0)]


def test_shares_all_or_nothing_pays_no_group_unless_every_case_passed() -> None:
    assert shares(6, [(2, 2), (3, 4)], ALL_OR_NOTHING) == [(0.0, 2.0), (0.0, 4.0)]
    assert shares(6, [(2, 2), (4, 4)], ALL_OR_NOTHING) == [(2.0, 2.0), (4.0, 4.0)]


def test_shares_of_no_cases_are_nothing() -> None:
    assert shares(5, [(0, 0), (0, 0)]) == [(0.0, 0.0), (0.0, 0.0)]
