"""Stored cases: a case group whose inputs, and optionally expected outputs, are data in a file.

A spec names the file instead of drawing the cases (``stored: cases/q1_sigmoid.npz``; see
``problems/README.md``): for a fixed data set, or for the public cases of a student bundle
(``grader export``), where the generators must not travel.

The file is an ``.npz`` archive of numeric arrays, read with ``allow_pickle=False``. One
entry, ``cases.json``, holds UTF-8 JSON (as ``uint8``) that describes every case and names
the arrays it uses::

    {"format": "grader-cases", "version": 1, "cases": [
      {"index": 3,                                    # optional: the case's index in its part
       "args": [["z", {"array": "0.args.z"}]],        # positional, in order
       "kwargs": [["tol", {"number": "0.kwargs.tol"}]],              # optional
       "expected": {"arity": null, "outputs": [{"0": "0.expected.0.0"}]},  # optional
       "mistakes": [{"arity": null, "outputs": [{"0": "0.mistakes.0.0"}], "warned": true},
                    null]}                                             # optional
    ]}

A value is ``{"array": key}``, ``{"number": key}`` (a 0-d array read back as a Python
number), ``{"numpy": key}`` (a numpy scalar), ``{"string": text}``, ``{"none": null}``,
``{"dict": [[key, value], ...]}``, ``{"list": [value, ...]}``, ``{"tuple": [value, ...]}``,
or ``{"builder": "module:function", "data": [[name, value], ...]}`` for a function-valued
argument built by a public builder. ``expected.outputs`` has one entry per accepted
reference, mapping each compared output index to its array's key, or, for a structured
output (a dict of arrays, say), to a value written as an argument is; ``arity`` is null
for a function that returns one value, or the length of the tuple it returns.
``mistakes`` (a student bundle's) holds each known mistake's output in the same form, in the
order of the part's ``mistakes:``, or null where that wrong answer failed on the case;
``warned`` (optional) says that the wrong answer emitted a warning there.
:func:`write_cases` writes the format; :func:`read_cases` checks all of it and says where a
file is wrong.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader.cases.generators import MAX_DEPTH, BuiltArg
from grader.values import normalize

FORMAT = "grader-cases"
VERSION = 1
META = "cases.json"
_NUMERIC = "biuf"


class StoredCasesError(Exception):
    """A file of stored cases cannot be used; the message says where in the file and why."""


@dataclass(frozen=True, eq=False)
class StoredOutput:
    """One reference's expected result for one case: the compared outputs, by index."""

    values: Mapping[int, Any]  # arrays, or structured values (grader.values)
    arity: int | None  # None: the function returns one value; n: a tuple of n
    warned: bool = False  # a known mistake's output: its wrong answer emitted a warning


@dataclass(frozen=True, eq=False)
class StoredCase:
    """One stored call: its arguments in positional order, and what it must return."""

    args: Mapping[str, Any]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    index: int | None = None  # the case's index in its part; None: numbered by position
    expected: tuple[StoredOutput, ...] = ()  # one per accepted reference; () when not stored
    # A student bundle's: each known mistake's output (None where that wrong answer failed
    # to run), in the order of the part's ``mistakes:``; () when not stored.
    mistakes: tuple[StoredOutput | None, ...] = ()


@dataclass(frozen=True, eq=False)
class StoredCases:
    """The cases of one ``stored:`` group, as read (and checked) when the spec loaded."""

    path: Path
    cases: tuple[StoredCase, ...]

    @property
    def has_expected(self) -> bool:
        return all(case.expected for case in self.cases)


# --- writing -------------------------------------------------------------------------------

