"""Scoring policy, in one place: verdicts in, points out. Reporters never total anything."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.results import CaseResult

PARTIAL = "partial"
ALL_OR_NOTHING = "all_or_nothing"


def _tidy(x: float) -> float:
    """Round away float noise (three thirds make 1, not 0.9999999999); never whole marks."""
    return round(x, 9) + 0.0


def part_score(points: float, passed: int, total: int, scoring: str = PARTIAL) -> float:
    """A part earns ``points`` times the fraction of passed cases (or all-or-nothing).

    Not rounded: totals are rounded once, after summing, so rounding never costs a mark.
    """
    if total <= 0:
        return 0.0
    if scoring == ALL_OR_NOTHING:
        return float(points) if passed == total else 0.0
    return points * passed / total


def shares(points: float, groups: Sequence[tuple[int, int]],
           scoring: str = PARTIAL) -> list[tuple[float, float]]:
    """A part's points divided among groups of its cases, as ``(score, max_score)`` per group.

    For reports that show one part as several tests (Gradescope: its public cases and its
    hidden cases). ``groups`` holds ``(passed, total)`` per group. Every case is worth
    ``points / total``, so the scores add up to :func:`part_score` and the maxima to
    ``points``: exactly for two groups, within a rounding error for more (see
    :func:`_divide`). All-or-nothing: a group earns its share only when every case of the
    part passed.
    """
    cases = sum(t for _, t in groups)
    if cases <= 0:
        return [(0.0, 0.0) for _ in groups]
    passed = sum(p for p, _ in groups)
    earned = part_score(points, passed, cases, scoring)
    totals = [t for _, t in groups]
    if scoring == ALL_OR_NOTHING:
        won = totals if passed == cases else [0] * len(groups)
    else:
        won = [p for p, _ in groups]
    return list(zip(_divide(earned, points, won, cases),
                    _divide(float(points), points, totals, cases), strict=True))


def _divide(whole: float, points: float, counts: list[int], cases: int) -> list[float]:
    """``points * count / cases`` per count, except that the smallest count above 0 gets what
    the others leave of ``whole``. For two groups the other one is then at least half of
    ``whole``, so the subtraction is exact (Sterbenz's lemma) and the two add up to exactly
    ``whole``; leaving the remainder to the larger group can miss it by a unit in the last
    place (1/3 point as 1/18 + 5/18)."""
    values = [points * n / cases for n in counts]
    some = [i for i, n in enumerate(counts) if n > 0]  # an empty group gets exactly 0
    if some:
        smallest = min(some, key=counts.__getitem__)
        values[smallest] = 0.0
        values[smallest] = whole - sum(values)
    return values


def total(scores: Iterable[float]) -> float:
    """A question is the sum of its parts; a submission the sum of its questions."""
    return _tidy(sum(scores))


def status(score: float, max_score: float) -> str:
    """``passed`` (full marks), ``partial`` or ``failed`` (nothing)."""
    if max_score > 0 and score >= max_score - 1e-9:
        return "passed"
    if score > 0:
        return "partial"
    return "passed" if max_score == 0 else "failed"


def one_reference(cases: Sequence[CaseResult]) -> tuple[CaseResult, ...]:
    """A part whose cases must all follow one accepted reference (``one_reference: true``):
    the reference most of its passing cases match (the first, on a tie) is the answer's;
    a case that passed only under another fails, saying so."""
    from grader.judge.compare import ordinal

    counts: dict[int, int] = {}
    for case in cases:
        for number in case.references:
            counts[number] = counts.get(number, 0) + 1
    if not counts:
        return tuple(cases)
    chosen = min(counts, key=lambda n: (-counts[n], n))
    return tuple(
        case if not case.passed or not case.references or chosen in case.references else
        dataclasses.replace(
            case, status="fail", references=(),
            message=f"matches the {ordinal(case.references[0] + 1)} accepted reference, but "
                    f"this part's other cases match the {ordinal(chosen + 1)}: all of them "
                    "must follow one")
        for case in cases)
