"""The message format between the grader and a student process.

A frame is ``>I`` (length of a JSON header), the UTF-8 JSON header, then the raw blobs whose
byte lengths the header lists under ``"blobs"``. Arrays travel as ``.npy`` blobs.

The grader treats everything that comes back as hostile: every length is capped before it is
read, JSON is parsed only after its size is checked, and each ``.npy`` blob is accepted only
when its header declares a plain numeric or boolean dtype and a shape whose byte size matches
the blob exactly. Nothing is unpickled or evaluated.

This module imports only the standard library and numpy, because the student process imports
it too.
"""

from __future__ import annotations

import io
import json
import re
import struct
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np
import numpy.lib.format as npy_format

LENGTH = struct.Struct(">I")  # before each frame: the byte length of its JSON header

MAX_HEADER_BYTES = 1 << 20  # JSON header of one message
MAX_NPY_HEADER = 4096  # the dict literal at the start of an .npy blob
ALLOWED_KINDS = "biuf"


class WireError(Exception):
    """A message is malformed, too large, or did not arrive in time."""


class Timeout(WireError):
    """The other side did not finish a message before the deadline."""


class Closed(WireError):
    """The other side closed the channel (usually: the process died)."""


# --- encoding (both sides) ------------------------------------------------------------------

_NPY_HEADERS: dict[tuple[str, tuple[int, ...]], bytes] = {}


def encode_array(array: np.ndarray) -> bytes:
    """The ``.npy`` bytes of a plain array: numpy's own header (cached by dtype and shape),
    then the data in C order."""
    array = np.asarray(array)
    if array.dtype.hasobject or array.dtype.fields is not None:
        buf = io.BytesIO()
        npy_format.write_array(buf, array, allow_pickle=False)
        return buf.getvalue()
    key = (array.dtype.str, array.shape)
    header = _NPY_HEADERS.get(key)
    if header is None:
        buf = io.BytesIO()
        npy_format.write_array_header_1_0(buf, {
            "descr": npy_format.dtype_to_descr(array.dtype), "fortran_order": False,
            "shape": array.shape})
        header = buf.getvalue()
        if len(_NPY_HEADERS) < 4096:
            _NPY_HEADERS[key] = header
    return header + array.tobytes(order="C")


def _json_coders() -> tuple[Callable[[Any], str], Callable[[str, int], tuple[Any, int]]]:
    """JSON text of a header, and (value, end) from text: the json module's own C encoder
    and scanner, made once (``json.dumps`` and ``json.loads`` build or wrap them per call,
    which was a third of a small frame's cost)."""
    encoder = json.JSONEncoder(separators=(",", ":"), allow_nan=True)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without the C accelerator
        return encoder.encode, json.JSONDecoder().raw_decode
    chunks = make(None, encoder.default, json.encoder.encode_basestring_ascii, None, ":", ",",
                  False, False, True)
    scanner: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
    return (lambda value: "".join(chunks(value, 0))), scanner


_to_json, _scan_json = _json_coders()


def encode_frame(header: dict[str, Any], blobs: list[bytes] | None = None) -> bytes:
    blobs = blobs or []
    data = _to_json({**header, "blobs": [len(b) for b in blobs]}).encode()
    return b"".join([LENGTH.pack(len(data)), data, *blobs])


# --- decoding arrays (the grader's side of the trust boundary) ------------------------------

_MAGIC = b"\x93NUMPY"
_HEADER = re.compile(
    r"\{'descr': (?P<descr>.+?), 'fortran_order': (?P<fortran>True|False), "
    r"'shape': \((?P<shape>[0-9, ]*)\), \}[ ]*\n")
_DESCR = re.compile(r"'(?P<order>[<>|=])(?P<kind>[a-zA-Z])(?P<size>[0-9]{1,2})'")
_SHAPE = re.compile(r"(?:[0-9]{1,19}(?:, [0-9]{1,19})*,?)?")


