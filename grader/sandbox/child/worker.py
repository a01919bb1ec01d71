"""The student side: runs in a child process, imports the submission and calls it.

Started by :class:`grader.sandbox.launch.SpawnLauncher` as ``python -I -m
grader.sandbox.child.worker IN_FD OUT_FD NOTIFY_FD`` (or ``--stdio``, where it gets its
standard streams only), or forked by the zygote. It reads requests from IN_FD and writes
replies to OUT_FD, using :mod:`grader.sandbox.wire`. It receives case
inputs only; it never sees expected outputs, references or other cases. Whatever the student
code returns is converted to plain numeric arrays here, before it leaves the process, and
the grader checks it again on arrival, since this whole process is untrusted.

This module must import nothing from the grader except :mod:`grader.sandbox.wire` and the
rest of :mod:`grader.sandbox.child` (standard library and numpy only).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import select
import sys
import time
import traceback
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np

from grader.sandbox import wire
from grader.sandbox.child import confine, container, held, imports, notebook, steps
from grader.sandbox.child.plain import BadOutput, convert, text
from grader.sandbox.child.syscalls import SandboxError, die_with_parent

# numpy's own default error handling, restored before every call: a submission that silenced
# floating-point warnings (np.seterr(all="ignore")) must not hide them from "warnings: fail".
_NUMPY_ERRORS: dict[str, Any] = {
    "divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}
# What catches a call's warnings, as it was before the submission was imported: a submission
# that replaced np.seterr, warnings.catch_warnings or how warnings are shown, at import, must
# not hide its warnings that way. (Code in this process can still forge any reply: the check
# is feedback for honest code, not a wall; problems/README.md, "Warnings".)
_seterr = np.seterr
_WARNINGS = warnings
_CATCH = warnings.catch_warnings
_ALWAYS = warnings.simplefilter
_SHOWN_BY = {name: getattr(warnings, name)
             for name in ("showwarning", "_showwarnmsg", "_showwarnmsg_impl", "_formatwarnmsg",
                          "_formatwarnmsg_impl", "formatwarning")
             if hasattr(warnings, name)}


@contextlib.contextmanager
def _every_warning() -> Iterator[list[warnings.WarningMessage]]:
    """Record every warning of what runs inside, numpy's error handling and the warnings
    machinery restored first."""
    sys.modules["warnings"] = _WARNINGS
    for name, value in _SHOWN_BY.items():
        setattr(_WARNINGS, name, value)
    _seterr(**_NUMPY_ERRORS)  # whatever the submission set at import or in a call
    with _CATCH(record=True, module=_WARNINGS) as caught:
        _ALWAYS("always")
        yield caught


MAX_WARNINGS = 5


def _flush() -> None:
    """Push what the student printed to the grader now: the worker may be killed later."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()


CHANNEL_LOST = 70  # exit code: the student code closed or broke the worker's pipes (launch.py)
NOTIFY_EVERY = 0.002  # seconds: how often a running batch wakes the grader, at most
NOTIFY_BYTES = 16 << 10  # wake it before this much is waiting, so the pipe never fills


