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
        (4, 1, 3, 4 / 3),
        (0, 1, 2, 0),
        (3, 1, 1, 3),
        (3, 0, 1, 0),
    ],
)
def test_partial_credit_is_points_times_fraction_passed(points: float, passed: int,
                                                         cases: int, score: float) -> None:
    assert part_score(points, passed, cases, PARTIAL) == score


def test_partial_is_the_default() -> None:
    assert part_score(6, 3, 6) == 3


@pytest.mark.parametrize(("passed", "score"), [(5, 5), (4, 0), (0, 0)])
def test_all_or_nothing(passed: int, score: float) -> None:
    assert part_score(5, passed, 5, ALL_OR_NOTHING) == score


def test_all_or_nothing_with_one_case() -> None:
    assert part_score(5, 1, 1, ALL_OR_NOTHING) == 5


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


def test_totals_are_rounded_to_a_billionth_of_a_point() -> None:
    assert total([2 / 3]) == 0.666666667
    assert total([1e-10, 1e-10]) == 0.0


def test_six_thirds_make_two() -> None:
    # Six 1-point parts, each with 1 of 3 cases passed, earn 2 points in all.
    scores = [part_score(1, 1, 3) for _ in range(6)]

    assert sum(scores) != 2  # float noise that the total must round away
    assert total(scores) == 2.0


def test_full_marks_on_parts_worth_a_third_are_full_marks() -> None:
    # A 2-point question split into six parts of 1/3 point each (YAML: 0.3333333333333333),
    # every case of each passed.
    third = 1 / 3
    score = total(part_score(third, n, n) for n in range(1, 7))
    max_score = total([third] * 6)

    assert sum([third] * 6) != 2
    assert score == max_score == 2.0
    assert status(score, max_score) == "passed"


@pytest.mark.parametrize(
    ("score", "max_score", "expected"),
    [
        (15, 15, "passed"),
        (5.232143, 15, "partial"),
        (0, 15, "failed"),
        (0, 0, "passed"),
        (14.9999999999, 15, "passed"),
        (15 - 1e-12, 15, "passed"),
        (15.5, 15, "passed"),
        (14.995, 15, "partial"),
        (15 - 2e-9, 15, "partial"),  # two billionths short: not rounding noise (see total)
        (1e-9, 15, "partial"),
    ],
)
def test_status(score: float, max_score: float, expected: str) -> None:
    assert status(score, max_score) == expected


@pytest.mark.parametrize("scoring", [PARTIAL, ALL_OR_NOTHING])
@pytest.mark.parametrize(
    ("points", "groups"),
    [(5, [(3, 4), (7, 8)]), (5, [(4, 4), (8, 8)]), (6, [(0, 3), (7, 7)]), (7, [(2, 2)]),
     (4, [(1, 3), (0, 0)]), (4, [(0, 0), (2, 3)]),
     # Where "the last group takes what is left" misses by a unit in the last place:
     (1, [(1, 1), (4, 6)]), (1 / 3, [(0, 1), (0, 5)]), (1 / 3, [(1, 1), (5, 5)]),
     (0.1, [(3, 3), (0, 0)]), (3, [(1, 1)]), (3, [(0, 0), (1, 1)])],
)
def test_shares_add_up_exactly_to_the_part_score_and_points(
        points: float, groups: list[tuple[int, int]], scoring: str) -> None:
    result = shares(points, groups, scoring)

    passed, cases = sum(p for p, _ in groups), sum(t for _, t in groups)
    assert len(result) == len(groups)
    assert sum(s for s, _ in result) == part_score(points, passed, cases, scoring)
    assert sum(m for _, m in result) == points
    for (score, max_score), (_, group_total) in zip(result, groups, strict=True):
        assert max_score == pytest.approx(points * group_total / cases, rel=1e-15, abs=0)
        assert 0 <= score <= max_score * (1 + 1e-15)
        if passed == cases:
            assert status(score, max_score) == "passed"


def test_shares_of_more_groups_add_up_within_rounding() -> None:
    result = shares(10 / 3, [(1, 3), (2, 3), (3, 3)])

    assert sum(s for s, _ in result) == pytest.approx(part_score(10 / 3, 6, 9), rel=1e-15)
    assert sum(m for _, m in result) == pytest.approx(10 / 3, rel=1e-15)
    assert [m for _, m in result] == pytest.approx([10 / 9] * 3, rel=1e-15)


def test_shares_each_case_is_worth_the_same() -> None:
    assert shares(6, [(1, 2), (3, 4)]) == [(1.0, 2.0), (3.0, 4.0)]


def test_shares_all_or_nothing_pays_no_group_unless_every_case_passed() -> None:
    assert shares(6, [(2, 2), (3, 4)], ALL_OR_NOTHING) == [(0.0, 2.0), (0.0, 4.0)]
    assert shares(6, [(2, 2), (4, 4)], ALL_OR_NOTHING) == [(2.0, 2.0), (4.0, 4.0)]


def test_shares_of_no_cases_are_nothing() -> None:
    assert shares(5, [(0, 0), (0, 0)]) == [(0.0, 0.0), (0.0, 0.0)]
