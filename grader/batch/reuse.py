"""Reusing the results of unchanged submissions: a cache of results keyed by content.

A regrade with the same assignment, grader and options gives an unchanged submission the
result it had, so it is taken from here instead of being graded again. The key
(:meth:`ResultCache.key`) covers everything that can change a result:

- every file of the submission as it is copied for grading (path, kind and bytes), the
  submission's id, its module's name and what was wrong with it as a whole;
- its seeds: the public seed, and the hidden cases' key by its id;
- the assignment's digest (specs, references, public code), the grader's source and version,
  the Python and numpy versions and the machine type (:func:`grader.judge.cache.cache_key`);
- the options that change grading (cases, timeout, memory, sandbox mode) and the isolation
  level this machine gives.

Results that may not repeat are never stored: a timeout, a crash (an out-of-memory kill
among them), a ``MemoryError``, a "not graded: grade it again". Entries live under
``$XDG_CACHE_HOME/grader/results/`` (``~/.cache`` by default), one JSON file each, in a
folder only their owner can read. Like the expected-output cache, it is outside everything a
student process sees at full or confined isolation; with resource limits only, code running
as the same user could alter it (turn reuse off with ``--no-reuse`` there).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from grader.judge.cache import cache_key
from grader.results import SubmissionResult
from grader.sandbox.runner import import_failure_repeats
from grader.sandbox.scratch import content_digest

if TYPE_CHECKING:
    from grader.grading import Grader
    from grader.intake.submissions import Submission

FORMAT = 1
_UNREPEATABLE = ("timeout", "not_run", "crash")


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "grader" / "results"


def repeatable(result: SubmissionResult) -> bool:
    """Whether grading the same submission again must give this result: not when the
    grader could not grade it, nor when a case (or the import) timed out, crashed or ran out
    of memory."""
    if result.error.startswith("not graded"):
        return False
    for problem in result.problems:
        for part in problem.parts:
            for case in part.cases:
                if case.status in _UNREPEATABLE or "MemoryError" in case.message:
                    return False
                if case.status == "import_error" and not import_failure_repeats(case.message):
                    return False
    return True


class ResultCache:
    """Results of one grader's run (its assignment, options and isolation), by submission.

    ``seed_for`` gives a submission's public seed (each student's own under
    ``--vary-by-student``); ``options`` is what the run folder records of the options;
    ``isolation`` says where and how the results are computed (this machine's isolation
    line, or the Dask workers')."""

    def __init__(self, grader: Grader, options: dict[str, object],
                 seed_for: Callable[[Submission], int], isolation: str,
                 folder: Path | None = None) -> None:
        self.folder = folder or default_dir()
        self._grader = grader
        self._seed_for = seed_for
        self._run = json.dumps({"format": FORMAT, "options": options,
                                "isolation": isolation}, sort_keys=True)
        self.reused = 0

    def key(self, submission: Submission) -> str | None:
        """The key of the submission's result as its files are now; None when a file cannot
        be read (nothing is reused or stored for it then)."""
        module = submission.module
        files = content_digest(module) if module is not None else ""
        if files is None:
            return None
        parts = [
            self._run,
            cache_key(self._grader.assignment, self._seed_for(submission)),
            json.dumps([submission.id, module.name if module else None, submission.problem]),
            files,
        ]
        data = "\0".join(parts).encode("utf-8", "surrogateescape")
        return hashlib.sha256(data).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, submission: Submission, key: str) -> SubmissionResult | None:
        """The stored result under ``key``, this submission's :meth:`key`, if there is one
        (with the path the submission is handed in as now)."""
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
            if not isinstance(entry, dict) or entry.get("key") != key:
                return None
            result = SubmissionResult.from_dict(entry["result"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if result.id != submission.id:
            return None
        self.reused += 1
        return replace(result, path=submission.shown_path)

    def put(self, key: str, result: SubmissionResult) -> None:
        """Store ``result`` under ``key`` (its submission's :meth:`key`, taken before it was
        graded), if it would repeat (best effort: a cache that cannot be written costs the
        next run its reuse, never this run)."""
        if not repeatable(result):
            return
        with contextlib.suppress(OSError):
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.folder, 0o700)
            text = json.dumps({"key": key, "result": result.to_dict()}, allow_nan=False)
            fd, part = tempfile.mkstemp(dir=path.parent, suffix=".part")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                os.replace(part, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(part)
                raise
