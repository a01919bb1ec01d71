"""The Linux system calls behind isolation, made through ``ctypes``: ``prctl``, ``unshare``,
``mount``, ``pivot_root`` and user-namespace maps, each raising :class:`SandboxError` that
names the step that failed.

Standard library only: it runs in the zygote and the worker (and the grader's job processes
use :func:`die_with_parent`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import platform
import signal
import sys
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MNT_DETACH = 0x2


class SandboxError(Exception):
    """Isolation could not be set up; the message says which step failed and why."""


_libc: Any = None


def libc() -> Any:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    return _libc


def check(what: str, fn: Callable[..., int], *args: Any) -> None:
    """Call a libc function that returns 0 on success; SandboxError saying ``what`` if not."""
    if fn(*args) != 0:
        err = ctypes.get_errno()
        raise SandboxError(f"{what}: {os.strerror(err)}")


def prctl(option: int, value: int, what: str = "prctl") -> None:
    check(what, libc().prctl, ctypes.c_int(option), ctypes.c_ulong(value), ctypes.c_ulong(0),
          ctypes.c_ulong(0), ctypes.c_ulong(0))


def write_file(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (best effort)."""
    if sys.platform.startswith("linux") and hasattr(signal, "SIGKILL"):
        with contextlib.suppress(SandboxError):
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def set_dumpable(on: bool) -> None:
    """Whether processes of the same uid may ptrace this one (and own its /proc files)."""
    prctl(PR_SET_DUMPABLE, int(on))


_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41}


def unshare(flags: int, what: str = "unshare") -> None:
    check(what, libc().unshare, ctypes.c_int(flags))


def mount(source: str | None, target: str, fstype: str | None, flags: int,
          data: str | None = None) -> None:
    def enc(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    check(f"mount {target}", libc().mount, enc(source), enc(target), enc(fstype),
          ctypes.c_ulong(flags), enc(data))


def umount(target: str, what: str) -> None:
    check(what, libc().umount2, target.encode(), ctypes.c_int(MNT_DETACH))


def pivot_root(new_root: str, put_old: str) -> None:
    lib = libc()
    if hasattr(lib, "pivot_root"):
        check("pivot_root", lib.pivot_root, new_root.encode(), put_old.encode())
        return
    number = _SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise SandboxError(f"pivot_root: unknown syscall number on {platform.machine()}")
    check("pivot_root", lib.syscall, ctypes.c_long(number), new_root.encode(), put_old.encode())


def map_root(uid: int, gid: int) -> None:
    """In a new user namespace: be its root, standing for ``uid``/``gid`` outside."""
    write_file("/proc/self/setgroups", "deny")
    write_file("/proc/self/uid_map", f"0 {uid} 1")
    write_file("/proc/self/gid_map", f"0 {gid} 1")
