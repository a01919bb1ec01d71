"""Code similarity on normalized tokens: winnowed k-gram fingerprints, as MOSS computes them
(Schleimer, Wilkerson and Aiken, "Winnowing", SIGMOD 2003).

A submission's source is split into Python's tokens; comments, docstrings, blank lines and
indentation are dropped, every name that is not a keyword becomes ``V``, every
number ``N`` and every string ``S``, so renaming variables, rewording comments or moving
code around keeps most fingerprints. Each run of :data:`K` tokens is hashed (the same hash
in every process), and of each window of :data:`WINDOW` hashes the smallest is kept. Two
submissions are compared by the share of the smaller one's fingerprints that the other has
too; fingerprints of the starter code (``--starter``) count for neither.
"""

from __future__ import annotations

import functools
import keyword
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

K = 10  # tokens per fingerprinted run
WINDOW = 6  # of this many consecutive hashes, the smallest is kept
MIN_FINGERPRINTS = 8  # a submission with fewer is too small to compare

_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>[rRbBuUfF]{0,2}(?:'''[\s\S]*?(?:'''|\Z)|\"\"\"[\s\S]*?(?:\"\"\"|\Z)
        |'(?:\\.|[^'\\\n])*'?|"(?:\\.|[^"\\\n])*"?))
  | (?P<name>[^\W\d]\w*)
  | (?P<number>0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?)
  | (?P<newline>\n)
  | (?P<op>\*\*=?|//=?|->|:=|<<=?|>>=?|[-+*/%@&|^<>=!]=|[-+*/%@&|^~<>()\[\]{}.,:;=])
""", re.VERBOSE)
_OPEN, _CLOSE = "([{", ")]}"


def tokens(source: str) -> list[str]:
    """The normalized tokens of ``source``, by a regular expression (several times faster
    than Python's tokenizer, and it reads broken code too). Linear in the source: a string
    left open runs to the end of its line (or of the file) in one step, so a line of open
    quotes is not read again from each of them."""
    out: list[str] = []
    depth = 0  # brackets open: a line break inside them ends no statement
    for match in _TOKEN.finditer(source):
        kind, text = match.lastgroup, match.group()
        if kind == "comment":
            continue
        if kind == "newline":
            if depth == 0 and out and out[-1] != ";":
                out.append(";")
        elif kind == "string":
            if depth == 0 and (not out or out[-1] in (";", ":")):
                continue  # (a docstring, or a string by itself: a comment)
            out.append("S")
        elif kind == "name":
            out.append(text if keyword.iskeyword(text) else "V")
        elif kind == "number":
            out.append("N")
        else:
            depth = max(0, depth + (text in _OPEN) - (text in _CLOSE))
            out.append(text)
    return out


_MOD = (1 << 61) - 1
_BASE = 1_000_003
_TOP = pow(_BASE, K - 1, _MOD)


@functools.lru_cache(maxsize=4096)
def _code(token: str) -> int:
    return zlib.crc32(token.encode())


def _hashes(toks: list[str]) -> list[int]:
    """A rolling hash of each run of :data:`K` tokens (the same in every process)."""
    codes = [_code(t) for t in toks]
    out, h = [], 0
    for i, c in enumerate(codes):
        if i >= K:
            h = (h - codes[i - K] * _TOP) % _MOD
        h = (h * _BASE + c) % _MOD
        if i >= K - 1:
            out.append(h)
    return out


def fingerprints(source: str) -> tuple[int, ...]:
    """The winnowed fingerprints of ``source``, sorted (the same in every process)."""
    hashes = _hashes(tokens(source))
    if len(hashes) <= WINDOW:
        return tuple(sorted(set(hashes)))
    kept: set[int] = set()
    for i in range(len(hashes) - WINDOW + 1):
        window = hashes[i:i + WINDOW]
        kept.add(min(window))
    return tuple(sorted(kept))


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    similarity: float  # the share of the smaller submission's fingerprints the other has
    shared: int


def ranked(prints: Mapping[str, Iterable[int]], starter: Iterable[int] = (),
           top: int = 20, least: float = 0.5) -> list[Pair]:
    """The pairs of submissions that share at least ``least`` of the smaller one's
    fingerprints (the starter's left out), most similar first, at most ``top``."""
    given = set(starter)
    sets = {sid: set(fp) - given for sid, fp in prints.items()}
    sets = {sid: fp for sid, fp in sets.items() if len(fp) >= MIN_FINGERPRINTS}
    holders: defaultdict[int, list[str]] = defaultdict(list)
    for sid in sorted(sets):
        for fp in sets[sid]:
            holders[fp].append(sid)
    shared: defaultdict[tuple[str, str], int] = defaultdict(int)
    for ids in holders.values():
        if len(ids) > max(2, len(sets) // 2):  # (an idiom half the class shares: no signal)
            continue
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                shared[a, b] += 1
    pairs = [Pair(a, b, n / min(len(sets[a]), len(sets[b])), n)
             for (a, b), n in shared.items()]
    pairs = [p for p in pairs if p.similarity >= least]
    pairs.sort(key=lambda p: (-p.similarity, -p.shared, p.a, p.b))
    return pairs[:top]


MAX_SOURCE = 256 << 10  # characters fingerprinted (homework is far smaller; a larger file
# costs the grader's own time: a quarter of a MiB of brackets takes 0.7 s)


def of_file(path: Path | None, cells: Iterable[str] | None = None) -> tuple[int, ...]:
    """The fingerprints of a submission: its notebook's code ``cells``, or its module file
    (read as text, never run; none where it is missing, not a file, or over
    :data:`MAX_SOURCE`)."""
    if cells is not None:
        source = "\n".join(cells)
        return fingerprints(source) if len(source) <= MAX_SOURCE else ()
    try:
        if path is None or not path.is_file() or path.stat().st_size > MAX_SOURCE:
            return ()
        return fingerprints(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ()
