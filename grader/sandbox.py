"""Isolation of the student process. This module runs on the student's side of the boundary.

Two levels, chosen by the grader and reported back by the worker:

``full`` (Linux, as root or where unprivileged user namespaces are allowed)
    The zygote that forks the workers first makes itself a *container*
    (:func:`enter_container`): new mount, PID, network and UTS namespaces, with the zygote as
    PID 1 and a fresh read-only root holding only the system libraries, the Python
    installation, the grader's own package and the public builders. No network. Each worker
    it forks then takes, before any student code runs (:func:`enter_student`), its own mount
    and IPC namespaces, a size-capped ``tmpfs`` at ``/tmp`` (its working folder is
    ``/tmp/work``), a private ``/dev/shm`` and ``/proc``, and a read-only view of its own
    submission at ``/submission``; as root it drops to an unprivileged uid, so
    ``RLIMIT_NPROC`` binds. When a worker ends, the zygote kills everything else in its PID
    namespace, so double-forked or ``setsid`` daemons do not outlive it. Building the root
    once per zygote, not once per worker, is what makes a worker cost one ``fork``.

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
PR_SET_DUMPABLE = 4
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

INBOX = "/.inbox"  # where a container sees the grader's workspace (the submissions' copies)
SUBMISSION = "/submission"  # where a worker sees its own submission, read-only
SCRATCH = "/tmp/work"  # a worker's working folder, HOME and TMPDIR
_TMP_BINDS = "/.tmp-binds"
_MOUNTPOINTS = ("/tmp", "/proc", "/dev/shm", SUBMISSION, INBOX, _TMP_BINDS)

_container: dict[str, Any] | None = None  # set in a zygote that made itself a container


def _enter_namespaces(flags: int) -> bool:
    """Unshare namespaces; returns True when a user namespace was needed (not root)."""
    if os.geteuid() == 0:
        _call("unshare", _lib().unshare, ctypes.c_int(flags))
        return False
    uid, gid = os.geteuid(), os.getegid()
    _call("unshare (user namespace)", _lib().unshare, ctypes.c_int(flags | CLONE_NEWUSER))
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"0 {uid} 1")
    _write("/proc/self/gid_map", f"0 {gid} 1")
    return True


def enter_container(cfg: dict[str, Any], close_in_relay: tuple[int, ...]) -> None:
    """Make the calling process (the zygote) PID 1 of a container with a read-only root.

    Returns only in PID 1 of the new PID namespace. The calling process stays outside as a
    relay: it closes ``close_in_relay``, waits for PID 1 and exits the way it did. Raises
    :class:`SandboxError` saying which step failed.

    ``cfg``: ``root`` (an empty host folder to mount the new root on), ``read_only`` (host
    folders to show read-only at the same paths), ``links`` (symbolic links to recreate)
    and ``inbox`` (the grader's workspace, shown read-only at :data:`INBOX`).
    """
    global _container
    in_userns = _enter_namespaces(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS)
    pid1 = os.fork()
    if pid1:
        for fd in close_in_relay:
            os.close(fd)
        _, status = os.waitpid(pid1, 0)
        _reraise_status(status)
    # PID 1: the kernel kills everything in the namespace when this process ends.
    die_with_parent()
    # Workers may run as this process's own uid (a user namespace): they must not be able
    # to ptrace it, nor interrupt it.
    _call("prctl", _lib().prctl, ctypes.c_int(PR_SET_DUMPABLE), ctypes.c_ulong(0),
          ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        under_tmp = _build_root(cfg)
    except OSError as exc:
        raise SandboxError(f"building the read-only root: {exc}") from None
    _container = {"userns": in_userns, "under_tmp": under_tmp}


def _build_root(cfg: dict[str, Any]) -> list[tuple[str, str]]:
    """Mount a fresh root with read-only views of the allowed paths, then pivot into it.

    Returns the allowed paths under /tmp, as (where they are staged, their path): a worker's
    own /tmp would hide them."""
    root = cfg["root"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=755")
    for path in cfg["links"]:
        target = root + path
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(os.readlink(path), target)
    # Each worker mounts its own /tmp, which would hide these: they are bound again inside.
    under_tmp: list[tuple[str, str]] = []
    for path in cfg["read_only"]:
        if path.startswith("/tmp/"):
            under_tmp.append((f"{_TMP_BINDS}/{len(under_tmp)}", path))
            _bind_read_only(path, root + under_tmp[-1][0], recursive=True)
        else:
            _bind_read_only(path, root + path, recursive=True)
    for name in _DEVICES:
        target = f"{root}/dev/{name}"
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "w").close()
        _mount(f"/dev/{name}", target, None, MS_BIND)
    for path in _MOUNTPOINTS:
        os.makedirs(root + path, exist_ok=True)
    _bind_read_only(cfg["inbox"], root + INBOX)
    os.chdir(root)
    _pivot_root(".", ".")
    _call("umount old root", _lib().umount2, b".", ctypes.c_int(MNT_DETACH))
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    return under_tmp


def _bind_read_only(source: str, target: str, recursive: bool = False) -> None:
    os.makedirs(target, exist_ok=True)
    _mount(source, target, None, MS_BIND | (MS_REC if recursive else 0))
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def enter_student(cfg: dict[str, Any]) -> None:
    """Isolate a worker forked by a container zygote, before any student code runs.

    ``cfg``: ``run`` (the submission's folder in the grader's workspace; its ``submission``
    folder appears read-only at :data:`SUBMISSION`), ``scratch_bytes`` (size of ``/tmp``),
    ``uid`` and ``gid`` (to run as, when the grader is root).
    """
    if _container is None:
        raise SandboxError("full isolation needs a worker forked by a container zygote")
    uid = 0 if _container["userns"] else int(cfg["uid"])
    gid = 0 if _container["userns"] else int(cfg["gid"])
    run = str(cfg["run"])
    if not run or "/" in run or run.startswith("."):
        raise SandboxError(f"invalid run folder {run!r}")
    _call("unshare", _lib().unshare, ctypes.c_int(CLONE_NEWNS | CLONE_NEWIPC))
    size = int(cfg.get("scratch_bytes", 64 << 20))
    # /tmp is the student's writable space, a size-capped tmpfs that vanishes with the
    # worker; /tmp/work is its working folder.
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    os.mkdir(SCRATCH, 0o700)
    os.chown(SCRATCH, uid, gid)
    for staged, path in _container["under_tmp"]:
        _bind_read_only(staged, path)
    # multiprocessing needs POSIX shared memory and semaphores: a small private /dev/shm.
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16m,mode=1777")
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _bind_read_only(f"{INBOX}/{run}/submission", SUBMISSION)
    _call("umount inbox", _lib().umount2, INBOX.encode(), ctypes.c_int(MNT_DETACH))
    os.chdir(SCRATCH)
    if _container["userns"]:
        # Without root there is no other uid to drop to; instead a nested user namespace
        # leaves this process no capability over the mounts above (they become locked).
        _call("unshare (nested user namespace)", _lib().unshare, ctypes.c_int(CLONE_NEWUSER))
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", "0 0 1")
        _write("/proc/self/gid_map", "0 0 1")
    _drop_privileges(uid, gid)


def clear_container() -> None:
    """In a container's PID 1: kill every other process in it (all belong to its workers)."""
    if _container is not None and os.getpid() == 1:
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)


def set_dumpable() -> None:
    """Undo, in a forked worker, the container's PR_SET_DUMPABLE 0 (a worker's own /proc
    files stay its own; dropping to another uid makes it undumpable anyway)."""
    _lib().prctl(ctypes.c_int(PR_SET_DUMPABLE), ctypes.c_ulong(1), ctypes.c_ulong(0),
                 ctypes.c_ulong(0), ctypes.c_ulong(0))


def in_container() -> bool:
    return _container is not None


def _drop_privileges(uid: int, gid: int) -> None:
    if os.geteuid() == 0 and uid != 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    _call("no_new_privs", _lib().prctl, ctypes.c_int(PR_SET_NO_NEW_PRIVS), ctypes.c_ulong(1),
          ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def _reraise_status(status: int) -> None:
    """Leave this process the way the waited-for process left: same exit code or signal."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):  # SIGKILL/SIGSTOP have no handler
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def probe_reason() -> str | None:
    """Why full isolation cannot work on this platform, or None if it may."""
    if not sys.platform.startswith("linux"):
        return f"namespaces are Linux-only (this is {sys.platform})"
    return None
