"""Scoring policy, in one place: verdicts in, points out. Reporters never total anything."""

from __future__ import annotations

from collections.abc import Iterable

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
