"""Ending what a student's worker left behind, outside a container (the confined and
limits levels): daemons, double forks, ``setsid`` sessions.

A zygote outside a container makes itself a *child subreaper*: whatever a worker starts is
reparented to the zygote when its own parent ends, instead of escaping to the machine's init.
Before each worker starts and when one ends, :meth:`Leftovers.clear` kills every child the
zygote has besides its workers (so their children come to it in turn) until none is left.
Where the slot has a uid of its own, a helper process first takes that uid and kills every
process of it at once (``kill(-1, SIGKILL)``: the kernel delivers it under one lock, so a
fork bomb cannot outrun it), which also ends what an earlier, crashed grader left.

Standard library only: it runs in the zygote.
"""

from __future__ import annotations

import contextlib
import os
import signal

from grader.sandbox.child.syscalls import SandboxError, prctl

PR_SET_CHILD_SUBREAPER = 36
_ROUNDS = 1000  # kill-and-reap rounds before giving up on a tree that keeps growing


class Leftovers:
    """The zygote's side: ``uid`` is the slot's student uid, or None (the grader's own)."""

    def __init__(self, uid: int | None) -> None:
        self.uid = uid
        prctl(PR_SET_CHILD_SUBREAPER, 1, "becoming a subreaper")

    def clear(self, workers: set[int]) -> None:
        """End every process a worker left: all of the slot's uid, and every child of this
        zygote but ``workers`` (killed by the caller; their exits are reported there).
        Raises :class:`SandboxError` if something is still there after many rounds."""
        if self.uid is not None:
            _kill_uid(self.uid)
        for _ in range(_ROUNDS):
            left = [pid for pid in _children() if pid not in workers]
            if not left:
                return
            for pid in left:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            for pid in left:  # (their children come to this process as they end)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
        raise SandboxError("a student's processes could not all be ended")


def _children() -> list[int]:
    """This process's children (reparented orphans included), from /proc."""
    pid = os.getpid()
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(p) for p in f.read().split()]
    except OSError:  # (a kernel without CONFIG_PROC_CHILDREN: scan every process)
        return _children_by_scan(pid)


def _children_by_scan(parent: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == parent:
                    found.append(int(name))
    return found


def _kill_uid(uid: int) -> None:
    """Kill every process of ``uid``, from a helper that takes that uid (only a process of
    that uid, or one that may signal anything, can; and ``kill(-1)`` spares the caller)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            with contextlib.suppress(ProcessLookupError):  # (none left: nothing to do)
                os.kill(-1, signal.SIGKILL)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise SandboxError(f"ending the processes of uid {uid} failed")
