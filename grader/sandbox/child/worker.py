"""The student side: runs in a child process, imports the submission and calls it.

Started by :class:`grader.sandbox.launch.SpawnLauncher` as ``python -I -m
grader.sandbox.child.worker IN_FD OUT_FD``, or forked by the zygote. It reads requests from
IN_FD and writes replies to OUT_FD, using :mod:`grader.sandbox.wire`. It receives case
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
from grader.sandbox.child import confine, container
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


MAX_TEXT = 500
MAX_WARNINGS = 5


def _flush() -> None:
    """Push what the student printed to the grader now: the worker may be killed later."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()


def _text(get: Any) -> str:
    try:
        text = str(get())
    except BaseException:  # a hostile __str__ must not take the worker down
        text = "<unprintable>"
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


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

    # --- replies ------------------------------------------------------------------------

    def send(self, header: dict[str, Any], blobs: list[bytes] | None = None) -> None:
        """Write one reply; wake the grader if it has not been woken for a while."""
        data = memoryview(wire.encode_frame(header, blobs))
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
        name = _text(lambda: type(exc).__name__)
        if isinstance(exc, SystemExit):
            message = f"called sys.exit({_text(lambda: exc.code)})"
        else:
            text = _text(lambda: str(exc))
            message = f"{name}: {text}" if text else name
            try:
                notes = exc.__dict__.get("__notes__") if hasattr(exc, "__dict__") else None
            except BaseException:
                notes = None
            if type(notes) is list and notes:
                message += f" (note: {_text(lambda: notes[0])})"
        where = self._where(exc.__traceback__)
        if isinstance(exc, SyntaxError) and exc.filename and os.path.abspath(
                exc.filename).startswith(self.student_dir):
            where = {"file": os.path.basename(exc.filename), "line": exc.lineno}
            message = f"{name}: {_text(lambda: exc.msg)}"
        return {"type": name, "message": message, **where}

    # --- requests -----------------------------------------------------------------------

    def load(self, header: dict[str, Any]) -> None:
        path = os.path.abspath(header["path"])
        self.student_dir = os.path.dirname(path) + os.sep
        sys.path.insert(0, os.path.dirname(path))
        name = header["name"]
        self.max_bytes = int(header.get("max_bytes", self.max_bytes))
        sys.dont_write_bytecode = True  # (a copy, imported once: no cache worth writing)
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except BaseException as exc:
            self.send({"status": "error", "error": self.describe(exc)})
            return
        self.module = module
        missing: dict[str, str] = {}
        for fn in header["functions"]:
            try:
                obj = getattr(module, fn, None)
            except BaseException:
                obj = None
            if obj is None:
                missing[fn] = f"{os.path.basename(path)} does not define {fn}()"
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
        fn = getattr(self.module, call["function"])
        with _every_warning() as caught:
            start = time.perf_counter()
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                elapsed = time.perf_counter() - start
                self.send({"status": "error", "error": self.describe(exc),
                           "seconds": elapsed, **tag})
                return
            elapsed = time.perf_counter() - start
        notes = [self._warning(w) for w in caught[:MAX_WARNINGS]]
        try:
            outputs, reply_blobs = self.convert(result, call.get("arity"), call.get("select"),
                                                self.max_bytes)
        except _BadOutput as exc:
            self.send({"status": "bad_output", "message": str(exc), "warnings": notes,
                       "seconds": elapsed, **tag})
            return
        self.send({"status": "ok", "outputs": outputs, "warnings": notes,
                   "seconds": elapsed, **tag}, reply_blobs)

    def _warning(self, w: warnings.WarningMessage) -> dict[str, Any]:
        note: dict[str, Any] = {"message": f"{w.category.__name__}: {_text(lambda: w.message)}"}
        if w.filename and os.path.abspath(w.filename).startswith(self.student_dir):
            note.update(file=os.path.basename(w.filename), line=w.lineno)
        return note

    # --- outputs ------------------------------------------------------------------------

    def convert(self, result: Any, arity: int | None, select: list[int] | None,
                max_bytes: int) -> tuple[list[dict[str, Any]], list[bytes]]:
        """Plain arrays from what the student returned, or _BadOutput saying why not."""
        try:
            return self._convert(result, arity, select, max_bytes)
        except _BadOutput:
            raise
        except BaseException as exc:  # a hostile __len__, __getitem__, __array__, ...
            kind = _text(lambda e=exc: type(e).__name__)
            raise _BadOutput(f"not a numeric array: reading the returned {_type(result)} "
                             f"raised {kind}") from None

    def _convert(self, result: Any, arity: int | None, select: list[int] | None,
                 max_bytes: int) -> tuple[list[dict[str, Any]], list[bytes]]:
        if arity is None:
            items = [(0, result)]
        else:
            if not isinstance(result, (tuple, list)):
                raise _BadOutput(
                    f"returned {_type(result)}, expected a tuple of {arity} outputs")
            if len(result) != arity:
                raise _BadOutput(
                    f"returned a {type(result).__name__} of {len(result)} outputs, "
                    f"expected {arity}")
            chosen = select if select is not None else list(range(arity))
            items = [(i, result[i]) for i in chosen]
        outputs: list[dict[str, Any]] = []
        blobs: list[bytes] = []
        for index, value in items:
            where = index if arity is not None else None
            if isinstance(value, dict) or (isinstance(value, (list, tuple))
                                           and not _numeric_sequence(value)):
                plain = _Plain(where, max_bytes).value(value, 0)
                outputs.append({"index": index, "tree": wire.encode_tree(plain, blobs)})
                continue
            array = _plain_array(value, where)
            if array.nbytes > max_bytes:
                raise _BadOutput(f"output too large ({array.nbytes} bytes)")
            outputs.append({"index": index, "b": len(blobs)})
            blobs.append(wire.encode_array(array))
        return outputs, blobs


