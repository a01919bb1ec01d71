"""Running one submission's functions in a child process (the parent's side).

The child is ``python -I -m grader.worker``; see :mod:`grader.worker`. This module owns its
life: spawning, per-call deadlines, killing it on a timeout or crash and starting a fresh one
for the remaining cases. Every failure of the student code becomes a :class:`CallOutcome`;
nothing here raises because of what the student did.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import _modules, wire
from .cases import Case
from .generators import BuiltArg
from .isolation import Isolation, Limits
from .launch import Launcher, SpawnLauncher, _Pipes, describe_status, worker_env
from .outcomes import CallOutcome, Status, clean_text
from .scratch import copy_submission, remove_tree


@dataclass(frozen=True)
class RunOptions:
    timeout: float | None = None  # overrides every spec timeout when set
    max_output_bytes: int = 64 << 20  # per reply
    capture_bytes: int = 4096  # of the student's printed output kept in the report
    python: str = sys.executable
    sandbox: str = "auto"  # auto | strict | off (see grader.isolation)
    limits: Limits = field(default_factory=Limits)
    slot: int = 0  # job slot: picks the unprivileged uid under full isolation
    extra_paths: tuple[Path, ...] = ()  # more read-only paths the student process may see
    warm: bool = True  # fork workers from a warm zygote where fork is safe (Linux)


@dataclass(frozen=True)
class CallPlan:
    """How to call one part's function: its cases, timeout, and which outputs to return."""

    function: str
    cases: tuple[Case, ...]
    timeout: float
    arity: int | None  # None: a single output; n: a tuple of n outputs
    select: tuple[int, ...] | None
    encoded: tuple[EncodedCase, ...] = ()  # the cases' inputs, serialized once per run

    @functools.cached_property
    def full_frame(self) -> bytes:
        """The request for all of the plan's cases, built once and sent to every worker."""
        return batch_frame(self, range(len(self.cases)))


@dataclass(frozen=True)
class EncodedCase:
    """One case's arguments in wire form: JSON descriptions and the .npy blobs they index."""

    args: list[dict[str, Any]]
    kwargs: dict[str, dict[str, Any]]
    blobs: list[bytes]


def encode_case(case: Case, public_dir: Path) -> EncodedCase:
    blobs: list[bytes] = []
    return EncodedCase([_encode_arg(a, blobs, public_dir) for a in case.args],
                       {k: _encode_arg(v, blobs, public_dir) for k, v in case.kwargs.items()},
                       blobs)


def batch_frame(plan: CallPlan, indices: Sequence[int], public_dir: Path | None = None
                ) -> bytes:
    """The request that runs ``plan.cases[i]`` for each index, in order, in one batch."""
    encoded = plan.encoded
    if not encoded:
        assert public_dir is not None
        encoded = tuple(encode_case(c, public_dir) for c in plan.cases)
    blobs: list[bytes] = []
    batch = []
    for i in indices:
        batch.append({"args": encoded[i].args, "kwargs": encoded[i].kwargs,
                      "first": len(blobs)})
        blobs += encoded[i].blobs
    header = {"op": "run", "function": plan.function, "cases": batch, "arity": plan.arity,
              "select": list(plan.select) if plan.select is not None else None}
    return wire.encode_frame(header, blobs)


def plan_for(function: str, cases: tuple[Case, ...], timeout: float, arity: int | None,
             select: tuple[int, ...] | None, public_dir: Path) -> CallPlan:
    """A plan whose inputs are encoded now, once, for every submission that runs it."""
    return CallPlan(function, cases, timeout, arity, select,
                    tuple(encode_case(c, public_dir) for c in cases))


@dataclass(frozen=True)
class RunRecord:
    outcomes: dict[str, CallOutcome]
    output: str  # what the student code printed, shortened
    seconds: float


def _encode_arg(value: Any, blobs: list[bytes], public_dir: Path) -> dict[str, Any]:
    if isinstance(value, BuiltArg):
        _, function = _modules.split_ref(value.builder)
        return {
            "t": "f",
            "m": str(_modules.ref_path(value.builder, public_dir).resolve()),
            "f": function,
            "d": {k: _encode_arg(v, blobs, public_dir) for k, v in value.data.items()},
        }
    if isinstance(value, np.ndarray):
        blobs.append(wire.encode_array(value))
        return {"t": "a", "b": len(blobs) - 1}
    if isinstance(value, np.generic):
        return {"t": "n", "v": value.item()}
    if isinstance(value, (bool, int, float)):
        return {"t": "n", "v": value}
    return {"t": "s", "v": str(value)}


