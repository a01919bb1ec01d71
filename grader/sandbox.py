"""Isolation of the student process, applied by the worker before any student code runs.

Two levels, chosen by the grader and reported back by the worker:

``full`` (Linux, as root or where unprivileged user namespaces are allowed)
    New mount, PID, network, IPC and UTS namespaces. The process sees a fresh read-only root
    holding only the system libraries, the Python installation, the grader's own package,
    the public builders and a copy of the submission, plus a small ``tmpfs`` scratch folder.
    No network. Student code runs as PID 2 under a tiny init (PID 1); when it ends, the
    kernel kills everything left in the namespace, double-forked or ``setsid`` daemons
    included. As root it also drops to an unprivileged uid, so ``RLIMIT_NPROC`` binds.

``limits`` (everywhere else)
    Resource limits only: address space, CPU time, file size, open files, processes.

Resource limits apply at both levels. This module uses only the standard library, because
it runs in the student's process (imported by :mod:`grader.worker`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import platform
import resource
import signal
import struct
import sys
from collections.abc import Callable
from typing import Any

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

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41}
_DEVICES = ("null", "zero", "random", "urandom")


class SandboxError(Exception):
    """Isolation could not be set up; the message says which step failed and why."""


_libc: Any = None


def _lib() -> Any:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    return _libc


def _call(what: str, fn: Callable[..., int], *args: Any) -> None:
    if fn(*args) != 0:
        err = ctypes.get_errno()
        raise SandboxError(f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    def enc(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    _call(f"mount {target}", _lib().mount, enc(source), enc(target), enc(fstype),
          ctypes.c_ulong(flags), enc(data))


def _pivot_root(new_root: str, put_old: str) -> None:
    lib = _lib()
    if hasattr(lib, "pivot_root"):
        _call("pivot_root", lib.pivot_root, new_root.encode(), put_old.encode())
        return
    number = _SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise SandboxError(f"pivot_root: unknown syscall number on {platform.machine()}")
    _call("pivot_root", lib.syscall, ctypes.c_long(number), new_root.encode(), put_old.encode())


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (best effort)."""
    if sys.platform.startswith("linux"):
        _lib().prctl(ctypes.c_int(PR_SET_PDEATHSIG), ctypes.c_ulong(signal.SIGKILL),
                     ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


# --- limits ---------------------------------------------------------------------------------

def apply_limits(limits: dict[str, int]) -> None:
    """Set resource limits on this process (inherited by anything it starts)."""
    table = {
        "memory": resource.RLIMIT_AS,
        "fsize": resource.RLIMIT_FSIZE,
        "nofile": resource.RLIMIT_NOFILE,
        "nproc": resource.RLIMIT_NPROC,
    }
    for key, which in table.items():
        if key in limits:
            value = int(limits[key])
            _, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value))
    if "cpu" in limits:
        # SIGXCPU at the soft limit, SIGKILL at the hard one: a loop that ignores SIGXCPU
        # still dies.
        cpu = int(limits["cpu"])
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# --- namespaces -----------------------------------------------------------------------------

def _enter_namespaces() -> bool:
    """Unshare namespaces; returns True when a user namespace was needed (not root)."""
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    if os.geteuid() == 0:
        _call("unshare", _lib().unshare, ctypes.c_int(flags))
        return False
    uid, gid = os.geteuid(), os.getegid()
    _call("unshare (user namespace)", _lib().unshare, ctypes.c_int(flags | CLONE_NEWUSER))
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"0 {uid} 1")
    _write("/proc/self/gid_map", f"0 {gid} 1")
    return True


