"""Grading a whole class: parallel jobs, a run folder that keeps every result, and resume.

The report of a resumed run is the same as an uninterrupted run's (apart from timings):
results already in the run folder are reused, the rest are graded, and the report lists
every submission in discovery order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .grading import Grader
from .results import GradeReport, SubmissionResult
from .rundir import RunDir
from .submissions import Submission


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def run_meta(grader: Grader) -> dict[str, Any]:
    """What a run folder must agree on before its results can be reused."""
    options = grader.options
    return {
        "assignment": grader.assignment.name,
        "digest": grader.assignment.digest,
        "seed": grader.seed,
        "cases": "public" if options.public_only else "all",
        "case_ids": sorted(options.case_ids) if options.case_ids is not None else None,
        "timeout": options.run.timeout,
    }


class Interrupted(Exception):
    """Grading stopped early (Ctrl-C); the run folder keeps what finished."""

    def __init__(self, run_dir: Path | None, done: int, total: int) -> None:
        self.run_dir = run_dir
        self.done = done
        self.total = total
        super().__init__(f"interrupted after {done} of {total} submissions")


def grade_class(grader: Grader, submissions: Sequence[Submission], jobs: int,
                run_dir: RunDir | None = None,
                on_result: Callable[[SubmissionResult], None] | None = None) -> GradeReport:
    """Grade every submission not already in ``run_dir``; record each as it finishes."""
    done = run_dir.done() if run_dir is not None else {}
    todo = [s for s in submissions if s.id not in done]

    def finished(result: SubmissionResult) -> None:
        if run_dir is not None:
            run_dir.record(result)
        done[result.id] = result
        if on_result is not None:
            on_result(result)

    try:
        grader.grade_all(todo, jobs=jobs, on_result=finished)
    except KeyboardInterrupt:
        raise Interrupted(run_dir.path if run_dir else None, len(done),
                          len(submissions)) from None
    return grader.report(done[s.id] for s in submissions)