class _Output:
    """The first ``limit`` bytes of what the student's process printed, and the total."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        if self.total > len(self.data):
            text += f"\n... [output truncated: {self.total - len(self.data)} more bytes]"
        return text


class _Child:
    """One student process: its message pipes and its captured output."""

    def __init__(self, scratch: Path, output: _Output, options: RunOptions,
                 launcher: Launcher) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            self.proc = launcher.start(_Pipes(to_child_r, from_child_w, out_w), str(scratch),
                                       worker_env(str(scratch)))
        except BaseException:
            for fd in (to_child_w, from_child_r, out_r):
                os.close(fd)
            raise
        finally:
            for fd in (to_child_r, from_child_w, out_w):
                os.close(fd)
        self.write_fd = to_child_w
        os.set_blocking(self.write_fd, False)
        os.set_blocking(out_r, False)
        self.output_fd = out_r
        self.reader = wire.FrameReader(from_child_r, options.max_output_bytes,
                                       drain_fd=out_r, drain=output.feed)

    def request(self, header: dict[str, Any], blobs: list[bytes], timeout: float
                ) -> tuple[dict[str, Any], list[bytes]]:
        deadline = time.monotonic() + timeout
        wire.write_all(self.write_fd, wire.encode_frame(header, blobs), deadline)
        return self.reader.read(deadline)

    def exit_description(self) -> str:
        return describe_status(self.proc.wait(timeout=1.0))

    def kill(self) -> None:
        self.proc.kill()
        self.reader.drain_now()
        for fd in (self.write_fd, self.reader.fd, self.output_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


class SubmissionRun:
    """Runs the planned calls of one submission, restarting the child when it must."""

    def __init__(self, module: Path, functions: Sequence[str], public_dir: Path,
                 import_timeout: float, options: RunOptions, isolation: Isolation,
                 cpu_seconds: int, launcher: Launcher) -> None:
        self.launcher = launcher
        self.functions = list(dict.fromkeys(functions))
        self.public_dir = public_dir
        self.import_timeout = import_timeout
        self.options = options
        self.isolation = isolation
        self.cpu_seconds = cpu_seconds
        self.root = Path(tempfile.mkdtemp(prefix="grader-run-"))
        try:
            self.scratch = self.root / "work"
            self.scratch.mkdir()
            self.display_name = module.name
            self.module = copy_submission(module, self.root / "submission")
        except BaseException:
            remove_tree(self.root)
            raise
        self.output = _Output(options.capture_bytes)
        self.child: _Child | None = None
        self.import_failure: CallOutcome | None = None
        self.missing: dict[str, str] = {}

    # --- child life -----------------------------------------------------------------------

    def _spawn(self) -> _Child | None:
        """A worker with the isolation in force, or None (and import_failure) if it died."""
        while True:
            child = _Child(self.scratch, self.output, self.options, self.launcher)
            extra = (self.public_dir, self.module.parent, *self.options.extra_paths)
            header = self.isolation.request(self.root, self.scratch, extra, self.options.slot,
                                            self.cpu_seconds)
            try:
                reply, _ = child.request(header, [], self.import_timeout)
            except wire.WireError as exc:
                reason = child.exit_description() if isinstance(exc, wire.Closed) else str(exc)
                child.kill()
                self.import_failure = CallOutcome(
                    Status.IMPORT_ERROR, f"the student process failed to start ({reason})")
                return None
            if reply.get("status") == "sandboxed":
                return child
            child.kill()
            reason = clean_text(reply.get("reason", "unknown reason"))
            if header["level"] != "full":
                self.import_failure = CallOutcome(
                    Status.IMPORT_ERROR, f"the student process failed to start ({reason})")
                return None
            self.isolation.downgrade(reason)  # raises in strict mode

    def _start(self) -> None:
        child = self._spawn()
        if child is None:
            return
        header = {"op": "load", "path": str(self.module), "name": self.module.stem,
                  "functions": self.functions, "max_bytes": self.options.max_output_bytes}
        name = self.display_name
        try:
            reply, _ = child.request(header, [], self.import_timeout)
        except wire.Timeout:
            child.kill()
            self.import_failure = CallOutcome(
                Status.IMPORT_ERROR,
                f"importing {name} timed out after {self.import_timeout:g}s")
            return
        except wire.WireError:
            reason = child.exit_description()
            child.kill()
            self.import_failure = CallOutcome(
                Status.IMPORT_ERROR, f"the process {reason} while importing {name}")
            return
        if reply.get("status") == "ready" and isinstance(reply.get("missing"), dict):
            self.missing = {clean_text(k, 80): clean_text(v)
                            for k, v in reply["missing"].items()}
            self.child = child
            return
        child.kill()
        error = _error_fields(reply.get("error"))
        self.import_failure = CallOutcome(
            Status.IMPORT_ERROR, f"import failed: {error['message']}",
            error["file"], error["line"])

    def _stop_child(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child = None

    # --- calls ----------------------------------------------------------------------------

    def run_cases(self, plan: CallPlan, indices: Sequence[int],
                  record: Callable[[Case, CallOutcome], None]) -> list[CallOutcome]:
        """Run ``plan.cases[i]`` for each index, in one batch; stop at a timeout or crash.

        Each outcome is passed to ``record`` as soon as it is known, and returned.

        The child gets every input at once and answers case by case, so it never waits for
        the grader between cases. Each answer has its own deadline (the part's timeout),
        counted from the previous one.
        """
        if self.child is None and self.import_failure is None:
            self._start()
        if self.import_failure is not None or plan.function in self.missing:
            failure = self.import_failure or CallOutcome(Status.MISSING,
                                                         self.missing[plan.function])
            for i in indices:
                record(plan.cases[i], failure)
            return [failure] * len(indices)
        assert self.child is not None
        if len(indices) == len(plan.cases):
            frame = plan.full_frame  # the same bytes for every submission
        else:
            frame = batch_frame(plan, indices, self.public_dir)
        child = self.child
        outcomes: list[CallOutcome] = []
        start = time.monotonic()
        try:
            wire.write_all(child.write_fd, frame, start + plan.timeout)
            for position in range(len(indices)):
                reply, reply_blobs = child.reader.read(time.monotonic() + plan.timeout)
                seconds, start = time.monotonic() - start, time.monotonic()
                if reply.get("case") != position:
                    raise wire.WireError("replies out of order")
                outcomes.append(_reply_outcome(reply, reply_blobs, plan, self.options,
                                               seconds))
                record(plan.cases[indices[position]], outcomes[-1])
        except wire.Timeout:
            self._stop_child()
            outcomes.append(CallOutcome(Status.TIMEOUT, f"timed out after {plan.timeout:g}s",
                                        seconds=time.monotonic() - start))
            record(plan.cases[indices[len(outcomes) - 1]], outcomes[-1])
        except wire.Closed:
            reason = child.exit_description()
            self._stop_child()
            outcomes.append(CallOutcome(Status.CRASH, f"the process {reason} while running "
                                        f"{plan.function}()",
                                        seconds=time.monotonic() - start))
            record(plan.cases[indices[len(outcomes) - 1]], outcomes[-1])
        except wire.WireError as exc:
            self._stop_child()
            outcomes.append(CallOutcome(Status.CRASH, f"invalid reply from the process: {exc}"))
            record(plan.cases[indices[len(outcomes) - 1]], outcomes[-1])
        return outcomes

    def close(self) -> str:
        """Stop the child, remove the scratch space, and return the captured output."""
        self._stop_child()
        remove_tree(self.root)
        return self.output.text()


def _error_fields(error: Any) -> dict[str, Any]:
    if not isinstance(error, dict):
        return {"message": "failed (no details)", "file": None, "line": None}
    line = error.get("line")
    message = clean_text(error.get("message", "failed"))
    file = clean_text(error["file"], 120) if isinstance(error.get("file"), str) else None
    return {"message": message, "file": file,
            "line": line if isinstance(line, int) and not isinstance(line, bool) else None}


def _reply_outcome(reply: dict[str, Any], blobs: list[bytes], plan: CallPlan,
                   options: RunOptions, seconds: float) -> CallOutcome:
    status = reply.get("status")
    notes = reply.get("warnings")
    warns: list[str] = []
    first_warning: dict[str, Any] = {"file": None, "line": None}
    if isinstance(notes, list):
        for note in notes[:5]:
            if isinstance(note, dict):
                where = _error_fields(note)
                text = where["message"]
                if where["line"]:
                    text += f" ({where['file']}, line {where['line']})"
                    if first_warning["line"] is None:
                        first_warning = where
                warns.append(text)
    if status == "error":
        error = _error_fields(reply.get("error"))
        return CallOutcome(Status.ERROR, error["message"], error["file"], error["line"],
                           warnings=tuple(warns), seconds=seconds)
    if status == "bad_output":
        return CallOutcome(Status.BAD_OUTPUT, clean_text(reply.get("message", "bad output")),
                           warnings=tuple(warns), seconds=seconds)
    wanted = list(plan.select) if plan.select is not None else list(range(plan.arity or 1))
    described = reply.get("outputs")
    if status != "ok" or not isinstance(described, list) or len(described) != len(blobs) \
            or [d.get("index") if isinstance(d, dict) else None for d in described] != wanted:
        return CallOutcome(Status.BAD_OUTPUT, "malformed reply from the student process",
                           seconds=seconds)
    outputs: dict[int, np.ndarray] = {}
    types: dict[int, str] = {}
    for d, blob in zip(described, blobs, strict=True):
        try:
            outputs[d["index"]] = wire.decode_array(blob, options.max_output_bytes)
        except wire.WireError as exc:
            return CallOutcome(Status.BAD_OUTPUT, str(exc), seconds=seconds)
        except Exception as exc:  # a decoding case wire.py missed: still the student's fault
            return CallOutcome(Status.BAD_OUTPUT, f"malformed array data ({type(exc).__name__})",
                               seconds=seconds)
        types[d["index"]] = clean_text(d.get("type", "?"), 40)
    # A warning's place in the student's code is where a warnings-fail verdict points.
    return CallOutcome(Status.OK, file=first_warning["file"], line=first_warning["line"],
                       outputs=outputs, output_types=types, warnings=tuple(warns),
                       seconds=seconds)


def run_submission(module: Path, plans: Sequence[CallPlan], public_dir: Path,
                   import_timeout: float, options: RunOptions,
                   isolation: Isolation | None = None,
                   launcher: Launcher | None = None,
                   on_outcome: Callable[[Case, CallOutcome], None] | None = None) -> RunRecord:
    """Run every planned case of one submission and collect the outcomes.

    A timeout skips the rest of that function's cases (a hang costs one timeout, not one per
    case); a crash restarts the process, and a second crash of the same function skips the rest
    of its cases. Other functions continue in a fresh process either way.

    Every public case runs before any hidden one, so a student's process has not yet received
    a hidden input while its answers (messages included) may still be shown to students.
    """
    start = time.monotonic()
    isolation = isolation or Isolation(options.sandbox, options.limits)
    budget = import_timeout + sum(p.timeout * len(p.cases) for p in plans)
    run = SubmissionRun(module, [p.function for p in plans], public_dir, import_timeout,
                        options, isolation, cpu_seconds=int(min(budget, 3600)) + 5,
                        launcher=launcher or SpawnLauncher(options.python))
    outcomes: dict[str, CallOutcome] = {}

    def record(case: Case, outcome: CallOutcome) -> None:
        outcomes[case.id] = outcome
        if on_outcome is not None:
            on_outcome(case, outcome)

    crashes = [0] * len(plans)
    skipped: dict[int, str] = {}  # plan number -> why its remaining cases are not run
    phases = [[[i for i, c in enumerate(p.cases) if c.public] for p in plans],
              [[i for i, c in enumerate(p.cases) if not c.public] for p in plans]]
    try:
        for phase in phases:
            for number, (plan, pending) in enumerate(zip(plans, phase, strict=True)):
                if number not in skipped:
                    reason, pending = _run_plan(run, plan, pending, record, crashes, number)
                    if reason is None:
                        continue
                    skipped[number] = reason
                for i in pending:
                    record(plan.cases[i], CallOutcome(Status.NOT_RUN, skipped[number]))
    finally:
        output = run.close()
    return RunRecord(outcomes, output, time.monotonic() - start)


def _run_plan(run: SubmissionRun, plan: CallPlan, pending: list[int],
              record: Callable[[Case, CallOutcome], None], crashes: list[int],
              number: int) -> tuple[str | None, list[int]]:
    """Run ``pending`` cases of one plan: why the rest must be skipped (or None), and the
    cases left unrun."""
    while pending:
        results = run.run_cases(plan, pending, record)
        last_case = plan.cases[pending[len(results) - 1]]
        pending = pending[len(results):]
        status = results[-1].status
        if status is Status.TIMEOUT:
            return f"not run: case {last_case.id} timed out", pending
        if status is Status.CRASH:  # go on in a fresh process, unless it is the second crash
            crashes[number] += 1
            if crashes[number] >= 2:
                return f"not run: {plan.function}() crashed the process twice", pending
    return None, []