def decode_array(blob: bytes, max_bytes: int) -> np.ndarray:
    """Decode one ``.npy`` blob after checking its header, dtype, shape and size.

    The header is matched against the exact grammar numpy writes, by regular expressions:
    nothing in it is evaluated (no ``literal_eval``), and no pickle can be involved because
    only plain bool, int, uint and float dtypes pass. The data is then read with
    ``numpy.frombuffer`` and copied. Anything else raises :class:`WireError` with a message
    suitable for a student (e.g. "not a numeric array"). A blob that claims 10**11 elements
    is rejected before any allocation, because its length cannot match.
    """
    if len(blob) < 10 or blob[:6] != _MAGIC:
        raise WireError("malformed array data (not .npy)")
    major = blob[6]
    if major == 1:
        start = 10
        header_len = int.from_bytes(blob[8:10], "little")
    elif major in (2, 3):
        start = 12
        header_len = int.from_bytes(blob[8:12], "little")
    else:
        raise WireError(f"malformed array data (.npy version {major})")
    if header_len > MAX_NPY_HEADER or start + header_len > len(blob):
        raise WireError("malformed array data (bad header length)")
    raw = blob[start:start + header_len]
    parsed = _PARSED.get(raw)
    if parsed is None:
        parsed = _parse_npy_header(raw)
        if len(_PARSED) < 4096:  # the same few headers come back for every submission
            _PARSED[raw] = parsed
    dtype, shape, fortran = parsed
    count = 1
    for n in shape:
        count *= n
        if count * dtype.itemsize > max_bytes:
            raise WireError(f"output too large (shape {shape}, limit {max_bytes} bytes)")
    offset = start + header_len
    if len(blob) != offset + count * dtype.itemsize:
        raise WireError("malformed array data (size does not match its header)")
    try:
        flat = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
        array: np.ndarray = flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)
        return np.array(array, order="C")  # a copy that owns its memory
    except (ValueError, OverflowError, MemoryError):  # e.g. (0, 10**19): numpy refuses it
        raise WireError(f"not a numeric array (invalid shape {shape})") from None


_PARSED: dict[bytes, tuple[np.dtype[Any], tuple[int, ...], bool]] = {}


def _parse_npy_header(raw: bytes) -> tuple[np.dtype[Any], tuple[int, ...], bool]:
    """(dtype, shape, Fortran order) of an ``.npy`` header, or WireError saying why not."""
    try:
        text = raw.decode("latin-1")
    except UnicodeDecodeError:
        raise WireError("malformed array data (bad header)") from None
    match = _HEADER.fullmatch(text)
    if match is None:
        raise WireError("malformed array data (bad header)")
    descr = _DESCR.fullmatch(match["descr"])
    if descr is None:
        raise WireError(f"not a numeric array (dtype {match['descr'][:40]})")
    if descr["kind"] not in ALLOWED_KINDS or int(descr["size"]) not in (1, 2, 4, 8) \
            or (descr["kind"] == "b" and descr["size"] != "1"):
        raise WireError(f"not a numeric array (dtype {descr.group(0)[1:-1]})")
    try:
        dtype = np.dtype(descr.group(0)[1:-1])
    except TypeError:
        raise WireError(f"not a numeric array (dtype {descr.group(0)[1:-1]})") from None
    if not _SHAPE.fullmatch(match["shape"]):
        raise WireError("not a numeric array (invalid shape)")
    shape = tuple(int(n) for n in match["shape"].replace(" ", "").split(",") if n)
    if len(shape) > 32:
        raise WireError("not a numeric array (invalid shape: too many dimensions)")
    return dtype, shape, match["fortran"] == "True"


# --- structured values ------------------------------------------------------------------------
# A value that is not one array (a dict of arrays, a list of them, a tuple of an array and a
# dict, ...) travels as a tree: a JSON node per container and leaf, the arrays as .npy blobs.
#   {"t": "a", "b": i}                  an array: blob i of the value's blobs
#   {"t": "d", "k": [keys], "v": [nodes]}  a dict with string keys
#   {"t": "l", "v": [nodes]}, {"t": "u", "v": [nodes]}   a list, a tuple
#   {"t": "z"}, {"t": "s", "v": text}   None, a string
# Numbers and booleans are 0-d arrays.

MAX_TREE_DEPTH = 16  # containers within containers
MAX_TREE_NODES = 10_000  # containers and leaves of one value
MAX_TREE_TEXT = 1000  # characters of one string or dict key


