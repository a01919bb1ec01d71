"""Grading a whole class: parallel jobs, a run folder that keeps every result, and resume.

The report of a resumed run is the same as an uninterrupted run's (apart from timings):
results already in the run folder are reused, the rest are graded, and the report lists
every submission in discovery order.

With :class:`VaryingGrader` (``grader grade --vary-by-student``) every submission gets its
own public seed, :func:`student_seed` of the assignment's seed and the submission id, so
neighbours get different inputs. The seed is shown to the student, and reproduces their
public cases; their hidden cases come from a keyed hash of it under the assignment's secret
key (:mod:`grader.spec.key`), which is never shown. Its expected outputs are computed (or
taken from the cache, which is keyed by seed) by a :class:`Grader` made for that seed.
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from grader import __version__
from grader.batch.reuse import ResultCache
from grader.batch.rundir import RunDir
from grader.grading import Grader
from grader.intake.submissions import Submission
from grader.results import GradeReport, SubmissionResult
from grader.sandbox.launch import TrackingLauncher
from grader.spec.key import key_id


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def student_seed(seed: int, submission_id: str) -> int:
    """A submission's own seed: the first 4 bytes (big-endian) of
    ``sha256("<seed>:<submission id>")``. Stable across runs, machines and Python versions,
    and below 2**32, so it is short enough to type after ``grader check --seed``."""
    digest = hashlib.sha256(f"{seed}:{submission_id}".encode("utf-8", "surrogateescape")
                            ).digest()
    return int.from_bytes(digest[:4], "big")


class _SeedGrader(Grader):
    """A Grader for one submission's seed that borrows the run's workers and isolation, so
    that a seed costs its cases and expected outputs, not a new zygote."""

    def __init__(self, run: VaryingGrader, seed: int) -> None:
        super().__init__(run.assignment, replace(run.options, seed=seed, warn=None))
        self.isolation = run.isolation  # a fallback to limits is found (and reported) once
        self._run = run

    @property
    def launcher(self) -> TrackingLauncher:
        return self._run.launcher


class VaryingGrader(Grader):
    """Grades each submission with its own seed, :func:`student_seed` of the assignment's
    seed (or ``options.seed``) and the submission's id.

    It is a Grader of the assignment's seed (which checks the references once, up front) whose
    :meth:`grade` hands each submission to a Grader of that submission's seed, made when it
    is needed and dropped afterwards; so ``grade_all``'s jobs, slots and Ctrl-C handling work
    unchanged, in threads and in forked job processes alike.
    """

    def seed_for(self, submission: Submission) -> int:
        return student_seed(self.seed, submission.id)

    def grade(self, submission: Submission, slot: int = 0) -> SubmissionResult:
        seed = self.seed_for(submission)
        return self.contain(submission,
                            lambda: _SeedGrader(self, seed).grade(submission, slot))

    def not_graded(self, submission: Submission, why: str) -> SubmissionResult:
        return replace(super().not_graded(submission, why), seed=self.seed_for(submission))

    def report(self, results: Iterable[SubmissionResult]) -> GradeReport:
        report = super().report(results)
        return replace(report, meta={**report.meta, "vary_by_student": True})


def run_meta(grader: Grader) -> dict[str, Any]:
    """What a run folder must agree on before its results can be reused."""
    options = grader.options
    return {
        "grader": __version__,
        "assignment": grader.assignment.name,
        "digest": grader.assignment.digest,
        "seed": grader.seed,
        "key": key_id(grader.assignment.key),
        "vary_by_student": isinstance(grader, VaryingGrader),
        "cases": "public" if options.public_only else "all",
        "case_ids": sorted(options.case_ids) if options.case_ids is not None else None,
        "timeout": options.run.timeout,
        "sandbox": options.run.sandbox,
        "memory": options.run.limits.memory,
    }


class Interrupted(Exception):
    """Grading stopped early (Ctrl-C); the run folder keeps what finished."""

    def __init__(self, run_dir: Path | None, done: int, total: int) -> None:
        self.run_dir = run_dir
        self.done = done
        self.total = total
        super().__init__(f"interrupted after {done} of {total} submissions")


Executor = Callable[[Sequence[Submission], Callable[[SubmissionResult], None]], None]


def grade_class(grader: Grader, submissions: Sequence[Submission], jobs: int,
                run_dir: RunDir | None = None,
                on_result: Callable[[SubmissionResult], None] | None = None,
                release: Callable[[Submission], None] | None = None,
                reuse: ResultCache | None = None,
                executor: Executor | None = None) -> GradeReport:
    """Grade every submission not already in ``run_dir``; record each as it finishes.
    ``release`` is called with each submission once it is graded (or found graded): what
    was unpacked for it can go. ``reuse``: results of unchanged submissions are taken from
    it, and new ones stored. ``executor(submissions, finished)`` grades elsewhere (a Dask
    cluster) instead of ``grader.grade_all`` here."""
    done = run_dir.done() if run_dir is not None else {}
    todo = [s for s in submissions if s.id not in done]
    keys = {s.id: key for s in todo if reuse is not None
            and (key := reuse.key(s)) is not None}
    if release is not None:
        for submission in submissions:
            if submission.id in done:
                release(submission)
    # Graded in an order nobody can predict, so that no two submissions can count on being
    # graded one after the other in the same job slot, the way colluding ones would signal
    # through what they leave behind there (timing, kernel counters). Reports keep the order
    # of ``submissions``.
    random.Random(secrets.randbits(128)).shuffle(todo)
    by_id = {s.id: s for s in todo}

    def finished(result: SubmissionResult, stored: bool = False) -> None:
        if result.id in by_id:
            result = as_handed_in(result, by_id[result.id])
            if release is not None:
                release(by_id[result.id])
            if reuse is not None and not stored and result.id in keys:
                reuse.put(keys[result.id], result)
        if run_dir is not None:
            run_dir.record(result)
        done[result.id] = result
        if on_result is not None:
            on_result(result)

    if reuse is not None:
        for submission in [s for s in todo if s.id in keys]:
            found = reuse.get(submission, keys[submission.id])
            if found is not None:
                todo.remove(submission)
                finished(found, stored=True)
    try:
        if executor is not None:
            executor(todo, finished)
        else:
            grader.grade_all(todo, jobs=jobs, on_result=finished)
    except KeyboardInterrupt:
        raise Interrupted(run_dir.path if run_dir else None, len(done),
                          len(submissions)) from None
    return grader.report(done[s.id] for s in submissions)


def as_handed_in(result: SubmissionResult, submission: Submission) -> SubmissionResult:
    """The result with the path the submission was handed in as (the zip or downloaded
    file), not the temporary folder it was unpacked into."""
    if submission.source is None:
        return result
    return replace(result, path=submission.shown_path)
