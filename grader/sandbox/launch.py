"""Starting student worker processes: a fresh interpreter each time, or a fork of a zygote.

:class:`SpawnLauncher` runs ``python -I -m grader.sandbox.child.worker`` per worker (about 100
ms, mostly importing numpy). :class:`grader.sandbox.zygotes.ZygoteLauncher` keeps a warm fork
server and forks workers from it (Linux). :class:`TrackingLauncher` keeps one launcher per job
slot and every live worker. Where a process can be handed no pipes but its standard streams,
and ``poll`` cannot watch pipes (Windows: :func:`passes_pipes`), the worker talks over its
standard input and output, and threads read them (:mod:`grader.sandbox.pipes`).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from grader.sandbox import winjob
from grader.sandbox.policy import Limits
from grader.sandbox.scratch import remove_tree

# (SYSTEMROOT and its kin: Python on Windows cannot start without them.)
_ENV_ALLOW = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ",
              "SYSTEMROOT", "WINDIR", "PATHEXT", "COMSPEC")
_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
            "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def worker_env(home: str) -> dict[str, str]:
    """The allow-listed environment of a student process (and of the zygote)."""
    env = {k: os.environ[k] for k in _ENV_ALLOW if k in os.environ}
    env.update({k: "1" for k in _THREADS})  # no BLAS threads, before numpy is imported
    env.update(HOME=home, TMPDIR=home, PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
    if os.name == "nt":  # (where Windows looks for a home and a temporary folder)
        env.update(USERPROFILE=home, TEMP=home, TMP=home)
    return env


def passes_pipes() -> bool:
    """Whether a worker can be handed pipes besides its standard streams, and the grader
    wait on them with ``poll`` (POSIX). Elsewhere (Windows) the worker gets its requests on
    standard input, writes its replies to standard output and what it prints to standard
    error, and threads read them (:mod:`grader.sandbox.pipes`)."""
    return os.name == "posix" and hasattr(select, "poll") and hasattr(os, "set_blocking")


# The worker's exit code when the student's code broke its pipes (child/worker.py's own copy:
# importing the worker, or the wire format, would load numpy before the zygote can start).
CHANNEL_LOST = 70


def describe_status(code: int | None, out_of_memory: bool = False) -> str:
    """Words for a Popen-style return code (negative: killed by that signal).
    ``out_of_memory``: a memory cgroup killed a process of this worker's while it ran."""
    if code is None:
        return "stopped responding"
    if code == CHANNEL_LOST:
        return "lost its connection to the grader (the code closed or broke the worker's pipes)"
    if code == -_SIGKILL and out_of_memory:
        return ("was killed for using too much memory (all of the student's processes and "
                "files together are capped by --memory)")
    if code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    if code in _WINDOWS_CRASHES:
        return f"crashed ({_WINDOWS_CRASHES[code]}, exit code {code:#x})"
    return f"exited with code {code}"


_SIGKILL = getattr(signal, "SIGKILL", 9)  # (Windows has no signals to kill with)
# How a process that crashed ends on Windows: an exception code as its exit code.
_WINDOWS_CRASHES = {0xC0000005: "an access violation", 0xC00000FD: "a stack overflow",
                    0xC0000409: "a fast-fail abort", 0xC000001D: "an illegal instruction"}


class ContainerUnavailable(OSError):
    """A zygote could not make itself a container (see
    :func:`grader.sandbox.child.container.enter_container`)."""


class Launcher(Protocol):
    kind: str  # the isolation level it starts workers for ("full": in a container)

    def start(self, pipes: _Pipes, cwd: str, env: dict[str, str]) -> Process: ...

    def close(self) -> None: ...


class Process(Protocol):
    pid: int

    @property
    def out_of_memory(self) -> bool:
        """Known once it has ended: a memory cgroup killed one of its processes."""

    def wait(self, timeout: float | None = None) -> int | None: ...

    def kill(self) -> None: ...


@dataclass(frozen=True)
class _Pipes:
    """The worker's ends of its pipes: requests in, replies out, printed output, and the
    wake-ups that say replies are waiting (see :class:`grader.sandbox.pipes.FrameReader`;
    None where the worker gets its standard streams only: :func:`passes_pipes`)."""

    request_r: int
    reply_w: int
    output_w: int
    notify_w: int | None

    @property
    def passed(self) -> tuple[int, int, int]:
        """The pipes the worker gets as arguments, in the order it expects them."""
        assert self.notify_w is not None
        return self.request_r, self.reply_w, self.notify_w


