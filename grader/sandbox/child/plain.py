"""What a student's code returned, as plain data that may leave the student's process.

:func:`convert` turns a call's result into the reply's outputs: numeric arrays (as .npy
blobs) and, for dicts, lists and tuples, wire trees (:func:`grader.sandbox.wire.encode_tree`).
It is checked as it is read, so that what leaves is within the wire's caps; anything else is
a :class:`BadOutput` that says what was found where. The grader checks it all again on
arrival, since this whole process is untrusted.

Standard library and numpy only, like the rest of :mod:`grader.sandbox.child`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from grader.sandbox import wire

MAX_TEXT = 500


def text(get: Any) -> str:
    """``str(get())`` shortened, whatever it does (a hostile ``__str__`` must not take the
    worker down)."""
    try:
        shown = str(get())
    except BaseException:
        shown = "<unprintable>"
    return shown if len(shown) <= MAX_TEXT else shown[: MAX_TEXT - 3] + "..."


def type_name(value: Any) -> str:
    return "None" if value is None else text(lambda: type(value).__name__)


class BadOutput(Exception):
    """The student's value cannot be sent back; the message says why."""


def convert(result: Any, arity: int | None, select: Sequence[int] | None, max_bytes: int,
            labels: Sequence[str] | None = None) -> tuple[list[dict[str, Any]], list[bytes]]:
    """The reply's outputs from what the student returned, or BadOutput saying why not.
    ``labels`` name the outputs in messages (a call sequence's "step 2 (f) dx"); by default
    they are "output N" (or "returned value" for a single one)."""
    try:
        return _convert(result, arity, select, max_bytes, labels)
    except BadOutput:
        raise
    except BaseException as exc:  # a hostile __len__, __getitem__, __array__, ...
        kind = text(lambda e=exc: type(e).__name__)
        raise BadOutput(f"not a numeric array: reading the returned {type_name(result)} "
                        f"raised {kind}") from None


def _convert(result: Any, arity: int | None, select: Sequence[int] | None, max_bytes: int,
             labels: Sequence[str] | None) -> tuple[list[dict[str, Any]], list[bytes]]:
    if arity is None:
        items = [(0, result)]
    else:
        if not isinstance(result, (tuple, list)):
            raise BadOutput(f"returned {type_name(result)}, expected a tuple of {arity} outputs")
        if len(result) != arity:
            raise BadOutput(f"returned a {type(result).__name__} of {len(result)} outputs, "
                            f"expected {arity}")
        chosen = select if select is not None else range(arity)
        items = [(i, result[i]) for i in chosen]
    outputs: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    for index, value in items:
        where = labels[index] if labels is not None else \
            f"output {index}" if arity is not None else ""
        if value is None or isinstance(value, dict) or (
                isinstance(value, (list, tuple)) and not numeric_sequence(value)):
            plain = Plain(where or "returned value", max_bytes).value(value, 0)
            outputs.append({"index": index, "tree": wire.encode_tree(plain, blobs)})
            continue
        array = plain_array(value, where)
        if array.nbytes > max_bytes:
            raise BadOutput(f"{where + ': ' if where else ''}output too large "
                            f"({array.nbytes} bytes)")
        outputs.append({"index": index, "b": len(blobs)})
        blobs.append(wire.encode_array(array))
    return outputs, blobs


def numeric_sequence(value: list[Any] | tuple[Any, ...]) -> bool:
    """A list or tuple that makes one numeric array (as it always has: [1, 2] is an array);
    anything else (ragged, or holding dicts, None or text) is a structure."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (numpy's warning about ragged sequences)
            kind = np.array(value, subok=False).dtype.kind
    except (ValueError, TypeError, RecursionError):  # (a list that holds itself)
        return False
    return kind in wire.ALLOWED_KINDS or kind == "c"  # (complex: refused, as an array)


class Plain:
    """A student's structured value as plain data: dicts with string keys, lists, tuples,
    None, strings, and numeric arrays (numbers and numpy scalars become 0-d arrays)."""

    def __init__(self, where: str, max_bytes: int) -> None:
        self.where = where
        self.left = max_bytes
        self.nodes = 0

    def value(self, value: Any, depth: int, path: str = "") -> Any:
        self.nodes += 1
        if self.nodes > wire.MAX_TREE_NODES:
            raise BadOutput(f"{self._at(path)}too many values (more than "
                            f"{wire.MAX_TREE_NODES})")
        if depth > wire.MAX_TREE_DEPTH:
            raise BadOutput(f"{self._at(path)}nested more than {wire.MAX_TREE_DEPTH} levels "
                            "deep")
        if isinstance(value, dict):
            out = {}
            for key, item in dict.items(value):
                if type(key) is not str:
                    raise BadOutput(f"{self._at(path)}a dict key {text(lambda k=key: repr(k))} "
                                    f"of type {type_name(key)}; keys must be strings")
                if len(key) > wire.MAX_TREE_TEXT:
                    raise BadOutput(f"{self._at(path)}a dict key longer than "
                                    f"{wire.MAX_TREE_TEXT} characters")
                out[key] = self.value(item, depth + 1, f"{path}[{key!r}]")
            return out
        if isinstance(value, (list, tuple)):
            if numeric_sequence(value) and depth:
                return self._array(value, path)
            items = list.__iter__(value) if isinstance(value, list) else tuple.__iter__(value)
            plain = [self.value(item, depth + 1, f"{path}[{i}]")
                     for i, item in enumerate(items)]
            return plain if isinstance(value, list) else tuple(plain)
        if value is None:
            return None
        if type(value) is str:
            if len(value) > wire.MAX_TREE_TEXT:
                raise BadOutput(f"{self._at(path)}a string longer than {wire.MAX_TREE_TEXT} "
                                "characters")
            return value
        return self._array(value, path)

    def _array(self, value: Any, path: str) -> np.ndarray:
        try:
            array = plain_array(value, "")
        except BadOutput as exc:
            raise BadOutput(f"{self._at(path)}{exc}") from None
        self.left -= array.nbytes
        if self.left < 0:
            raise BadOutput(f"{self._at(path)}output too large")
        return array

    def _at(self, path: str) -> str:
        where = f"{self.where} {path}".strip()
        return f"{where}: " if where else ""


def plain_array(value: Any, where: str) -> np.ndarray:
    """``value`` as a plain numeric array; ``where`` ("output 1") starts any message."""
    prefix = f"{where}: " if where else ""
    if value is None:
        raise BadOutput(f"{prefix}returned None, expected a numeric array or number")
    try:
        # np.array with subok=False turns ndarray subclasses and float subclasses into plain
        # data; objects with their own __array__ are evaluated here, in the student process.
        array = np.array(value, subok=False, copy=True)
    except BaseException as exc:
        raise BadOutput(f"{prefix}not a numeric array ({type_name(value)}: "
                        f"{type(exc).__name__})") from None
    if type(array) is not np.ndarray or array.dtype.kind not in wire.ALLOWED_KINDS:
        if array.dtype.kind == "O" and not isinstance(value, np.ndarray):
            # (an object numpy cannot read as numbers: say what it is, not numpy's dtype)
            raise BadOutput(f"{prefix}not a numeric array: got {type_name(value)}; expected "
                            "an array, a number, or a dict, list or tuple of them")
        kind = "complex values" if array.dtype.kind == "c" else f"dtype {array.dtype}"
        raise BadOutput(f"{prefix}not a numeric array ({type_name(value)} with {kind})")
    if array.dtype.kind == "f" and array.dtype.itemsize > 8:
        array = array.astype(np.float64)
    return array