def encode_tree(value: Any, blobs: list[bytes]) -> dict[str, Any]:
    """The node of a plain value (dicts with string keys, lists, tuples, None, strings and
    numeric arrays, as :func:`decode_tree` gives back), its arrays appended to ``blobs``."""
    if isinstance(value, dict):
        return {"t": "d", "k": list(value), "v": [encode_tree(v, blobs) for v in value.values()]}
    if isinstance(value, (list, tuple)):
        return {"t": "l" if isinstance(value, list) else "u",
                "v": [encode_tree(v, blobs) for v in value]}
    if value is None:
        return {"t": "z"}
    if isinstance(value, str):
        return {"t": "s", "v": value}
    blobs.append(encode_array(np.asarray(value)))
    return {"t": "a", "b": len(blobs) - 1}


def decode_tree(node: Any, blobs: list[bytes], max_bytes: int,
                used: set[int] | None = None) -> Any:
    """The plain value a tree describes, every part checked: the nodes' form, at most
    :data:`MAX_TREE_DEPTH` deep and :data:`MAX_TREE_NODES` in all, string keys (unique, at
    most :data:`MAX_TREE_TEXT` characters, as strings are), each blob used once (``used``:
    the blobs the reply's other outputs took, updated), and the arrays :func:`decode_array`
    accepts, ``max_bytes`` in all. :class:`WireError` says what is wrong, in words for a
    student."""
    return _TreeReader(blobs, max_bytes, set() if used is None else used).read(node, 0)


class _TreeReader:
    def __init__(self, blobs: list[bytes], max_bytes: int, used: set[int]) -> None:
        self.blobs = blobs
        self.left = max_bytes
        self.nodes = 0
        self.used = used

    def read(self, node: Any, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_TREE_NODES:
            raise WireError(f"too many values (more than {MAX_TREE_NODES} arrays, numbers, "
                            "strings and containers)")
        if depth > MAX_TREE_DEPTH:
            raise WireError(f"nested more than {MAX_TREE_DEPTH} levels deep")
        kind = node.get("t") if isinstance(node, dict) else None
        if kind == "a":
            index = node.get("b")
            if not isinstance(index, int) or isinstance(index, bool) \
                    or not 0 <= index < len(self.blobs) or index in self.used:
                raise WireError("malformed value (bad array reference)")
            self.used.add(index)
            array = decode_array(self.blobs[index], self.left)
            self.left -= array.nbytes
            return array
        if kind == "z":
            return None
        if kind == "s":
            return self.text(node.get("v"))
        items = node.get("v") if isinstance(node, dict) else None
        if kind in ("l", "u", "d") and isinstance(items, list):
            values = [self.read(item, depth + 1) for item in items]
            if kind == "l":
                return values
            if kind == "u":
                return tuple(values)
            keys = node.get("k")
            if not isinstance(keys, list) or len(keys) != len(values):
                raise WireError("malformed value (dict keys)")
            out = {self.text(key): value for key, value in zip(keys, values, strict=True)}
            if len(out) != len(keys):
                raise WireError("malformed value (a dict key twice)")
            return out
        raise WireError("malformed value")

    def text(self, value: Any) -> str:
        if not isinstance(value, str) or len(value) > MAX_TREE_TEXT:
            raise WireError(f"malformed value (a string or dict key that is not text of at "
                            f"most {MAX_TREE_TEXT} characters)")
        return value


def parse_header(data: bytes) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
        header, end = _scan_json(text, 0)
    except (UnicodeDecodeError, ValueError, StopIteration, RecursionError):
        raise WireError("malformed message header") from None
    if end != len(text) or not isinstance(header, dict):
        raise WireError("malformed message header")
    blobs = header.get("blobs", [])
    if not isinstance(blobs, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in blobs):
        raise WireError("malformed blob list")
    return header


# --- blocking reads (student side) ----------------------------------------------------------

def read_frame_blocking(stream: BinaryIO) -> tuple[dict[str, Any], list[bytes]] | None:
    raw = stream.read(LENGTH.size)
    if len(raw) < LENGTH.size:
        return None
    (size,) = LENGTH.unpack(raw)
    header = parse_header(stream.read(size))
    return header, [stream.read(n) for n in header["blobs"]]
