"""grader: auto-grading for numeric and machine-learning homework.

The public API is listed in ``__all__``. Attributes load lazily so that the student-side
worker (``python -m grader.sandbox.child.worker``) imports nothing but itself, numpy and the
wire format. The subsystems are packages; the README's "Architecture" section maps them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.cases.build import Case, build_cases
    from grader.cases.generators import BuiltArg
    from grader.cases.stored import StoredCase, StoredOutput, write_cases
    from grader.errors import GraderError, SpecError, SubmissionError, UsageError
    from grader.grading import GradeOptions, Grader
    from grader.intake.submissions import Staging, Submission, discover
    from grader.judge.compare import Verdict, compare_array
    from grader.results import CaseResult, GradeReport, PartResult, ProblemResult, SubmissionResult
    from grader.sandbox.runner import RunOptions
    from grader.spec import Assignment, load_assignment

__version__ = "0.1.0"

_EXPORTS = {
    "Assignment": "spec",
    "load_assignment": "spec",
    "Case": "cases.build",
    "build_cases": "cases.build",
    "BuiltArg": "cases.generators",
    "Verdict": "judge.compare",
    "compare_array": "judge.compare",
    "GraderError": "errors",
    "SpecError": "errors",
    "SubmissionError": "errors",
    "UsageError": "errors",
    "GradeOptions": "grading",
    "Grader": "grading",
    "RunOptions": "sandbox.runner",
    "CaseResult": "results",
    "PartResult": "results",
    "ProblemResult": "results",
    "SubmissionResult": "results",
    "GradeReport": "results",
    "Staging": "intake.submissions",
    "Submission": "intake.submissions",
    "discover": "intake.submissions",
    "StoredCase": "cases.stored",
    "StoredOutput": "cases.stored",
    "write_cases": "cases.stored",
}

__all__ = [
    "Assignment",
    "BuiltArg",
    "Case",
    "CaseResult",
    "GradeOptions",
    "GradeReport",
    "Grader",
    "GraderError",
    "PartResult",
    "ProblemResult",
    "RunOptions",
    "SpecError",
    "Staging",
    "StoredCase",
    "StoredOutput",
    "Submission",
    "SubmissionError",
    "SubmissionResult",
    "UsageError",
    "Verdict",
    "build_cases",
    "compare_array",
    "discover",
    "load_assignment",
    "write_cases",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'grader' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