class _BadOutput(Exception):
    pass


def _type(value: Any) -> str:
    return "None" if value is None else _text(lambda: type(value).__name__)


def _numeric_sequence(value: list[Any] | tuple[Any, ...]) -> bool:
    """A list or tuple that makes one numeric array (as it always has: [1, 2] is an array);
    anything else (ragged, or holding dicts, None or text) is a structure."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (numpy's warning about ragged sequences)
            kind = np.array(value, subok=False).dtype.kind
    except (ValueError, TypeError, RecursionError):  # (a list that holds itself)
        return False
    return kind in wire.ALLOWED_KINDS or kind == "c"  # (complex: refused, as an array)


class _Plain:
    """A student's structured value as plain data: dicts with string keys, lists, tuples,
    None, strings, and numeric arrays (numbers and numpy scalars become 0-d arrays). Checked
    as it is read, so that what leaves this process is within the wire's caps; anything
    else is a :class:`_BadOutput` that says what was found where."""

    def __init__(self, index: int | None, max_bytes: int) -> None:
        self.where = "returned value" if index is None else f"output {index}"
        self.left = max_bytes
        self.nodes = 0

    def value(self, value: Any, depth: int, path: str = "") -> Any:
        self.nodes += 1
        if self.nodes > wire.MAX_TREE_NODES:
            raise _BadOutput(f"{self._at(path)}too many values (more than "
                             f"{wire.MAX_TREE_NODES})")
        if depth > wire.MAX_TREE_DEPTH:
            raise _BadOutput(f"{self._at(path)}nested more than {wire.MAX_TREE_DEPTH} levels "
                             "deep")
        if isinstance(value, dict):
            out = {}
            for key, item in dict.items(value):
                if type(key) is not str:
                    raise _BadOutput(f"{self._at(path)}a dict key {_text(lambda k=key: repr(k))} "
                                     f"of type {_type(key)}; keys must be strings")
                if len(key) > wire.MAX_TREE_TEXT:
                    raise _BadOutput(f"{self._at(path)}a dict key longer than "
                                     f"{wire.MAX_TREE_TEXT} characters")
                out[key] = self.value(item, depth + 1, f"{path}[{key!r}]")
            return out
        if isinstance(value, (list, tuple)):
            if _numeric_sequence(value) and depth:
                return self._array(value, path)
            items = list.__iter__(value) if isinstance(value, list) else tuple.__iter__(value)
            plain = [self.value(item, depth + 1, f"{path}[{i}]")
                     for i, item in enumerate(items)]
            return plain if isinstance(value, list) else tuple(plain)
        if value is None:
            return None
        if type(value) is str:
            if len(value) > wire.MAX_TREE_TEXT:
                raise _BadOutput(f"{self._at(path)}a string longer than {wire.MAX_TREE_TEXT} "
                                 "characters")
            return value
        return self._array(value, path)

    def _array(self, value: Any, path: str) -> np.ndarray:
        try:
            array = _plain_array(value, None)
        except _BadOutput as exc:
            raise _BadOutput(f"{self._at(path)}{exc}") from None
        self.left -= array.nbytes
        if self.left < 0:
            raise _BadOutput(f"{self._at(path)}output too large")
        return array

    def _at(self, path: str) -> str:
        where = f"{self.where} {path}".strip()
        return f"{where}: " if where else ""


def _plain_array(value: Any, index: int | None) -> np.ndarray:
    where = "" if index is None else f"output {index}: "
    if value is None:
        raise _BadOutput(f"{where}returned None, expected a numeric array or number")
    try:
        # np.array with subok=False turns ndarray subclasses and float subclasses into plain
        # data; objects with their own __array__ are evaluated here, in the student process.
        array = np.array(value, subok=False, copy=True)
    except BaseException as exc:
        raise _BadOutput(f"{where}not a numeric array ({_type(value)}: "
                         f"{type(exc).__name__})") from None
    if type(array) is not np.ndarray or array.dtype.kind not in wire.ALLOWED_KINDS:
        if array.dtype.kind == "O" and not isinstance(value, np.ndarray):
            # (an object numpy cannot read as numbers: say what it is, not numpy's dtype)
            raise _BadOutput(f"{where}not a numeric array: got {_type(value)}; expected an "
                             "array, a number, or a dict, list or tuple of them")
        kind = "complex values" if array.dtype.kind == "c" else f"dtype {array.dtype}"
        raise _BadOutput(f"{where}not a numeric array ({_type(value)} with {kind})")
    if array.dtype.kind == "f" and array.dtype.itemsize > 8:
        array = array.astype(np.float64)
    return array


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
    if level in ("full", "confined", "limits"):
        try:
            confine.apply_limits(header.get("limits", {}))
        except (ValueError, OSError) as exc:
            report(f"resource limits: {exc}")
            return False
    if level == "confined":
        try:
            confine.enter_confined(header["config"])
        except (SandboxError, OSError) as exc:
            report(str(exc))
            return False
    worker.send({"status": "sandboxed", "level": level})
    return True


def main(argv: list[str]) -> int:
    """``worker IN_FD OUT_FD [NOTIFY_FD]``: serve requests until IN_FD is closed."""
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
            header, blobs = frame
            if header["op"] == "sandbox":
                if not _setup(worker, header):
                    return 3
            elif header["op"] == "load":
                worker.load(header)
            elif header["op"] == "run":
                worker.run(header, blobs)
            _flush()
            worker.notify()
    except OSError:
        _flush()
        return CHANNEL_LOST


if __name__ == "__main__":
    sys.exit(main(sys.argv))
