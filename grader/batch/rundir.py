"""A run folder: every submission's result, written the moment it is graded.

``results.jsonl`` gets one JSON line per finished submission, flushed and fsynced, so an
interrupted run (Ctrl-C, ``kill -9``, a power cut) loses at most the submissions in flight.
``run.json`` records what the run grades (assignment digest, seed, case selection), so that
``--resume`` refuses to mix results from a different assignment version or options.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from grader.errors import UsageError
from grader.results import GradeReport, SubmissionResult

RESULTS = "results.jsonl"
NOT_GRADED = "not graded"  # how the result of a submission the grader failed on begins
META = "run.json"


def default_path() -> Path:
    """A new folder under ``$XDG_STATE_HOME/grader/runs`` (``~/.local/state`` by default)."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return Path(state) / "grader" / "runs" / f"{stamp}-{secrets.token_hex(3)}"


class RunDir:
    """``meta``: what the run grades and how, which a resume must agree with; ``record``:
    what ``run.json`` also keeps of the run as it is now (the class's ids, the report's
    header, for :mod:`grader.batch.shards`), rewritten by a resume."""

    def __init__(self, path: Path, meta: dict[str, Any], resume: bool = False,
                 record: dict[str, Any] | None = None, fixed: tuple[str, ...] = ()) -> None:
        """``fixed``: keys of ``record`` that a resume must agree with too (a shard's class:
        its merge needs every shard to have graded the same one)."""
        self.path = path
        self.meta = meta
        meta_file = path / META
        recorded: dict[str, Any] = {}
        self._lock: IO[bytes] | None = None
        if resume:
            if not meta_file.is_file():
                raise UsageError(f"{path}: not a run folder (no {META})")
            self._lock = _lock(path)  # (before anything is read or written)
            try:
                recorded = _resumable(path, meta, {k: (record or {}).get(k) for k in fixed})
            except BaseException:
                if self._lock is not None:
                    self._lock.close()
                raise
            if record:
                _write_json(meta_file, {**recorded, **meta, **record})
        else:
            try:
                path.mkdir(parents=True, exist_ok=False)
            except FileExistsError:
                raise UsageError(f"{path}: already exists; use --resume to continue it") \
                    from None
            except OSError as exc:
                raise UsageError(f"cannot create run folder {path}: {exc.strerror}") from None
            self._lock = _lock(path)
            _write_json(meta_file, {**meta, **(record or {})})
        results = path / RESULTS
        if resume and results.is_file() and results.stat().st_size:
            with open(results, "rb") as f:
                f.seek(-1, os.SEEK_END)
                torn = f.read(1) != b"\n"
            if torn:  # the line being written when the run was killed: end it
                with open(results, "a", encoding="utf-8") as f:
                    f.write("\n")
        self._file = open(results, "a", encoding="utf-8")  # noqa: SIM115

    def done(self) -> dict[str, SubmissionResult]:
        """Results already recorded, by submission id (a torn last line is ignored), but
        those the grader could not grade ("not graded: ... grade it again"): a resume
        grades them again."""
        return {i: r for i, r in self.read(self.path / RESULTS).items()
                if not r.error.startswith(NOT_GRADED)}

    @staticmethod
    def read(results: Path) -> dict[str, SubmissionResult]:
        """The results in a ``results.jsonl``, by submission id (a torn last line is
        ignored; a submission graded twice, by a resume, counts once, as graded last)."""
        found: dict[str, SubmissionResult] = {}
        with open(results, "rb") as f:
            for line in f:
                try:
                    result = SubmissionResult.from_dict(json.loads(line.decode("utf-8")))
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue  # the line being written when the run was killed (or damaged)
                found[result.id] = result
        return found

    def record(self, result: SubmissionResult) -> None:
        self._file.write(result.json + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()
        if self._lock is not None:
            self._lock.close()


def read_meta(path: Path) -> dict[str, Any]:
    """The run folder's ``run.json``; one line's :class:`UsageError` where there is none, or
    it cannot be read."""
    meta_file = path / META
    if not meta_file.is_file():
        raise UsageError(f"{path}: not a run folder (no {META})")
    try:
        recorded = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{meta_file}: unreadable ({exc})") from None
    if not isinstance(recorded, dict):
        raise UsageError(f"{meta_file}: not a run folder's {META}")
    return recorded


def _resumable(path: Path, meta: dict[str, Any], fixed: dict[str, Any]) -> dict[str, Any]:
    """The run folder's ``run.json``, checked to agree with ``meta`` and ``fixed``."""
    recorded = read_meta(path)
    for key, value in [*meta.items(), *fixed.items()]:
        then = recorded.get(key)
        if then == value:
            continue
        if isinstance(value, list) and isinstance(then, list):
            raise UsageError(
                f"{path}: cannot resume: its {key} changed since it started "
                f"({len(value)} now, {len(then)} then); grade every shard again")
        raise UsageError(f"{path}: cannot resume: this run's {key} is {value!r}, the "
                         f"folder's is {then!r}")
    return recorded


def _lock(path: Path) -> IO[bytes] | None:
    """An exclusive lock on the run folder for this process (None where the platform has no
    ``flock``): two runs appending to one folder would each grade what the other does."""
    try:
        import fcntl
    except ImportError:
        return None
    lock = open(path / ".lock", "ab")  # noqa: SIM115
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise UsageError(f"{path}: another grader run is using this run folder; wait for it "
                         "to finish (or stop it) first") from None
    return lock


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``path`` whole or not at all (a new file, renamed over the old one)."""
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(part, path)


@dataclass(frozen=True)
class Loaded:
    """A finished run's results, and what they are results of (for ``grader diff``)."""

    results: list[SubmissionResult]
    digest: str
    name: str
    cases: str  # "all" or "public"
    varied: bool  # each submission had its own seed (--vary-by-student)


def load_results(path: Path) -> Loaded:
    """The results of a finished run: from a run folder (its ``results.jsonl``) or a JSON
    report (``grader grade --format json``). One line's :class:`~grader.errors.UsageError`
    if ``path`` is neither."""
    if path.is_dir():
        meta = read_meta(path)
        results = path / RESULTS
        found = RunDir.read(results) if results.is_file() else {}
        return Loaded(list(found.values()), str(meta.get("digest", "")),
                      str(meta.get("assignment", "")), str(meta.get("cases", "all")),
                      bool(meta.get("vary_by_student")))
    try:
        report = GradeReport.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such run folder or report") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise UsageError(f"{path}: not a run folder or a JSON report of grader grade") \
            from None
    return Loaded(list(report.submissions), report.assignment.digest, report.assignment.name,
                  report.cases, bool(report.meta.get("vary_by_student")))
