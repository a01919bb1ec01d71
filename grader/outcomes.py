"""What happened when the grader asked a student process to run one case.

A :class:`CallOutcome` is plain, trusted data built by :mod:`grader.sandbox.runner` from a checked
reply (or from the absence of one). Text that came from the student process has been cleaned
and shortened before it is stored here.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any

from grader import values


class Status(str, enum.Enum):
    OK = "ok"  # returned outputs; whether they are right is compare.py's business
    ERROR = "error"  # raised an exception (or called sys.exit)
    TIMEOUT = "timeout"
    CRASH = "crash"  # the process died or broke the protocol
    BAD_OUTPUT = "bad_output"  # returned something that is not numeric data
    MISSING = "missing"  # the function is not defined
    IMPORT_ERROR = "import_error"  # the module could not be imported
    NOT_RUN = "not_run"  # skipped after an earlier timeout or repeated crash


@dataclass(frozen=True)
class CallOutcome:
    status: Status
    message: str = ""
    file: str | None = None
    line: int | None = None
    outputs: dict[int, Any] = field(default_factory=dict)  # arrays, or structured values
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    steps: tuple[float, ...] = ()  # a call sequence's time per step

    @property
    def location(self) -> str:
        if self.file and self.line:
            return f"{self.file}, line {self.line}"
        return self.file or ""

    def digest(self) -> str:
        """What the process answered, in 16 hex digits (sha256 of each output's position,
        dtype, shape and bytes); "" when it answered nothing. Equal answers, equal digests:
        a report can compare answers across students without keeping them."""
        if not self.outputs:
            return ""
        h = hashlib.sha256()
        for position in sorted(self.outputs):
            h.update(f"{position}:".encode())
            values.hash_into(h, self.outputs[position])
        return h.hexdigest()[:16]


def clean_text(value: object, limit: int = 500) -> str:
    """Make text from the student process safe to print: one line, no control characters."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit and text.isprintable() and "  " not in text \
            and text == text.strip():
        return text  # the common case, fast: nothing to clean
    text = "".join(ch if ch.isprintable() else " " for ch in text.replace("\n", " "))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