def write_cases(path: Path, cases: Sequence[StoredCase]) -> None:
    """Write ``cases`` to ``path`` (an ``.npz`` file) in the format :func:`read_cases` reads."""
    arrays: dict[str, np.ndarray] = {}
    described = []
    for k, case in enumerate(cases):
        item: dict[str, Any] = {}
        if case.index is not None:
            item["index"] = int(case.index)
        for section, values in (("args", case.args), ("kwargs", case.kwargs)):
            if values or section == "args":
                item[section] = [[name, _encode(value, f"{k}.{section}.{name}", arrays)]
                                 for name, value in values.items()]
        if case.expected:
            arity = case.expected[0].arity
            if any(out.arity != arity for out in case.expected):
                raise ValueError(f"case {k}: expected outputs of different arities")
            item["expected"] = {"arity": arity, "outputs": [
                _output(out, f"{k}.expected.{r}", arrays)
                for r, out in enumerate(case.expected)]}
        if case.mistakes:
            item["mistakes"] = [
                None if out is None else
                {"arity": out.arity, "outputs": [_output(out, f"{k}.mistakes.{m}", arrays)],
                 **({"warned": True} if out.warned else {})}
                for m, out in enumerate(case.mistakes)]
        described.append(item)
    meta = {"format": FORMAT, "version": VERSION, "cases": described}
    arrays[META] = np.frombuffer(json.dumps(meta, indent=1).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buffer.getvalue())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would keep the file from whoever it is for
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _output(out: StoredOutput, prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """One output set: each compared output index to its array's key, or for a structured
    output (grader.values) to a value written as an argument is."""
    keys: dict[str, Any] = {}
    for o, value in sorted(out.values.items()):
        key = f"{prefix}.{o}"
        if isinstance(value, np.ndarray):
            arrays[key] = _numeric(value, key)
            keys[str(o)] = key
        else:
            keys[str(o)] = _encode(value, key, arrays)
    return keys


def _numeric(array: np.ndarray, key: str) -> np.ndarray:
    if array.dtype.kind not in _NUMERIC:
        raise ValueError(f"{key}: an array of dtype {array.dtype}; expected numbers or booleans")
    return array


def _encode(value: Any, key: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    if isinstance(value, BuiltArg):
        return {"builder": value.builder,
                "data": [[name, _encode(v, f"{key}.{name}", arrays)]
                         for name, v in value.data.items()]}
    if isinstance(value, np.ndarray):
        arrays[key] = _numeric(value, key)
        return {"array": key}
    if isinstance(value, (str, np.str_)):
        return {"string": str(value)}
    if isinstance(value, np.generic):
        arrays[key] = _numeric(np.asarray(value), key)
        return {"numpy": key}
    if isinstance(value, (bool, int, float)):
        arrays[key] = np.asarray(value)
        return {"number": key}
    if value is None:
        return {"none": None}
    if isinstance(value, dict):
        return {"dict": [[str(k), _encode(v, f"{key}.{k}", arrays)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [_encode(v, f"{key}.{i}", arrays) for i, v in enumerate(value)]}
    raise TypeError(f"{key}: cannot store a {type(value).__name__}; expected an array, a "
                    "number, a string, None, a dict, list or tuple of them, or a BuiltArg")


# --- reading -------------------------------------------------------------------------------

def read_cases(path: Path) -> tuple[StoredCase, ...]:
    """Every case in ``path``, checked; raises :class:`StoredCasesError` saying what is wrong."""
    if not path.is_file():
        raise StoredCasesError("file not found")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise StoredCasesError("expected an .npz archive, got a single array")
        with data:
            arrays = {name: _read_array(data, name) for name in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise StoredCasesError(f"cannot read it as .npz: {exc}") from None
    return _Reader(arrays).cases()


def _read_array(data: Any, name: str) -> np.ndarray:
    try:
        array = np.array(data[name])
    except ValueError as exc:  # e.g. an object array, which would need pickle
        raise StoredCasesError(f"{name}: {exc}") from None
    array.flags.writeable = False  # shared by every build of the cases
    return array


class _Reader:
    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays

    def cases(self) -> tuple[StoredCase, ...]:
        meta = self.arrays.get(META)
        if meta is None:
            raise StoredCasesError(f"no '{META}' entry; write the file with "
                                   "grader.cases.stored.write_cases")
        if meta.dtype != np.uint8 or meta.ndim != 1:
            raise StoredCasesError(f"{META}: expected UTF-8 JSON as a 1-D uint8 array")
        try:
            doc = json.loads(meta.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise StoredCasesError(f"{META}: not valid JSON: {exc}") from None
        except RecursionError:
            raise StoredCasesError(f"{META}: nested too deeply to read") from None
        top = _mapping(doc, META, required=("format", "version", "cases"))
        if top["format"] != FORMAT or top["version"] != VERSION:
            raise StoredCasesError(f"{META}: expected format {FORMAT!r} version {VERSION}, got "
                                   f"{top['format']!r} version {top['version']!r}")
        items = _list(top["cases"], "cases")
        cases = tuple(self.case(item, f"cases[{k}]") for k, item in enumerate(items))
        indices = [c.index for c in cases if c.index is not None]
        if len(set(indices)) != len(indices):
            raise StoredCasesError("cases: the case indices must be unique")
        if indices and len(indices) != len(cases):
            raise StoredCasesError("cases: give every case an 'index', or none")
        return cases

    def case(self, item: Any, where: str) -> StoredCase:
        item = _mapping(item, where, required=("args",),
                        optional=("kwargs", "index", "expected", "mistakes"))
        index = None
        if "index" in item:
            index = item["index"]
            if isinstance(index, bool) or not isinstance(index, int) or index < 0:
                raise StoredCasesError(f"{where}.index: expected an integer >= 0, got {index!r}")
        args = self.named(item["args"], f"{where}.args")
        kwargs = self.named(item.get("kwargs", []), f"{where}.kwargs")
        both = [*args, *kwargs]
        if len(set(both)) != len(both):
            raise StoredCasesError(f"{where}: an argument name appears twice")
        expected = self.expected(item["expected"], f"{where}.expected") \
            if "expected" in item else ()
        mistakes = tuple(
            None if spec is None else self.mistake(spec, f"{where}.mistakes[{m}]")
            for m, spec in enumerate(_list(item.get("mistakes", []), f"{where}.mistakes")))
        return StoredCase(args, kwargs, index, expected, mistakes)

    def named(self, pairs: Any, where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, pair in enumerate(_list(pairs, where)):
            if (not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str)
                    or not pair[0].isidentifier()):
                raise StoredCasesError(f"{where}[{i}]: expected [name, value] with an "
                                       f"identifier name, got {_short(pair)}")
            out[pair[0]] = self.value(pair[1], f"{where}.{pair[0]}")
        return out

    def value(self, spec: Any, where: str, depth: int = 0) -> Any:
        kinds = ("array", "number", "numpy", "string", "builder", "none", "dict", "list",
                 "tuple")
        if not isinstance(spec, dict) or len([k for k in kinds if k in spec]) != 1:
            raise StoredCasesError(f"{where}: expected one of {', '.join(kinds)}, got "
                                   f"{_short(spec)}")
        if depth > MAX_DEPTH:
            raise StoredCasesError(f"{where}: nested more than {MAX_DEPTH} deep")
        if "none" in spec:
            if _mapping(spec, where, required=("none",))["none"] is not None:
                raise StoredCasesError(f"{where}.none: expected null")
            return None
        if "dict" in spec:
            pairs = _list(_mapping(spec, where, required=("dict",))["dict"], f"{where}.dict")
            out: dict[str, Any] = {}
            for i, pair in enumerate(pairs):
                if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str):
                    raise StoredCasesError(f"{where}.dict[{i}]: expected [key, value] with a "
                                           f"string key, got {_short(pair)}")
                out[pair[0]] = self.value(pair[1], f"{where}.{pair[0]}", depth + 1)
            return out
        for kind in ("list", "tuple"):
            if kind in spec:
                items = _list(_mapping(spec, where, required=(kind,))[kind], f"{where}.{kind}")
                values = [self.value(v, f"{where}[{i}]", depth + 1)
                          for i, v in enumerate(items)]
                return values if kind == "list" else tuple(values)
        if "builder" in spec:
            spec = _mapping(spec, where, required=("builder",), optional=("data",))
            ref = spec["builder"]
            module, sep, function = ref.partition(":") if isinstance(ref, str) else ("", "", "")
            if not (module and sep and function.isidentifier()):
                raise StoredCasesError(f"{where}.builder: expected 'module:function', got "
                                       f"{_short(ref)}")
            return BuiltArg(ref, self.named(spec.get("data", []), f"{where}.data"))
        kind = next(k for k in kinds if k in spec)
        key = _mapping(spec, where, required=(kind,))[kind]
        if kind == "string":
            if not isinstance(key, str):
                raise StoredCasesError(f"{where}.string: expected text, got {_short(key)}")
            return key
        array = self.array(key, f"{where}.{kind}")
        if kind == "array":
            return array
        if array.ndim != 0:
            raise StoredCasesError(f"{where}.{kind}: array {key!r} has shape {array.shape}; "
                                   "a number is a 0-d array")
        return array.item() if kind == "number" else array[()]

    def array(self, key: Any, where: str) -> np.ndarray:
        if not isinstance(key, str) or key == META or key not in self.arrays:
            raise StoredCasesError(f"{where}: no array {_short(key)} in the file")
        array = self.arrays[key]
        if array.dtype.kind not in _NUMERIC:
            raise StoredCasesError(f"{where}: array {key!r} has dtype {array.dtype}; expected "
                                   "numbers or booleans")
        return array

    def expected(self, spec: Any, where: str) -> tuple[StoredOutput, ...]:
        spec = _mapping(spec, where, required=("arity", "outputs"))
        arity = spec["arity"]
        if arity is not None and (isinstance(arity, bool) or not isinstance(arity, int)
                                  or arity < 1):
            raise StoredCasesError(f"{where}.arity: expected null or an integer >= 1, got "
                                   f"{_short(arity)}")
        outputs = _list(spec["outputs"], f"{where}.outputs")
        if not outputs:
            raise StoredCasesError(f"{where}.outputs: expected one entry per accepted reference")
        found = []
        for r, keys in enumerate(outputs):
            at = f"{where}.outputs[{r}]"
            if not isinstance(keys, dict) or not keys:
                raise StoredCasesError(f"{at}: expected a mapping of output index to array")
            values: dict[int, Any] = {}
            for o, key in keys.items():
                limit = 1 if arity is None else arity
                if not (o.isascii() and o.isdigit()) or int(o) >= limit:
                    raise StoredCasesError(f"{at}: output index {o!r} is not one of "
                                           f"0..{limit - 1}")
                if isinstance(key, dict):  # a structured output, stored as an argument is
                    try:
                        values[int(o)] = normalize(self.value(key, f"{at}.{o}"))
                    except TypeError as exc:
                        raise StoredCasesError(f"{at}.{o}: {exc}") from None
                else:
                    values[int(o)] = self.array(key, f"{at}.{o}")
            found.append(StoredOutput(values, arity))
        return tuple(found)


    def mistake(self, spec: Any, where: str) -> StoredOutput:
        spec = dict(_mapping(spec, where, required=("arity", "outputs"), optional=("warned",)))
        warned = spec.pop("warned", False)
        if not isinstance(warned, bool):
            raise StoredCasesError(f"{where}.warned: expected true or false, got "
                                   f"{_short(warned)}")
        found = self.expected(spec, where)
        if len(found) != 1:
            raise StoredCasesError(f"{where}.outputs: expected one output set, got {len(found)}")
        return StoredOutput(found[0].values, found[0].arity, warned)


def _mapping(value: Any, where: str, required: Sequence[str] = (),
             optional: Sequence[str] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise StoredCasesError(f"{where}: expected a mapping, got {_short(value)}")
    for key in value:
        if key not in (*required, *optional):
            raise StoredCasesError(f"{where}.{key}: unknown key; expected one of: "
                                   f"{', '.join((*required, *optional))}")
    for key in required:
        if key not in value:
            raise StoredCasesError(f"{where}.{key}: missing required key")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise StoredCasesError(f"{where}: expected a list, got {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def builder_refs(value: Any) -> Iterator[str]:
    """Every builder a stored value names (a BuiltArg's data, a dict, list or tuple may hold
    BuiltArgs)."""
    if isinstance(value, BuiltArg):
        yield value.builder
        for item in value.data.values():
            yield from builder_refs(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from builder_refs(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from builder_refs(item)
