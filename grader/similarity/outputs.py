"""Identical wrong answers on hidden cases: a signal of shared work, by the digests that
each case's result records of the answer (:attr:`grader.results.CaseResult.digest`).

Two honest students rarely give the same wrong numbers on cases they never saw, unless
they made the same known mistake: each group says which known mistakes its answers are
named as, so that a common, innocent error reads as one. Where each submission had its own
seed (``--vary-by-student``) the hidden cases differ between students and there is no
signal: :func:`groups` says so instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.results import GradeReport

LEAST_CASES = 2  # identical wrong answers on fewer hidden cases say nothing


@dataclass(frozen=True)
class Group:
    part: str  # "q1/sigmoid"
    submissions: tuple[str, ...]
    cases: int  # hidden cases on which they all gave the same wrong answer
    mistakes: tuple[str, ...]  # known mistakes named in the part for every one of them


NO_SIGNAL = ("each submission had its own seed (--vary-by-student): their hidden cases "
             "differ, so their answers cannot be compared")


def groups(report: GradeReport) -> tuple[list[Group], str]:
    """The groups, largest first, and a note ("" or :data:`NO_SIGNAL`)."""
    if report.meta.get("vary_by_student"):
        return [], NO_SIGNAL
    found: dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[str, set[str]]]] = {}
    for sub in report.submissions:
        for problem in sub.problems:
            for part in problem.parts:
                answers = tuple((c.id, c.digest) for c in part.cases
                                if not c.public and c.status == "fail" and c.digest)
                if len(answers) >= LEAST_CASES:
                    found.setdefault((f"{problem.id}/{part.id}", answers), []).append(
                        (sub.id, {m.name for m in part.mistakes}))
    out = []
    for (where, answers), members in found.items():
        if len(members) > 1:
            named = set.intersection(*(names for _, names in members))
            out.append(Group(where, tuple(sorted(sid for sid, _ in members)), len(answers),
                             tuple(sorted(named))))
    out.sort(key=lambda g: (bool(g.mistakes), -len(g.submissions), -g.cases, g.part,
                            g.submissions))
    return out, ""
