"""Progress on stderr while a class is graded.

On a terminal: one redrawn line with the count, the rate, the time left and how many
submissions could not be run cleanly. Elsewhere (CI logs, files): nothing until the final
summary line.
"""

from __future__ import annotations

import time
from typing import TextIO

from grader.results import SubmissionResult

_TROUBLE = ("timeout", "crash", "import_error")


def had_trouble(result: SubmissionResult) -> bool:
    """The submission did not run cleanly: it failed to import, crashed or timed out."""
    return bool(result.error) or any(
        case.status in _TROUBLE
        for problem in result.problems for part in problem.parts for case in part.cases)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    def __init__(self, total: int, stream: TextIO, live: bool | None = None,
                 already: int = 0) -> None:
        self.total = total
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.done = already
        self.new = 0
        self.trouble = 0
        self.reused = 0  # of the new results: taken from the result cache (--reuse)
        self.start = time.monotonic()

    def update(self, result: SubmissionResult) -> None:
        self.done += 1
        self.new += 1
        self.trouble += had_trouble(result)
        if not self.live:
            return
        elapsed = time.monotonic() - self.start
        rate = self.new / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total}  {rate:.1f}/s  "
                          f"ETA {_clock(left)}  not run cleanly: {self.trouble}\x1b[K")
        self.stream.flush()

    def finish(self, note: str = "") -> None:
        if self.live:
            self.stream.write("\r\x1b[K")
        elapsed = time.monotonic() - self.start
        reused = f", {self.reused} reused unchanged (--reuse)" if self.reused else ""
        self.stream.write(f"graded {self.new - self.reused} submission(s) in {elapsed:.1f}s"
                          f" ({self.done}/{self.total} done, {self.trouble} not run cleanly"
                          f"{reused}){note}\n")
        self.stream.flush()
