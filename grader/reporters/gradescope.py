"""Gradescope's ``results.json`` for one submission.

Follows https://gradescope-autograders.readthedocs.io/en/latest/specs/. The mapping:

- top level: ``score`` is the submission's total (from :mod:`grader.scoring`), so Gradescope
  shows exactly what every other format shows; ``output`` names the assignment, the score,
  the cases run and the seed, and any problem with the
  submission as a whole; every text is ``text`` format, so nothing a student wrote is read as
  HTML or markdown; ``extra_data`` records the assignment digest, the seed and the cases run.
  No ``execution_time``: a student controls how long their code takes, with hidden inputs in
  hand, and students see it.
- one test per part and kind of case: ``q1 sigmoid (public cases)``, always visible, and
  ``q1 sigmoid (hidden cases)`` with ``ReportOptions.hidden_visibility`` (default
  ``after_published``). The part's points are divided between them by
  :func:`grader.scoring.shares` (each case is worth the same), so the tests add up to the part's
  score and to the top-level score. A part with no cases run is one test worth nothing.
- ``status`` is ``passed`` when the test earned all its points, else ``failed``.
- a public test's ``output`` counts its cases and lists the failing ones, the first with its
  explanation. A hidden test's ``output`` is how many of its cases passed and, with
  ``ReportOptions.hidden_detail == "cases"``, each failing one's id and kind of failure in
  the grader's words: never its inputs, values, message, file or line, nor any other text
  the student's process chose (:mod:`grader.reporters._visible`). What the student's code
  printed is left out, since it could echo a hidden case's inputs. Names, ``extra_data`` and
  the top-level ``output`` hold only the grader's words, the spec's ids, the score and a
  problem with the submission as a whole (found before any case ran).

Gradescope runs an autograder once per submission, so the report must hold exactly one.
"""

from __future__ import annotations

import json
from typing import Any

from grader import scoring
from grader.errors import UsageError
from grader.reporters import _visible
from grader.reporters._format import points
from grader.reporters._options import DEFAULT, ReportOptions
from grader.results import CaseResult, GradeReport, PartResult, ProblemResult, SubmissionResult

ALL_OR_NOTHING_NOTE = ("This part is all-or-nothing: it earns its points only when every "
                       "case, public and hidden, passes.")


def render(report: GradeReport, options: ReportOptions = DEFAULT) -> str:
    if len(report.submissions) != 1:
        raise UsageError(f"the gradescope format is one submission's results.json (Gradescope "
                         f"runs the autograder once per submission); got "
                         f"{len(report.submissions)} submissions")
    return json.dumps(results(report, report.submissions[0], options), indent=2,
                      allow_nan=False) + "\n"


def results(report: GradeReport, sub: SubmissionResult,
            options: ReportOptions = DEFAULT) -> dict[str, Any]:
    """The results.json object of one submission."""
    scope = "public cases only" if report.cases == "public" else "all cases"
    lines = [f"{report.assignment.name}: {points(sub.score)} / {points(sub.max_score)} "
             f"({scope}, seed {sub.seed})"]
    if sub.error:
        lines.append(sub.error)
    lines += list(sub.notes)
    tests = [test for problem in sub.problems for part in problem.parts
             for test in part_tests(problem, part, options)]
    return {
        "score": sub.score,
        "output": "\n".join(lines),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "extra_data": {"assignment": report.assignment.digest, "seed": sub.seed,
                       "cases": report.cases},
        "tests": tests,
    }


def part_tests(problem: ProblemResult, part: PartResult,
               options: ReportOptions = DEFAULT) -> list[dict[str, Any]]:
    """The part's public cases as a visible test, its hidden cases as a second test."""
    name = f"{problem.id} {part.id}"
    if part.total == 0:
        return [_test(f"{name} (no cases run)", 0.0, part.max_score, "visible",
                      [part.message or "no cases run"])]
    groups = [tuple(c for c in part.cases if c.public),
              tuple(c for c in part.cases if not c.public)]
    groups = [g for g in groups if g]
    counts = [(sum(c.passed for c in g), len(g)) for g in groups]
    tests = []
    for group, (score, max_score) in zip(groups, scoring.shares(
            part.max_score, counts, part.scoring), strict=True):
        public = group[0].public
        kind = "public" if public else "hidden"
        visibility = "visible" if public else options.hidden_visibility
        lines = _group_lines(group, kind, options)
        if public:
            lines[1:1] = _visible.mistake_lines(part)
        if part.scoring == scoring.ALL_OR_NOTHING:
            lines.append(ALL_OR_NOTHING_NOTE)
        tests.append(_test(f"{name} ({kind} cases)", score, max_score, visibility, lines))
    return tests


def _group_lines(group: tuple[CaseResult, ...], kind: str,
                 options: ReportOptions = DEFAULT) -> list[str]:
    passed = sum(c.passed for c in group)
    lines = [f"{passed} of {len(group)} {kind} cases passed."]
    if kind == "hidden" and not options.hidden_cases:
        return lines  # the count, and nothing a submission could choose case by case
    for i, case in enumerate(c for c in group if not c.passed):
        lines.append(_visible.headline(case))
        if i == 0:
            lines += [f"  {line}" for line in _visible.explanation(case)]
    return lines


def _test(name: str, score: float, max_score: float, visibility: str,
          lines: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "score": score,
        "max_score": max_score,
        "status": "passed" if scoring.status(score, max_score) == "passed" else "failed",
        "output": "\n".join(lines),
        "visibility": visibility,
    }
