"""Grading on a Dask cluster (``grader grade ... --dask ADDRESS``): the optional ``dask`` extra.

The grader that runs the command stays the trusted side of the run: it discovers the class,
keeps the run folder and writes the report. The submissions go out in batches, one Dask
task each (about four per worker, at most :data:`BATCH` submissions). A Dask worker (a
trusted grader process of the instructor's, on its own node) keeps one prepared
:class:`~grader.grading.Grader` per assignment and options, and grades the task's
submissions with the isolation of its node, exactly as ``grader grade`` would there. Each
result comes back as the grader's JSON record (a string), never a pickled object, and goes
into the local run folder the moment its batch arrives, so ``--resume`` works as it does
locally.

What reaches the workers (``--dask-files``):

- ``shipped`` (the default): the assignment folder once, as a tar archive that each worker
  unpacks into a private folder and loads (its digest must match), and each submission's
  files as :func:`grader.sandbox.scratch.copy_submission` would copy them;
- ``shared``: paths only, for a filesystem every worker mounts at the same place (NFS,
  Lustre); submissions unpacked from zips or LMS downloads are shipped all the same.

Isolation: Dask's own protocol trusts its peers, so student code must never get near it.
Workers grade at full isolation or at the confined level, where student processes have no
network (Landlock and seccomp, no root or namespaces needed): ``--sandbox auto`` becomes
``confined`` on the workers, which refuses below it. Before anything is sent, every worker
is asked what its node has (:func:`probe`), and the run refuses, naming the worker and what
it lacks, unless ``allow_limits`` accepts resource limits only.

A worker that dies mid-task costs only the batch it was grading: the scheduler runs that
task again on another worker. A task that fails (a worker that died more often than
the scheduler allows, a worker that refused) is sent again once; failing twice, its
submission gets the grader's "not graded: grade it again" result, and the run goes on.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import itertools
import json
import os
import queue
import shutil
import sys
import tarfile
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader import __version__
from grader.display import shorten
from grader.errors import GraderError, UsageError
from grader.intake.submissions import Submission
from grader.results import SubmissionResult
from grader.sandbox import scratch
from grader.sandbox.policy import Isolation, Limits

FILES = ("shipped", "shared")
RETRIES = 1  # a failed task is sent once more, then its submission is not graded
BATCH = 32  # submissions per task at most
SETUP = "!!"  # a worker's reply: it could not prepare its grader (then: why)
LOST = 8  # times a run ships its assignment again after the cluster lost it


@dataclass(frozen=True)
class Settings:
    """What a worker needs to make the same grader as the local one."""

    sandbox: str  # as the workers run it: strict, confined or auto (with allow_limits)
    timeout: float | None
    memory: int
    public_only: bool
    case_ids: tuple[str, ...] | None
    seed: int | None
    vary_by_student: bool

    def to_dict(self) -> dict[str, Any]:
        return {"sandbox": self.sandbox, "timeout": self.timeout, "memory": self.memory,
                "public_only": self.public_only, "case_ids": self.case_ids,
                "seed": self.seed, "vary_by_student": self.vary_by_student}


def worker_sandbox(mode: str, allow_limits: bool) -> str:
    """The sandbox mode the workers run: ``auto`` becomes ``confined`` (which refuses below
    it) unless resource limits only are accepted; ``off`` is refused."""
    if mode == "off":
        raise UsageError("--dask cannot run with --sandbox off: student code would run "
                         "beside the Dask worker, whose protocol trusts its peers")
    return "auto" if mode == "auto" and allow_limits else \
        ("confined" if mode == "auto" else mode)


# --- the worker's side ----------------------------------------------------------------------

# This worker process's graders, by assignment and settings, oldest first: at most KEEP, so
# that a cluster serving a whole term does not keep every assignment's zygotes.
KEEP = 4
_graders: dict[str, tuple[Any, queue.SimpleQueue[int], str | None]] = {}
_graders_lock = threading.Lock()
_slots = itertools.count()


def probe(mode: str) -> dict[str, str]:
    """On a worker: its grader's version, and the isolation level its node gives for
    ``mode`` (or why it gives none)."""
    try:
        isolation = Isolation(mode, Limits())
        return {"level": isolation.level, "summary": isolation.summary,
                "version": __version__}
    except GraderError as exc:
        return {"level": "none", "summary": str(exc), "version": __version__}


def _prepared(assignment: bytes | str, digest: str, settings: dict[str, Any]) -> Any:
    """This worker process's grader for the assignment and settings: made on first use."""
    from grader.batch.run import VaryingGrader
    from grader.grading import GradeOptions, Grader
    from grader.sandbox.runner import RunOptions
    from grader.spec import load_assignment

    name = hashlib.sha256(digest.encode() + json.dumps(settings, sort_keys=True).encode()
                          ).hexdigest()
    with _graders_lock:
        if name in _graders:
            _graders[name] = _graders.pop(name)  # (the most recently used, last)
            return _graders[name][:2]
        folder = None
        try:
            if isinstance(assignment, bytes):
                _sweep_stale()
                folder = tempfile.mkdtemp(prefix=f"{_SHIPPED}{os.getpid()}-")
                _unpack_tar(assignment, Path(folder))
                root = Path(folder) / "assignment"
            else:
                root = Path(assignment)
            spec = load_assignment(root)
            if folder is not None:
                _open_public_only(Path(folder), spec.public_dir)
            if spec.digest != digest:
                raise UsageError(f"the assignment on this worker ({root}) has digest "
                                 f"{spec.digest}, not {digest}: not the same assignment")
            run = RunOptions(timeout=settings["timeout"], sandbox=settings["sandbox"],
                             limits=Limits(memory=settings["memory"]))
            case_ids = settings["case_ids"]
            options = GradeOptions(run=run, public_only=settings["public_only"],
                                   case_ids=frozenset(case_ids) if case_ids is not None
                                   else None, seed=settings["seed"],
                                   warn=lambda line: print(line, file=sys.stderr))
            kind = VaryingGrader if settings["vary_by_student"] else Grader
            grader = kind(spec, options)
        except BaseException:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        _graders[name] = (grader, queue.SimpleQueue(), folder)
        while len(_graders) > KEEP:
            _drop(next(iter(_graders)))
        return _graders[name][:2]


