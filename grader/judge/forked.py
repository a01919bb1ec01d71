"""Running the instructor's fallible code (known-wrong answers) in a fork of the grader.

A known-wrong answer is trusted code, but it stands for a mistake, and some mistakes exit,
crash or loop for ever. Run in a fork, one that does costs only its own result. The fork
sends bytes back (an ``.npz`` archive of plain arrays, read without pickle). Off Linux the
work runs in a thread of this process instead, given up after its time: Windows has no fork,
and on macOS a fork of a process that has used Accelerate's BLAS may crash or hang.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator


def run_forked(work: Callable[[], bytes], timeout: float) -> bytes | None:
    """``work()`` in a fork of this process: the bytes it returns, or None if the fork died,
    failed, or ran past ``timeout`` seconds."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return _in_a_thread(work, timeout)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the fork)
        code = 1
        try:
            os.close(read)
            with os.fdopen(write, "wb") as out:
                out.write(work())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    received = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            if select.select([read], [], [], left)[0]:
                chunk = os.read(read, 1 << 20)
                if not chunk:
                    break
                received += chunk
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(read)
        status = os.waitpid(pid, 0)[1]
    if os.waitstatus_to_exitcode(status) != 0 or not received:
        return None
    return bytes(received)


def _in_a_thread(work: Callable[[], bytes], timeout: float) -> bytes | None:
    """``work()`` in a daemon thread: its bytes, or None if it raised (a ``sys.exit``
    included) or ran past ``timeout`` seconds. A loop is left running, idle to the grader,
    until the process exits; an ``os._exit`` or a crash ends the grader itself."""
    done: list[bytes] = []

    def run() -> None:
        with contextlib.suppress(BaseException):
            done.append(work())

    thread = threading.Thread(target=run, name="grader-known-wrong", daemon=True)
    thread.start()
    thread.join(timeout)
    return done[0] if done else None


class CallTimedOut(Exception):
    """One call in a fork ran past its time (:func:`time_limit`)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`CallTimedOut` in the block after ``seconds``, by a timer signal: for use
    in a fork only, where no other code owns SIGALRM. Where there is no such timer, or
    off the main thread, no limit."""
    # (A handler can be set from the main thread only: off Linux the work runs in a thread,
    # and that thread's overall timeout stands in.)
    if not hasattr(signal, "setitimer") or threading.current_thread() is not \
            threading.main_thread():
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise CallTimedOut

    signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
