"""Structured values: what a call returns when it is not one array.

A *value* is a numeric array, or a dict with string keys, a list or a tuple of values, or
None, or a string (numbers are 0-d arrays). Outputs that are dicts of arrays (gradients by
name), tuples of an array and a dict, or lists of arrays of different shapes are values;
one array stays an array, as it always was. This module turns a reference's result into a
value (:func:`normalize`), and walks, sizes, hashes and compares values bit for bit, for the
grader's trusted side (:mod:`grader.judge.compare` compares them within tolerances; the
student's side makes its own in :mod:`grader.sandbox.child.worker`, and they cross the
boundary as :func:`grader.sandbox.wire.encode_tree` trees).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

NUMERIC = "biuf"


def numeric_array(value: Any) -> np.ndarray | None:
    """``value`` as a plain numeric array (a list of numbers included), or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (numpy's warning about ragged sequences)
            array = np.array(value, subok=False)
    except (ValueError, TypeError):
        return None
    return array if array.dtype.kind in NUMERIC else None


def normalize(value: Any, path: str = "") -> Any:
    """A reference's result as a value. Raises TypeError naming the path of what is not
    plain data (an object, a dict key that is not a string)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path or 'the value'} has a dict key {key!r}; keys must be "
                                "strings")
            out[key] = normalize(item, f"{path}{key_text(key)}")
        return out
    if isinstance(value, (list, tuple)):
        array = numeric_array(value)
        if array is not None:
            return array
        items = [normalize(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return items if isinstance(value, list) else tuple(items)
    if value is None or isinstance(value, str):
        return value
    array = numeric_array(value)
    if array is None:
        raise TypeError(f"{path or 'the value'} is a {type(value).__name__}, not numeric data")
    return array


def pick(value: Any, paths: tuple[tuple[str, ...], ...]) -> Any:
    """Only the parts of a dict value that ``paths`` name (each a sequence of keys, () for
    the whole value); anything that is not a dict, and keys it lacks, are left for the
    comparison to report."""
    if not paths or any(not path for path in paths) or not isinstance(value, dict):
        return value
    out = {}
    for key in dict.fromkeys(path[0] for path in paths):
        if key in value:
            out[key] = pick(value[key], tuple(p[1:] for p in paths if p[0] == key))
    return out


def path_problem(value: Any, keys: tuple[str, ...]) -> str | None:
    """Why the path ``keys`` does not lead to a part of ``value`` (a key it lacks, or
    something that is not a dict on the way), or None if it does."""
    for depth, key in enumerate(keys):
        where = "".join(key_text(k) for k in keys[:depth]) or "it"
        if not isinstance(value, dict):
            return f"{where} is {describe(value)}, not a dict"
        if key not in value:
            return f"{where} has no key {key!r} (it has {', '.join(map(repr, value)) or 'none'})"
        value = value[key]
    return None


def key_text(key: str) -> str:
    return f"[{key!r}]"


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf) of every array, None and string in a value, in order."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}{key_text(key)}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from leaves(item, f"{path}[{i}]")
    else:
        yield path, value


def nbytes(value: Any) -> int:
    """The bytes of a value's arrays (and strings), to cap what is held in memory."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    return sum(leaf.nbytes if isinstance(leaf, np.ndarray) else len(leaf or "")
               for _, leaf in leaves(value))


def hash_into(h: Any, value: Any) -> None:
    """Feed a value's structure and contents to a hash (``hashlib`` object)."""
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        h.update(f"{array.dtype.str}:{array.shape};".encode())
        h.update(array.data)
    elif isinstance(value, dict):
        h.update(f"d{len(value)}:".encode())
        for key, item in value.items():
            h.update(f"{len(key)}:{key}".encode())
            hash_into(h, item)
    elif isinstance(value, (list, tuple)):
        h.update(f"{'l' if isinstance(value, list) else 'u'}{len(value)}:".encode())
        for item in value:
            hash_into(h, item)
    elif value is None:
        h.update(b"z;")
    else:
        h.update(f"s{len(value)}:{value}".encode())


def digest(value: Any) -> str:
    h = hashlib.sha256()
    hash_into(h, value)
    return h.hexdigest()


def identical(got: Any, want: Any) -> bool:
    """Bit for bit the same value: the same structure, and arrays of the same dtype, shape
    and bytes."""
    if isinstance(want, np.ndarray):
        return isinstance(got, np.ndarray) and got.dtype == want.dtype \
            and got.shape == want.shape and got.tobytes() == want.tobytes()
    return type(got) is type(want) and digest(got) == digest(want)


def describe(value: Any) -> str:
    """What kind of value this is, in a few words."""
    if isinstance(value, np.ndarray):
        return "a scalar" if value.ndim == 0 else f"an array of shape {value.shape}"
    if isinstance(value, dict):
        return f"a dict of {len(value)}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    return "None" if value is None else "a string"