_SHIPPED = "grader-dask-assignment-"  # + the worker's pid: its shipped assignments


def _sweep_stale() -> None:
    """Remove the shipped assignments of this user's workers that are gone (killed, so
    that their own clean-up at exit never ran)."""
    for path in Path(tempfile.gettempdir()).glob(f"{_SHIPPED}*"):
        pid = path.name[len(_SHIPPED):].partition("-")[0]
        try:
            if path.stat().st_uid != os.getuid() or not pid.isdigit():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


def _open_public_only(folder: Path, public: Path) -> None:
    """Modes for a shipped assignment: the student uids of the confined level may pass
    through to ``public`` and read it, as in any assignment folder; nobody but the worker's
    own user may read the rest (references, known-wrong answers, specs, the key)."""
    public = public.resolve()
    for path in [folder, *sorted(folder.rglob("*"))]:
        if path.is_symlink():
            continue
        resolved = path.resolve()
        if resolved == public or public in resolved.parents:
            continue  # (public/ and what it holds keep the archive's modes)
        if resolved in public.parents:
            os.chmod(path, 0o711)  # (a folder on the way to public/: passed, not listed)
        else:
            os.chmod(path, 0o700 if path.is_dir() else 0o600)


def _drop(name: str) -> None:
    grader, _, folder = _graders.pop(name)
    with contextlib.suppress(Exception):
        grader.close()
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@atexit.register
def _close_workers() -> None:
    with _graders_lock:
        for name in list(_graders):
            _drop(name)


# Grading runs in threads of this module's own, never in Dask's: a zygote dies with the
# thread that started it (PR_SET_PDEATHSIG), and these threads live as long as the worker.
_pool = ThreadPoolExecutor(max_workers=256, thread_name_prefix="grader-dask")


def grade_remote(assignment: bytes | str, digest: str, settings: dict[str, Any],
                 batch: list[dict[str, Any]]) -> list[str]:
    """On a worker: grade a batch of submissions. For each, its result as the grader's JSON
    record, or ``!`` and why it could not be graded here (sent elsewhere, once)."""
    return _pool.submit(_grade_batch, assignment, digest, settings, batch).result()


def _grade_batch(assignment: bytes | str, digest: str, settings: dict[str, Any],
                 batch: list[dict[str, Any]]) -> list[str]:
    try:
        grader, free = _prepared(assignment, digest, settings)
    except Exception as exc:  # (the worker's setup: the same for the whole batch)
        return [f"{SETUP}{type(exc).__name__}: {exc}"] * len(batch)
    try:
        slot = free.get_nowait()
    except queue.Empty:
        slot = next(_slots)
    try:
        texts = []
        for submission in batch:
            try:
                texts.append(_grade_one(grader, slot, submission))
            except Exception as exc:  # (the grader's own trouble here, e.g. no isolation)
                texts.append(f"!{type(exc).__name__}: {exc}")
        return texts
    finally:
        free.put(slot)


