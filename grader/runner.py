"""Running one submission's functions in a child process (the parent's side).

The child is ``python -I -m grader.worker``; see :mod:`grader.worker`. This module owns its
life: spawning, per-call deadlines, killing it on a timeout or crash and starting a fresh one
for the remaining cases. Every failure of the student code becomes a :class:`CallOutcome`;
nothing here raises because of what the student did.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import _modules, wire
from .cases import Case
from .generators import BuiltArg
from .outcomes import CallOutcome, Status, clean_text

# Environment variables passed through to the student process; everything else is dropped.
_ENV_ALLOW = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ")
_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class RunOptions:
    timeout: float | None = None  # overrides every spec timeout when set
    max_output_bytes: int = 64 << 20  # per reply
    capture_bytes: int = 4096  # of the student's printed output kept in the report
    python: str = sys.executable


@dataclass(frozen=True)
class CallPlan:
    """How to call one part's function: its cases, timeout, and which outputs to return."""

    function: str
    cases: tuple[Case, ...]
    timeout: float
    arity: int | None  # None: a single output; n: a tuple of n outputs
    select: tuple[int, ...] | None


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


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "stopped responding"
    if code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class _Child:
    """One student process and its two pipes."""

    def __init__(self, module: Path, scratch: Path, log: Any, options: RunOptions) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = {k: os.environ[k] for k in _ENV_ALLOW if k in os.environ}
        env.update({k: "1" for k in _THREADS})
        env.update(HOME=str(scratch), PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
        try:
            self.proc = subprocess.Popen(
                [options.python, "-I", "-m", "grader.worker", str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                cwd=scratch, env=env, start_new_session=True,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.write_fd = to_child_w
        os.set_blocking(self.write_fd, False)
        self.reader = wire.FrameReader(from_child_r, options.max_output_bytes)
        self.module = module

    def request(self, header: dict[str, Any], blobs: list[bytes], timeout: float
                ) -> tuple[dict[str, Any], list[bytes]]:
        deadline = time.monotonic() + timeout
        wire.write_all(self.write_fd, wire.encode_frame(header, blobs), deadline)
        return self.reader.read(deadline)

    def exit_description(self) -> str:
        try:
            code = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            code = None
        return _describe_exit(code)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait()
        for fd in (self.write_fd, self.reader.fd):
            with contextlib.suppress(OSError):
                os.close(fd)


class SubmissionRun:
    """Runs the planned calls of one submission, restarting the child when it must."""

    def __init__(self, module: Path, functions: Sequence[str], public_dir: Path,
                 import_timeout: float, options: RunOptions) -> None:
        self.module = module
        self.functions = list(dict.fromkeys(functions))
        self.public_dir = public_dir
        self.import_timeout = import_timeout
        self.options = options
        self.root = Path(tempfile.mkdtemp(prefix="grader-run-"))
        self.scratch = self.root / "work"
        self.scratch.mkdir()
        self.log_path = self.root / "output.log"
        self.child: _Child | None = None
        self.import_failure: CallOutcome | None = None
        self.missing: dict[str, str] = {}

    # --- child life -----------------------------------------------------------------------

    def _start(self) -> None:
        with open(self.log_path, "ab") as log:
            child = _Child(self.module, self.scratch, log, self.options)
        header = {"op": "load", "path": str(self.module), "name": self.module.stem,
                  "functions": self.functions}
        name = self.module.name
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
            Status.IMPORT_ERROR, f"{name} failed to import: {error['message']}",
            error["file"], error["line"])

    def _stop_child(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child = None

    # --- calls ----------------------------------------------------------------------------

    def call(self, plan: CallPlan, case: Case) -> CallOutcome:
        if self.child is None and self.import_failure is None:
            self._start()
        if self.import_failure is not None:
            return self.import_failure
        if plan.function in self.missing:
            return CallOutcome(Status.MISSING, self.missing[plan.function])
        assert self.child is not None
        blobs: list[bytes] = []
        header = {
            "op": "call",
            "function": plan.function,
            "args": [_encode_arg(a, blobs, self.public_dir) for a in case.args],
            "kwargs": {k: _encode_arg(v, blobs, self.public_dir) for k, v in case.kwargs.items()},
            "arity": plan.arity,
            "select": list(plan.select) if plan.select is not None else None,
            "max_bytes": self.options.max_output_bytes,
        }
        start = time.monotonic()
        try:
            reply, reply_blobs = self.child.request(header, blobs, plan.timeout)
        except wire.Timeout:
            self._stop_child()
            return CallOutcome(Status.TIMEOUT, f"timed out after {plan.timeout:g}s",
                               seconds=time.monotonic() - start)
        except wire.Closed:
            reason = self.child.exit_description()
            self._stop_child()
            return CallOutcome(Status.CRASH, f"the process {reason} while running "
                               f"{plan.function}()", seconds=time.monotonic() - start)
        except wire.WireError as exc:
            self._stop_child()
            return CallOutcome(Status.CRASH, f"invalid reply from the process: {exc}")
        return _reply_outcome(reply, reply_blobs, plan, self.options,
                              time.monotonic() - start)

    def close(self) -> str:
        """Stop the child, remove the scratch space, and return the captured output."""
        self._stop_child()
        output = _read_capped(self.log_path, self.options.capture_bytes)
        shutil.rmtree(self.root, ignore_errors=True)
        return output


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
    if isinstance(notes, list):
        for note in notes[:5]:
            if isinstance(note, dict):
                where = _error_fields(note)
                text = where["message"]
                if where["line"]:
                    text += f" ({where['file']}, line {where['line']})"
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
        types[d["index"]] = clean_text(d.get("type", "?"), 40)
    return CallOutcome(Status.OK, outputs=outputs, output_types=types, warnings=tuple(warns),
                       seconds=seconds)


def _read_capped(path: Path, limit: int) -> str:
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            data = f.read(limit)
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    if size > limit:
        text += f"\n... [output truncated: {size - limit} more bytes]"
    return text


def run_submission(module: Path, plans: Sequence[CallPlan], public_dir: Path,
                   import_timeout: float, options: RunOptions) -> RunRecord:
    """Run every planned case of one submission and collect the outcomes.

    A timeout skips the rest of that function's cases (a hang costs one timeout, not one per
    case); a crash restarts the process, and a second crash of the same function skips the rest
    of its cases. Other functions continue in a fresh process either way.
    """
    start = time.monotonic()
    run = SubmissionRun(module, [p.function for p in plans], public_dir, import_timeout, options)
    outcomes: dict[str, CallOutcome] = {}
    try:
        for plan in plans:
            crashes = 0
            for i, case in enumerate(plan.cases):
                outcome = run.call(plan, case)
                outcomes[case.id] = outcome
                skip_reason = None
                if outcome.status is Status.TIMEOUT:
                    skip_reason = f"not run: case {case.id} timed out"
                elif outcome.status is Status.CRASH:
                    crashes += 1
                    if crashes >= 2:
                        skip_reason = f"not run: {plan.function}() crashed the process twice"
                if skip_reason:
                    for rest in plan.cases[i + 1:]:
                        outcomes[rest.id] = CallOutcome(Status.NOT_RUN, skip_reason)
                    break
    finally:
        output = run.close()
    return RunRecord(outcomes, output, time.monotonic() - start)
