"""A class at a glance: the figures the HTML report (:mod:`grader.reporters.html`) shows,
worked out from a :class:`~grader.results.GradeReport` and nothing else.

Totals and each question's scores as histograms, each part's pass rates, its most common
kinds of failure and its named mistakes, the submissions that timed out, crashed, ran out of
memory or did not import, the similarity signals, and each student's failures. Values only:
the template draws them.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass

from grader.display import printable, shorten
from grader.results import CaseResult, GradeReport, PartResult, SubmissionResult
from grader.similarity.report import Signals, signals

BINS = 10
MESSAGE_CHARS = 300  # of a failure's message in a student's section
OUTPUT_CHARS = 1000  # of what a student's code printed
TOP_KINDS = 5  # failure kinds shown per part
ID_WIDTH = 40  # characters of an id in the summary table (the section's heading has it all)

# How each failing status reads, where the message adds nothing to the kind.
_STATUS_WORDS = {
    "timeout": "timed out", "crash": "crashed", "missing": "not defined",
    "import_error": "did not import", "bad_output": "returned something that is not data",
    "not_run": "not run (after a timeout or crashes)",
}
_TROUBLE = ("timeout", "crash", "import_error")
_LOCATION = re.compile(r"\s*\([^()]*\bline \d+\)$")
_COUNT = re.compile(r"\b\d+ of \d+ ")


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class Histogram:
    title: str
    top: float  # the most points there are
    bins: tuple[Bin, ...]

    @property
    def tallest(self) -> int:
        return max((b.count for b in self.bins), default=0)


@dataclass(frozen=True)
class Kind:
    words: str
    submissions: int


@dataclass(frozen=True)
class NamedMistake:
    name: str
    explanation: str
    submissions: int


@dataclass(frozen=True)
class PartStats:
    id: str  # "q1/sigmoid"
    points: float
    full_marks: int  # submissions with every point of the part
    graded: int  # submissions that have the part
    cases_passed: int
    cases: int
    kinds: tuple[Kind, ...]
    mistakes: tuple[NamedMistake, ...]

    @property
    def full_rate(self) -> float:
        return self.full_marks / self.graded if self.graded else 0.0

    @property
    def case_rate(self) -> float:
        return self.cases_passed / self.cases if self.cases else 0.0


@dataclass(frozen=True)
class Trouble:
    submission: str
    anchor: str
    where: str  # a part, or "import"
    kind: str
    message: str


@dataclass(frozen=True)
class Failure:
    part: str
    score: float
    max_score: float
    case: str
    hidden: bool
    kind: str
    message: str
    inputs: str
    mistakes: tuple[str, ...]


@dataclass(frozen=True)
class Student:
    id: str
    shown: str  # the id, shortened in the middle where long (the table's width)
    anchor: str
    score: float
    max_score: float
    problems: tuple[float, ...]  # each question's score, in the assignment's order
    error: str
    notes: tuple[str, ...]
    output: str
    failures: tuple[Failure, ...]


@dataclass(frozen=True)
class ClassView:
    name: str
    digest: str
    cases: str  # "all" or "public"
    max_score: float
    problems: tuple[tuple[str, str, float], ...]  # (id, title, points)
    mean: float
    median: float
    full_marks: int
    totals: Histogram
    per_problem: tuple[Histogram, ...]
    parts: tuple[PartStats, ...]
    troubles: tuple[Trouble, ...]
    students: tuple[Student, ...]
    similarity: Signals
    anchors: dict[str, str]  # submission id -> its section's anchor


def histogram(title: str, values: list[float], top: float, bins: int = BINS) -> Histogram:
    """``values`` in ``bins`` equal bins from 0 to ``top``; the last holds ``top`` itself."""
    width = top / bins if top > 0 else 1.0
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, max(0, int(value / width)))] += 1
    return Histogram(title, top, tuple(Bin(i * width, (i + 1) * width, n)
                                       for i, n in enumerate(counts)))


def kind(case: CaseResult) -> str:
    """A failure in a few words shared by the submissions that fail the same way: a wrong
    answer's first clause without its counts and place, an exception's class, or the
    status."""
    if case.status == "error":
        return case.message.split(":", 1)[0][:60] or "raised an exception"
    if case.status != "fail":
        return _STATUS_WORDS.get(case.status, case.status)
    words = _LOCATION.sub("", case.message.split(";", 1)[0])
    for cut in (" does not hold", ": expected", ", got"):  # (the case's own shapes, values)
        if cut in words:
            words = words.split(cut, 1)[0] + (cut if cut == " does not hold" else "")
    return "wrong: " + _COUNT.sub("", words)[:80]


def class_view(report: GradeReport) -> ClassView:
    subs = report.submissions
    info = report.assignment
    totals = [s.score for s in subs]
    per_problem = tuple(
        histogram(f"{pid}: {title}", [_problem_score(s, pid) for s in subs], points)
        for pid, title, points in info.problems)
    return ClassView(
        name=info.name, digest=info.digest, cases=report.cases, max_score=info.max_score,
        problems=info.problems,
        mean=statistics.fmean(totals) if totals else 0.0,
        median=statistics.median(totals) if totals else 0.0,
        full_marks=sum(t >= info.max_score for t in totals),
        totals=histogram("Totals", totals, info.max_score),
        per_problem=per_problem, parts=_parts(report), troubles=_troubles(subs),
        students=tuple(_student(s, i, info.problems) for i, s in enumerate(subs)),
        similarity=signals(report), anchors={s.id: anchor(i) for i, s in enumerate(subs)})


def anchor(index: int) -> str:
    """A student's section's anchor: by position, since ids are the students' own text."""
    return f"s{index}"


