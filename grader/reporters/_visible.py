"""What the student-facing formats may say about a part and its cases.

Gradescope, JUnit, markdown, GitHub and ``grader check``'s text may be read by students.
They name a known mistake only as judged on the public cases (``PartResult.public_mistakes``).
Every public case runs before any hidden input reaches the student's process, so all about a
failing public case may be shown (escaped for each format). A hidden case is shown only in the
grader's own words: by default as how many of the part's hidden cases passed ("hidden: 7 of
10 passed"), and with ``ReportOptions.hidden_detail == "cases"`` also each failing one's id
and kind of failure (:data:`HIDDEN_STATUS`). Never its message, details or inputs, nor the
file and line it failed at: the student's process chose those after the hidden inputs had
arrived (an exception's text or class name, a warning's file name, a forged reply), so any of
them could spell the inputs out. The JSON report keeps everything, for the instructor.
"""

from __future__ import annotations

from grader.reporters._options import DEFAULT, ReportOptions
from grader.results import CaseResult, PartResult

# What a failing hidden case's status may say in its place (the grader's words). A status
# missing here is shown as "failed": never a word the student's process could pick.
HIDDEN_STATUS = {
    "fail": "wrong result",
    "error": "raised an exception",
    "timeout": "timed out",
    "crash": "crashed",
    "bad_output": "returned something that is not numeric data",
    "not_run": "not run (after an earlier timeout or crash)",
    "missing": "not defined",
    "import_error": "the module did not import",
}


def failing(part: PartResult) -> tuple[CaseResult, ...]:
    return tuple(c for c in part.cases if not c.passed)


def public_failures(part: PartResult) -> tuple[CaseResult, ...]:
    return tuple(c for c in part.cases if c.public and not c.passed)


def hidden_cases(part: PartResult) -> tuple[CaseResult, ...]:
    return tuple(c for c in part.cases if not c.public)


def kind(case: CaseResult) -> str:
    """A failing hidden case's kind of failure, in the grader's words."""
    return HIDDEN_STATUS.get(case.status, "failed")


def headline(case: CaseResult) -> str:
    """One line about a failing case: ``case q1/f/3: 2 of 5 elements mismatched ...`` for a
    public one, ``case q1/f/9 (hidden case): wrong result`` for a hidden one (shown only
    where hidden cases are listed one by one)."""
    if not case.public:
        return f"case {case.id} (hidden case): {kind(case)}"
    return f"case {case.id}: {case.message or kind(case)}"


def explanation(case: CaseResult) -> list[str]:
    """The lines under a headline: the details and inputs of a public case; none otherwise."""
    if not case.public:
        return []
    lines = list(case.details)
    if case.inputs:
        lines.append(f"inputs: {case.inputs}")
    return lines


def mistake_lines(part: PartResult) -> list[str]:
    """The known mistakes the answer matches on every failing public case (never judged on
    hidden cases: see grader.judge.mistakes), one line each."""
    return [f"matches the known mistake {m.name}" + (f": {m.explanation}" if m.explanation
                                                      else "")
            for m in part.public_mistakes]


def hidden_count(part: PartResult) -> str:
    """``hidden: 7 of 10 passed``, or ``""`` for a part without hidden cases."""
    hidden = hidden_cases(part)
    if not hidden:
        return ""
    return f"hidden: {sum(c.passed for c in hidden)} of {len(hidden)} passed"


def hidden_lines(part: PartResult, options: ReportOptions = DEFAULT) -> list[str]:
    """The part's hidden cases as a student may read them: the count, then, where the
    options list hidden cases, a headline per failing one. None when the part has none."""
    count = hidden_count(part)
    if not count:
        return []
    if not options.hidden_cases:
        return [count]
    return [count, *(headline(c) for c in hidden_cases(part) if not c.passed)]


def hidden_summary(part: PartResult, options: ReportOptions = DEFAULT) -> str:
    """:func:`hidden_lines` on one line: ``hidden: 7 of 10 passed; failing: q1/f/3: wrong
    result; q1/f/5: timed out``."""
    count = hidden_count(part)
    failed = [c for c in hidden_cases(part) if not c.passed]
    if not options.hidden_cases or not failed:
        return count
    return f"{count}; failing: " + "; ".join(f"{c.id}: {kind(c)}" for c in failed)


def summary(part: PartResult, options: ReportOptions = DEFAULT) -> str:
    """The part as one line a student may read: its first failing public case, else its
    hidden cases (:func:`hidden_summary`); ``""`` when every case passed, and the part's own
    message (the grader's, case-independent) when no case ran."""
    if part.total == 0:
        return part.message
    public = public_failures(part)
    if public:
        return headline(public[0])
    if part.passed == part.total:
        return ""
    return hidden_summary(part, options)


def location(part: PartResult) -> CaseResult | None:
    """The first failing public case that knows where in the student's code it failed. A
    hidden case's file and line are the student's to choose, so never one of those."""
    return next((c for c in public_failures(part) if c.file and c.line), None)