def _grade_one(grader: Any, slot: int, submission: dict[str, Any]) -> str:
    staged = None
    try:
        if "files" in submission:
            staged = tempfile.mkdtemp(prefix="grader-dask-submission-")
            folder = Path(staged) / "submission"
            scratch.write_files(submission["files"], folder)
        else:
            folder = Path(submission["folder"])
        module = folder / submission["module"] if submission["module"] else None
        sub = Submission(submission["id"], folder, module, submission["problem"])
        result: SubmissionResult = grader.grade(sub, slot)
        return result.json
    finally:
        if staged is not None:
            scratch.remove_tree(Path(staged))


def batch_size(submissions: int, workers: int) -> int:
    """Submissions per task: about four tasks per worker, so that the work evens out, and
    at most :data:`BATCH` (a worker lost mid-task costs its whole batch a second try)."""
    return max(1, min(BATCH, submissions // (4 * max(1, workers))))


# --- the trusted side -----------------------------------------------------------------------

def _distributed() -> Any:
    """The ``distributed`` package (untyped here: only this module talks to it)."""
    import importlib

    return importlib.import_module("distributed")


def _pack_tar(root: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(root, arcname="assignment",
                filter=lambda info: None if info.name.endswith("__pycache__") else info)
    return buffer.getvalue()


def _unpack_tar(data: bytes, dest: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # (Python without extraction filters: the archive is the grader's own)
            tar.extractall(dest)


def _shipped_assignment(assignment: Any) -> bytes:
    root = Path(assignment.root).resolve()
    for folder in (assignment.reference_dir, assignment.public_dir, assignment.wrong_dir):
        resolved = Path(folder).resolve()
        if resolved.exists() and not resolved.is_relative_to(root):
            raise UsageError(f"--dask-files shipped sends the assignment folder {root}, but "
                             f"{folder} is outside it: use --dask-files shared")
    return _pack_tar(root)


def _task(submission: Submission, files: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": submission.id, "problem": submission.problem,
                             "module": submission.module.name if submission.module else None}
    if submission.module is None:
        entry["files"] = []
    elif files == "shared" and submission.source is None:
        entry["folder"] = str(submission.module.parent.resolve())
    else:
        entry["files"] = scratch.read_files(submission.module)
    return entry


class DaskExecutor:
    """Grades submissions on the Dask cluster at ``address`` for ``grader``, the local
    grader of the same assignment and options (which makes the "not graded" results and
    the report). ``address`` "local" starts a ``LocalCluster`` of ``workers`` processes."""

    def __init__(self, grader: Any, address: str, settings: Settings, files: str = "shipped",
                 allow_limits: bool = False, workers: int = 1,
                 warn: Callable[[str], None] | None = None) -> None:
        try:
            distributed = _distributed()
        except ImportError:
            raise UsageError("--dask needs the dask extra: pip install 'grader[dask]'") \
                from None
        self.grader = grader
        self.settings = settings
        self.files = files
        self._warn = warn or (lambda line: None)
        self._cluster = None
        self._lost = 0
        try:
            if address == "local":
                with warnings.catch_warnings():  # (Dask's notes on ports: not the user's)
                    warnings.simplefilter("ignore")
                    self._cluster = distributed.LocalCluster(
                        n_workers=workers, threads_per_worker=1, processes=True,
                        dashboard_address=None)
                self.client = distributed.Client(self._cluster)
            else:
                self.client = distributed.Client(address)
        except Exception as exc:  # (OSError, TimeoutError, TLS settings: any of them)
            self.close()
            hint = ("; a tls:// scheduler needs the client's certificate and key in "
                    "distributed.comm.tls.client (see the README)"
                    if address.startswith("tls://") or "reset" in str(exc) else "")
            raise UsageError(f"--dask {address}: cannot reach the scheduler "
                             f"({type(exc).__name__}: {exc}){hint}") from None
        try:
            self._check_workers(allow_limits)
        except BaseException:
            self.close()
            raise

    def _check_workers(self, allow_limits: bool) -> None:
        found = self.client.run(probe, self.settings.sandbox)
        if not found:
            raise UsageError("--dask: the cluster has no workers")
        for address, seen in sorted(found.items()):
            if seen.get("version") != __version__:
                raise UsageError(f"--dask: worker {address} runs grader "
                                 f"{seen.get('version')}, not {__version__}: install the same "
                                 "version on every worker")
            level = seen.get("level")
            if level in ("full", "confined") or (level == "limits" and allow_limits):
                continue
            raise UsageError(
                f"--dask: worker {address} cannot isolate student code: {seen.get('summary')}"
                + ("" if allow_limits else "; give --allow-limits-only to grade there with "
                   "resource limits only"))
        lines = sorted({str(seen.get("summary")) for seen in found.values()})
        self.isolation = f"dask, {self.settings.sandbox}: " + " | ".join(lines)
        self.limits_only = any(seen.get("level") != "full" and seen.get("level") != "confined"
                               for seen in found.values())
        self._warn(f"grader: {len(found)} Dask worker(s); " + "; or ".join(lines))

    def __call__(self, submissions: Sequence[Submission],
                 finished: Callable[[SubmissionResult], None]) -> None:
        distributed = _distributed()
        if not submissions:
            return
        client, digest = self.client, self.grader.assignment.digest
        shipped = None if self.files == "shared" else \
            _shipped_assignment(self.grader.assignment)
        held: list[Any] = []  # the scattered assignment, scattered again if it is lost

        def assignment() -> Any:
            if shipped is None:
                return str(Path(self.grader.assignment.root).resolve())
            if not held or held[0].status in ("lost", "error", "cancelled"):
                held[:] = client.scatter([shipped], broadcast=True, hash=False)
            return held[0]

        settings = self.settings.to_dict()
        attempts: dict[str, int] = {}
        by_key: dict[Any, list[Submission]] = {}

        def submit(batch: list[Submission]) -> Any:
            for submission in batch:
                attempts[submission.id] = attempts.get(submission.id, 0) + 1
            future = client.submit(grade_remote, assignment(), digest, settings,
                                   [_task(s, self.files) for s in batch], pure=False)
            by_key[future.key] = batch
            return future

        workers = len(client.scheduler_info()["workers"])
        size = batch_size(len(submissions), workers)
        # Batches are read and sent a few at a time (each worker's, and as many queued), so
        # that the class's files are never all in memory here at once.
        waiting = [list(submissions[i:i + size]) for i in range(0, len(submissions), size)]
        waiting.reverse()
        outstanding: set[Any] = set()
        pending = distributed.as_completed()

        def send(batch: list[Submission]) -> None:
            future = submit(batch)
            outstanding.add(future)
            pending.add(future)

        while waiting and len(outstanding) < 2 * max(1, workers):
            send(waiting.pop())
        try:
            for future in pending:
                outstanding.discard(future)
                batch = by_key.pop(future.key)
                for submission in self._collect(future, batch, finished, attempts):
                    send([submission])
                while waiting and len(outstanding) < 2 * max(1, workers):
                    send(waiting.pop())
        except BaseException:
            client.cancel(list(outstanding))
            raise

    def _collect(self, future: Any, batch: list[Submission],
                 finished: Callable[[SubmissionResult], None],
                 attempts: dict[str, int]) -> list[Submission]:
        """Hand each result of a finished task to ``finished``; return the submissions to
        send again (a failure's first), after giving a second failure its "not graded"."""
        try:
            texts = future.result()
            if not (isinstance(texts, list) and len(texts) == len(batch)
                    and all(isinstance(t, str) for t in texts)):
                raise ValueError("a reply that is not one record per submission")
        except Exception as exc:  # (a worker's failure, of any kind)
            if "Cancelled" in type(exc).__name__ and self._lost < LOST:
                # The shipped assignment was lost with the workers that held it (a worker
                # killed for memory, say): ship it again and send the batch, no attempt spent.
                self._lost += 1
                for submission in batch:
                    attempts[submission.id] -= 1
                return list(batch)
            # (Dask's own words can name the cluster's machines: the kind of failure only)
            texts = [f"!{type(exc).__name__} on the cluster"] * len(batch)
        again = []
        for submission, text in zip(batch, texts, strict=True):
            try:
                if text.startswith("!"):
                    raise RuntimeError(text[1:])
                result = SubmissionResult.from_json(text)
                if result.id != submission.id:
                    raise ValueError(f"a result for {result.id!r}")
            except Exception as exc:
                if attempts[submission.id] <= RETRIES:
                    again.append(submission)
                    continue
                if text.startswith(SETUP):  # (twice: the cluster's setup, not one worker's)
                    raise UsageError(f"--dask: the workers cannot grade: "
                                     f"{text[len(SETUP):]}") from None
                result = self.grader.not_graded(
                    submission, f"the Dask cluster could not grade it ({shorten(str(exc), 300)})")
            finished(replace(result, path=submission.shown_path))
        return again

    def close(self) -> None:
        client = getattr(self, "client", None)
        with contextlib.suppress(Exception):
            if client is not None:
                client.close()
        with contextlib.suppress(Exception):
            if self._cluster is not None:
                self._cluster.close()