def _build_root(cfg: dict[str, Any], uid: int, gid: int) -> None:
    """Mount a fresh root with read-only views of the allowed paths, then pivot into it."""
    root = cfg["root"]
    size = int(cfg.get("scratch_bytes", 64 << 20))
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=755")
    # /tmp is the student's writable scratch space, a size-capped tmpfs that vanishes with
    # the namespace; the scratch folder (the working directory) lives inside it when it can.
    os.makedirs(root + "/tmp")
    _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    scratch = root + cfg["scratch"]
    if cfg["scratch"].startswith("/tmp/"):
        os.makedirs(scratch, exist_ok=True)
        os.chown(scratch, uid, gid)
        os.chmod(scratch, 0o700)
    else:
        os.makedirs(scratch, exist_ok=True)
        _mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={size},mode=700,uid={uid},gid={gid}")
    for path in cfg["links"]:
        target = root + path
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(os.readlink(path), target)
    for path in cfg["read_only"]:
        target = root + path
        os.makedirs(target, exist_ok=True)
        _mount(path, target, None, MS_BIND | MS_REC)
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for name in _DEVICES:
        target = f"{root}/dev/{name}"
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "w").close()
        _mount(f"/dev/{name}", target, None, MS_BIND)
    # multiprocessing needs POSIX shared memory and semaphores: a small private /dev/shm.
    os.makedirs(root + "/dev/shm")
    _mount("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
           "size=16m,mode=1777")
    os.makedirs(root + "/proc", exist_ok=True)
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.chdir(root)
    _pivot_root(".", ".")
    _call("umount old root", _lib().umount2, b".", ctypes.c_int(MNT_DETACH))
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _drop_privileges(uid: int, gid: int) -> None:
    if os.geteuid() == 0 and uid != 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    _call("no_new_privs", _lib().prctl, ctypes.c_int(PR_SET_NO_NEW_PRIVS), ctypes.c_ulong(1),
          ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def _reraise_status(status: int) -> None:
    """Leave this process the way the student process left: same exit code or signal."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):  # SIGKILL/SIGSTOP have no handler
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def isolate(cfg: dict[str, Any], keep_fds: tuple[int, ...],
            report: Callable[[str], None]) -> None:
    """Enter full isolation. Returns only in the student process (PID 2 of a new namespace).

    The calling process stays outside as a relay: it waits for the namespace's init and
    exits the way the student process did. ``keep_fds`` (the message pipes) are closed in
    the relay and the init, so the grader sees end-of-file as soon as the student process
    ends. A failure before the namespaces exist raises :class:`SandboxError`; a failure
    inside them is passed to ``report`` and ends the process, so student code never runs
    half-isolated.
    """
    in_userns = _enter_namespaces()
    uid = 0 if in_userns else int(cfg["uid"])
    gid = 0 if in_userns else int(cfg["gid"])
    status_r, status_w = os.pipe()
    init = os.fork()
    if init:
        os.close(status_w)
        for fd in keep_fds:
            os.close(fd)
        _, status = os.waitpid(init, 0)
        data = os.read(status_r, 4)
        _reraise_status(struct.unpack("i", data)[0] if len(data) == 4 else status)
    # PID 1 of the new namespace.
    os.close(status_r)
    _call("prctl", _lib().prctl, ctypes.c_int(PR_SET_PDEATHSIG), ctypes.c_ulong(signal.SIGKILL),
          ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    # (getppid() is 0 here: the relay is outside the new PID namespace.)
    try:
        _build_root(cfg, uid, gid)
    except BaseException as exc:
        report(f"{exc}")
        os._exit(3)
    student = os.fork()
    if student == 0:
        os.close(status_w)
        try:
            os.chdir(cfg["scratch"])
            _drop_privileges(uid, gid)
        except BaseException as exc:
            report(f"{exc}")
            os._exit(3)
        return
    for fd in keep_fds:
        os.close(fd)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(1)
        if pid == student:
            os.write(status_w, struct.pack("i", status))
            os._exit(0)


def probe_reason() -> str | None:
    """Why full isolation cannot work on this platform, or None if it may."""
    if not sys.platform.startswith("linux"):
        return f"namespaces are Linux-only (this is {sys.platform})"
    return None
