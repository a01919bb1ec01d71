"""The grader's side of a worker's pipes: frames read, and requests written, with deadlines.

On POSIX the grader waits on the pipes with ``poll`` and reads and writes them without
blocking (:class:`FrameReader`, :class:`PolledWriter`). Windows has neither for pipes, so
there a :class:`Pump` thread per pipe reads it to its end with blocking reads,
:class:`PumpedReader` takes frames from what the pump has read, and a write runs in a thread
that the caller waits for until the deadline (:class:`PumpedWriter`). The readers share
:class:`Frames`: the same size caps, and the same checks (:mod:`grader.sandbox.wire`) on every
frame; only the waiting differs.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Callable
from typing import Any

from grader.sandbox.wire import LENGTH, MAX_HEADER_BYTES, Closed, Timeout, WireError, parse_header

# --- frames as they arrive, however one waits -------------------------------------------------

class Frames:
    """Frames from a byte stream as it arrives, with a deadline and a total size cap: the
    part of reading that does not depend on how one waits for bytes. :class:`FrameReader`
    polls a pipe (POSIX); :class:`PumpedReader` takes what a thread read (Windows)."""

    def __init__(self, max_message: int) -> None:
        self.max_message = max_message
        self._buf = bytearray()
        self._pos = 0  # where the unread part of _buf starts
        self._header: dict[str, Any] | None = None  # of the frame being received
        self._need = 0  # bytes the frame being received needs, once its header is in

    def _partial(self) -> bool:
        """Whether bytes are waiting in the buffer, or a frame is half received."""
        return len(self._buf) > self._pos or self._header is not None

    def _frame(self) -> tuple[dict[str, Any], list[bytes]] | None:
        """The next complete frame in the buffer, if there is one. Frames are read from
        ``_pos`` on, and the buffer is cut only when it has been read to the end (or much of
        it has), not once per frame."""
        buf, pos = self._buf, self._pos
        if self._header is None:
            if len(buf) - pos < LENGTH.size:
                return None
            (size,) = LENGTH.unpack_from(buf, pos)
            if size > MAX_HEADER_BYTES:
                raise WireError(f"message header too large ({size} bytes)")
            pos += LENGTH.size
            if len(buf) - pos < size:
                return None
            with memoryview(buf) as view:
                header = parse_header(view[pos:pos + size].tobytes())
            lengths: list[int] = header.get("blobs", [])
            if sum(lengths) > self.max_message:
                raise WireError(
                    f"output too large ({sum(lengths)} bytes, limit {self.max_message} bytes)")
            self._pos = pos = pos + size
            self._header, self._need = header, sum(lengths)
        if len(buf) - pos < self._need:
            return None
        header, self._header = self._header, None
        blobs = []
        with memoryview(buf) as view:
            for n in header.get("blobs", []):
                blobs.append(view[pos:pos + n].tobytes())
                pos += n
        if pos == len(buf):
            buf.clear()
            pos = 0
        elif pos >= 1 << 16:
            del buf[:pos]
            pos = 0
        self._pos = pos
        return header, blobs

    def read(self, deadline: float) -> tuple[dict[str, Any], list[bytes]]:
        """The next frame, reading and waiting as needed; Timeout after ``deadline``, also
        while data keeps coming (a frame that never ends)."""
        read = False
        while True:
            frame = self._frame()
            if frame is not None:
                return frame
            if read and time.monotonic() > deadline:
                raise Timeout("no complete reply before the deadline")
            read = self._read_some()
            if not read:
                self._wait(deadline)

    def _read_some(self) -> bool:
        """Move what has arrived into the buffer; False if nothing has. :class:`Closed`
        once the stream has ended."""
        raise NotImplementedError

    def _wait(self, deadline: float) -> None:
        """Sleep until more may have arrived, or raise :class:`Timeout` at ``deadline``."""
        raise NotImplementedError

    def idle(self) -> bool:
        """Whether nothing is waiting to be read."""
        raise NotImplementedError

    def drain_now(self) -> None:
        """Collect whatever captured output is waiting, without blocking for long."""

    def close(self) -> None:
        """Let go of the pipes read."""


# --- POSIX: poll ----------------------------------------------------------------------------

class FrameReader(Frames):
    """Reads frames from a pipe with ``poll``, a deadline and a total size cap.

    The student process writes its replies to the data pipe as they are ready, but wakes the
    grader only now and then, through ``notify_fd`` (after a request is done, and at most
    every few milliseconds while it runs): one wake-up per batch of replies rather than one
    per reply. Replies already written are never lost, since they sit in the data pipe even
    if the process then hangs. Without ``notify_fd`` every write wakes the reader.

    While it waits it also drains ``drain_fd`` (the student's captured output) into
    ``drain``, so a process that prints a lot never blocks on a full pipe.
    """

    CHECK = 0.25  # longest sleep without looking at the data pipe (a safety net)

    def __init__(self, fd: int, max_message: int, drain_fd: int | None = None,
                 drain: Callable[[bytes], None] | None = None,
                 notify_fd: int | None = None) -> None:
        super().__init__(max_message)
        self.fd = fd
        self.drain_fd = drain_fd
        self.drain = drain
        self.notify_fd = notify_fd
        for own in (fd, notify_fd, drain_fd):
            if own is not None:
                os.set_blocking(own, False)
        self._own = [own for own in (fd, notify_fd, drain_fd) if own is not None]

    def idle(self) -> bool:
        """Whether nothing is waiting to be read: no byte in the buffer or the pipe."""
        if self._partial():
            return False
        return not select.select([self.fd], [], [], 0)[0]

    def close(self) -> None:
        for fd in self._own:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._own = []

    def drain_now(self) -> None:
        """Read whatever output is waiting, without blocking."""
        if self.drain_fd is None:
            return
        while True:
            try:
                chunk = os.read(self.drain_fd, 1 << 16)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                self.drain_fd = None
                return
            if self.drain is not None:
                self.drain(chunk)

    def _read_some(self) -> bool:
        """Read what the data pipe holds now; False if it holds nothing."""
        try:
            chunk = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            return False
        if not chunk:
            raise Closed("the process closed its channel")
        self._buf += chunk
        return True

    def _wait(self, deadline: float) -> None:
        """Sleep until a notification, output, a hang-up, CHECK seconds or the deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Timeout("timed out")
        poller = select.poll()
        partial = self._partial()
        # Without a notification pipe, or in the middle of a frame, any data wakes us;
        # otherwise only a hang-up of the data pipe does (poll always reports POLLHUP).
        data_events = select.POLLIN if partial or self.notify_fd is None else 0
        poller.register(self.fd, data_events)
        if self.notify_fd is not None:
            poller.register(self.notify_fd, select.POLLIN)
        if self.drain_fd is not None:
            poller.register(self.drain_fd, select.POLLIN)
        events = dict(poller.poll(max(1, int(min(remaining, self.CHECK) * 1000))))
        if self.notify_fd is not None and self.notify_fd in events:
            try:
                if not os.read(self.notify_fd, 4096):
                    self.notify_fd = None  # closed: fall back to waking on data
            except BlockingIOError:
                pass
            except OSError:
                self.notify_fd = None
        if self.drain_fd is not None and self.drain_fd in events:
            self.drain_now()


class PolledWriter:
    """Requests written to a pipe made non-blocking, waiting with ``poll`` until the
    deadline."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)

    def write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        poller = select.poll()
        poller.register(self.fd, select.POLLOUT | select.POLLERR | select.POLLHUP)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Timeout("timed out sending input")
            events = poller.poll(max(1, int(remaining * 1000)))
            if not events:
                continue
            if any(ev & (select.POLLERR | select.POLLHUP) for _, ev in events):
                raise Closed("the process closed its channel")
            try:
                written = os.write(self.fd, view[: 1 << 16])
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise Closed("the process closed its channel") from None
            view = view[written:]

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


# --- Windows: threads ------------------------------------------------------------------------

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


class PumpedReader(Frames):
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
                raise Closed("the process closed its channel")
            return False

    def _wait(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Timeout("timed out")
        with self._cond:
            if not self._inbox and not self._ended:
                self._cond.wait(remaining)

    def close(self) -> None:
        """(Nothing to do: each pump closes its pipe at the end, once the process has died.
        Closing it here, under a thread blocked reading it, could close another file that
        took its number.)"""


class PumpedWriter:
    """Requests written to a blocking pipe by a thread, waited for until the deadline.

    A write that misses its deadline stays blocked until the process is killed and the pipe
    breaks. Until then its pipe is not closed under it (on Windows a close waits for the
    write to end, and elsewhere the pipe's number could go to another file meanwhile):
    :meth:`close` leaves the closing to that thread."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._lock = threading.Lock()
        self._writing = False
        self._close_after = False

    def write(self, data: bytes, deadline: float) -> None:
        with self._lock:
            if self._writing:  # (an earlier request is still blocked)
                raise Timeout("timed out sending input")
            self._writing = True
        failed: list[BaseException] = []
        thread = threading.Thread(target=self._write, args=(data, failed), name="grader-write",
                                  daemon=True)
        thread.start()
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            raise Timeout("timed out sending input")
        if failed:
            raise Closed("the process closed its channel")

    def _write(self, data: bytes, failed: list[BaseException]) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.fd, view[: 1 << 16]):]
        except OSError as exc:  # a broken pipe: the process ended or closed its end
            failed.append(exc)
        finally:
            with self._lock:
                self._writing = False
                if self._close_after:
                    self._close_now()

    def close(self) -> None:
        with self._lock:
            if self._writing:
                self._close_after = True
            else:
                self._close_now()

    def _close_now(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1
