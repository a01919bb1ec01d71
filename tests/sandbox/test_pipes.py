"""The grader's side of a worker's pipes (grader.sandbox.pipes): frames read with a deadline
and a size cap, by ``poll`` (:class:`FrameReader`, POSIX) and by threads
(:class:`PumpedReader`, as on Windows), and requests written with a deadline.

Each test of the threads closes the write end of a pipe it reads; the pump then reaches the
end and closes the read end itself (closing it here, under the pump's blocked read, could
close another file that took its number).
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from grader.sandbox import pipes
from grader.sandbox.launch import passes_pipes
from grader.sandbox.pipes import FrameReader

try:
    import fcntl
except ImportError:  # (Windows)
    fcntl = None  # type: ignore[assignment]
from grader.sandbox.wire import (
    Closed,
    Timeout,
    WireError,
    decode_array,
    encode_array,
    encode_frame,
)

LIMIT = 1 << 20


# --- poll ----------------------------------------------------------------------------------------

_POSIX = pytest.mark.skipif(not passes_pipes(), reason="poll on pipes: POSIX only")

@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    for fd in (read_fd, write_fd):
        with contextlib.suppress(OSError):
            os.close(fd)


def soon() -> float:
    return time.monotonic() + 5.0


@_POSIX
def test_frame_round_trips_over_a_pipe(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    arrays = [np.arange(3.0), np.array([True, False])]
    os.write(write_fd, encode_frame({"status": "ok", "n": 2},
                                    [encode_array(a) for a in arrays]))

    header, blobs = FrameReader(read_fd, LIMIT).read(soon())

    assert header["status"] == "ok"
    assert header["blobs"] == [len(b) for b in blobs]
    for blob, array in zip(blobs, arrays, strict=True):
        np.testing.assert_array_equal(decode_array(blob, LIMIT), array)


@_POSIX
def test_frames_written_together_are_read_one_by_one(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, encode_frame({"n": 1}, [b"ab", b""]) + encode_frame({"n": 2})
             + encode_frame({"n": 3}, [b"c"]))
    reader = FrameReader(read_fd, LIMIT)

    assert [reader.read(soon()) for _ in range(3)] == [
        ({"n": 1, "blobs": [2, 0]}, [b"ab", b""]), ({"n": 2, "blobs": []}, []),
        ({"n": 3, "blobs": [1]}, [b"c"])]


@_POSIX
def test_a_frame_that_arrives_a_byte_at_a_time(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    frames = [({"n": 1, "blobs": [3, 2]}, [b"abc", b"de"]), ({"n": 2, "blobs": []}, [])]
    data = b"".join(encode_frame({"n": h["n"]}, blobs) for h, blobs in frames)
    reader = FrameReader(read_fd, LIMIT)
    got = []

    for i, byte in enumerate(data):
        os.write(write_fd, bytes([byte]))
        try:
            got.append(reader.read(time.monotonic()))  # the deadline has passed: no waiting
        except Timeout:
            continue
        assert i + 1 in (len(encode_frame({"n": 1}, [b"abc", b"de"])), len(data))
    assert got == frames


@_POSIX
def test_a_large_frame_followed_by_another(pipe: tuple[int, int]) -> None:
    # Read in one go, over 64 KiB with more behind it: the reader cuts what it has read.
    read_fd, write_fd = pipe
    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        pytest.skip("needs Linux's F_SETPIPE_SZ to write it all at once")
    fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, 1 << 18)
    big = bytes(range(256)) * 300
    os.write(write_fd, encode_frame({"n": 1}, [big]) + encode_frame({"n": 2}, [b"xy"]) + b"\0")
    reader = FrameReader(read_fd, LIMIT)

    assert reader.read(soon()) == ({"n": 1, "blobs": [len(big)]}, [big])
    assert reader.read(soon()) == ({"n": 2, "blobs": [2]}, [b"xy"])
    os.write(write_fd, b"\0\0\x08" + b'{"n": 3}')  # the rest of a third frame
    assert reader.read(soon()) == ({"n": 3}, [])


@_POSIX
def test_the_reader_keeps_only_what_it_has_not_returned(pipe: tuple[int, int]) -> None:
    # Its buffer is cut once read to the end, or once 64 KiB of it have been read.
    read_fd, write_fd = pipe
    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        pytest.skip("needs Linux's F_SETPIPE_SZ to write it all at once")
    fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, 1 << 18)
    reader = FrameReader(read_fd, LIMIT)
    os.write(write_fd, encode_frame({"n": 1}, [b"ab"]) + encode_frame({"n": 2}))
    reader.read(soon())
    reader.read(soon())
    assert len(reader._buf) == 0

    os.write(write_fd, encode_frame({"n": 3}, [b"\0" * 70_000]) + b"\0\0")
    reader.read(soon())
    assert len(reader._buf) == 2


def _header_of_size(size: int) -> bytes:
    header = b'{"pad": "' + b"x" * (size - 11) + b'"}'
    assert len(header) == size
    return header


@_POSIX
def test_a_message_header_of_1_mib_is_the_largest_read(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    header = _header_of_size(2**20)
    data = memoryview(struct.pack(">I", len(header)) + header)

    def write() -> None:  # more than a pipe holds, so from a thread
        with contextlib.suppress(OSError):  # the read end closed: the test failed already
            written = 0
            while written < len(data):
                written += os.write(write_fd, data[written:])

    writer = threading.Thread(target=write)
    writer.start()
    try:
        frame = FrameReader(read_fd, LIMIT).read(soon())
    finally:
        os.close(read_fd)
        writer.join()
    assert len(frame[0]["pad"]) == 2**20 - 11


@_POSIX
def test_reader_rejects_an_oversized_header_length(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, struct.pack(">I", 2**20 + 1) + b"{}")

    with pytest.raises(WireError, match=r"message header too large \(1048577 bytes\)"):
        FrameReader(read_fd, LIMIT).read(soon())


@_POSIX
def test_blobs_adding_up_to_the_limit_are_read(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, encode_frame({}, [b"a" * 60, b"b" * 40]))

    _, blobs = FrameReader(read_fd, 100).read(soon())
    assert [len(b) for b in blobs] == [60, 40]


@_POSIX
def test_reader_rejects_an_oversized_blob_total(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    header = json.dumps({"status": "ok", "blobs": [LIMIT, LIMIT]}).encode()
    os.write(write_fd, struct.pack(">I", len(header)) + header)

    with pytest.raises(WireError, match="output too large"):
        FrameReader(read_fd, LIMIT).read(soon())


@_POSIX
@pytest.mark.parametrize(
    "header",
    [b"not json", b"[1, 2]", b'{"blobs": [-1]}', b'{"blobs": "12"}', b'{"blobs": [true]}',
     b"", b"\xff\xfe", b'{"blobs": [1, -1]}', b'{"blobs": [1.5]}', b'{"blobs": []} trailing',
     b'{"a": 1}{"b": 2}'],
)
def test_reader_rejects_a_malformed_header(pipe: tuple[int, int], header: bytes) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, struct.pack(">I", len(header)) + header)

    with pytest.raises(WireError, match="malformed"):
        FrameReader(read_fd, LIMIT).read(soon())


@_POSIX
def test_reader_reports_a_closed_channel(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, struct.pack(">I", 100) + b'{"status"')  # a frame cut short
    os.close(write_fd)

    with pytest.raises(Closed):
        FrameReader(read_fd, LIMIT).read(soon())


@_POSIX
def test_reader_times_out_at_the_deadline(pipe: tuple[int, int]) -> None:
    read_fd, _ = pipe
    start = time.monotonic()

    with pytest.raises(Timeout):
        FrameReader(read_fd, LIMIT).read(time.monotonic() + 0.05)
    assert time.monotonic() - start < 2.0


# --- threads -------------------------------------------------------------------------------------


def test_frames_of_any_size_arrive_whole_and_in_order() -> None:
    read_fd, write_fd = os.pipe()
    big = np.arange(300_000, dtype=np.float64)  # 2.4 MB: many times what a pipe holds
    data = encode_frame({"n": 1}, [encode_array(big)]) + encode_frame({"n": 2})
    writer = threading.Thread(target=pipes.PumpedWriter(write_fd).write, args=(data, soon()))
    reader = pipes.PumpedReader(read_fd, 1 << 24)
    writer.start()

    header, blobs = reader.read(soon())
    assert header["n"] == 1
    np.testing.assert_array_equal(decode_array(blobs[0], 1 << 24), big)
    assert reader.read(soon()) == ({"n": 2, "blobs": []}, [])
    writer.join()
    assert reader.idle()
    os.close(write_fd)
    with pytest.raises(Closed):
        reader.read(soon())


def test_the_size_cap_and_the_deadline_hold() -> None:
    read_fd, write_fd = os.pipe()
    reader = pipes.PumpedReader(read_fd, 100)
    start = time.monotonic()
    with pytest.raises(Timeout):
        reader.read(time.monotonic() + 0.05)
    assert time.monotonic() - start < 2.0

    os.write(write_fd, encode_frame({}, [b"a" * 60, b"b" * 41]))
    with pytest.raises(WireError, match="output too large"):
        reader.read(soon())
    os.close(write_fd)


def test_printed_output_is_drained_as_it_comes_and_to_the_end() -> None:
    read_fd, write_fd = os.pipe()
    out_r, out_w = os.pipe()
    printed = bytearray()
    reader = pipes.PumpedReader(read_fd, LIMIT, drain_fd=out_r, drain=printed.extend)
    os.write(out_w, b"x" * 200_000)  # (more than the pipe holds: it is drained meanwhile)
    os.write(out_w, b"the end")
    os.close(out_w)
    reader.drain_now()
    assert len(printed) == 200_007 and printed.endswith(b"the end")
    os.close(write_fd)


def test_a_write_nobody_reads_gives_up_at_its_deadline_and_closes_only_once_done() -> None:
    read_fd, write_fd = os.pipe()
    writer = pipes.PumpedWriter(write_fd)
    start = time.monotonic()
    with pytest.raises(Timeout):
        writer.write(b"\0" * (1 << 20), time.monotonic() + 0.2)
    assert time.monotonic() - start < 2.0
    with pytest.raises(Timeout):  # (the first is still blocked: no second write beside it)
        writer.write(b"more", soon())
    writer.close()  # under the blocked write: left to its thread
    assert writer.fd == write_fd and os.fstat(write_fd)
    os.close(read_fd)  # (the process died: the blocked write breaks, and its thread closes)
    for _ in range(200):
        if writer.fd == -1:
            break
        time.sleep(0.01)
    assert writer.fd == -1


def test_a_write_to_a_closed_pipe_is_a_closed_channel() -> None:
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    writer = pipes.PumpedWriter(write_fd)
    with pytest.raises(Closed):
        writer.write(b"hello", soon())
    writer.close()
    assert writer.fd == -1
