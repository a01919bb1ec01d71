"""Judging off the reading path: answers are judged on a thread of their own.

Were each answer judged before the next one is read, a student's process could watch its
pipe drain and learn, from how long judging took, whether an answer was right: one bit per
case. :class:`OffPath` takes each answer as it is read and judges it on another thread, in
order, so reading goes on at the pace the student's process writes. What waits to be judged
is capped in bytes: past the cap, reading waits (a submission can make that happen only by
answering faster than judging goes, whatever its answers' worth).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

DEFAULT_CAP = 256 << 20  # bytes of answers waiting to be judged, per submission


class OffPath(Generic[T]):
    """Calls ``judge(item)`` for every :meth:`put` item, in order, on a thread of its own.

    Use as a context manager: leaving it waits until everything put has been judged, and
    re-raises the first exception ``judge`` raised (items after it are not judged)."""

    def __init__(self, judge: Callable[[T], None], cap: int = DEFAULT_CAP) -> None:
        self._judge = judge
        self._cap = cap
        self._queue: deque[tuple[T, int]] = deque()
        self._waiting = 0  # bytes in the queue
        self._closed = False
        self._error: BaseException | None = None
        self._lock = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="grader-judge", daemon=True)
        self._thread.start()

    def put(self, item: T, size: int = 0) -> None:
        """Queue ``item`` (of ``size`` bytes); waits while the queue is over the cap."""
        with self._lock:
            while self._waiting > self._cap and self._error is None:
                self._lock.wait()
            self._queue.append((item, size))
            self._waiting += size
            self._lock.notify_all()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._lock.wait()
                if not self._queue:
                    return
                item, size = self._queue.popleft()
            try:
                if self._error is None:
                    self._judge(item)
            except BaseException as exc:  # re-raised by close(), in the reading thread
                self._error = exc
            with self._lock:
                self._waiting -= size
                self._lock.notify_all()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self._thread.join()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> OffPath[T]:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
