"""An on-disk cache of expected outputs, shared by every grading run of an assignment.

Entries live under ``$XDG_CACHE_HOME/grader/expected/<key>/`` (``~/.cache`` by default), one
``.npz`` per part holding the outputs of every case computed so far. The key digests
everything that can change an expected output: the assignment's specs, reference and public
code (its digest), the seed, the hidden cases' key (by its id), the grader's own source, and
the Python and numpy versions.
Editing any of them starts a new entry. Files are read with ``allow_pickle=False``.

The cache is written before any student code runs. It lives outside everything a student
process can see under full isolation; with resource limits only (no filesystem isolation),
a student's code running as the same user could alter it, which is why the README tells
instructors to grade untrusted code only with full isolation.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import platform
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

import grader
from grader.cases.build import Case
from grader.judge.expected import Output
from grader.sandbox import wire
from grader.spec import Assignment, Part, Problem
from grader.spec.key import key_id


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "grader" / "expected"


@functools.lru_cache(maxsize=1)
def _grader_digest() -> str:
    package = Path(grader.__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def cache_key(assignment: Assignment, seed: int) -> str:
    parts = [assignment.digest, str(seed), key_id(assignment.key), _grader_digest(), np.__version__,
             platform.python_version(), platform.machine()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


Outputs = tuple[Output | None, ...]  # per case: one per reference, or per known mistake


class ExpectedCache:
    """Expected outputs by (problem, part, case index), computed once and reused; and, under
    their own name, the known-wrong answers' outputs (:mod:`grader.judge.mistakes`)."""

    def __init__(self, assignment: Assignment, seed: int, folder: Path | None = None) -> None:
        self.folder = (folder or default_dir()) / cache_key(assignment, seed)

    def _file(self, problem: Problem, part: Part, kind: str) -> Path:
        return self.folder / f"{problem.id}__{part.id}{kind}.npz"

    def expected(self, problem: Problem, part: Part, cases: Sequence[Case],
                 compute: Callable[[Sequence[Case]], list[tuple[Output, ...]]]
                 ) -> list[tuple[Output, ...]]:
        """The expected outputs of ``cases``, computing and storing only the missing ones."""
        found = self.outputs(problem, part, cases, compute, "", len(part.references))
        if any(out is None for outputs in found for out in outputs):
            return compute(cases)  # (a damaged entry: computed again)
        return cast(list[tuple[Output, ...]], found)

    def outputs(self, problem: Problem, part: Part, cases: Sequence[Case],
                compute: Callable[[Sequence[Case]], Sequence[Outputs]], kind: str,
                width: int) -> list[Outputs]:
        """Outputs of ``cases``, ``width`` per case (``kind``: "" the expected ones, else a
        name of their own), computing and storing only the missing ones. An entry of another
        width (a damaged file) counts as missing."""
        path = self._file(problem, part, kind)

        def read(only: set[int] | None) -> dict[int, Outputs]:
            try:
                return {index: outputs
                        for index, outputs in decode(path.read_bytes(), only).items()
                        if len(outputs) == width}
            except (OSError, CacheUnreadable):
                return {}

        known = read({c.index for c in cases})  # (what is asked for: a check, the public)
        missing = [c for c in cases if c.index not in known]
        if missing:
            computed = compute(missing)
            known = {**read(None), **known}  # (the file keeps every case it had)
            known.update({c.index: out for c, out in zip(missing, computed, strict=True)})
            _write(path, encode(known))
        return [known[c.index] for c in cases]


class CacheUnreadable(Exception):
    """Cached outputs that cannot be read back (a damaged or foreign file)."""


def encode(known: dict[int, Outputs]) -> bytes:
    """Outputs by case index as an ``.npz`` archive of plain arrays (no pickle)."""
    arrays: dict[str, np.ndarray] = {}
    cases: dict[str, list[Any]] = {}
    trees: dict[str, Any] = {}
    for index, outputs in known.items():
        described: list[Any] = []
        for r, out in enumerate(outputs):
            if out is None:
                described.append(None)
                continue
            described.append({"arity": out.arity, "outputs": sorted(out.values),
                              **({"warned": True} if out.warned else {})})
            for o, value in out.values.items():
                key = f"{index}.{r}.{o}"
                if isinstance(value, np.ndarray):
                    arrays[key] = value
                else:
                    trees[key] = _skeleton(value, key, arrays)
        cases[str(index)] = described
    meta: dict[str, object] = {"cases": cases, "trees": trees}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def decode(data: bytes, only: set[int] | None = None) -> dict[int, Outputs]:
    """What :func:`encode` wrote (the cases in ``only``, or all); raises
    :class:`CacheUnreadable`."""
    found: dict[int, Outputs] = {}
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            meta = json.loads(bytes(arrays["meta"]).decode())
            trees = meta["trees"]
            for index, described in meta["cases"].items():
                if only is not None and int(index) not in only:
                    continue
                found[int(index)] = tuple(
                    None if d is None else
                    Output({int(o): _read(arrays, f"{index}.{r}.{o}", trees)
                            for o in d["outputs"]}, d["arity"], bool(d.get("warned")))
                    for r, d in enumerate(described))
    except (OSError, KeyError, ValueError, TypeError, AttributeError, wire.WireError,
            zipfile.BadZipFile, EOFError) as exc:
        raise CacheUnreadable(str(exc)) from None
    return found


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # atomic: a concurrent reader sees old or new, never half
    except OSError:
        pass  # a cache that cannot be written only costs time


# A structured output (grader.values) is stored as its wire tree
# (grader.sandbox.wire.encode_tree) in the metadata, with its arrays' .npy bytes under keys
# of their own ("KEY.0", "KEY.1", ...), and read back through the same checks.

def _skeleton(value: Any, key: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    blobs: list[bytes] = []
    tree = wire.encode_tree(value, blobs)
    for i, blob in enumerate(blobs):
        arrays[f"{key}.{i}"] = np.frombuffer(blob, dtype=np.uint8)
    return {"tree": tree, "blobs": len(blobs)}


def _read(data: Any, key: str, trees: dict[str, Any]) -> Any:
    if key not in trees:
        return np.array(data[key])
    stored = trees[key]
    blobs = [bytes(data[f"{key}.{i}"]) for i in range(int(stored["blobs"]))]
    return wire.decode_tree(stored["tree"], blobs, 1 << 40)
