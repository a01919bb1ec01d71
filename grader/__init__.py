"""grader: auto-grading for numeric and machine-learning homework.

The public API is listed in ``__all__``. Attributes load lazily so that the student-side
worker (``python -m grader.worker``) imports nothing but itself, numpy and the wire format.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cases import Case, build_cases
    from .compare import Verdict, compare_array
    from .errors import GraderError, SpecError, SubmissionError, UsageError
    from .generators import BuiltArg
    from .grading import GradeOptions, Grader
    from .results import (
        CaseResult,
        GradeReport,
        PartResult,
        ProblemResult,
        SubmissionResult,
    )
    from .runner import RunOptions
    from .spec import Assignment, load_assignment
    from .stored import StoredCase, StoredOutput, write_cases
    from .submissions import Staging, Submission, discover

__version__ = "0.1.0"

_EXPORTS = {
    "Assignment": "spec",
    "load_assignment": "spec",
    "Case": "cases",
    "build_cases": "cases",
    "BuiltArg": "generators",
    "Verdict": "compare",
    "compare_array": "compare",
    "GraderError": "errors",
    "SpecError": "errors",
    "SubmissionError": "errors",
    "UsageError": "errors",
    "GradeOptions": "grading",
    "Grader": "grading",
    "RunOptions": "runner",
    "CaseResult": "results",
    "PartResult": "results",
    "ProblemResult": "results",
    "SubmissionResult": "results",
    "GradeReport": "results",
    "Staging": "submissions",
    "Submission": "submissions",
    "discover": "submissions",
    "StoredCase": "stored",
    "StoredOutput": "stored",
    "write_cases": "stored",
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
