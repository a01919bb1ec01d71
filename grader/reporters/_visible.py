"""What the student-facing formats may say about a failing case.

Everything about a public case; only the id and the kind of failure of a hidden one. A hidden
case's message, details and inputs can carry its inputs or expected values ("got 0.3, expected
0.7"), and the Gradescope, JUnit, markdown and GitHub formats may be read by students, so they
never show them. The JSON report keeps everything, for the instructor.
"""

from __future__ import annotations

from grader.results import CaseResult, PartResult

# What a hidden case's status may say in its place.
HIDDEN_STATUS = {
    "fail": "wrong result",
    "error": "raised an exception",
    "timeout": "timed out",
    "crash": "crashed",
    "bad_output": "returned something that is not numeric data",
    "not_run": "not run (after an earlier timeout or crash)",
}
# Statuses whose message is the same for every case ("hw2.py does not define f()"), so it
# says nothing about a hidden case's inputs.
CASE_INDEPENDENT = frozenset({"missing", "import_error"})


def failing(part: PartResult) -> tuple[CaseResult, ...]:
    return tuple(c for c in part.cases if not c.passed)


def shows_message(case: CaseResult) -> bool:
    """Whether the case's message, details and inputs may be shown."""
    return case.public or case.status in CASE_INDEPENDENT


def headline(case: CaseResult) -> str:
    """One line about a failing case: ``case q1/f/3: 2 of 5 elements mismatched ...`` or
    ``case q1/f/9 (hidden case): wrong result``."""
    hidden = "" if case.public else " (hidden case)"
    if shows_message(case) and case.message:
        return f"case {case.id}{hidden}: {case.message}"
    return f"case {case.id}{hidden}: {HIDDEN_STATUS.get(case.status, case.status)}"


def explanation(case: CaseResult) -> list[str]:
    """The lines under a headline: the details and inputs of a public case; none otherwise."""
    if not case.public:
        return []
    lines = list(case.details)
    if case.inputs:
        lines.append(f"inputs: {case.inputs}")
    return lines


def summary(part: PartResult) -> str:
    """The part's message as a student may read it: its first failing public case (else its
    first failing hidden case); ``""`` when every case passed."""
    if part.total == 0:
        return part.message
    failures = failing(part)
    if not failures:
        return ""
    first = next((c for c in failures if c.public), failures[0])
    return headline(first)


def location(part: PartResult) -> CaseResult | None:
    """The first failing case that knows where in the student's code it failed."""
    return next((c for c in failing(part) if c.file and c.line), None)
