"""Reporters: each turns a finished :class:`~grader.results.GradeReport` into text.

They only read results; scoring and totals come from :mod:`grader.scoring`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..results import GradeReport
from . import json, table

FORMATS: dict[str, Callable[[GradeReport], str]] = {
    "table": table.render,
    "json": json.render,
}

__all__ = ["FORMATS"]