class SpawnLauncher:
    """One new interpreter per worker (no container: the confined level or limits only).
    On Windows each worker gets a job (:mod:`grader.sandbox.winjob`) with ``limits``' memory
    and process caps (None: ``--sandbox off``, no caps)."""

    def __init__(self, python: str = sys.executable, kind: str = "limits",
                 limits: Limits | None = None) -> None:
        self.python = python
        self.kind = kind
        self.limits = limits

    def start(self, pipes: _Pipes, cwd: str, env: dict[str, str]) -> Process:
        worker = [self.python, "-I", "-m", "grader.sandbox.child.worker"]
        if pipes.notify_w is None:  # standard streams only (Windows)
            proc = subprocess.Popen(
                # (UTF-8 on its pipes: a Windows console's code page cannot print everything)
                [self.python, "-I", "-X", "utf8", *worker[2:], "--stdio"],
                stdin=pipes.request_r, stdout=pipes.reply_w, stderr=pipes.output_w, cwd=cwd,
                env=env,
                # (out of the console's Ctrl-C: the grader ends its workers itself)
                creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
            )
            handle = getattr(proc, "_handle", None)  # (Windows: the process's handle)
            caps = (None, None) if self.limits is None else \
                (self.limits.memory, self.limits.nproc)
            job = None if handle is None else winjob.contain(int(handle), *caps)
            return _Popen(proc, job)
        return _Popen(subprocess.Popen(
            [*worker, *map(str, pipes.passed)], pass_fds=pipes.passed,
            stdin=subprocess.DEVNULL, stdout=pipes.output_w, stderr=pipes.output_w,
            cwd=cwd, env=env, start_new_session=True,
        ))

    def close(self) -> None:
        pass


class _Popen:
    out_of_memory = False  # (no memory cgroup without a container)

    def __init__(self, proc: subprocess.Popen[bytes], job: winjob.Job | None = None) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.job = job

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        if self.job is not None:  # (what it started and left: ended with its job)
            self.job.kill()
        return code

    def kill(self) -> None:
        if self.job is not None:  # everything in its job (Windows)
            self.job.kill()
        if hasattr(os, "killpg"):  # its process group (POSIX)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, _SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait()


class TrackingLauncher:
    """One launcher per job slot, and every live worker, so an interrupt can kill them all.

    ``factory(slot, kind, workspace)`` makes a slot's launcher for the isolation level
    ``kind``; "full" asks for a container, which may raise :class:`ContainerUnavailable`. A
    slot's launcher is replaced when a start asks for another kind, and once when it fails
    (a zygote that died). Every run folder goes under ``workspace``, which a container shows
    its workers (each only its own submission); it is removed on :meth:`close`. ``visible``:
    the folders its workers may read besides the system, Python and the grader.
    """

    def __init__(self, factory: Callable[[int, str, Path], Launcher],
                 visible: tuple[Path, ...] = ()) -> None:
        self.factory = factory
        self.visible = visible
        self.workspace = Path(tempfile.mkdtemp(prefix="grader-work-"))
        self._inner: dict[int, Launcher] = {}
        # On close, or when this object is collected or the interpreter exits: the slots'
        # launchers are closed (zygotes and their workers end) and the workspace removed.
        self._release = weakref.finalize(self, _release, self._inner, self.workspace)
        self._live: set[Process] = set()
        self._lock = threading.Lock()
        self._stopped = False

    def _launcher(self, slot: int, kind: str, replace: Launcher | None = None
                  ) -> Launcher:
        with self._lock:
            if self._stopped:
                raise OSError("grading was interrupted")
            inner = self._inner.get(slot)
            if inner is not None and (inner is replace or inner.kind != kind):
                del self._inner[slot]
                inner.close()
                inner = None
            if inner is None:
                inner = self._inner[slot] = self.factory(slot, kind, self.workspace)
            return inner

    def start(self, pipes: _Pipes, cwd: str, env: dict[str, str], slot: int = 0,
              kind: str = "limits") -> Process:
        inner = self._launcher(slot, kind)
        try:
            started = inner.start(pipes, cwd, env)
        except ContainerUnavailable:
            raise
        except OSError:
            started = self._launcher(slot, kind, replace=inner).start(pipes, cwd, env)
        process = _Tracked(started, self)
        with self._lock:
            self._live.add(process)
        if self.stopped:  # an interrupt may have come while it started
            process.kill()
        return process

    def renew(self, slot: int) -> None:
        """Drop the slot's launcher; the next start makes a fresh one."""
        with self._lock:
            inner = self._inner.pop(slot, None)
        if inner is not None:
            inner.close()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def forget(self, process: Process) -> None:
        with self._lock:
            self._live.discard(process)

    def kill_all(self) -> None:
        """Kill every live worker and refuse to start new ones."""
        with self._lock:
            self._stopped = True
            live = list(self._live)
        for process in live:
            process.kill()

    def close(self) -> None:
        self.kill_all()
        with self._lock:
            self._release()


def _release(inners: dict[int, Launcher], workspace: Path) -> None:
    for inner in list(inners.values()):
        inner.close()
    inners.clear()
    remove_tree(workspace)


class _Tracked:
    def __init__(self, inner: Process, owner: TrackingLauncher) -> None:
        self.inner = inner
        self.owner = owner
        self.pid = inner.pid

    @property
    def out_of_memory(self) -> bool:
        return self.inner.out_of_memory

    def wait(self, timeout: float | None = None) -> int | None:
        return self.inner.wait(timeout)

    def kill(self) -> None:
        self.inner.kill()
        self.owner.forget(self)
