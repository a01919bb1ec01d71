"""The grading pipeline: spec -> cases -> expected -> run -> compare -> score -> results.

:class:`Grader` prepares everything that does not depend on a submission once (cases and
expected outputs, in this trusted process), then grades submissions one by one. Each
submission's code runs only in its own child process (:mod:`grader.sandbox.runner`).
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader import scoring, values
from grader.batch.jobs import forking_supported, grade_in_processes
from grader.cases.build import Case, build_part_cases, part_case_ids
from grader.display import shorten
from grader.errors import GraderError, SpecError, UsageError
from grader.intake import notebooks
from grader.intake.submissions import Submission
from grader.judge import mistakes
from grader.judge.cache import ExpectedCache, Outputs
from grader.judge.expected import Output, compute_expected
from grader.judge.held import Held
from grader.judge.mistakes import KnownOutputs
from grader.judge.part import PreparedPart, case_result, part_result
from grader.outcomes import CallOutcome, Status
from grader.results import (
    AssignmentInfo,
    CaseResult,
    GradeReport,
    PartResult,
    ProblemResult,
    SubmissionResult,
)
from grader.sandbox import packages
from grader.sandbox.launch import ContainerUnavailable, Launcher, SpawnLauncher, TrackingLauncher
from grader.sandbox.policy import Isolation
from grader.sandbox.runner import RunOptions, SubmissionRun, run_submission
from grader.sandbox.schedule import Schedule, plan_for
from grader.sandbox.zygotes import ZygoteLauncher, end_prestarted, zygote_supported
from grader.similarity import code as code_similarity
from grader.spec import Assignment, Part, Problem, display_path
from grader.spec.key import missing_key

PROBLEM = 1000  # characters of what is wrong with a submission as a whole


@dataclass(frozen=True)
class GradeOptions:
    run: RunOptions = field(default_factory=RunOptions)
    public_only: bool = False
    case_ids: frozenset[str] | None = None  # run only these cases
    seed: int | None = None  # overrides the assignment's seed
    warn: Callable[[str], None] | None = None  # where one-time warnings go (the CLI: stderr)
    cache: bool = True  # reuse expected outputs from the on-disk cache (grader.judge.cache)
    cache_dir: Path | None = None  # default: $XDG_CACHE_HOME/grader/expected
    # Raise the grader's own failures while grading a submission instead of giving that
    # submission a "not graded" result: the test suite sets GRADER_RAISE_ERRORS=1.
    raise_errors: bool = field(
        default_factory=lambda: os.environ.get("GRADER_RAISE_ERRORS", "") == "1")


def assignment_info(assignment: Assignment) -> AssignmentInfo:
    return AssignmentInfo(
        name=assignment.name,
        module=assignment.module,
        max_score=assignment.max_score,
        digest=assignment.digest,
        source_digest=assignment.source_digest,
        problems=tuple((p.id, p.title, p.points) for p in assignment.problems),
    )


class Grader:
    """Grades submissions of one assignment with one set of options."""

    def __init__(self, assignment: Assignment, options: GradeOptions | None = None) -> None:
        self.assignment = assignment
        self.options = options or GradeOptions()
        packages.require(assignment, self.options.run.python)  # before any work
        self.seed = assignment.seed if self.options.seed is None else self.options.seed
        self.cache = (ExpectedCache(assignment, self.seed, self.options.cache_dir)
                      if self.options.cache else None)
        self.parts = self._prepare()
        self.schedule = Schedule([p.plan for p in self.parts], assignment.public_dir,
                                 packages.policy(assignment))
        self._by_case = {case.id: (prepared, expected) for prepared in self.parts
                         for case, expected in zip(prepared.cases, prepared.expected,
                                                   strict=True)}
        run = self.options.run
        self.isolation = Isolation(run.sandbox, run.limits, warn=self.options.warn,
                                   extra=(assignment.public_dir, *run.extra_paths),
                                   site_view=packages.view(assignment),
                                   bundle=assignment.source_digest is not None)
        self._launcher: TrackingLauncher | None = None
        self._launcher_lock = threading.Lock()
        self._packages_checked = False

    @property
    def launcher(self) -> TrackingLauncher:
        """The job slots' launchers (zygotes, started on first use), and their workspace."""
        with self._launcher_lock:
            if self._launcher is None:
                self._launcher = self.launchers()
            return self._launcher

    def launchers(self, extra: Sequence[Path] = ()) -> TrackingLauncher:
        """New launchers whose workers also see ``extra`` (read-only); the caller closes
        them. :attr:`launcher` is the one for this grader's own runs."""
        run, isolation, warn = self.options.run, self.isolation, self.options.warn
        visible = (self.assignment.public_dir, *run.extra_paths, *extra)

        # (Not a method: the launchers must not keep this grader alive, so that a grader
        # nobody closed still ends its zygotes when it is collected.)
        def new(slot: int, kind: str, workspace: Path) -> Launcher:
            if run.warm and zygote_supported():
                config = isolation.container(workspace, visible) if kind == "full" else None
                uid = isolation.student_uid(slot) if kind == "confined" else None
                try:
                    return ZygoteLauncher(run.python, container=config, kind=kind, uid=uid)
                except ContainerUnavailable:
                    raise
                except OSError as exc:
                    if warn is not None:
                        warn(f"grader: warning: no warm workers ({exc}); "
                             "starting a fresh interpreter per submission")
            return SpawnLauncher(run.python, kind,
                                 None if isolation.mode == "off" else isolation.limits)

        return TrackingLauncher(new, visible)

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

    def _wants_hidden(self, ids: list[tuple[str, bool]]) -> bool:
        """Whether this run grades some hidden case among ``ids`` (id, public)."""
        if self.options.case_ids is not None:
            return any(not public and i in self.options.case_ids for i, public in ids)
        return not self.options.public_only

    def _prepare(self) -> list[PreparedPart]:
        prepared = []
        known: set[str] = set()
        timeout = self.options.run.timeout
        for problem in self.assignment.problems:
            for part in problem.parts:
                ids = part_case_ids(part, problem)
                known.update(case_id for case_id, _ in ids)
                hidden = self._wants_hidden(ids)
                if hidden and part.draws_hidden and self.assignment.key is None:
                    raise missing_key(self.assignment.root)
                cases = self._select(build_part_cases(part, problem, self.seed,
                                                      self.assignment.key, not hidden))
                if self.options.case_ids is not None and not cases:
                    continue
                expected = self._expected(problem, part, cases)
                arity = expected[0][0].arity if expected else None
                plan = plan_for(part.function, cases, timeout or part.timeout, arity,
                                part.compare, self.assignment.public_dir, part.program,
                                part.scenario)
                prepared.append(PreparedPart(problem, part, cases, tuple(expected), plan,
                                             known=self._known(problem, part, cases)))
        if self.options.case_ids is not None:
            unknown = sorted(self.options.case_ids - known)
            if unknown:
                raise UsageError(
                    f"unknown case id {unknown[0]!r}; case ids look like "
                    f"{next(iter(sorted(known)), 'q1/part/0')!r}")
        return prepared

    def _expected(self, problem: Problem, part: Part, cases: tuple[Case, ...]
                  ) -> list[tuple[Output, ...]]:
        def compute(todo: Sequence[Case]) -> list[tuple[Output, ...]]:
            return compute_expected(problem, part, todo, self.assignment.public_dir)

        if self.cache is None or not cases or not part.references:
            return compute(cases)  # stored expected outputs need no cache
        return self.cache.expected(problem, part, cases, compute)

    def _known(self, problem: Problem, part: Part, cases: tuple[Case, ...]
               ) -> KnownOutputs | None:
        if not part.mistakes or not cases:
            return None
        if not part.wrong:  # a student bundle's, stored
            return KnownOutputs(cases, lambda todo: mistakes.stored(part, todo))
        wrong_dir, public_dir = self.assignment.wrong_dir, self.assignment.public_dir

        def compute(todo: Sequence[Case]) -> list[Outputs]:
            return mistakes.compute(part, todo, public_dir, mistakes.answers(part, wrong_dir))

        if self.cache is None:
            return KnownOutputs(cases, compute)
        known = self.cache
        return KnownOutputs(cases, lambda todo: known.outputs(problem, part, todo, compute,
                                                              ".mistakes", len(part.mistakes)))

    @property
    def import_timeout(self) -> float:
        return max(self.assignment.defaults.timeout, self.options.run.timeout or 0.0)

    def import_failure(self, module: Path) -> str | None:
        """Import ``module`` in a student's process, isolated as students are: why it
        failed, or None."""
        run = SubmissionRun(module, [], self.import_timeout, self.options.run, self.isolation,
                            60, self.launcher, self.schedule.imports)
        try:
            failure = run.import_failure_now()
        finally:
            run.close()
        return failure.message if failure is not None else None

    def check_packages(self) -> None:
        """Before grading anyone: the declared packages import where students run
        (SpecError naming assignment.yaml if not, rather than 0 for every student)."""
        if self._packages_checked:
            return
        self._packages_checked = True
        failure = packages.probe(self.assignment, self.import_failure)
        if failure:
            raise SpecError(display_path(self.assignment.root / "assignment.yaml"), "packages",
                            failure)

    def grade(self, submission: Submission, slot: int = 0) -> SubmissionResult:
        """Grade one submission in job slot ``slot``.

        A failure of the grader itself while grading it (a bug in judging, running out of
        memory) costs this submission only: its result says so and to grade it again, and the
        traceback goes to stderr. With ``options.raise_errors`` (the test suite's setting) it
        raises instead. A :class:`~grader.errors.GraderError` (the user's mistake) raises."""
        self.check_packages()
        return self.contain(submission, lambda: self._grade(submission, slot))

    def contain(self, submission: Submission,
                work: Callable[[], SubmissionResult]) -> SubmissionResult:
        """``work()``, the grading of ``submission``; if the grader fails in it, that
        submission's "not graded" result (see :meth:`grade`)."""
        try:
            return work()
        except GraderError:
            raise
        except Exception as exc:
            if self.options.raise_errors:
                raise
            traceback.print_exc(file=sys.stderr)
            return self.not_graded(submission, f"the grader failed while grading it "
                                               f"({type(exc).__name__}: {exc})")

    def not_graded(self, submission: Submission, why: str) -> SubmissionResult:
        """Zero points for a submission the grader could not grade, saying ``why`` and to
        grade it again (the grader's failure, not the student's)."""
        failed = replace(submission, module=None, problem=f"not graded: {why}; grade it again")
        return self._grade(failed, 0)

    def _grade(self, submission: Submission, slot: int) -> SubmissionResult:
        judged: dict[str, CaseResult] = {}
        cells = None
        notes = notebooks.beside(submission.module) if submission.module is not None else ()
        if submission.module is not None and submission.module.suffix == ".ipynb":
            try:
                cells = notebooks.read(submission.module, self.assignment.notebooks)
            except notebooks.NotebookError as exc:
                submission = replace(submission, module=None, problem=str(exc))

        def judge_now(item: tuple[Case, CallOutcome]) -> None:
            case, outcome = item
            prepared, expected = self._by_case[case.id]
            judged[case.id] = case_result(prepared, case, outcome, expected)

        if submission.module is None:
            # (a problem can quote the student's file names: kept to a paragraph, not
            # repeated at full length in every case of the report)
            failure = CallOutcome(Status.IMPORT_ERROR, shorten(submission.problem, PROBLEM))
            outcomes = {c.id: failure for p in self.parts for c in p.cases}
            for prepared in self.parts:
                for case in prepared.cases:
                    judge_now((case, failure))
            output, seconds = "", 0.0
        else:
            run = replace(self.options.run, slot=slot)
            # Answers are judged once the student's process has answered their whole phase, so
            # it cannot time their judging (judge/held.py).
            held: Held[tuple[Case, CallOutcome]] = Held(judge_now)

            def hold(case: Case, outcome: CallOutcome) -> None:
                if not held.put((case, outcome), sum(map(values.nbytes, outcome.outputs.values()))):
                    held.put((case, CallOutcome(
                        Status.BAD_OUTPUT, f"not judged: this answer would take the answers "
                        f"waiting to be judged past the grader's {held.cap >> 20} MiB per "
                        f"submission", seconds=outcome.seconds)))

            record = run_submission(
                submission.module, self.schedule,
                self.import_timeout if cells is None else self.assignment.notebooks.timeout,
                run, self.isolation, self.launcher, on_outcome=hold,
                between_phases=held.judge_all,
                notebook=None if cells is None else cells.request())
            held.judge_all()
            outcomes, output, seconds = record.outcomes, record.output, record.seconds
        problems = self._score(judged)
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
            notes=notes,
            fingerprints=code_similarity.of_file(
                submission.module, None if cells is None else [src for _, src in cells.cells]),
        )

    def _score(self, judged: dict[str, CaseResult]) -> list[ProblemResult]:
        by_problem: dict[str, list[PartResult]] = {}
        for prepared in self.parts:
            by_problem.setdefault(prepared.problem.id, []).append(
                part_result(prepared, tuple(judged[c.id] for c in prepared.cases)))
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

    def grade_all(self, submissions: Sequence[Submission], jobs: int = 1,
                  on_result: Callable[[SubmissionResult], None] | None = None
                  ) -> list[SubmissionResult]:
        """Grade ``submissions`` with ``jobs`` in parallel; results in submission order.

        Each job slot runs one submission at a time in its own worker process (with its own
        unprivileged uid under full isolation), so a slow or hostile submission holds one
        slot, never the run. ``on_result`` is called in the calling thread as each finishes.
        On KeyboardInterrupt every worker is killed, results not yet reported are dropped
        (they would be wrong: their processes were killed), and the interrupt propagates.
        """
        self.check_packages()  # (here, before any job process is forked)
        jobs = max(1, min(jobs, len(submissions) or 1))
        if jobs > 1 and forking_supported():
            self.close()  # no zygote thread may exist in a process that forks
            end_prestarted()  # (each job process starts its own zygote)
            done = grade_in_processes(self, submissions, jobs, on_result,
                                      raise_errors=self.options.raise_errors)
            return [done[i] for i in range(len(submissions))]
        slots: queue.SimpleQueue[int] = queue.SimpleQueue()
        for slot in range(jobs):
            slots.put(slot)

        def task(submission: Submission) -> SubmissionResult:
            slot = slots.get()
            try:
                return self.grade(submission, slot)
            finally:
                slots.put(slot)

        results: dict[int, SubmissionResult] = {}
        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grader-job")
        futures: dict[Future[SubmissionResult], int] = {}
        try:
            futures = {pool.submit(task, sub): i for i, sub in enumerate(submissions)}
            for future in as_completed(futures):
                result = future.result()
                results[futures[future]] = result
                if on_result is not None:
                    on_result(result)
        except BaseException:
            for future in futures:
                future.cancel()
            self.launcher.kill_all()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return [results[i] for i in range(len(submissions))]

    def report(self, results: Iterable[SubmissionResult]) -> GradeReport:
        """A report of finished results (in the order given)."""
        return GradeReport(
            assignment=assignment_info(self.assignment),
            submissions=tuple(results),
            cases="public" if self.options.public_only and self.options.case_ids is None
            else "all",
            meta={"seed": self.seed},
        )
