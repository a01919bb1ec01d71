"""Reading and writing a worker's pipes with threads (grader.sandbox.pumps), as on Windows:
the same frames, deadlines, caps and ends as the poll-based reader.

Each test closes the write end of a pipe it reads; the pump then reaches the end and closes
the read end itself (closing it here, under the pump's blocked read, could close another
file that took its number).
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from grader.sandbox import pumps
from grader.sandbox.wire import (
    Closed,
    Timeout,
    WireError,
    decode_array,
    encode_array,
    encode_frame,
)

LIMIT = 1 << 24


def soon() -> float:
    return time.monotonic() + 5.0


def test_frames_of_any_size_arrive_whole_and_in_order() -> None:
    read_fd, write_fd = os.pipe()
    big = np.arange(300_000, dtype=np.float64)  # 2.4 MB: many times what a pipe holds
    data = encode_frame({"n": 1}, [encode_array(big)]) + encode_frame({"n": 2})
    writer = threading.Thread(target=pumps.write_all, args=(write_fd, data, soon()))
    reader = pumps.PumpedReader(read_fd, LIMIT)
    writer.start()

    header, blobs = reader.read(soon())
    assert header["n"] == 1
    np.testing.assert_array_equal(decode_array(blobs[0], LIMIT), big)
    assert reader.read(soon()) == ({"n": 2, "blobs": []}, [])
    writer.join()
    assert reader.idle()
    os.close(write_fd)
    with pytest.raises(Closed):
        reader.read(soon())


def test_the_size_cap_and_the_deadline_hold() -> None:
    read_fd, write_fd = os.pipe()
    reader = pumps.PumpedReader(read_fd, 100)
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
    reader = pumps.PumpedReader(read_fd, LIMIT, drain_fd=out_r, drain=printed.extend)
    os.write(out_w, b"x" * 200_000)  # (more than the pipe holds: it is drained meanwhile)
    os.write(out_w, b"the end")
    os.close(out_w)
    reader.drain_now()
    assert len(printed) == 200_007 and printed.endswith(b"the end")
    os.close(write_fd)


def test_a_write_nobody_reads_gives_up_at_its_deadline() -> None:
    read_fd, write_fd = os.pipe()
    start = time.monotonic()
    with pytest.raises(Timeout):
        pumps.write_all(write_fd, b"\0" * (1 << 20), time.monotonic() + 0.2)
    assert time.monotonic() - start < 2.0
    os.close(read_fd)  # (the writer thread, still blocked, ends with a broken pipe)
    time.sleep(0.05)
    os.close(write_fd)


def test_a_write_to_a_closed_pipe_is_a_closed_channel() -> None:
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    with pytest.raises(Closed):
        pumps.write_all(write_fd, b"hello", soon())
    os.close(write_fd)
