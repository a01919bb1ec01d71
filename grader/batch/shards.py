"""Shards: a deterministic part of a class, graded on its own machine, and their merge.

``grader grade ... --shard K/N`` grades the submissions whose id falls in shard K of N
(:func:`holds`), into a run folder of its own that also records the whole class's ids and
the report's header. ``grader merge`` (:func:`merge`) checks that the folders are the N
shards of one run, every shard there once and finished, and gives the report one run would
have given: the same results, in the class's order.

A submission's shard depends on its id alone, so every machine agrees on it without
talking to the others, whatever order they discover the class in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader.batch.rundir import META, RESULTS, RunDir, read_meta
from grader.display import printable
from grader.errors import UsageError
from grader.results import GradeReport


def header(report: GradeReport) -> dict[str, Any]:
    """What a run folder keeps of its report besides the results (:data:`HEADER`)."""
    return {"assignment": report.assignment.to_dict(), "cases": report.cases,
            "meta": dict(report.meta)}


CLASS = "class"  # run.json: every submission id of the class, in report order
HEADER = "report"  # run.json: the report without its submissions
SHARD = "shard"  # run.json: "K/N"


@dataclass(frozen=True)
class Shard:
    index: int  # 1..count
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, submission_id: str) -> bool:
        """Whether the submission with this id is graded in this shard: the first 8 bytes
        of ``sha256(id)``, big-endian, modulo the count, is the index less one."""
        data = submission_id.encode("utf-8", "surrogateescape")
        return int.from_bytes(hashlib.sha256(data).digest()[:8], "big") % self.count \
            == self.index - 1


WHOLE = Shard(1, 1)


def recorded(path: Path) -> Shard:
    """The shard a run folder graded (1/1 for one that is not a run folder: its resume says
    why)."""
    try:
        return parse(str(read_meta(path)[SHARD]))
    except (KeyError, UsageError):
        return WHOLE


def parse(text: str) -> Shard:
    """``K/N`` with 1 <= K <= N; a :class:`UsageError` that says so otherwise."""
    index, sep, count = text.strip().partition("/")
    try:
        shard = Shard(int(index), int(count)) if sep else None
    except ValueError:
        shard = None
    if shard is None or not 1 <= shard.index <= shard.count:
        raise UsageError(f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. 2/8")
    return shard


@dataclass(frozen=True)
class _Folder:
    path: Path
    meta: dict[str, Any]  # what must agree (the run's options)
    shard: Shard
    ids: tuple[str, ...]
    header: dict[str, Any]


def _read(path: Path) -> _Folder:
    meta = read_meta(path)
    meta_file = path / META
    if not isinstance(meta.get(HEADER), dict) or not isinstance(meta.get(CLASS), list):
        raise UsageError(f"{meta_file}: no {CLASS!r} and {HEADER!r}: a run folder of an "
                         "older grader, or not finished starting; grade it again")
    try:
        shard = parse(str(meta.get(SHARD, "1/1")))
    except UsageError:
        raise UsageError(f"{meta_file}: {SHARD!r} is {meta.get(SHARD)!r}, expected K/N") \
            from None
    options = {k: v for k, v in meta.items() if k not in (CLASS, HEADER, SHARD)}
    return _Folder(path, options, shard, tuple(map(str, meta[CLASS])), meta[HEADER])


def merge(paths: list[Path]) -> GradeReport:
    """The report of the run that the run folders at ``paths`` are the shards of.

    Refuses (one line, :class:`UsageError`) folders that are not run folders, that graded
    another assignment, seed, key, grader version, class or options than the first, a
    shard given twice or missing, and a shard whose run did not finish."""
    if not paths:
        raise UsageError("merge: give the run folders of the shards")
    folders = [_read(p) for p in paths]
    first = folders[0]
    for folder in folders[1:]:
        _same_run(first, folder)
    count = first.shard.count
    seen: dict[Path, Path] = {}
    for folder in folders:
        twice = seen.setdefault(folder.path.resolve(), folder.path)
        if twice is not folder.path:
            raise UsageError(f"{folder.path} is given twice")
    by_index: dict[int, _Folder] = {}
    for folder in folders:
        if folder.shard.count != count:
            raise UsageError(f"{folder.path} is shard {folder.shard} but {first.path} is "
                             f"shard {first.shard}: not the same split")
        twin = by_index.setdefault(folder.shard.index, folder)
        if twin is not folder:
            raise UsageError(f"{twin.path} and {folder.path} are both shard {folder.shard}")
    missing = [i for i in range(1, count + 1) if i not in by_index]
    if missing:
        names = ", ".join(f"{i}/{count}" for i in missing)
        raise UsageError(f"shard {names} missing: merge needs all {count} (given: "
                         f"{', '.join(str(f.path) for f in folders)})")
    results = {}
    for folder in folders:
        found = RunDir.read(folder.path / RESULTS) if (folder.path / RESULTS).is_file() \
            else {}
        wanted = [i for i in first.ids if folder.shard.holds(i)]
        unfinished = [i for i in wanted if i not in found]
        if unfinished:
            raise UsageError(
                f"{folder.path} (shard {folder.shard}) is unfinished: "
                f"{len(wanted) - len(unfinished)} of {len(wanted)} submissions graded, "
                f"{printable(unfinished[0])!r} not; finish it with grader grade ... "
                f"--resume {folder.path} (or grade that shard again)")
        results.update({i: found[i] for i in wanted})
    try:
        header = GradeReport.from_dict({**first.header, "submissions": []})
    except (ValueError, KeyError, TypeError, AttributeError):
        raise UsageError(f"{first.path / META}: its {HEADER!r} is not a report's header; "
                         "grade that shard again") from None
    return replace(header, submissions=tuple(results[i] for i in first.ids))


def _same_run(first: _Folder, other: _Folder) -> None:
    for key in sorted(set(first.meta) | set(other.meta)):
        if first.meta.get(key) != other.meta.get(key):
            what = "assignment's files (digest)" if key == "digest" else key
            raise UsageError(f"{other.path} is not a shard of the same run as {first.path}: "
                             f"its {what} is {other.meta.get(key)!r}, not "
                             f"{first.meta.get(key)!r}; grade every shard with the same "
                             "assignment, grader and options")
    if first.ids != other.ids:
        raise UsageError(f"{other.path} is not a shard of the same run as {first.path}: "
                         f"it graded another class ({len(other.ids)} submissions, not "
                         f"{len(first.ids)}, or other ids)")
    if first.header != other.header:
        raise UsageError(f"{other.path} is not a shard of the same run as {first.path}: "
                         "its report's header differs (another --starter?)")
