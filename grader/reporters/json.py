"""The JSON report: the full result data, for machines. Nothing else goes to stdout."""

from __future__ import annotations

import json

from ..results import GradeReport


def render(report: GradeReport) -> str:
    return json.dumps(report.to_dict(), indent=2, allow_nan=False, default=_default) + "\n"


def _default(value: object) -> object:
    raise TypeError(f"cannot serialize {type(value).__name__}")
