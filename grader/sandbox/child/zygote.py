"""The fork server ("zygote"): a warm process that forks student workers on request.

Started by :class:`grader.sandbox.zygotes.ZygoteLauncher` as ``python -I -m
grader.sandbox.child.zygote SOCKET_FD`` with the same allow-listed environment as a worker, BLAS
threads pinned to 1 before numpy is imported. It imports numpy and the worker once; each request
then costs a ``fork`` instead of a new interpreter. It holds no secrets: it never receives case
inputs, expected outputs or reference code, only the pipe ends of the worker it forks.

For full isolation the zygote first makes itself a container
(:func:`grader.sandbox.child.container.enter_container`), built once; each worker it forks then
isolates itself further before any student code runs. A container zygote serves one job slot,
one worker at a time: before each fork, and whenever a worker ends, everything else in the
workers' PID namespace is killed, so nothing a student started outlives the worker.

Protocol (AF_UNIX SOCK_SEQPACKET, one JSON object per message):
- grader -> zygote, first: ``{"container": config}`` (or ``null`` for no container);
- zygote -> grader: ``{"ready": pid}``, or ``{"error": why}`` if the container failed;
- grader -> zygote: ``{"id": n, "cwd": path, "env": {...}}`` with the worker's request,
  reply, wake-up and output pipe ends attached as ancillary data;
- grader -> zygote: ``{"kill": pid}``, to kill a worker (and its process group) that has
  not been reaped yet;
- zygote -> grader: ``{"id": n, "pid": pid}`` once forked, with a pidfd of the worker
  attached where the kernel has them (or ``{"id": n, "error": why}``, after which the
  zygote exits), and ``{"exit": pid, "status": s}`` (a raw wait status) when a worker
  ends.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import socket
import sys
import traceback
from collections.abc import Callable

# The point of the zygote: import once, fork many times. numpy 2 imports random and fft
# lazily, on first use: about 16 ms and 5 ms in every worker that uses them, so they are
# imported here too.
import numpy
import numpy.fft
import numpy.random  # noqa: F401

from grader.sandbox.child import container, leftovers, worker
from grader.sandbox.child.syscalls import SandboxError, die_with_parent, set_dumpable

_FDS = 4  # request, reply, wake-up and output pipes (grader.sandbox.launch._Pipes)
_POLL = 0.5  # a safety net: SIGCHLD normally wakes the loop at once


def _child(sock: socket.socket, request: dict[str, object], fds: list[int],
           wake: tuple[int, int]) -> None:
    """In the forked worker: wire up the pipes, drop the zygote's state, run the worker."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if container.in_container():
            set_dumpable(True)
        sock.close()
        for fd in wake:
            os.close(fd)
        *passed, output_fd = fds
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        for fd in (devnull, output_fd):
            if fd > 2:
                os.close(fd)
        low = 3
        for fd in sorted(passed):
            os.closerange(low, fd)
            low = fd + 1
        os.closerange(low, 1 << 16)
        os.chdir(str(request["cwd"]))
        env = request["env"]
        env = {str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else {}
        # Only what differs: rebuilding the whole environment costs a worker ~0.6 ms.
        for key in [k for k in os.environ if k not in env]:
            del os.environ[key]
        for key, value in env.items():
            if os.environ.get(key) != value:
                os.environ[key] = value
        code = worker.main(["worker", *map(str, passed)])
    except BaseException:  # never fall back into the zygote's loop
        with contextlib.suppress(BaseException):
            traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(code)


def _send(sock: socket.socket, message: dict[str, object]) -> None:
    sock.send(json.dumps(message).encode())


def main(argv: list[str]) -> int:
    sock = socket.socket(fileno=int(argv[1]))
    die_with_parent()
    setup = json.loads(sock.recv(1 << 16) or b"{}")
    config = setup.get("container")
    if config:
        try:
            container.enter_container(config, close_in_reaper=(sock.fileno(),))
        except (SandboxError, OSError) as exc:
            _send(sock, {"error": str(exc)})
            return 3

        def clear_container(_workers: set[int]) -> None:
            container.clear_container()

        clear: Callable[[set[int]], None] = clear_container
    else:
        # Outside a container, what a worker leaves behind is reparented to this process
        # (a subreaper) and ended here; with a uid of the slot's own, everything of that uid.
        uid = setup.get("uid")
        clear = leftovers.Leftovers(uid if isinstance(uid, int) else None).clear
    # SIGCHLD wakes the loop through this pipe, so exits are reported at once.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    # Forked workers share this process's memory until they write to it; a garbage
    # collection in a worker would touch (and so copy) every object page. Frozen objects
    # are never collected.
    gc.collect()
    gc.freeze()
    children: set[int] = set()
    dirty = False  # a worker has run since the container was last cleared
    _send(sock, {"ready": os.getpid()})
    try:
        while True:
            readable, _, _ = select.select([sock.fileno(), wake_r], [], [],
                                           _POLL if children else None)
            if wake_r in readable:
                with contextlib.suppress(OSError):
                    os.read(wake_r, 4096)
            if _reap(sock, children, clear):
                dirty = False
            if sock.fileno() not in readable:
                continue
            message, fds, _, _ = socket.recv_fds(sock, 1 << 16, _FDS)
            if not message:
                return 0
            request = json.loads(message)
            if "kill" in request:
                for fd in fds:
                    os.close(fd)
                _kill(request["kill"], children)
                continue
            if len(fds) != _FDS:
                for fd in fds:
                    os.close(fd)
                _send(sock, {"id": request.get("id"), "error": f"expected {_FDS} fds"})
                continue
            try:
                if children or dirty:  # nothing of an earlier worker meets the next one
                    _kill_all(children)
                    clear(children)
                    # The killed workers' exits, so that their pids are free again and the
                    # next worker's pid says nothing about them (container._restart_pids).
                    _reap(sock, children, clear)
            except SandboxError as exc:
                _send(sock, {"id": request.get("id"), "error": str(exc)})
                return 4
            dirty = True
            pid = os.fork()
            if pid == 0:
                _child(sock, request, fds, (wake_r, wake_w))
            for fd in fds:
                os.close(fd)
            children.add(pid)
            # With a descriptor of the worker, taken before it can be reaped: the grader
            # signals it through that, never by a pid that may be reused.
            try:
                handle = [os.pidfd_open(pid)]
            except (OSError, AttributeError):
                handle = []
            try:
                socket.send_fds(sock, [json.dumps({"id": request.get("id"),
                                                   "pid": pid}).encode()], handle)
            finally:
                for fd in handle:
                    os.close(fd)
    finally:
        _kill_all(children)
        with contextlib.suppress(SandboxError):
            clear(children)


def _kill_all(children: set[int]) -> None:
    for pid in children:
        _kill(pid, children)


def _kill(pid: object, children: set[int]) -> None:
    """Kill a worker and its process group, if it has not been reaped yet: until then its
    pid (and its group's id) cannot be anyone else's."""
    if isinstance(pid, int) and pid in children:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _reap(sock: socket.socket, children: set[int], clear: Callable[[set[int]], None]
          ) -> bool:
    """Collect ended workers and report their exits at once. A worker's end also ends its
    process group, while its unreaped exit still holds the group's id (so the id cannot
    belong to anyone else yet); in a container, the last one's end also ends whatever it
    started. True if the container is now known to be clear.

    Once reaped, a worker's pid is never signalled again (the grader's kills go through
    :func:`_kill`), since the pid is free to be reused."""
    cleared = False
    while True:
        try:
            ended = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return cleared
        if ended is not None and ended.si_pid in children:
            with contextlib.suppress(OSError):
                os.killpg(ended.si_pid, signal.SIGKILL)  # (the worker itself has ended)
        try:
            pid, status = os.waitpid(ended.si_pid if ended is not None else -1, os.WNOHANG)
        except ChildProcessError:
            return cleared
        if pid == 0:
            return cleared
        if not (os.WIFEXITED(status) or os.WIFSIGNALED(status)):
            # A stop: a worker that made this process its tracer (PTRACE_TRACEME) reports
            # its stops here. It has not ended: end it, and report that end when it comes.
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            continue
        if pid in children:
            children.discard(pid)
            _send(sock, {"exit": pid, "status": status})
            if not children:  # (a newer worker: the fork that made it cleared the rest)
                try:
                    clear(children)
                    cleared = True
                except SandboxError:  # the next fork will say so
                    pass


if __name__ == "__main__":
    os._exit(main(sys.argv))  # (nothing to flush: no output; and no slow interpreter exit)
