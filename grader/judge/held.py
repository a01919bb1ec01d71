"""Judging out of the student's sight: a phase's answers are held until all are in.

Were each answer judged as it arrived, a student's process could time the judging: its pipe
would drain more slowly while the grader judged, and whether an answer is right often
changes how long judging takes (one bit per case). Judging on a thread of its own does not
stop that in Python, where the reading thread waits for the interpreter lock while judging
holds it. So the grader reads each answer as it comes and holds it, and judges a phase's
answers (the public cases', then the hidden ones') only once the student's process has
answered them all: the public answers while the hidden cases run, the hidden ones after the
process is gone. The most the process can time is the judging of the whole public phase,
whose verdicts its student sees in the report anyway.

What is held is capped in bytes per submission. An answer that would pass the cap is not
held: its case fails, saying why. Whether an answer is held depends only on the sizes of the
answers before it, so verdicts stay reproducible.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_CAP = 256 << 20  # bytes of answers held for judging, per submission


class Held(Generic[T]):
    """Holds items until :meth:`judge_all` calls ``judge(item)`` on each, in order."""

    def __init__(self, judge: Callable[[T], None], cap: int = DEFAULT_CAP) -> None:
        self._judge = judge
        self.cap = cap
        self._items: deque[T] = deque()
        self._bytes = 0

    def put(self, item: T, size: int = 0) -> bool:
        """Hold ``item`` (of ``size`` bytes); False, holding nothing, if it would take what
        is held past the cap."""
        if size and self._bytes + size > self.cap:
            return False
        self._items.append(item)
        self._bytes += size
        return True

    def judge_all(self) -> None:
        """Judge what is held, in the order it came, letting go of each item once judged."""
        while self._items:
            self._judge(self._items.popleft())
        self._bytes = 0
