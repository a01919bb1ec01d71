"""Judging one part of a submission: the outcomes of its cases into results.

A :class:`PreparedPart` is everything about a part that does not depend on the submission
(its cases, the expected outputs, the call plan), made once by :class:`grader.grading.Grader`.
:func:`case_result` judges one case's outcome (the comparison with the references, the
property checks, the known mistakes it matches); :func:`part_result` scores the part.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

from grader import scoring, values
from grader.cases.build import Case
from grader.judge import mistakes
from grader.judge.compare import Verdict, judge
from grader.judge.expected import Output
from grader.judge.mistakes import KnownOutputs
from grader.judge.properties import property_failures
from grader.outcomes import CallOutcome, Status
from grader.results import CaseResult, PartResult
from grader.sandbox.schedule import CallPlan
from grader.spec import Part, Problem


@dataclass(frozen=True)
class PreparedPart:
    problem: Problem
    part: Part
    cases: tuple[Case, ...]
    expected: tuple[tuple[Output, ...], ...]
    plan: CallPlan
    # The verdict on an answer bit-for-bit equal to the first reference's, by case index:
    # the same for every submission that gives it (a correct one often does), so made once.
    as_reference: dict[int, Verdict] = field(default_factory=dict, compare=False, repr=False)
    # The known mistakes' outputs on these cases, made when an answer first fails one.
    known: KnownOutputs | None = field(default=None, compare=False, repr=False)
    # Which known mistakes pass each case (by case index): the same for every submission.
    mistakes_passing: dict[int, tuple[str, ...]] = field(default_factory=dict, compare=False,
                                                          repr=False)



def case_result(prepared: PreparedPart, case: Case, outcome: CallOutcome,
                expected: tuple[Output, ...]) -> CaseResult:
    part = prepared.part
    if (outcome.status is Status.OK and expected and same_values(outcome, expected[0])
            and not (outcome.warnings and part.warnings == "fail")):
        verdict = prepared.as_reference.get(case.index)
        if verdict is None:
            verdict = prepared.as_reference[case.index] = _verdict(prepared, case, outcome,
                                                                   expected)
    else:
        verdict = _verdict(prepared, case, outcome, expected)
    if verdict.passed:
        status = "pass"
    elif outcome.status is Status.OK:
        status = "fail"
    else:
        status = outcome.status.value
    named: tuple[str, ...] = ()
    if status == "fail" and prepared.known is not None:
        picked = replace(outcome, outputs=part.picked(outcome.outputs))
        named = mistakes.matching(part, picked, prepared.known.on(case), prepared.plan.labels,
                                  warned=verdict.cause == "warning")
    # A failure has a place in the student's code when it raised, or when a warning failed it.
    located = not verdict.passed and (outcome.status is not Status.OK
                                      or verdict.cause == "warning")
    return CaseResult(
        id=case.id,
        index=case.index,
        public=case.public,
        status=status,
        message=verdict.message,
        details=verdict.details,
        inputs="" if verdict.passed else case.summary(),
        file=outcome.file if located else None,
        line=outcome.line if located else None,
        seconds=round(outcome.seconds, 6),
        step_seconds=tuple(round(t, 6) for t in outcome.steps),
        digest=outcome.digest(),
        references=verdict.matched,
        mistakes=named,
    )


def same_values(outcome: CallOutcome, reference: Output) -> bool:
    """Whether every compared output is bit-for-bit the reference's (dtype and shape too)."""
    return all(index in outcome.outputs and values.identical(outcome.outputs[index], want)
               for index, want in reference.values.items())


def _verdict(prepared: PreparedPart, case: Case, outcome: CallOutcome,
             expected: tuple[Output, ...]) -> Verdict:
    """The comparison with the references, then the part's property checks."""
    part = prepared.part
    if part.compare_paths and outcome.outputs:
        outcome = replace(outcome, outputs=part.picked(outcome.outputs))
    verdict = judge(outcome, expected, part.tolerance, part.outputs,
                    fail_on_warnings=part.warnings == "fail", labels=prepared.plan.labels)
    if outcome.status is Status.OK and part.checks and (verdict.passed
                                                        or verdict.cause == "values"):
        failures = property_failures(part.checks, outcome.outputs, case.args, dict(case.kwargs))
        if failures:
            # A named property ("not symmetric") says more than the worst element does.
            earlier = () if verdict.passed else (verdict.message, *verdict.details)
            verdict = Verdict(False, failures[0], (*failures[1:], *earlier), "property")
    return verdict


def judge_part(prepared: PreparedPart, outcomes: dict[str, CallOutcome]) -> PartResult:
    """The result of one part, from the outcomes of its cases."""
    return part_result(prepared, tuple(
        case_result(prepared, case, outcomes[case.id], expected)
        for case, expected in zip(prepared.cases, prepared.expected, strict=True)))


def part_result(prepared: PreparedPart, cases: tuple[CaseResult, ...]) -> PartResult:
    """A part's score and message from its judged cases (scoring policy: grader.scoring)."""
    part = prepared.part
    if part.one_reference:
        cases = scoring.one_reference(cases)
    passed = sum(c.passed for c in cases)
    first = next((c for c in cases if not c.passed), None)
    passing = functools.partial(_mistakes_passing, prepared)
    if not cases:
        message = "no cases selected"
    elif first is None:
        message = ""
    else:
        message = f"case {first.id}: {first.message}"
    return PartResult(
        id=part.id,
        function=part.function,
        score=scoring.part_score(part.points, passed, len(cases), part.scoring),
        max_score=part.points,
        passed=passed,
        total=len(cases),
        message=message,
        scoring=part.scoring,
        cases=cases,
        mistakes=mistakes.named(part.mistakes, cases, False, passing),
        public_mistakes=mistakes.named(part.mistakes, cases, True, passing),
    )


def _mistakes_passing(prepared: PreparedPart, result: CaseResult) -> tuple[str, ...]:
    """The names of the known mistakes whose wrong answer passes ``result``'s case, judged as
    a student's answer would be (a warning fails it where the part fails warnings); the same
    for every submission, so made once per case."""
    found = prepared.mistakes_passing.get(result.index)
    if found is not None:
        return found
    if prepared.known is None:
        return ()
    at = next(i for i, case in enumerate(prepared.cases) if case.index == result.index)
    case, expected = prepared.cases[at], prepared.expected[at]
    found = prepared.mistakes_passing[result.index] = tuple(
        mistake.name for mistake, out in zip(prepared.part.mistakes, prepared.known.on(case),
                                             strict=True)
        if out is not None and _verdict(prepared, case, CallOutcome(
            Status.OK, outputs=dict(out.values),
            warnings=("a warning",) if out.warned else ()), expected).passed)
    return found
