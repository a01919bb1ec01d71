"""The message format: everything the student process sends is checked before it is used."""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
import time
from collections.abc import Iterator

import numpy as np
import numpy.lib.format as npy_format
import pytest

from grader.sandbox import wire
from grader.sandbox.wire import (
    MAX_HEADER_BYTES,
    Closed,
    FrameReader,
    Timeout,
    WireError,
    decode_array,
    encode_array,
    encode_frame,
)

LIMIT = 1 << 20


def npy_blob(header: dict[str, object], data: bytes = b"") -> bytes:
    buf = io.BytesIO()
    npy_format.write_array_header_1_0(buf, header)
    return buf.getvalue() + data


def pickled_npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


@pytest.mark.parametrize(
    "array",
    [
        np.arange(5.0),
        np.array([True, False, True]),
        np.arange(6, dtype=np.int64).reshape(2, 3),
        np.array([1, 2], dtype=np.uint8),
        np.array([0.5], dtype=np.float32),
        np.array(3.5),
        np.zeros((0, 3)),
        np.array([np.nan, np.inf, -np.inf]),
        np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    ],
    ids=["float64", "bool", "int64-2d", "uint8", "float32", "0-d", "empty", "specials",
         "fortran"],
)
def test_numeric_array_round_trips(array: np.ndarray) -> None:
    decoded = decode_array(encode_array(array), LIMIT)

    assert type(decoded) is np.ndarray
    assert decoded.dtype == array.dtype
    assert decoded.shape == array.shape
    np.testing.assert_array_equal(decoded, array)


def test_object_array_is_not_a_numeric_array() -> None:
    with pytest.raises(WireError, match="not a numeric array"):
        decode_array(pickled_npy(np.array([1, "a", None], dtype=object)), LIMIT)


def test_structured_array_is_rejected() -> None:
    blob = encode_array(np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]))

    with pytest.raises(WireError, match="not a numeric array"):
        decode_array(blob, LIMIT)


@pytest.mark.parametrize(
    "array",
    [np.array([1 + 2j]), np.array(["ab"]), np.array([1.0], dtype=np.longdouble),
     np.array(["2024-01-01"], dtype="datetime64[D]")],
    ids=["complex", "str", "longdouble", "datetime"],
)
def test_non_numeric_dtypes_are_rejected(array: np.ndarray) -> None:
    with pytest.raises(WireError, match="not a numeric array"):
        decode_array(encode_array(array), LIMIT)


@pytest.mark.parametrize("max_bytes", [1 << 28, 1 << 62], ids=["small-limit", "huge-limit"])
def test_huge_claimed_shape_is_rejected_without_allocating(max_bytes: int) -> None:
    # 10**11 float64 elements would be 800 GB; the blob is a header and nothing else.
    blob = npy_blob({"descr": "<f8", "fortran_order": False, "shape": (10**11,)})
    assert len(blob) < 200

    start = time.perf_counter()
    with pytest.raises(WireError):
        decode_array(blob, max_bytes)
    assert time.perf_counter() - start < 0.5


def test_output_over_the_byte_limit_is_too_large() -> None:
    blob = encode_array(np.zeros(4))  # 32 bytes of data

    assert decode_array(blob, 32).shape == (4,)
    with pytest.raises(WireError, match="output too large"):
        decode_array(blob, 31)


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (encode_array(np.arange(5.0))[:-3], "size does not match"),
        (encode_array(np.arange(5.0)) + b"\0", "size does not match"),
        (b"XXXXXX" + encode_array(np.arange(5.0))[6:], "malformed array data"),
        (b"", "malformed array data"),
        (encode_array(np.arange(5.0))[:5], "malformed array data"),
        (npy_blob({"descr": "<f8", "fortran_order": False, "shape": (1,) * 40}, b"\0" * 8),
         "invalid shape"),
    ],
    ids=["truncated", "trailing-bytes", "bad-magic", "empty", "cut-in-magic", "too-many-dims"],
)
def test_malformed_blob_is_rejected(blob: bytes, message: str) -> None:
    with pytest.raises(WireError, match=message):
        decode_array(blob, LIMIT)


# --- frames over a pipe ---------------------------------------------------------------------

@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    for fd in (read_fd, write_fd):
        with contextlib.suppress(OSError):
            os.close(fd)


def soon() -> float:
    return time.monotonic() + 5.0


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


def test_reader_rejects_an_oversized_header_length(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, struct.pack(">I", MAX_HEADER_BYTES + 1) + b"{}")

    with pytest.raises(WireError, match="message header too large"):
        FrameReader(read_fd, LIMIT).read(soon())


def test_reader_rejects_an_oversized_blob_total(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    header = json.dumps({"status": "ok", "blobs": [LIMIT, LIMIT]}).encode()
    os.write(write_fd, struct.pack(">I", len(header)) + header)

    with pytest.raises(WireError, match="output too large"):
        FrameReader(read_fd, LIMIT).read(soon())


@pytest.mark.parametrize(
    "header",
    [b"not json", b"[1, 2]", b'{"blobs": [-1]}', b'{"blobs": "12"}', b'{"blobs": [true]}',
     b"\xff\xfe"],
)
def test_reader_rejects_a_malformed_header(pipe: tuple[int, int], header: bytes) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, struct.pack(">I", len(header)) + header)

    with pytest.raises(WireError, match="malformed"):
        FrameReader(read_fd, LIMIT).read(soon())


def test_reader_reports_a_closed_channel(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, struct.pack(">I", 100) + b'{"status"')  # a frame cut short
    os.close(write_fd)

    with pytest.raises(Closed):
        FrameReader(read_fd, LIMIT).read(soon())


def test_reader_times_out_at_the_deadline(pipe: tuple[int, int]) -> None:
    read_fd, _ = pipe
    start = time.monotonic()

    with pytest.raises(Timeout):
        FrameReader(read_fd, LIMIT).read(time.monotonic() + 0.05)
    assert time.monotonic() - start < 2.0


def test_blocking_reader_of_the_student_side(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, encode_frame({"op": "call"}, [b"abc"]))
    os.close(write_fd)

    with os.fdopen(os.dup(read_fd), "rb") as stream:
        assert wire.read_frame_blocking(stream) == ({"op": "call", "blobs": [3]}, [b"abc"])
        assert wire.read_frame_blocking(stream) is None


def test_a_shape_numpy_refuses_is_rejected_not_raised() -> None:
    # (0, 10**19) has zero bytes, so the size check passes; numpy still refuses the shape.
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 10000000000000000000), }"
    header += " " * (63 - len(header) % 64) + "\n"
    blob = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()

    with pytest.raises(WireError, match="not a numeric array"):
        decode_array(blob, max_bytes=1 << 20)
