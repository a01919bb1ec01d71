"""The warm fork server from the grader's side: :class:`ZygoteLauncher` starts a zygote
(:mod:`grader.sandbox.child.zygote`), which imports numpy once and then forks each worker
(about 1.5 ms here); for full isolation the zygote is also the container its workers run
in. :func:`prestart` starts one ahead of need. Linux only (:func:`zygote_supported`):
elsewhere :class:`grader.sandbox.launch.SpawnLauncher` starts a fresh interpreter per worker.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from grader.sandbox.child import cgroup
from grader.sandbox.launch import ContainerUnavailable, Process, _Pipes, passes_pipes, worker_env


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


def zygote_supported() -> bool:
    """Fork is safe and cheap only on Linux (macOS forks badly with threaded libraries)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") \
        and hasattr(socket, "send_fds") and passes_pipes()
