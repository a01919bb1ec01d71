"""The similarity signals of a class report, as the JSON and HTML reports show them: the
code pairs (:mod:`grader.similarity.code`) with the starter code's fingerprints left out,
and the groups of identical wrong answers (:mod:`grader.similarity.outputs`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from grader.results import GradeReport
from grader.similarity import code, outputs

STARTER = "starter_fingerprints"  # the report's meta key: the starter code's (--starter)


@dataclass(frozen=True)
class Signals:
    pairs: tuple[code.Pair, ...]
    groups: tuple[outputs.Group, ...]
    note: str  # why identical answers say nothing here, or ""
    starter: bool  # the starter code was left out

    def to_dict(self) -> dict[str, Any]:
        return {"code": [asdict(p) for p in self.pairs],
                "outputs": [{**asdict(g), "submissions": list(g.submissions),
                             "mistakes": list(g.mistakes)} for g in self.groups],
                "note": self.note, "starter_excluded": self.starter}


def signals(report: GradeReport) -> Signals:
    starter = report.meta.get(STARTER) or ()
    pairs = code.ranked({s.id: s.fingerprints for s in report.submissions}, starter)
    groups, note = outputs.groups(report)
    return Signals(tuple(pairs), tuple(groups), note, bool(starter))
