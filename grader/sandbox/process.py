"""One student process as the grader sees it: its pipes, its captured output, and the
numbered requests and replies that :mod:`grader.sandbox.runner` and
:mod:`grader.sandbox.remote` exchange with it (:mod:`grader.sandbox.wire` frames).

The worker numbers each reply with the request it answers (and, in a batch, the call), so a
frame the student's code wrote on the reply pipe cannot pass for the answer to a later
request: see :meth:`StudentProcess.reply`.
"""

from __future__ import annotations

import os
import time
from typing import Any

from grader.sandbox import pipes, wire
from grader.sandbox.launch import (
    TrackingLauncher,
    _Pipes,
    describe_status,
    passes_pipes,
    worker_env,
)


class CapturedOutput:
    """The first ``limit`` bytes of what the student's process printed, and the total."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        if self.total > len(self.data):
            text += f"\n... [output truncated: {self.total - len(self.data)} more bytes]"
        return text


class StudentProcess:
    """One student process: its message pipes and its captured output."""

    def __init__(self, cwd: str, home: str, output: CapturedOutput, launcher: TrackingLauncher,
                 level: str, slot: int, max_bytes: int) -> None:
        streams_only = not passes_pipes()
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        out_r, out_w = os.pipe()
        notify_r, notify_w = (-1, -1) if streams_only else os.pipe()
        ours, theirs = (to_child_w, from_child_r, out_r, notify_r), \
            (to_child_r, from_child_w, out_w, notify_w)
        try:
            self.proc = launcher.start(
                _Pipes(to_child_r, from_child_w, out_w, None if streams_only else notify_w),
                cwd, worker_env(home), slot, level)
        except BaseException:
            _close(ours)
            raise
        finally:
            _close(theirs)
        self.reader: pipes.Frames
        self.writer: pipes.PumpedWriter | pipes.PolledWriter
        if streams_only:  # (Windows: threads wait on the pipes)
            self.reader = pipes.PumpedReader(from_child_r, max_bytes, drain_fd=out_r,
                                             drain=output.feed)
            self.writer = pipes.PumpedWriter(to_child_w)
        else:
            self.reader = pipes.FrameReader(from_child_r, max_bytes, drain_fd=out_r,
                                            drain=output.feed, notify_fd=notify_r)
            self.writer = pipes.PolledWriter(to_child_w)
        self.sent = 0  # requests written so far; the worker numbers its replies the same way

    def request(self, headers: list[dict[str, Any]], timeout: float
                ) -> tuple[dict[str, Any], list[bytes]]:
        """Send requests (without blobs) and read the answer to the first."""
        deadline = time.monotonic() + timeout
        first = self.send(b"".join(wire.encode_frame(h) for h in headers), len(headers),
                          deadline) - len(headers) + 1
        return self.reply(deadline, first)

    def send(self, data: bytes, frames: int, deadline: float) -> int:
        """Write ``frames`` requests (``data``, encoded); the number of the last of them."""
        self.writer.write(data, deadline)
        self.sent += frames
        return self.sent

    def reply(self, deadline: float, request: int, case: int | None = None
              ) -> tuple[dict[str, Any], list[bytes]]:
        """The reply to request number ``request`` (for a batch, to its call ``case``).

        The worker tags each reply with both. A frame that claims an earlier request or call
        (one the student's code wrote on the reply pipe, or the true reply that such a
        forgery displaced) is skipped, so that it costs nothing it was not written for; one
        that claims a later one is a broken protocol, charged to the call being read."""
        want = (request, case if case is not None else -1)
        while True:
            header, blobs = self.reader.read(deadline)
            got = (header.get("rid"), header.get("case", -1) if case is not None else -1)
            if type(got[0]) is not int or type(got[1]) is not int:
                raise wire.WireError("malformed reply")
            if got == want:
                return header, blobs
            if got > want:
                raise wire.WireError("replies out of order")
            if time.monotonic() > deadline:  # (skipped frames that keep coming)
                raise wire.Timeout("no reply before the deadline")

    def idle(self) -> bool:
        """Whether no reply is waiting to be read (the worker has answered what it was
        asked, and nothing more)."""
        return self.reader.idle()

    def exit_description(self) -> str:
        return describe_status(self.proc.wait(timeout=1.0), self.proc.out_of_memory)

    def end_requests(self) -> None:
        """Close the request pipe: the worker exits once it has answered what it has."""
        self.writer.close()

    def kill(self) -> None:
        self.proc.kill()
        self.reader.drain_now()
        self.end_requests()
        self.reader.close()


def _close(fds: tuple[int, ...]) -> None:
    for fd in fds:
        if fd >= 0:
            os.close(fd)
