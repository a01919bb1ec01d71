"""The grading pipeline: spec -> cases -> expected -> run -> compare -> score -> results.

:class:`Grader` prepares everything that does not depend on a submission once (cases and
expected outputs, in this trusted process), then grades submissions one by one. Each
submission's code runs only in its own child process (:mod:`grader.runner`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import scoring
from .cases import Case, build_part_cases
from .compare import Verdict, judge
from .errors import UsageError
from .expected import Output, compute_expected
from .isolation import Isolation
from .launch import Launcher, SpawnLauncher, ZygoteLauncher, zygote_supported
from .outcomes import CallOutcome, Status
from .properties import property_failures
from .results import (
    AssignmentInfo,
    CaseResult,
    GradeReport,
    PartResult,
    ProblemResult,
    SubmissionResult,
)
from .runner import CallPlan, RunOptions, run_submission
from .spec import Assignment, Part, Problem
from .submissions import Submission


@dataclass(frozen=True)
class GradeOptions:
    run: RunOptions = field(default_factory=RunOptions)
    public_only: bool = False
    case_ids: frozenset[str] | None = None  # run only these cases
    seed: int | None = None  # overrides the assignment's seed
    warn: Callable[[str], None] | None = None  # where one-time warnings go (the CLI: stderr)


@dataclass(frozen=True)
class PreparedPart:
    problem: Problem
    part: Part
    cases: tuple[Case, ...]
    expected: tuple[tuple[Output, ...], ...]
    plan: CallPlan


def assignment_info(assignment: Assignment) -> AssignmentInfo:
    return AssignmentInfo(
        name=assignment.name,
        module=assignment.module,
        max_score=assignment.max_score,
        digest=assignment.digest,
        problems=tuple((p.id, p.title, p.points) for p in assignment.problems),
    )


class Grader:
    """Grades submissions of one assignment with one set of options."""

    def __init__(self, assignment: Assignment, options: GradeOptions | None = None) -> None:
        self.assignment = assignment
        self.options = options or GradeOptions()
        self.seed = assignment.seed if self.options.seed is None else self.options.seed
        self.parts = self._prepare()
        run = self.options.run
        self.isolation = Isolation(run.sandbox, run.limits, warn=self.options.warn)
        self._launcher: Launcher | None = None

    @property
    def launcher(self) -> Launcher:
        """The zygote, started on first use, or a plain spawner where fork is not offered."""
        if self._launcher is None:
            run = self.options.run
            self._launcher = SpawnLauncher(run.python)
            if run.warm and zygote_supported():
                try:
                    self._launcher = ZygoteLauncher(run.python)
                except OSError as exc:
                    if self.options.warn is not None:
                        self.options.warn(f"grader: warning: no warm workers ({exc}); "
                                          "starting a fresh interpreter per submission")
        return self._launcher

    def close(self) -> None:
        """Stop the zygote, if one was started."""
        if self._launcher is not None:
            self._launcher.close()
            self._launcher = None

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _select(self, cases: tuple[Case, ...]) -> tuple[Case, ...]:
        if self.options.case_ids is not None:
            return tuple(c for c in cases if c.id in self.options.case_ids)
        if self.options.public_only:
            return tuple(c for c in cases if c.public)
        return cases

    def _prepare(self) -> list[PreparedPart]:
        prepared = []
        known: set[str] = set()
        timeout = self.options.run.timeout
        for problem in self.assignment.problems:
            for part in problem.parts:
                all_cases = build_part_cases(part, problem, self.seed)
                known.update(c.id for c in all_cases)
                cases = self._select(all_cases)
                if self.options.case_ids is not None and not cases:
                    continue
                expected = compute_expected(problem, part, cases, self.assignment.public_dir)
                arity = expected[0][0].arity if expected else None
                plan = CallPlan(part.function, cases, timeout or part.timeout, arity,
                                part.compare)
                prepared.append(PreparedPart(problem, part, cases, tuple(expected), plan))
        if self.options.case_ids is not None:
            unknown = sorted(self.options.case_ids - known)
            if unknown:
                raise UsageError(
                    f"unknown case id {unknown[0]!r}; case ids look like "
                    f"{next(iter(sorted(known)), 'q1/part/0')!r}")
        return prepared

    @property
    def import_timeout(self) -> float:
        return max(self.assignment.defaults.timeout, self.options.run.timeout or 0.0)

    def grade(self, submission: Submission) -> SubmissionResult:
        if submission.module is None:
            failure = CallOutcome(Status.IMPORT_ERROR, submission.problem)
            outcomes = {c.id: failure for p in self.parts for c in p.cases}
            output, seconds = "", 0.0
        else:
            record = run_submission(submission.module, [p.plan for p in self.parts],
                                    self.assignment.public_dir, self.import_timeout,
                                    self.options.run, self.isolation, self.launcher)
            outcomes, output, seconds = record.outcomes, record.output, record.seconds
        problems = self._score(outcomes)
        statuses = {o.status for o in outcomes.values()}
        error = ""
        if statuses == {Status.IMPORT_ERROR}:
            failure = next(iter(outcomes.values()))
            error = failure.message + (f" ({failure.location})" if failure.location else "")
        return SubmissionResult(
            id=submission.id,
            path=str(submission.module or submission.folder),
            score=scoring.total(p.score for p in problems),
            max_score=scoring.total(p.max_score for p in problems),
            problems=tuple(problems),
            seed=self.seed,
            output=output,
            error=error,
            seconds=round(seconds, 3),
        )

    def _score(self, outcomes: dict[str, CallOutcome]) -> list[ProblemResult]:
        by_problem: dict[str, list[PartResult]] = {}
        for prepared in self.parts:
            by_problem.setdefault(prepared.problem.id, []).append(
                part_result(prepared, outcomes))
        problems = []
        for problem in self.assignment.problems:
            parts = by_problem.get(problem.id)
            if parts is None:
                continue
            score = scoring.total(p.score for p in parts)
            max_score = scoring.total(p.max_score for p in parts)
            problems.append(ProblemResult(problem.id, problem.title, score, max_score,
                                          scoring.status(score, max_score), tuple(parts)))
        return problems

    def report(self, submissions: Iterable[Submission],
               on_result: Callable[[SubmissionResult], None] | None = None) -> GradeReport:
        results = []
        for submission in submissions:
            result = self.grade(submission)
            if on_result is not None:
                on_result(result)
            results.append(result)
        return GradeReport(
            assignment=assignment_info(self.assignment),
            submissions=tuple(results),
            cases="public" if self.options.public_only and self.options.case_ids is None
            else "all",
            meta={"seed": self.seed},
        )


def case_result(prepared: PreparedPart, case: Case, outcome: CallOutcome,
                expected: tuple[Output, ...]) -> CaseResult:
    part = prepared.part
    verdict = judge(outcome, expected, part.tolerance, part.outputs,
                    fail_on_warnings=part.warnings == "fail")
    if outcome.status is Status.OK and part.checks and (verdict.passed
                                                        or verdict.cause == "values"):
        failures = property_failures(part.checks, outcome.outputs, case.args, dict(case.kwargs))
        if failures:
            # A named property ("not symmetric") says more than the worst element does.
            earlier = () if verdict.passed else (verdict.message, *verdict.details)
            verdict = Verdict(False, failures[0], (*failures[1:], *earlier), "property")
    if verdict.passed:
        status = "pass"
    elif outcome.status is Status.OK:
        status = "fail"
    else:
        status = outcome.status.value
    return CaseResult(
        id=case.id,
        index=case.index,
        public=case.public,
        status=status,
        message=verdict.message,
        details=verdict.details,
        inputs=case.summary(),
        file=outcome.file,
        line=outcome.line,
        seconds=round(outcome.seconds, 6),
    )


def part_result(prepared: PreparedPart, outcomes: dict[str, CallOutcome]) -> PartResult:
    part = prepared.part
    cases = tuple(
        case_result(prepared, case, outcomes[case.id], expected)
        for case, expected in zip(prepared.cases, prepared.expected, strict=True)
    )
    passed = sum(c.passed for c in cases)
    first = next((c for c in cases if not c.passed), None)
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
    )
