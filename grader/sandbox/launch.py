"""Starting student worker processes: a fresh interpreter each time, or a fork of a zygote.

:class:`SpawnLauncher` runs ``python -I -m grader.sandbox.child.worker`` per worker (about 100
ms, mostly importing numpy). :class:`ZygoteLauncher` keeps a warm fork server
(:mod:`grader.sandbox.child.zygote`) and forks workers from it (about 1.5 ms here); for full
isolation the zygote is also the container its workers run in. :class:`TrackingLauncher` keeps
one launcher per job slot and every live worker. Fork is used only on Linux; elsewhere the
grader spawns, with resource limits only. Where a process can be handed no pipes but its
standard streams, and ``poll`` cannot watch pipes (Windows: :func:`passes_pipes`), the worker
talks over its standard input and output and threads read them (:mod:`grader.sandbox.pumps`).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from grader.sandbox.child import cgroup
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
    error, and threads read them (:mod:`grader.sandbox.pumps`)."""
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
    wake-ups that say replies are waiting (see :class:`grader.sandbox.wire.FrameReader`;
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
    """One new interpreter per worker (no container: the confined level or limits only)."""

    def __init__(self, python: str = sys.executable, kind: str = "limits") -> None:
        self.python = python
        self.kind = kind

    def start(self, pipes: _Pipes, cwd: str, env: dict[str, str]) -> Process:
        worker = [self.python, "-I", "-m", "grader.sandbox.child.worker"]
        if pipes.notify_w is None:  # standard streams only (Windows)
            return _Popen(subprocess.Popen(
                [*worker, "--stdio"], stdin=pipes.request_r, stdout=pipes.reply_w,
                stderr=pipes.output_w, cwd=cwd, env=env,
                # (out of the console's Ctrl-C: the grader ends its workers itself)
                creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
            ))
        return _Popen(subprocess.Popen(
            [*worker, *map(str, pipes.passed)], pass_fds=pipes.passed,
            stdin=subprocess.DEVNULL, stdout=pipes.output_w, stderr=pipes.output_w,
            cwd=cwd, env=env, start_new_session=True,
        ))

    def close(self) -> None:
        pass


class _Popen:
    out_of_memory = False  # (no memory cgroup without a container)

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.pid = proc.pid

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if hasattr(os, "killpg"):  # its process group; elsewhere (Windows) itself only
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, _SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait()


def _start_zygote(python: str, home: str) -> tuple[subprocess.Popen[bytes], socket.socket]:
    """A zygote process and the grader's end of its socket. The zygote imports numpy and
    the worker, then waits for its setup message (:class:`ZygoteLauncher`)."""
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        proc = subprocess.Popen(
            [python, "-I", "-m", "grader.sandbox.child.zygote", str(child.fileno())],
            pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=home, env=worker_env(home), start_new_session=True,
        )
    except BaseException:
        parent.close()
        raise
    finally:
        child.close()
    return proc, parent


# A zygote started ahead of need (prestart), by this process: (python, home, pid, started).
_spare: tuple[str, str, int, tuple[subprocess.Popen[bytes], socket.socket]] | None = None


def prestart(python: str = sys.executable, home: str = "/") -> None:
    """Start a zygote now, before it is needed: its interpreter and numpy load (~0.1 s)
    while this process reads the assignment. The first :class:`ZygoteLauncher` this
    process makes with the same ``python`` and ``home`` takes it; job processes forked
    from this one never do. Unused, it ends when this process exits."""
    global _spare
    if _spare is None and zygote_supported():
        with contextlib.suppress(OSError):
            _spare = (python, home, os.getpid(), _start_zygote(python, home))


def _take_spare(python: str, home: str
                ) -> tuple[subprocess.Popen[bytes], socket.socket] | None:
    """This process's prestarted zygote if it matches and still runs; else None (and any
    spare is ended, or forgotten by a forked process that does not own it)."""
    global _spare
    spare = _spare
    if spare is not None and spare[:3] == (python, home, os.getpid()) \
            and spare[3][0].poll() is None:
        _spare = None
        return spare[3]
    end_prestarted()
    return None


@atexit.register
def end_prestarted() -> None:
    """End this process's prestarted zygote, if it has one it will not use (before it forks
    job processes that start their own, say; and at exit)."""
    global _spare
    spare, _spare = _spare, None
    if spare is not None and spare[2] == os.getpid():
        proc, sock = spare[3]
        sock.close()
        proc.kill()
        proc.wait()


class ZygoteLauncher:
    """A warm fork server (:mod:`grader.sandbox.child.zygote`), with or without a container.

    ``container`` is the configuration of :func:`grader.sandbox.child.container.enter_container`
    (:class:`ContainerUnavailable` if it fails). Without one, ``kind`` names the level its
    workers get, and ``uid`` the slot's student uid, whose every process the zygote ends
    between workers (:mod:`grader.sandbox.child.leftovers`). A zygote serves one job slot."""

    def __init__(self, python: str = sys.executable, home: str = "/",
                 container: dict[str, Any] | None = None, kind: str = "limits",
                 uid: int | None = None) -> None:
        self.proc, self.sock = _take_spare(python, home) or _start_zygote(python, home)
        self.contained = container is not None
        self.kind = "full" if self.contained else kind
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._cond = threading.Condition()
        self._spawned: dict[int, dict[str, Any]] = {}
        self._exits: dict[int, int] = {}  # pid -> raw wait status
        self._abandoned: set[int] = set()
        self._closed = False
        try:
            self.sock.send(json.dumps({"container": container, "uid": uid}).encode())
            ready = json.loads(self.sock.recv(1 << 16) or b"{}")
        except (OSError, ValueError):
            ready = {}
        if "ready" not in ready:
            self.close()
            if "error" in ready:
                raise ContainerUnavailable(str(ready["error"]))
            raise OSError("the zygote did not start")
        self._reader = threading.Thread(target=self._read, name="grader-zygote", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self.sock, 1 << 16, 1)
            except OSError:
                data, fds = b"", []
            with self._cond:
                if not data:
                    for fd in fds:
                        os.close(fd)
                    self._closed = True
                    self._cond.notify_all()
                    return
                message = json.loads(data)
                if fds:  # a spawned worker's pidfd (grader.sandbox.child.zygote)
                    os.set_inheritable(fds[0], False)
                    message["pidfd"] = fds[0]
                if "exit" in message:
                    pid = int(message["exit"])
                    if pid in self._abandoned:
                        self._abandoned.discard(pid)  # killed and not waited for
                    else:
                        self._exits[pid] = int(message["status"])
                else:
                    self._spawned[int(message["id"])] = message
                self._cond.notify_all()

    def start(self, pipes: _Pipes, cwd: str, env: dict[str, str]) -> Process:
        kills = self.oom_kills()  # (before the fork: nothing the worker does is missed)
        request_id = next(self._ids)
        payload = json.dumps({"id": request_id, "cwd": cwd, "env": env}).encode()
        with self._lock:
            socket.send_fds(self.sock, [payload], [*pipes.passed, pipes.output_w])
        with self._cond:
            self._cond.wait_for(lambda: request_id in self._spawned or self._closed, 10.0)
            reply = self._spawned.pop(request_id, None)
        if reply is None or "pid" not in reply:
            if reply is not None and "pidfd" in reply:
                os.close(reply["pidfd"])
            raise OSError(f"the zygote could not fork a worker ({reply or 'no reply'})")
        return _Forked(int(reply["pid"]), self, reply.get("pidfd"), kills)

    def kill(self, pid: int) -> None:
        """Have the zygote kill worker ``pid`` and its process group, if still unreaped."""
        with self._lock, contextlib.suppress(OSError):
            self.sock.send(json.dumps({"kill": pid}).encode())

    def abandon(self, pid: int) -> None:
        """Forget a worker's exit status (it was killed; nobody will ask for it)."""
        with self._cond:
            if self._exits.pop(pid, None) is None:
                self._abandoned.add(pid)

    def status(self, pid: int, timeout: float | None) -> int | None:
        """Worker ``pid``'s raw wait status, once the zygote reports its end."""
        with self._cond:
            self._cond.wait_for(lambda: pid in self._exits or self._closed, timeout)
            return self._exits.pop(pid, None)

    @property
    def closed(self) -> bool:
        """The zygote is gone (or this launcher closed)."""
        return self._closed

    def oom_kills(self) -> int | None:
        """The memory kills of this zygote's container so far (None without one)."""
        return cgroup.oom_kills(self.proc.pid) if self.contained else None

    def close(self) -> None:
        with contextlib.suppress(OSError):  # (shutdown: the reader thread may be in recv)
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()
        # Told by the closed socket, the zygote kills what it still has (kill requests it
        # has yet to read included: the zygote's main, its finally) and exits; then or
        # after a moment, it is killed.
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=0.5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.kill()
        self.proc.wait()
        if self.contained:  # its memory cgroup, once its workers are gone (they die with it)
            for _ in range(500):
                if cgroup.remove_cgroup(self.proc.pid):
                    break
                time.sleep(0.001)


class _Forked:
    """A worker forked by the zygote: not our child, so its exit status comes from there.

    It is signalled through ``pidfd`` (from the zygote), which cannot reach another process
    once the pid is reused; its process group, through the zygote, which signals only
    workers it has not reaped."""

    def __init__(self, pid: int, zygote: ZygoteLauncher, pidfd: int | None = None,
                 oom_kills: int | None = None) -> None:
        self.pid = pid
        self.zygote = zygote
        self.pidfd = pidfd
        self.oom_kills = oom_kills  # the container's memory kills before it was forked
        self.code: int | None = None

    @property
    def out_of_memory(self) -> bool:
        """The container's memory cgroup killed a process since this worker was forked (one
        worker runs per container at a time: one of its own, or the zygote)."""
        now = self.zygote.oom_kills()
        return self.oom_kills is not None and now is not None and now > self.oom_kills

    def wait(self, timeout: float | None = None) -> int | None:
        if self.code is None:
            status = self.zygote.status(self.pid, timeout)
            if status is None and self.zygote.closed and self.out_of_memory:
                # The zygote itself was killed for memory (a student's program that undid
                # its score, where root lacks CAP_SYS_RESOURCE), and this worker with it.
                status = signal.SIGKILL  # (a raw wait status: killed by SIGKILL)
            if status is not None:
                try:
                    self.code = os.waitstatus_to_exitcode(status)
                except ValueError:  # a stop, not an end: never from a sound zygote
                    self.code = -signal.SIGKILL
                self._release()
        return self.code

    def kill(self) -> None:
        if self.code is not None or self.wait(timeout=0) is not None:
            return
        if self.pidfd is not None:  # at once, even if the zygote is gone or stopped
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        self.zygote.kill(self.pid)
        self._release()
        self.code = -signal.SIGKILL
        self.zygote.abandon(self.pid)

    def _release(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


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


def zygote_supported() -> bool:
    """Fork is safe and cheap only on Linux (macOS forks badly with threaded libraries)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") \
        and hasattr(socket, "send_fds") and passes_pipes()
