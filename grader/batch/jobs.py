"""Parallel grading in job processes forked from the grader (Linux), or threads elsewhere.

The grader's own work per submission (reading replies, decoding, comparing, scoring) is
Python code, so threads would share one interpreter lock and serialize it. Instead, on
Linux, each job slot is a process forked from the fully prepared grader: it inherits the
cases and expected outputs copy-on-write, starts its own warm zygote, grades the submissions
it is given one at a time, and sends each finished result back as one line: its index and its
JSON, which the main process writes to the run folder as it came. These
are the grader's own trusted processes; student code still runs only in the workers they
start.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, TextIO

from grader.errors import GraderError
from grader.intake.submissions import Submission
from grader.results import SubmissionResult
from grader.sandbox.scratch import remove_tree


class _Grades(Protocol):
    def grade(self, submission: Submission, slot: int = 0) -> SubmissionResult: ...

    def not_graded(self, submission: Submission, why: str) -> SubmissionResult: ...

    def close(self) -> None: ...


class JobError(GraderError):
    """A job process hit a user-facing error (a spec error, say); re-raised in the main one."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def forking_supported() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def _job(grader: _Grades, submissions: Sequence[Submission], slot: int, tasks: int,
         results: int, scratch: str) -> None:
    """The body of one job process: grade each index read from ``tasks``."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
        # Run folders go under a folder the main process removes, even if it kills this one.
        tempfile.tempdir = scratch
        from grader.sandbox.child.syscalls import die_with_parent

        die_with_parent()
        with os.fdopen(tasks, "r", encoding="utf-8") as task_lines, \
                os.fdopen(results, "w", encoding="utf-8") as out:
            for line in task_lines:
                index = int(line)
                try:
                    result = grader.grade(submissions[index], slot)
                except GraderError as exc:  # e.g. a reference failing on one student's seed
                    out.write(f"{index} error " + json.dumps(
                        {"error": str(exc), "exit_code": exc.exit_code}) + "\n")
                    out.flush()
                    break
                out.write(f"{index} result {result.json}\n")
                out.flush()
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 70
    finally:
        try:
            grader.close()
        finally:
            os._exit(code)


def grade_in_processes(grader: _Grades, submissions: Sequence[Submission], jobs: int,
                       on_result: Callable[[SubmissionResult], None] | None = None,
                       raise_errors: bool = False) -> dict[int, SubmissionResult]:
    """Grade ``submissions`` in ``jobs`` forked processes; results by submission index.

    A job process that dies (killed, out of memory) costs the submission it was grading:
    that one gets a "not graded ... grade it again" result and a new job process takes the
    slot; with ``raise_errors`` (the test suite's setting) the run stops instead. The caller
    must hold no threads (fork copies only the calling thread). On any exception here
    (KeyboardInterrupt included) every job process is killed; their zygotes and workers die
    with them.
    """
    children: dict[int, tuple[int, int, TextIO]] = {}  # pid -> (task fd, result fd, reader)
    slots: dict[int, int] = {}  # pid -> job slot
    results: dict[int, SubmissionResult] = {}
    todo = list(range(len(submissions)))[::-1]
    scratch = tempfile.mkdtemp(prefix="grader-jobs-")
    os.chmod(scratch, 0o711)  # (a confined level's student uid passes through to its own)

    def spawn(slot: int) -> int:
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(task_w)
            os.close(result_r)
            for other_task, other_result, _ in children.values():
                os.close(other_task)
                os.close(other_result)
            _job(grader, submissions, slot, task_r, result_w, scratch)
        os.close(task_r)
        os.close(result_w)
        children[pid] = (task_w, result_r, os.fdopen(result_r, "r", encoding="utf-8"))
        slots[pid] = slot
        return pid

    def record(index: int, result: SubmissionResult) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    busy: dict[int, tuple[int, int]] = {}  # result fd -> (pid, index in flight)

    def give(pid: int) -> None:
        if todo:
            task_w, result_r, _ = children[pid]
            index = todo.pop()
            os.write(task_w, f"{index}\n".encode())
            busy[result_r] = (pid, index)

    try:
        for slot in range(jobs):
            spawn(slot)
        for pid in list(children):
            give(pid)
        while busy:
            ready, _, _ = select.select(list(busy), [], [])
            for fd in ready:
                pid, index = busy.pop(fd)
                _, _, lines = children[pid]
                line = lines.readline()
                if not line:
                    if raise_errors:
                        raise RuntimeError(f"grader job process {pid} died; see above")
                    _end(children.pop(pid), pid)
                    give(spawn(slots.pop(pid)))
                    record(index, grader.not_graded(
                        submissions[index], "the grader's job process grading it died"))
                    continue
                _, kind, text = line.split(" ", 2)
                if kind == "error":
                    error = json.loads(text)
                    raise JobError(error["error"], error["exit_code"])
                give(pid)  # the next task first: the job works while this result is recorded
                record(index, SubmissionResult.from_json(text.rstrip("\n")))
    except BaseException:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        raise
    finally:
        for pid, child in children.items():
            _end(child, pid)
        remove_tree(Path(scratch))
    return results


def _end(child: tuple[int, int, TextIO], pid: int) -> None:
    """Close a job process's pipes and wait for it to end."""
    task_w, _, lines = child
    with contextlib.suppress(OSError):
        os.close(task_w)
    lines.close()
    os.waitpid(pid, 0)
