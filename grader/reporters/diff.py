"""``grader diff OLD NEW``: who a regrade changed, by how much, and in which parts.

The use: after fixing a case or a tolerance, grade again and see whom it affects before
publishing. Both sides are lists of :class:`~grader.results.SubmissionResult` (from a run
folder or a JSON report: :func:`grader.batch.rundir.load_results`), matched by submission
id. A score is compared at a hundredth of a point, as reports print it: a change smaller
than that (floating-point noise) is none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from grader.reporters._format import points
from grader.results import SubmissionResult

SAME = 0.005  # points: a smaller difference is no change


@dataclass(frozen=True)
class PartChange:
    part: str  # "q1/sigmoid"
    old: float
    new: float

    @property
    def delta(self) -> float:
        return self.new - self.old


@dataclass(frozen=True)
class Change:
    submission: str
    old: float
    new: float
    parts: tuple[PartChange, ...]

    @property
    def delta(self) -> float:
        return self.new - self.old


@dataclass(frozen=True)
class ReportDiff:
    old_name: str
    new_name: str
    old_digest: str
    new_digest: str
    changed: tuple[Change, ...]  # most points lost first, then most gained
    unchanged: int
    only_old: tuple[str, ...]
    only_new: tuple[str, ...]

    @property
    def any(self) -> bool:
        """Whether some score changed, or some submission is on one side only."""
        return bool(self.changed or self.only_old or self.only_new)


def _parts(sub: SubmissionResult) -> dict[str, float]:
    return {f"{q.id}/{p.id}": p.score for q in sub.problems for p in q.parts}


def compare(old: Iterable[SubmissionResult], new: Iterable[SubmissionResult],
            names: tuple[str, str] = ("OLD", "NEW"),
            digests: tuple[str, str] = ("", "")) -> ReportDiff:
    before = {s.id: s for s in old}
    after = {s.id: s for s in new}
    changed, unchanged = [], 0
    for sid in sorted(before.keys() & after.keys()):
        a, b = before[sid], after[sid]
        parts_a, parts_b = _parts(a), _parts(b)
        parts = tuple(PartChange(part, parts_a.get(part, 0.0), parts_b.get(part, 0.0))
                      for part in [*parts_a, *(p for p in parts_b if p not in parts_a)]
                      if abs(parts_a.get(part, 0.0) - parts_b.get(part, 0.0)) >= SAME)
        if abs(a.score - b.score) >= SAME or parts:
            changed.append(Change(sid, a.score, b.score, parts))
        else:
            unchanged += 1
    changed.sort(key=lambda c: (c.delta, c.submission))
    return ReportDiff(names[0], names[1], digests[0], digests[1], tuple(changed), unchanged,
                      tuple(sorted(before.keys() - after.keys())),
                      tuple(sorted(after.keys() - before.keys())))


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + points(value)


def render_text(diff: ReportDiff) -> str:
    up = sum(c.delta > 0 for c in diff.changed)
    down = sum(c.delta < 0 for c in diff.changed)
    lines = [f"{diff.old_name} -> {diff.new_name}"]
    if diff.old_digest != diff.new_digest:
        lines.append(f"assignment changed: {diff.old_digest} -> {diff.new_digest}")
    lines.append(f"{len(diff.changed)} changed ({up} up, {down} down), {diff.unchanged} "
                 f"unchanged, {len(diff.only_old)} only in {diff.old_name}, "
                 f"{len(diff.only_new)} only in {diff.new_name}")
    width = max((len(c.submission) for c in diff.changed), default=0)
    for c in diff.changed:
        lines.append(f"  {c.submission:<{width}}  {points(c.old):>6} -> {points(c.new):<6} "
                     f"({_signed(c.delta)})")
        lines += [f"  {'':<{width}}    {p.part}: {points(p.old)} -> {points(p.new)} "
                  f"({_signed(p.delta)})" for p in c.parts]
    lines += [f"  only in {diff.old_name}: {sid}" for sid in diff.only_old]
    lines += [f"  only in {diff.new_name}: {sid}" for sid in diff.only_new]
    return "\n".join(lines) + "\n"


def render_json(diff: ReportDiff) -> str:
    data = asdict(diff)
    for change, record in zip(diff.changed, data["changed"], strict=True):
        record["delta"] = change.delta
        for part, part_record in zip(change.parts, record["parts"], strict=True):
            part_record["delta"] = part.delta
    data["any"] = diff.any
    return json.dumps(data, indent=2) + "\n"