class Worker:
    def __init__(self, out_fd: int, notify_fd: int | None = None) -> None:
        self.out_fd = out_fd
        self.notify_fd = notify_fd
        self._notified = 0.0
        self._waiting = 0  # bytes written since the grader was last woken
        self.module: ModuleType | None = None
        self.student_dir = ""
        self.builders: dict[str, ModuleType] = {}
        self.max_bytes = 1 << 28
        self.held = held.Held()  # a scenario's objects (grader.sandbox.child.held)
        self.requests = 0  # requests read so far: each reply names the one it answers
        self.level = "off"  # the isolation it applied (_setup)
        self.declared: list[str] = []  # the packages the assignment declares (for messages)

    # --- replies ------------------------------------------------------------------------

    def send(self, header: dict[str, Any], blobs: list[bytes] | None = None) -> None:
        """Write one reply, tagged with the number of the request it answers; wake the
        grader if it has not been woken for a while."""
        data = memoryview(wire.encode_frame({**header, "rid": self.requests}, blobs))
        if self.notify_fd is None:  # (nobody to wake: the grader wakes on every write)
            while data:
                data = data[os.write(self.out_fd, data):]
            return
        if self._waiting + len(data) > NOTIFY_BYTES:
            self.notify()
        self._waiting += len(data)
        big = len(data) > select.PIPE_BUF
        while data:
            if big and not select.select([], [self.out_fd], [], 0)[1]:
                # The pipe is full: wake the grader now (it may have read every wake-up
                # before this reply began, and would otherwise look again only after its
                # safety-net sleep), then wait until it has read some.
                self.notify()
                select.select([], [self.out_fd], [])
            # (A write of PIPE_BUF bytes to a pipe with room never blocks. The pipe stays
            # blocking: a submission that writes to it itself must not leave half a frame.)
            written = os.write(self.out_fd, data[:select.PIPE_BUF] if big else data)
            data = data[written:]
        if time.perf_counter() - self._notified >= NOTIFY_EVERY:
            self.notify()

    def notify(self) -> None:
        """Wake the grader: the replies written so far are ready to be read."""
        self._waiting = 0
        self._notified = time.perf_counter()
        if self.notify_fd is not None:
            with contextlib.suppress(BlockingIOError):  # plenty of wake-ups are pending
                os.write(self.notify_fd, b"!")

    def _where(self, tb: Any) -> dict[str, Any]:
        """The innermost traceback frame inside the student's folder."""
        found: dict[str, Any] = {}
        for frame in traceback.extract_tb(tb):
            if frame.filename and os.path.abspath(frame.filename).startswith(self.student_dir):
                found = {"file": os.path.basename(frame.filename), "line": frame.lineno,
                         "in": frame.name}
        return found

    def describe(self, exc: BaseException) -> dict[str, Any]:
        """Type, message and student-file location of an exception, whatever it does."""
        try:
            return self._describe(exc)
        except BaseException:  # an exception class built to break this
            return {"type": "?", "message": "raised an exception that could not be described"}

    def _describe(self, exc: BaseException) -> dict[str, Any]:
        name = text(lambda: type(exc).__name__)
        if isinstance(exc, SystemExit):
            message = f"called sys.exit({text(lambda: exc.code)})"
        elif type(exc) is ModuleNotFoundError:  # (missing, or not allowed: say which)
            message = f"{name}: {text(lambda: imports.explain(exc, self.declared))}"
        else:
            said = text(lambda: str(exc))
            message = f"{name}: {said}" if said else name
            try:
                notes = exc.__dict__.get("__notes__") if hasattr(exc, "__dict__") else None
            except BaseException:
                notes = None
            if type(notes) is list and notes:
                message += f" (note: {text(lambda: notes[0])})"
        where = self._where(exc.__traceback__)
        if isinstance(exc, SyntaxError) and exc.filename and os.path.abspath(
                exc.filename).startswith(self.student_dir):
            where = {"file": os.path.basename(exc.filename), "line": exc.lineno}
            message = f"{name}: {text(lambda: exc.msg)}"
        return {"type": name, "message": message, **where}

    # --- requests -----------------------------------------------------------------------

    def load(self, header: dict[str, Any]) -> None:
        path = os.path.abspath(header["path"])
        self.student_dir = os.path.dirname(path) + os.sep
        sys.path.insert(0, os.path.dirname(path))
        policy = header.get("imports")
        if isinstance(policy, dict):
            imports.apply(policy, enforce=self.level in ("full", "confined"))
            self.declared = list(policy.get("declared", ()))
        name = header["name"]
        self.max_bytes = int(header.get("max_bytes", self.max_bytes))
        sys.dont_write_bytecode = True  # (a copy, imported once: no cache worth writing)
        cells = header.get("notebook")
        try:
            if isinstance(cells, dict):  # a notebook's code cells, read by the grader
                module = notebook.build(name, path, cells["cells"], cells["definitions"])
            else:
                spec = importlib.util.spec_from_file_location(name, path)
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
        except BaseException as exc:
            error = self.describe(exc)
            self.send({"status": "error", "error": error})
            return
        self.module = module
        missing: dict[str, str] = {}
        for fn in header["functions"]:
            try:
                obj = getattr(module, fn, None)
            except BaseException:
                obj = None
            if obj is None:
                skipped = cells.get("skipped") if isinstance(cells, dict) else ""
                missing[fn] = f"{os.path.basename(path)} does not define {fn}()" + (
                    f" ({skipped})" if isinstance(skipped, str) and skipped else "")
            elif not callable(obj):
                missing[fn] = f"{fn} is a {type(obj).__name__}, not a function"
        self.send({"status": "ready", "missing": missing})

    def _builder(self, path: str, function: str) -> Any:
        module = self.builders.get(path)
        if module is None:
            spec = importlib.util.spec_from_file_location(
                f"_grader_builders_{len(self.builders)}", path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self.builders[path] = module
        return getattr(module, function)

    def decode(self, enc: dict[str, Any], blobs: list[bytes], first: int) -> Any:
        kind = enc["t"]
        if kind == "a":
            return wire.decode_array(blobs[first + enc["b"]], max_bytes=1 << 40)
        if kind in ("n", "s"):
            return enc["v"]
        if kind == "z":
            return None
        if kind == "d":
            pairs = zip(enc["k"], enc["v"], strict=True)
            return {k: self.decode(v, blobs, first) for k, v in pairs}
        if kind in ("l", "u"):
            items = [self.decode(v, blobs, first) for v in enc["v"]]
            return items if kind == "l" else tuple(items)
        if kind == "f":
            data = {k: self.decode(v, blobs, first) for k, v in enc["d"].items()}
            return self._builder(enc["m"], enc["f"])(**data)
        if kind == "h":  # an object a scenario holds here
            return self.held.target(enc["v"], self.module)
        raise ValueError(f"unknown argument kind {kind!r}")

    def run(self, header: dict[str, Any], blobs: list[bytes]) -> None:
        """Make every call of the batch, replying call by call."""
        calls = header["calls"]
        for position, case in enumerate(header["cases"]):
            self.call(calls[case["call"]], case, blobs, {"case": position})
            _flush()

    def call(self, call: dict[str, Any], case: dict[str, Any], blobs: list[bytes],
             tag: dict[str, Any]) -> None:
        assert self.module is not None
        first = case["first"]
        try:
            args = [self.decode(a, blobs, first) for a in case["args"]]
            kwargs = {k: self.decode(v, blobs, first) for k, v in case["kwargs"].items()}
        except Exception as exc:  # a builder that fails here (or that the student broke)
            error = self.describe(exc)
            error["message"] = f"could not build this case's inputs: {error['message']}"
            self.send({"status": "error", "error": error, **tag})
            return
        program = call.get("program")
        timing: dict[str, Any] = {}
        with _every_warning() as caught:
            start = time.perf_counter()
            try:
                if program is None:
                    result = getattr(self.module, call["function"])(*args, **kwargs)
                else:  # a call sequence: the case's values come by name
                    returned, timing["steps"] = steps.run(program, self.module, kwargs,
                                                          call.get("labels"))
                    result = tuple(returned)
            except steps.StepFailed as exc:
                self.send({**self._step_failure(exc), "seconds": time.perf_counter() - start,
                           **tag})
                return
            except BaseException as exc:
                elapsed = time.perf_counter() - start
                self.send({"status": "error", "error": self.describe(exc),
                           "seconds": elapsed, **tag})
                return
            elapsed = time.perf_counter() - start
        timing["seconds"] = sum(timing["steps"]) if program is not None else elapsed
        notes = [self._warning(w) for w in caught[:MAX_WARNINGS]]
        try:
            outputs, reply_blobs = convert(result, call.get("arity"), call.get("select"),
                                           self.max_bytes, call.get("labels"))
        except BadOutput as exc:
            self.send({"status": "bad_output", "message": str(exc), "warnings": notes,
                       **timing, **tag})
            return
        self.send({"status": "ok", "outputs": outputs, "warnings": notes, **timing, **tag},
                  reply_blobs)

    def _step_failure(self, failed: steps.StepFailed) -> dict[str, Any]:
        """The reply for a step that raised ("error", where in the student's file) or that
        gave a value the sequence could not use ("bad_output")."""
        if failed.cause is None:
            return {"status": "bad_output", "message": f"{failed.label}: {failed.reason}"}
        error = self.describe(failed.cause)
        error["message"] = f"{failed.label}: {error['message']}"
        return {"status": "error", "error": error}

    def remote(self, header: dict[str, Any], blobs: list[bytes]) -> None:
        """Serve one request of a scenario (grader.sandbox.child.held)."""
        op, label = header["op"], str(header.get("label", ""))
        if op == "forget":
            self.held.forget()
            self.send({"status": "ok"})
            return
        try:
            with steps.failing(label):  # (a path to nothing, a student's property that raised)
                targets = header["targets"] if op == "fetch" else \
                    [] if op == "assign" else [header["target"]]
                found = [self.held.target(t, self.module) for t in targets]
                args = [self.decode(a, blobs, 0) for a in header.get("args", ())]
                kwargs = {k: self.decode(v, blobs, 0)
                          for k, v in header.get("kwargs", {}).items()}
                if op == "assign":  # (a student's __setattr__ or __setitem__ may raise)
                    self.held.assign(header["target"], args[0], self.module)
        except steps.StepFailed as failed:
            self.send(self._step_failure(failed))
            return
        if op == "assign":
            self.send({"status": "ok"})
        elif op == "fetch":
            self._fetch(header, found)
        else:
            self._invoke(op, label, found[0], args, kwargs)

    def _fetch(self, header: dict[str, Any], found: list[Any]) -> None:
        # "result": the scenario returned this value itself: a tuple is several outputs, as
        # a function's result is.
        value = found[0] if header.get("result") else tuple(found)
        arity = len(value) if type(value) is tuple else None
        try:
            outputs, reply_blobs = convert(value, arity, None, self.max_bytes,
                                           None if header.get("result")
                                           else header.get("labels"))
        except BadOutput as exc:
            self.send({"status": "bad_output", "message": str(exc)})
            return
        self.send({"status": "ok", "outputs": outputs, "arity": arity}, reply_blobs)

    def _invoke(self, op: str, label: str, target: Any, args: list[Any],
                kwargs: dict[str, Any]) -> None:
        """Call ``target`` (or, for ``length``, take its length): its handle as the reply."""
        with _every_warning() as caught:
            start = time.perf_counter()
            try:
                result = len(target) if op == "length" else target(*args, **kwargs)
            except BaseException as exc:
                self.send({**self._step_failure(steps.StepFailed(label, exc)),
                           "seconds": time.perf_counter() - start})
                return
            elapsed = time.perf_counter() - start
        if op == "length":
            self.send({"status": "ok", "length": result if type(result) is int else -1})
            return
        notes = [self._warning(w) for w in caught[:MAX_WARNINGS]]
        self.send({"status": "ok", "handle": self.held.keep(result), "seconds": elapsed,
                   "warnings": notes})

    def _warning(self, w: warnings.WarningMessage) -> dict[str, Any]:
        note: dict[str, Any] = {"message": f"{w.category.__name__}: {text(lambda: w.message)}"}
        if w.filename and os.path.abspath(w.filename).startswith(self.student_dir):
            note.update(file=os.path.basename(w.filename), line=w.lineno)
        return note


def _setup(worker: Worker, header: dict[str, Any]) -> bool:
    """Apply the isolation the grader asked for; False if it could not be had."""
    level = header.get("level", "off")

    def report(reason: str) -> None:
        worker.send({"status": "sandbox_failed", "reason": reason})

    if level == "full":
        try:
            container.enter_student(header["config"])
        except (SandboxError, OSError) as exc:
            report(str(exc))
            return False
    if level == "limits":
        confine.new_session_keyring()  # (best effort here: limits are best effort anyway)
        confine.first_to_die()
    missing: list[str] = []  # the limits this platform does not have or refused
    if level in ("full", "confined", "limits"):
        try:
            missing = confine.apply_limits(header.get("limits", {}))
        except (ValueError, OSError) as exc:
            report(f"resource limits: {exc}")
            return False
    if level == "confined":
        try:
            confine.enter_confined(header["config"])
        except (SandboxError, OSError) as exc:
            report(str(exc))
            return False
    worker.level = level
    worker.send({"status": "sandboxed", "level": level, "missing": missing})
    return True


def _standard_streams() -> tuple[int, int]:
    """``--stdio``: take the request and reply pipes off standard input and output; what
    the student prints (file descriptor 1 and ``sys.stdout`` on it) goes to standard error,
    the captured output, and standard input is empty."""
    in_fd, out_fd = os.dup(0), os.dup(1)
    os.dup2(2, 1)
    empty = os.open(os.devnull, os.O_RDONLY)
    os.dup2(empty, 0)
    os.close(empty)
    return in_fd, out_fd


def main(argv: list[str]) -> int:
    """``worker IN_FD OUT_FD [NOTIFY_FD]`` or ``worker --stdio``: serve requests until the
    request pipe is closed."""
    if argv[1] == "--stdio":
        (in_fd, out_fd), notify_fd = _standard_streams(), None
    else:
        in_fd, out_fd = int(argv[1]), int(argv[2])
        notify_fd = int(argv[3]) if len(argv) > 3 else None
    die_with_parent()
    stream = os.fdopen(in_fd, "rb", buffering=1 << 16)
    if notify_fd is not None:
        os.set_blocking(notify_fd, False)
    worker = Worker(out_fd, notify_fd)
    try:
        while True:
            frame = wire.read_frame_blocking(stream)
            if frame is None:
                return 0
            worker.requests += 1
            header, blobs = frame
            if header["op"] == "sandbox":
                if not _setup(worker, header):
                    return 3
            elif header["op"] == "load":
                worker.load(header)
            elif header["op"] == "run":
                worker.run(header, blobs)
            elif header["op"] in held.OPS:
                worker.remote(header, blobs)
            _flush()
            worker.notify()
    except OSError:
        _flush()
        return CHANNEL_LOST


if __name__ == "__main__":
    sys.exit(main(sys.argv))
