"""Scoring policy, in one place: verdicts in, points out. Reporters never total anything."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
    ``points`` (the last group takes the remainder, so float rounding cannot make them
    drift). All-or-nothing: a group earns its share only when every case of the part passed.
    """
    cases = sum(t for _, t in groups)
    if cases <= 0:
        return [(0.0, 0.0) for _ in groups]
    passed = sum(p for p, _ in groups)
    earned = part_score(points, passed, cases, scoring)
    result: list[tuple[float, float]] = []
    for i, (group_passed, group_total) in enumerate(groups):
        if i == len(groups) - 1:
            result.append((earned - sum(s for s, _ in result),
                           float(points) - sum(m for _, m in result)))
            break
        share = points * group_total / cases
        if scoring == ALL_OR_NOTHING:
            result.append((share if passed == cases else 0.0, share))
        else:
            result.append((points * group_passed / cases, share))
    return result


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
