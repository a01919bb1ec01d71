"""The message format: everything the student process sends is checked before it is used."""

from __future__ import annotations

import io
import os
import time

import numpy as np
import numpy.lib.format as npy_format
import pytest

from grader.sandbox import wire
from grader.sandbox.wire import (
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


def raw_npy(header: str, data: bytes = b"", size: int | None = None,
            version: int = 1) -> bytes:
    """An .npy blob whose header is ``header`` as written, padded with spaces to ``size``
    bytes in all (the closing newline included)."""
    text = header + " " * ((size or len(header) + 1) - len(header) - 1) + "\n"
    length = len(text).to_bytes(2 if version == 1 else 4, "little")
    return b"\x93NUMPY" + bytes([version, 0]) + length + text.encode("latin-1") + data


def saved_npy(array: np.ndarray, version: tuple[int, int] = (1, 0)) -> bytes:
    """What numpy itself writes: Fortran order kept, any format version."""
    buf = io.BytesIO()
    npy_format.write_array(buf, array, version=version, allow_pickle=False)
    return buf.getvalue()


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
        np.array([1.5, -2.0], dtype=np.float16),
        np.array([-3, 4], dtype=np.int16),
        np.array([7, 8], dtype=np.uint32),
        np.arange(3.0).astype(">f8"),
        np.array([1, -2], dtype=">i4"),
    ],
    ids=["float64", "bool", "int64-2d", "uint8", "float32", "0-d", "empty", "specials",
         "fortran", "float16", "int16", "uint32", "big-endian", "big-endian-int"],
)
def test_numeric_array_round_trips(array: np.ndarray) -> None:
    decoded = decode_array(encode_array(array), LIMIT)

    assert type(decoded) is np.ndarray
    assert decoded.dtype == array.dtype
    assert decoded.shape == array.shape
    np.testing.assert_array_equal(decoded, array)


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
@pytest.mark.parametrize(
    "array",
    [np.arange(6.0).reshape(2, 3), np.asfortranarray(np.arange(6.0).reshape(2, 3)),
     np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4))],
    ids=["C-order", "Fortran-order", "Fortran-order-3d"],
)
def test_what_numpy_writes_decodes(array: np.ndarray, version: tuple[int, int]) -> None:
    decoded = decode_array(saved_npy(array, version), LIMIT)

    assert decoded.shape == array.shape
    np.testing.assert_array_equal(decoded, array)


def test_an_unknown_npy_version_is_rejected() -> None:
    blob = bytearray(saved_npy(np.arange(3.0)))
    blob[6] = 4

    with pytest.raises(WireError, match=r"^malformed array data \(\.npy version 4\)$"):
        decode_array(bytes(blob), LIMIT)


def test_an_npy_header_of_4096_bytes_is_the_largest_accepted() -> None:
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }"
    data = np.array([2.5]).tobytes()

    assert decode_array(raw_npy(header, data, size=4096), LIMIT).tolist() == [2.5]
    with pytest.raises(WireError, match="bad header length"):
        decode_array(raw_npy(header, data, size=4097), LIMIT)


def test_an_npy_header_longer_than_the_blob_is_rejected() -> None:
    blob = encode_array(np.arange(3.0))

    with pytest.raises(WireError, match="bad header length"):
        decode_array(blob[:40], LIMIT)


@pytest.mark.parametrize(
    "header",
    [
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': __import__('os'), }",
        "{'fortran_order': False, 'descr': '<f8', 'shape': (1,), }",
        "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }",
    ],
    ids=["extra-key", "reordered", "not-a-bool"],
)
def test_a_header_numpy_would_not_write_is_rejected(header: str) -> None:
    with pytest.raises(WireError, match=r"^malformed array data \(bad header\)$"):
        decode_array(raw_npy(header, b"\0" * 8), LIMIT)


@pytest.mark.parametrize(
    ("shape", "data"),
    [("2 3", 23 * 8), (",", 8), ("1,, 2", 16), ("-1,", 8)],
)
def test_a_shape_outside_the_grammar_is_rejected(shape: str, data: int) -> None:
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({shape}), }}"

    with pytest.raises(WireError, match=r"not a numeric array|malformed array data"):
        decode_array(raw_npy(header, b"\0" * data), LIMIT)


@pytest.mark.parametrize(
    ("descr", "message"),
    [("'<f16'", "not a numeric array (dtype <f16)"),  # longdouble: 16 bytes is no width we take
     ("'<f1'", "not a numeric array (dtype <f1)"),  # no such dtype
     ("'<c8'", "not a numeric array (dtype <c8)"),
     ("'<b2'", "not a numeric array (dtype <b2)"),
     ("[('alpha', '<f8'), ('beta', '<i4'), ('gamma', '<u2')]",
      "not a numeric array (dtype [('alpha', '<f8'), ('beta', '<i4'), ('ga)")],  # 40 characters
    ids=["longdouble", "f1", "complex", "b2", "structured"],
)
def test_a_rejected_dtype_is_named(descr: str, message: str) -> None:
    header = f"{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}"

    with pytest.raises(WireError) as caught:
        decode_array(raw_npy(header, b"\0" * 16), LIMIT)
    assert str(caught.value) == message


def test_32_dimensions_are_the_most_accepted() -> None:
    for dims, accepted in ((32, True), (33, False)):
        shape = ", ".join(["1"] * dims)
        blob = raw_npy(f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({shape}), }}",
                       b"\0" * 8)
        if accepted:
            assert decode_array(blob, LIMIT).shape == (1,) * 32
        else:
            with pytest.raises(WireError, match="too many dimensions"):
                decode_array(blob, LIMIT)


def test_the_parsed_header_cache_keeps_at_most_4096(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every header a student sends could be new: the cache must not grow with them.
    monkeypatch.setattr(wire, "_PARSED", {})
    for n in range(5000):
        decode_array(raw_npy(f"{{'descr': '<f8', 'fortran_order': False, 'shape': (0, {n}), }}"),
                     LIMIT)

    assert len(wire._PARSED) == 4096
    # ... and a header it holds still decodes the same.
    assert decode_array(raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 7), }"),
                        LIMIT).shape == (0, 7)


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
    with pytest.raises(WireError, match="output too large" if max_bytes < 8 * 10**11
                       else "size does not match"):
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


def test_blocking_reader_of_the_student_side() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, encode_frame({"op": "call"}, [b"abc"]))
    os.close(write_fd)

    with os.fdopen(read_fd, "rb") as stream:
        assert wire.read_frame_blocking(stream) == ({"op": "call", "blobs": [3]}, [b"abc"])
        assert wire.read_frame_blocking(stream) is None


def test_a_shape_numpy_refuses_is_rejected_not_raised() -> None:
    # (0, 10**19) has zero bytes, so the size check passes; numpy still refuses the shape.
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 10000000000000000000), }"
    header += " " * (63 - len(header) % 64) + "\n"
    blob = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()

    with pytest.raises(WireError, match="not a numeric array"):
        decode_array(blob, max_bytes=1 << 20)