def _problem_score(sub: SubmissionResult, problem_id: str) -> float:
    problem = sub.problem(problem_id)
    return problem.score if problem is not None else 0.0


def _parts(report: GradeReport) -> tuple[PartStats, ...]:
    order: list[str] = []
    found: dict[str, list[PartResult]] = {}
    for sub in report.submissions:
        for problem in sub.problems:
            for part in problem.parts:
                key = f"{problem.id}/{part.id}"
                if key not in found:
                    order.append(key)
                found.setdefault(key, []).append(part)
    named: dict[str, list[NamedMistake]] = {}
    for m in report.mistake_counts():  # (most common first)
        named.setdefault(f"{m['problem']}/{m['part']}", []).append(
            NamedMistake(m["name"], m["explanation"], m["submissions"]))
    stats = []
    for key in order:
        parts = found[key]
        kinds = Counter(k for part in parts
                        for k in {kind(c) for c in part.cases
                                  if not c.passed and c.status != "not_run"})
        ranked = sorted(kinds.items(), key=lambda item: (-item[1], item[0]))
        stats.append(PartStats(
            id=key, points=parts[0].max_score,
            full_marks=sum(p.score >= p.max_score for p in parts), graded=len(parts),
            cases_passed=sum(p.passed for p in parts), cases=sum(p.total for p in parts),
            kinds=tuple(Kind(printable(words), n) for words, n in ranked[:TOP_KINDS]),
            mistakes=tuple(named.get(key, ()))))
    return tuple(stats)


def _troubles(subs: tuple[SubmissionResult, ...]) -> tuple[Trouble, ...]:
    """Each submission's first timeout, crash, out-of-memory and failed import."""
    out = []
    for index, sub in enumerate(subs):
        seen: set[str] = set()
        if sub.error:  # (the submission as a whole: no module, a failed import, ...)
            failed_import = any(c.status == "import_error" for problem in sub.problems
                                for part in problem.parts for c in part.cases)
            where, what = ("import", "did not import") if failed_import else \
                ("submission", "not graded")
            out.append(Trouble(printable(sub.id), anchor(index), where, what,
                               printable(sub.error[:MESSAGE_CHARS])))
            continue
        for problem in sub.problems:
            for part in problem.parts:
                for case in part.cases:
                    trouble = _trouble(case)
                    if trouble and trouble not in seen:
                        seen.add(trouble)
                        where = "import" if trouble == "did not import" else \
                            f"{problem.id}/{part.id}"
                        out.append(Trouble(printable(sub.id), anchor(index), where, trouble,
                                           printable(case.message[:MESSAGE_CHARS])))
    return tuple(out)


def _trouble(case: CaseResult) -> str | None:
    if (case.status == "crash" and "too much memory" in case.message) or (
            case.status == "error" and case.message.startswith("MemoryError")):
        return "ran out of memory"
    return _STATUS_WORDS[case.status] if case.status in _TROUBLE else None


def _student(sub: SubmissionResult, index: int,
             problems: tuple[tuple[str, str, float], ...]) -> Student:
    failures: list[Failure] = []
    for problem in () if sub.error else sub.problems:  # (its error says why: every part 0)
        for part in problem.parts:
            case = part.first_failure
            if case is None or part.score >= part.max_score:
                continue
            failures.append(Failure(
                part=f"{problem.id}/{part.id}", score=part.score, max_score=part.max_score,
                case=case.id, hidden=not case.public, kind=printable(kind(case)),
                message=printable(case.message[:MESSAGE_CHARS]),
                inputs=printable(case.inputs[:MESSAGE_CHARS]),
                mistakes=tuple(m.name for m in part.mistakes)))
    output = sub.output[:OUTPUT_CHARS]
    if len(sub.output) > OUTPUT_CHARS:
        output += f"\n... [{len(sub.output) - OUTPUT_CHARS} more characters in the JSON report]"
    return Student(id=printable(sub.id), shown=printable(shorten(sub.id, ID_WIDTH)),
                   anchor=anchor(index),
                   score=sub.score, max_score=sub.max_score,
                   problems=tuple(_problem_score(sub, pid) for pid, _, _ in problems),
                   error=printable(sub.error[:MESSAGE_CHARS]),
                   notes=tuple(printable(n) for n in sub.notes),
                   output=printable(output, keep="\n\t"), failures=tuple(failures))
