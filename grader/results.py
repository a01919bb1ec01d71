"""Results as values: what grading produced, ready for any reporter.

All classes are frozen and round-trip through ``to_dict``/``from_dict`` (plain JSON data).
Reporters read these and nothing else.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, fields
from typing import Any

_NAMES: dict[tuple[type, str], tuple[str, ...]] = {}


def _names(cls: type, skip: str) -> tuple[str, ...]:
    names = _NAMES.get((cls, skip))
    if names is None:
        names = _NAMES[cls, skip] = tuple(f.name for f in fields(cls) if f.name != skip)
    return names


def _shallow(obj: Any, skip: str = "") -> dict[str, Any]:
    """The fields of a results dataclass as a dict, without copying their values.

    (``dataclasses.asdict`` deep-copies every value; on a class of hundreds of submissions
    that was most of the grader's own time.)
    """
    return {name: getattr(obj, name) for name in _names(type(obj), skip)}


@dataclass(frozen=True)
class Mistake:
    """A known mistake that a failing answer was named as (grader.judge.mistakes)."""

    name: str
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "explanation": self.explanation}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Mistake:
        return cls(str(d["name"]), str(d.get("explanation", "")))


@dataclass(frozen=True)
class CaseResult:
    id: str  # "q1/sigmoid/3"
    index: int
    public: bool
    status: str  # "pass", or the reason it failed: fail, error, timeout, crash, ...
    message: str = ""
    details: tuple[str, ...] = ()
    inputs: str = ""  # a short summary of the inputs
    file: str | None = None  # where in the student's code, if known
    line: int | None = None
    seconds: float = 0.0
    step_seconds: tuple[float, ...] = ()  # a call sequence's time per step
    # What the student's process answered (CallOutcome.digest), for comparing answers across
    # students: the values themselves are not kept once judged. The student chose it, so
    # student-facing formats never show it.
    digest: str = ""
    # A passing case of a part with several accepted references: which it matched (0 is
    # the first); left out of the JSON otherwise.
    references: tuple[int, ...] = ()
    # A failing case: the known mistakes whose output it equals (within the part's
    # tolerance), by name; left out of the JSON when none.
    mistakes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict[str, Any]:
        d = _shallow(self)
        d["details"] = list(self.details)
        d["step_seconds"] = list(self.step_seconds)
        for name in ("references", "mistakes"):
            if d[name]:
                d[name] = list(d[name])
            else:
                del d[name]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CaseResult:
        return cls(**{**d, "details": tuple(d.get("details", ())),
                      "step_seconds": tuple(d.get("step_seconds", ())),
                      "references": tuple(d.get("references", ())),
                      "mistakes": tuple(d.get("mistakes", ()))})


@dataclass(frozen=True)
class PartResult:
    id: str
    function: str
    score: float
    max_score: float
    passed: int
    total: int
    message: str  # the first failure, or "" when every case passed
    scoring: str = "partial"
    cases: tuple[CaseResult, ...] = ()
    # The known mistakes the answer is named as: judged on every case graded (the
    # instructor's), and on the public cases only (what a student may be told).
    mistakes: tuple[Mistake, ...] = ()
    public_mistakes: tuple[Mistake, ...] = ()

    @property
    def first_failure(self) -> CaseResult | None:
        return next((c for c in self.cases if not c.passed), None)

    def to_dict(self) -> dict[str, Any]:
        d = _shallow(self, skip="cases")
        d["mistakes"] = [m.to_dict() for m in self.mistakes]
        d["public_mistakes"] = [m.to_dict() for m in self.public_mistakes]
        d["cases"] = [c.to_dict() for c in self.cases]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PartResult:
        cases = tuple(CaseResult.from_dict(c) for c in d.get("cases", ()))
        return cls(**{**d, "cases": cases, **{
            key: tuple(Mistake.from_dict(m) for m in d.get(key, ()))
            for key in ("mistakes", "public_mistakes")}})


@dataclass(frozen=True)
class ProblemResult:
    id: str
    title: str
    score: float
    max_score: float
    status: str  # passed | partial | failed
    parts: tuple[PartResult, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = _shallow(self, skip="parts")
        d["parts"] = [p.to_dict() for p in self.parts]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProblemResult:
        return cls(**{**d, "parts": tuple(PartResult.from_dict(p) for p in d["parts"])})


@dataclass(frozen=True)
class SubmissionResult:
    id: str
    path: str
    score: float
    max_score: float
    problems: tuple[ProblemResult, ...] = ()
    seed: int = 0
    output: str = ""  # what the student's code printed (shortened)
    error: str = ""  # a problem with the submission as a whole (e.g. no hw2.py)
    seconds: float = 0.0
    notes: tuple[str, ...] = ()  # what the student should know that cost nothing
    # The code's winnowed fingerprints (grader.similarity.code), kept so that similarity can
    # be measured from results alone (a run folder, a merge of shards) without the sources.
    fingerprints: tuple[int, ...] = ()

    def problem(self, problem_id: str) -> ProblemResult | None:
        return next((p for p in self.problems if p.id == problem_id), None)

    def to_dict(self) -> dict[str, Any]:
        d = _shallow(self, skip="problems")
        d["notes"] = list(self.notes)
        d["fingerprints"] = list(self.fingerprints)
        d["problems"] = [p.to_dict() for p in self.problems]
        return d

    @functools.cached_property
    def json(self) -> str:
        """:meth:`to_dict` as one line of JSON, made once: the run folder and the JSON
        report both write it."""
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SubmissionResult:
        problems = tuple(ProblemResult.from_dict(p) for p in d["problems"])
        return cls(**{**d, "problems": problems, "notes": tuple(d.get("notes", ())),
                      "fingerprints": tuple(d.get("fingerprints", ()))})

    @classmethod
    def from_json(cls, text: str) -> SubmissionResult:
        """The result :attr:`json` was made from; that text is kept, not made again."""
        result = cls.from_dict(json.loads(text))
        result.__dict__["json"] = text  # (how functools.cached_property stores it)
        return result


@dataclass(frozen=True)
class AssignmentInfo:
    name: str
    module: str
    max_score: float
    digest: str
    problems: tuple[tuple[str, str, float], ...] = ()  # (id, title, points)
    source_digest: str | None = None  # a student bundle: the assignment it was exported from

    def to_dict(self) -> dict[str, Any]:
        d = _shallow(self)
        d["problems"] = [{"id": i, "title": t, "points": p} for i, t, p in self.problems]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AssignmentInfo:
        probs = tuple((p["id"], p["title"], p["points"]) for p in d.get("problems", ()))
        return cls(**{**d, "problems": probs})


@dataclass(frozen=True)
class GradeReport:
    assignment: AssignmentInfo
    submissions: tuple[SubmissionResult, ...] = ()
    cases: str = "all"  # "all" or "public": which cases were run
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, submissions: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {"assignment": self.assignment.to_dict(), "cases": self.cases}
        if submissions:
            d["submissions"] = [s.to_dict() for s in self.submissions]
        d["mistakes"] = self.mistake_counts()
        if len(self.submissions) > 1:  # (a class: who looks alike; derived, never read back)
            from grader.similarity.report import signals

            d["similarity"] = signals(self).to_dict()
        d["meta"] = dict(self.meta)
        return d

    def mistake_counts(self) -> list[dict[str, Any]]:
        """Each known mistake named across the report's submissions (on every case graded),
        with how many submissions it was named in: most first, then in assignment order."""
        counts: dict[tuple[str, str, str], list[Any]] = {}
        for sub in self.submissions:
            for problem in sub.problems:
                for part in problem.parts:
                    for mistake in part.mistakes:
                        key = (problem.id, part.id, mistake.name)
                        counts.setdefault(key, [mistake.explanation, 0])[1] += 1
        ranked = sorted(counts.items(), key=lambda item: -item[1][1])  # (stable: ties in order)
        return [{"problem": p, "part": part, "name": name, "explanation": explanation,
                 "submissions": n} for (p, part, name), (explanation, n) in ranked]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GradeReport:
        return cls(
            assignment=AssignmentInfo.from_dict(d["assignment"]),
            submissions=tuple(SubmissionResult.from_dict(s) for s in d["submissions"]),
            cases=d.get("cases", "all"),
            meta=dict(d.get("meta", {})),
        )
