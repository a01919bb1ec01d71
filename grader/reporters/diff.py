"""``grader diff OLD NEW``: who a regrade changed, by how much, and in which parts.

The use: after fixing a case or a tolerance, grade again and see whom it affects before
publishing. Both sides are finished runs (:func:`grader.batch.rundir.load_results`: a run
folder or a JSON report), matched by submission id. A score is compared at a hundredth of a
point, as reports print it: a smaller difference (floating-point noise) is none. A part
that one side lacks is shown as added or removed, not as a zero; runs that are not alike
(another assignment, public cases against all, a seed per student against one) are said
to be so before the changes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from grader.batch.rundir import Loaded
from grader.display import printable, shorten
from grader.reporters._format import points
from grader.results import SubmissionResult

SAME = 0.005  # points: a smaller difference is no change
ID_WIDTH = 32  # an id in the text, shortened in the middle (the JSON keeps it whole)


@dataclass(frozen=True)
class PartChange:
    part: str  # "q1/sigmoid"
    old: float | None  # None: the part is not in that run
    new: float | None

    @property
    def delta(self) -> float:
        return round((self.new or 0.0) - (self.old or 0.0), 9)


@dataclass(frozen=True)
class Change:
    submission: str
    old: float
    new: float
    old_max: float
    new_max: float
    parts: tuple[PartChange, ...]

    @property
    def delta(self) -> float:
        return round(self.new - self.old, 9)


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
    notes: tuple[str, ...] = field(default=())  # how the two runs differ besides scores

    @property
    def any(self) -> bool:
        """Whether some score changed, or some submission is on one side only."""
        return bool(self.changed or self.only_old or self.only_new)


def _parts(sub: SubmissionResult) -> dict[str, float]:
    return {f"{q.id}/{p.id}": p.score for q in sub.problems for p in q.parts}


def _notes(old: Loaded, new: Loaded) -> tuple[str, ...]:
    notes = []
    if old.name != new.name:
        notes.append(f"these are runs of different assignments: {old.name!r} and "
                     f"{new.name!r}")
    elif old.digest != new.digest:
        notes.append(f"the assignment changed: {old.digest} -> {new.digest}")
    if old.cases != new.cases:
        notes.append(f"one ran every case, the other public cases only ({old.cases} -> "
                     f"{new.cases})")
    if old.varied != new.varied:
        notes.append("one gave each submission its own seed (--vary-by-student), the other "
                     "did not: their cases differ")
    return tuple(notes)


def compare(old: Loaded, new: Loaded, names: tuple[str, str] = ("OLD", "NEW")) -> ReportDiff:
    before = {s.id: s for s in old.results}
    after = {s.id: s for s in new.results}
    changed, unchanged = [], 0
    for sid in sorted(before.keys() & after.keys()):
        a, b = before[sid], after[sid]
        parts_a, parts_b = _parts(a), _parts(b)
        order = [*parts_a, *(p for p in parts_b if p not in parts_a)]
        parts = tuple(PartChange(part, parts_a.get(part), parts_b.get(part)) for part in order
                      if part not in parts_a or part not in parts_b
                      or abs(parts_a[part] - parts_b[part]) >= SAME)
        if abs(a.score - b.score) >= SAME or abs(a.max_score - b.max_score) >= SAME or parts:
            changed.append(Change(sid, a.score, b.score, a.max_score, b.max_score, parts))
        else:
            unchanged += 1
    changed.sort(key=lambda c: (c.delta, c.submission))
    return ReportDiff(names[0], names[1], old.digest, new.digest, tuple(changed), unchanged,
                      tuple(sorted(before.keys() - after.keys())),
                      tuple(sorted(after.keys() - before.keys())), _notes(old, new))


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + points(value)


def _part_line(p: PartChange) -> str:
    if p.old is None:
        return f"{p.part}: added, {points(p.new or 0.0)}"
    if p.new is None:
        return f"{p.part}: removed (was {points(p.old)})"
    return f"{p.part}: {points(p.old)} -> {points(p.new)} ({_signed(p.delta)})"


def render_text(diff: ReportDiff) -> str:
    up = sum(c.delta > 0 for c in diff.changed)
    down = sum(c.delta < 0 for c in diff.changed)
    lines = [printable(f"{diff.old_name} -> {diff.new_name}")]
    lines += [f"note: {printable(note)}" for note in diff.notes]
    lines.append(f"{len(diff.changed)} changed ({up} up, {down} down), {diff.unchanged} "
                 f"unchanged, {len(diff.only_old)} only in {printable(diff.old_name)}, "
                 f"{len(diff.only_new)} only in {printable(diff.new_name)}")
    shown = {c.submission: printable(shorten(c.submission, ID_WIDTH)) for c in diff.changed}
    width = max((len(s) for s in shown.values()), default=0)
    for c in diff.changed:
        scale = "" if abs(c.old_max - c.new_max) < SAME else \
            f"  (out of {points(c.old_max)} -> {points(c.new_max)})"
        lines.append(f"  {shown[c.submission]:<{width}}  {points(c.old):>6} -> "
                     f"{points(c.new):<6} ({_signed(c.delta)}){scale}")
        lines += [f"  {'':<{width}}    {printable(_part_line(p))}" for p in c.parts]
    lines += [f"  only in {printable(diff.old_name)}: {printable(sid)}" for sid in diff.only_old]
    lines += [f"  only in {printable(diff.new_name)}: {printable(sid)}" for sid in diff.only_new]
    return "\n".join(lines) + "\n"


def render_json(diff: ReportDiff) -> str:
    data = asdict(diff)
    for change, record in zip(diff.changed, data["changed"], strict=True):
        record["delta"] = change.delta
        for part, part_record in zip(change.parts, record["parts"], strict=True):
            part_record["delta"] = part.delta
    data["any"] = diff.any
    return json.dumps(data, indent=2) + "\n"
