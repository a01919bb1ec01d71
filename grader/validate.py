"""``grader validate``: is the assignment itself sound, before any student is graded?

For every part: the cases build identically twice; every reference runs on every case twice
and gives bit-identical, finite, numeric outputs; and, where the references form a complete
solution module, that module graded as a submission (in a child process, like a student's)
earns full marks, which checks serialization and comparison end to end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _modules
from .cases import Case, build_part_cases
from .expected import Output, compute_expected
from .grading import GradeOptions, Grader
from .runner import RunOptions
from .spec import Assignment
from .submissions import Submission


@dataclass(frozen=True)
class PartCheck:
    problem: str
    part: str
    function: str
    cases: int
    public: int
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ValidationReport:
    parts: tuple[PartCheck, ...]
    self_grade: str = ""  # what grading the reference solution gave, if it could be run
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems and not any(p.problems for p in self.parts)


def _same_inputs(a: Case, b: Case) -> bool:
    if a.arg_names != b.arg_names or list(a.kwargs) != list(b.kwargs):
        return False
    pairs = list(zip(a.args, b.args, strict=True)) + [(a.kwargs[k], b.kwargs[k]) for k in a.kwargs]
    return all(repr(x) == repr(y) if not isinstance(x, np.ndarray) else
               isinstance(y, np.ndarray) and x.dtype == y.dtype and
               np.array_equal(x, y, equal_nan=True) for x, y in pairs)


def _same_output(a: Output, b: Output) -> bool:
    return a.arity == b.arity and a.values.keys() == b.values.keys() and all(
        a.values[i].dtype == b.values[i].dtype and a.values[i].shape == b.values[i].shape
        and np.array_equal(a.values[i], b.values[i], equal_nan=True) for i in a.values)


def validate(assignment: Assignment, run_options: RunOptions | None = None) -> ValidationReport:
    """Check every part of ``assignment``; never raises for a found problem, except SpecError."""
    checks = []
    for problem in assignment.problems:
        for part in problem.parts:
            first = build_part_cases(part, problem, assignment.seed)
            second = build_part_cases(part, problem, assignment.seed)
            issues: list[str] = []
            notes: list[str] = []
            if not all(_same_inputs(a, b) for a, b in zip(first, second, strict=True)):
                issues.append("case inputs differ between two builds (nondeterministic generator)")
            run1 = compute_expected(problem, part, first, assignment.public_dir)
            run2 = compute_expected(problem, part, first, assignment.public_dir)
            for case, outs1, outs2 in zip(first, run1, run2, strict=True):
                for ref, o1, o2 in zip(part.reference_refs, outs1, outs2, strict=True):
                    if not _same_output(o1, o2):
                        issues.append(f"{ref} gave different outputs twice on case {case.id}")
                    bad = [i for i, v in o1.values.items()
                           if v.dtype.kind == "f" and not np.isfinite(v).all()]
                    if bad:
                        issues.append(f"{ref} returned NaN or inf on case {case.id}")
            public = sum(c.public for c in first)
            if public == 0:
                notes.append("no public cases: students cannot self-check this part")
            checks.append(PartCheck(problem.id, part.id, part.function, len(first), public,
                                    tuple(dict.fromkeys(issues)), tuple(notes)))
    self_grade, problems = _grade_solution(assignment, run_options or RunOptions())
    return ValidationReport(tuple(checks), self_grade, problems)


def _solution_module(assignment: Assignment) -> str | None:
    """The reference file that defines every graded function under its student name."""
    paths = set()
    for problem in assignment.problems:
        for part in problem.parts:
            module, function = _modules.split_ref(part.reference_refs[0])
            if function != part.function:
                return None
            paths.add(_modules.ref_path(part.reference_refs[0], assignment.reference_dir))
    return str(paths.pop()) if len(paths) == 1 else None


def _grade_solution(assignment: Assignment, options: RunOptions) -> tuple[str, tuple[str, ...]]:
    path = _solution_module(assignment)
    if path is None:
        return "", ()
    from pathlib import Path

    module = Path(path)
    grader = Grader(assignment, GradeOptions(run=options))
    result = grader.grade(Submission("reference", module.parent, module))
    summary = f"{result.score:g} / {result.max_score:g}"
    problems = tuple(
        f"the reference solution loses points on {pr.id}/{part.id}: {part.message}"
        for pr in result.problems for part in pr.parts if part.score < part.max_score
    )
    return summary, problems
