"""A student process's pipes where ``poll`` cannot watch them (Windows): read and written by
threads instead.

On POSIX the grader waits on a worker's pipes with ``poll`` and reads them without blocking
(:class:`grader.sandbox.wire.FrameReader`, :func:`grader.sandbox.wire.write_all`). Windows
has neither for pipes, so there a :class:`Pump` thread per pipe reads it to its end with
blocking reads, and :class:`PumpedReader` takes frames from what the pump has read, with the
same deadline, size cap and checks. A write runs in a thread of its own, which the caller
waits for until the deadline (:func:`write_all`). Every frame is still checked by
:mod:`grader.sandbox.wire` on this side; only the waiting differs.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable

from grader.sandbox import wire


class Pump:
    """A daemon thread that reads ``fd`` to its end, handing each chunk to ``sink``, then
    closes it. (A pipe whose writer lives on, a student's leftover child that inherited it,
    keeps its pump waiting: it is a daemon, and ends with the grader.)"""

    def __init__(self, fd: int, sink: Callable[[bytes], None],
                 ended: Callable[[], None] = lambda: None) -> None:
        self.fd = fd
        self.sink = sink
        self.ended = ended
        self.thread = threading.Thread(target=self._run, name="grader-pump", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while True:
                try:
                    chunk = os.read(self.fd, 1 << 16)
                except OSError:
                    chunk = b""
                if not chunk:
                    return
                self.sink(chunk)
        finally:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.ended()

    def join(self, timeout: float) -> None:
        self.thread.join(timeout)


class PumpedReader(wire.Frames):
    """Frames from a pipe that a :class:`Pump` reads: its bytes arrive in an inbox; the
    captured output's pump hands it straight to ``drain``."""

    DRAIN_GRACE = 0.5  # seconds to wait for the last output of a process that has ended

    def __init__(self, fd: int, max_message: int, drain_fd: int | None = None,
                 drain: Callable[[bytes], None] | None = None) -> None:
        super().__init__(max_message)
        self._inbox = bytearray()
        self._ended = False
        self._cond = threading.Condition()
        self._data = Pump(fd, self._arrived, self._closed)
        self._output = None if drain_fd is None else Pump(drain_fd, drain or (lambda _: None))

    def _arrived(self, chunk: bytes) -> None:
        with self._cond:
            self._inbox += chunk
            self._cond.notify_all()

    def _closed(self) -> None:
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def idle(self) -> bool:
        with self._cond:
            return not self._inbox and not self._partial()

    def drain_now(self) -> None:
        """Give the output pump a moment to read what an ended process left."""
        if self._output is not None:
            self._output.join(self.DRAIN_GRACE)

    def _read_some(self) -> bool:
        with self._cond:
            if self._inbox:
                self._buf += self._inbox
                self._inbox.clear()
                return True
            if self._ended:
                raise wire.Closed("the process closed its channel")
            return False

    def _wait(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise wire.Timeout("timed out")
        with self._cond:
            if not self._inbox and not self._ended:
                self._cond.wait(remaining)

    def close(self) -> None:
        """(Nothing to do: each pump closes its pipe at the end, once the process has died.
        Closing it here, under a thread blocked reading it, could close another file that
        took its number.)"""


def write_all(fd: int, data: bytes, deadline: float) -> None:
    """Write ``data`` to a blocking pipe in a thread, giving up at ``deadline`` (the thread
    then waits on until the process is killed and the pipe breaks)."""
    failed: list[BaseException] = []

    def write() -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view[: 1 << 16]):]
        except OSError as exc:  # a broken pipe: the process ended or closed its end
            failed.append(exc)

    thread = threading.Thread(target=write, name="grader-write", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()))
    if thread.is_alive():
        raise wire.Timeout("timed out sending input")
    if failed:
        raise wire.Closed("the process closed its channel")
