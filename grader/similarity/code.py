"""Code similarity on normalized tokens: winnowed k-gram fingerprints, as MOSS computes them
(Schleimer, Wilkerson and Aiken, "Winnowing", SIGMOD 2003).

A submission's source is tokenized by Python's own tokenizer; comments, docstrings, blank
lines and indentation are dropped, every name that is not a keyword becomes ``V``, every
number ``N`` and every string ``S``, so renaming variables, rewording comments or moving
code around keeps most fingerprints. Each run of :data:`K` tokens is hashed (the same hash
in every process), and of each window of :data:`WINDOW` hashes the smallest is kept. Two
submissions are compared by the share of the smaller one's fingerprints that the other has
too; fingerprints of the starter code (``--starter``) count for neither.
"""

from __future__ import annotations

import hashlib
import io
import keyword
import tokenize
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

K = 10  # tokens per fingerprinted run
WINDOW = 6  # of this many consecutive hashes, the smallest is kept
MIN_FINGERPRINTS = 8  # a submission with fewer is too small to compare
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
         tokenize.ENDMARKER, tokenize.TYPE_COMMENT}


def tokens(source: str) -> list[str]:
    """The normalized tokens of ``source``, as far as it tokenizes (a syntax error ends it)."""
    out: list[str] = []
    previous = tokenize.NEWLINE
    docstring = False  # one was just dropped: so is the end of its line
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            kind = tok.type
            if kind in _SKIP:
                continue
            if kind == tokenize.NEWLINE and docstring:
                docstring, previous = False, kind
                continue
            docstring = False
            if kind == tokenize.STRING and previous == tokenize.NEWLINE:
                docstring = True  # (a docstring, or a string by itself: a comment)
                continue
            name = tokenize.tok_name.get(kind, "")
            if name in ("FSTRING_MIDDLE", "FSTRING_END"):  # (Python 3.12's f-strings)
                continue
            if kind == tokenize.NAME:
                out.append(tok.string if keyword.iskeyword(tok.string) else "V")
            elif kind == tokenize.NUMBER:
                out.append("N")
            elif kind == tokenize.STRING or name == "FSTRING_START":
                out.append("S")
            elif kind == tokenize.NEWLINE:
                out.append(";")
            else:
                out.append(tok.string)
            previous = kind
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def _hash(run: list[str]) -> int:
    return int.from_bytes(hashlib.blake2b(" ".join(run).encode(), digest_size=6).digest(),
                          "big")


def fingerprints(source: str) -> tuple[int, ...]:
    """The winnowed fingerprints of ``source``, sorted (the same in every process)."""
    toks = tokens(source)
    hashes = [_hash(toks[i:i + K]) for i in range(len(toks) - K + 1)]
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


MAX_SOURCE = 1 << 20  # bytes of a module read for its fingerprints; a larger one has none


def of_file(path: Path | None, cells: Iterable[str] | None = None) -> tuple[int, ...]:
    """The fingerprints of a submission: its notebook's code ``cells``, or its module file
    (read as text, never run; none where it is missing, not a file, or over 1 MiB)."""
    if cells is not None:
        return fingerprints("\n".join(cells))
    try:
        if path is None or not path.is_file() or path.stat().st_size > MAX_SOURCE:
            return ()
        return fingerprints(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ()
