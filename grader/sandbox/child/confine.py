"""What every student process gets, at either isolation level.

Two levels, chosen by the grader (:mod:`grader.sandbox.policy`) and reported back by the worker:

``full`` (Linux, as root or where unprivileged user namespaces are allowed)
    The worker is forked into a container (:mod:`grader.sandbox.child.container`): its own
    namespaces, a read-only root, a PID namespace without any grader process, and a memory
    cgroup. It also gets everything below, and, as root, drops to an unprivileged uid so
    that ``RLIMIT_NPROC`` binds.

``limits`` (everywhere else)
    Resource limits only: address space, CPU time, file size, open files, processes.

At both levels: resource limits, an empty session keyring, and the first place in line for
the kernel's out-of-memory killer. Under full isolation also a seccomp filter
(:func:`deny_calls`) and ``no_new_privs``. This module uses only the standard library,
because it runs in the student's process (imported by :mod:`grader.sandbox.child.worker`).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import platform
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from grader.sandbox.child.syscalls import (
    PR_SET_DUMPABLE,
    PR_SET_NO_NEW_PRIVS,
    PR_SET_SECCOMP,
    SECCOMP_MODE_FILTER,
    check,
    libc,
    prctl,
    write_file,
)


def first_to_die() -> None:
    """Make this process (and what it starts) the first the kernel's out-of-memory killer
    picks, before the grader or anything else on the machine. Before dropping to another
    uid: afterwards /proc/self is no longer this process's to write."""
    with contextlib.suppress(OSError):
        write_file("/proc/self/oom_score_adj", "1000")


def _resource_module() -> ModuleType | None:
    """The ``resource`` module, where the platform has one (not Windows)."""
    try:
        import resource
    except ImportError:
        return None
    return resource


def apply_limits(limits: dict[str, int]) -> list[str]:
    """Set resource limits on this process (inherited by anything it starts). The limits
    not set are returned: all of them where there is no ``resource`` module (Windows), and
    those the system refuses outside Linux (macOS ignores some and refuses others); on
    Linux a refusal raises."""
    resource = _resource_module()
    if resource is None:
        return sorted(limits)
    strict = sys.platform.startswith("linux")
    missing: list[str] = []

    def attempt(key: str, apply: Callable[[], None]) -> None:
        try:
            apply()
        except (ValueError, OSError):
            if strict:
                raise
            missing.append(key)

    def cap(which: int, value: int) -> None:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    def cpu(seconds: int) -> None:
        # SIGXCPU at the soft limit, SIGKILL at the hard one: a loop that ignores SIGXCPU
        # still dies.
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard != resource.RLIM_INFINITY:
            seconds = min(seconds, max(hard - 1, 0))
            resource.setrlimit(resource.RLIMIT_CPU, (seconds, min(seconds + 1, hard)))
        else:
            resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))

    table = {"memory": resource.RLIMIT_AS, "fsize": resource.RLIMIT_FSIZE,
             "nofile": resource.RLIMIT_NOFILE, "nproc": resource.RLIMIT_NPROC}
    for key, which in table.items():
        if key in limits:
            attempt(key, functools.partial(cap, which, int(limits[key])))
    if "cpu" in limits:
        attempt("cpu", functools.partial(cpu, int(limits["cpu"])))
    attempt("core", functools.partial(resource.setrlimit, resource.RLIMIT_CORE, (0, 0)))
    return missing


_SYS_KEYCTL = {"x86_64": 250, "aarch64": 219, "arm64": 219}
KEYCTL_JOIN_SESSION_KEYRING = 1


def new_session_keyring() -> bool:
    """Leave the grader's session keyring (inherited, readable by whoever holds it) for a new,
    empty one. False if that failed. Where keyrings do not exist (ENOSYS), or an outer
    seccomp profile refuses them (EPERM, as Docker's default does), there is nothing to
    leave: the student cannot reach them either."""
    number = _SYS_KEYCTL.get(platform.machine())
    if number is not None and sys.platform.startswith("linux"):
        rc = libc().syscall(ctypes.c_long(number), ctypes.c_int(KEYCTL_JOIN_SESSION_KEYRING),
                            ctypes.c_void_p(None))
        return rc >= 0 or ctypes.get_errno() in (errno.ENOSYS, errno.EPERM)
    return True


# Per machine: the audit architecture, the calls refused outright (add_key, request_key,
# keyctl; inotify_init, inotify_init1, inotify_add_watch, fanotify_init, fanotify_mark;
# io_uring_setup), socket and prctl.
_DENIED_CALLS = {"x86_64": (0xC000003E, (248, 249, 250, 253, 294, 254, 300, 301, 425), 41, 157),
                 "aarch64": (0xC00000B7, (217, 218, 219, 26, 27, 262, 263, 425), 198, 167)}
_AF_UNIX = 1


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


# Per machine: what the confined level refuses besides deny_calls' own, where no namespace
# contains it: System V IPC and POSIX message queues (their objects outlive the worker, hold
# memory nothing frees, and would be a channel between students).
_CONFINED_CALLS: dict[str, tuple[int, ...]] = {
    "x86_64": (29, 30, 31, 64, 65, 66, 67, 68, 69, 70, 71, 220, 240),
    "aarch64": (180, 186, 187, 188, 189, 190, 191, 192, 193, 194, 195, 196, 197),
}
# And, for a worker without a uid of its own, the calls that change a file's mode, owner,
# times or extended attributes: Landlock does not govern them, and such a worker owns the
# grader's files (chmod, fchmod, fchmodat, fchmodat2, the chown family, utime, utimes,
# futimesat, utimensat, the setxattr and removexattr families, setxattrat, removexattrat).
_METADATA_CALLS = {
    "x86_64": (90, 91, 268, 452, 92, 93, 94, 260, 132, 235, 261, 280, 188, 189, 190, 197,
               198, 199, 463, 466),
    "aarch64": (52, 53, 452, 54, 55, 88, 5, 6, 7, 14, 15, 16, 463, 466),
}


def deny_calls(also: tuple[int, ...] = ()) -> None:
    """A seccomp filter for a student's processes. These fail:

    - add_key, request_key and keyctl (EPERM). Keyrings are not namespaced: a worker running
      as the grader's uid could otherwise link the grader's user keyring (_uid.N, all
      permissions to its uid) into its own, read or clear it, or fill the uid's key quota;
    - prctl(PR_SET_DUMPABLE) (EPERM). A dumpable process owns its /proc files, and could then
      undo its out-of-memory score of 1000 (where the grader lacks CAP_SYS_RESOURCE, nothing
      else stops it), making the zygote the memory killer's first pick;
    - socket() of any family but AF_UNIX (ENETUNREACH: there is no network anyway). The
      workers of a container share its network namespace, whose counters (``/proc/net/snmp``:
      a failed send counts as ``OutNoRoutes``) would carry a number from one submission to
      the next;
    - io_uring_setup (EPERM): its operations (sockets among them) bypass this filter;
    - inotify and fanotify (EPERM): a watch on a file every worker can read (under ``/usr``,
      shared by every container's read-only view) sees the opens of another student's
      worker, running at the same time: a channel that could carry hidden inputs from one
      student to another's public messages;
    - any non-native system call (x32, or another architecture's numbering);
    - the calls numbered in ``also`` (EPERM).

    Needs no_new_privs."""
    machine = _DENIED_CALLS.get(platform.machine())
    if machine is None or not sys.platform.startswith("linux"):
        return
    arch, refused, socket_call, prctl_call = machine
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, JGE|K, BPF_RET
    # (op, jump if true, jump if false, k); a str jump names one of the blocks below.
    ops: list[tuple[int, int | str, int | str, int]] = [
        (ld, 0, 0, 4),  # seccomp_data.arch
        (jeq, 0, "EPERM", arch),
        (ld, 0, 0, 0),  # seccomp_data.nr
    ]
    if platform.machine() == "x86_64":  # x32 numbers have bit 30 set
        ops.append((jge, "EPERM", 0, 0x40000000))
    ops += [(jeq, "EPERM", 0, number) for number in (*refused, *also)]
    ops += [(jeq, "SOCKET", 0, socket_call), (jeq, "PRCTL", "ALLOW", prctl_call)]
    blocks: dict[str, list[tuple[int, int | str, int | str, int]]] = {
        # The low word of seccomp_data.args[0]: prctl's option, socket's family (ints).
        "PRCTL": [(ld, 0, 0, 16), (jeq, "EPERM", "ALLOW", PR_SET_DUMPABLE)],
        "SOCKET": [(ld, 0, 0, 16), (jeq, "ALLOW", "UNREACHABLE", _AF_UNIX)],
        "ALLOW": [(ret, 0, 0, 0x7FFF0000)],
        "EPERM": [(ret, 0, 0, 0x00050000 | errno.EPERM)],
        "UNREACHABLE": [(ret, 0, 0, 0x00050000 | errno.ENETUNREACH)],
    }
    targets = {}
    for name, block in blocks.items():
        targets[name] = len(ops)
        ops += block

    def offset(at: int, jump: int | str) -> int:
        return jump if isinstance(jump, int) else targets[jump] - at - 1

    prog = [(op, offset(i, jt), offset(i, jf), k) for i, (op, jt, jf, k) in enumerate(ops)]
    filters = (_SockFilter * len(prog))(*[_SockFilter(*op) for op in prog])
    fprog = _SockFprog(len(prog), filters)
    check("seccomp", libc().prctl, ctypes.c_int(PR_SET_SECCOMP),
          ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(fprog), ctypes.c_ulong(0),
          ctypes.c_ulong(0))


_PR_CAPBSET_DROP = 24
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Give up every capability, for good: the bounding and ambient sets emptied, then the
    effective, permitted and inheritable ones. A root process without them keeps uid 0 (it
    still owns root's files; Landlock is what keeps it from them) but can no longer make
    device nodes, bypass file permissions, signal other users' processes or raise limits."""
    c = libc()
    for cap in range(64):
        if c.prctl(ctypes.c_int(_PR_CAPBSET_DROP), ctypes.c_ulong(cap), ctypes.c_ulong(0),
                   ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
            if ctypes.get_errno() == errno.EINVAL:  # past the last capability this kernel has
                break
            raise OSError(ctypes.get_errno(), f"dropping capability {cap}")
    c.prctl(ctypes.c_int(_PR_CAP_AMBIENT), ctypes.c_ulong(_PR_CAP_AMBIENT_CLEAR_ALL),
            ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    check("capset", c.capset, ctypes.byref(header), data)


def enter_confined(cfg: dict[str, Any]) -> None:
    """The confined level, for a worker forked outside any namespace (where they are
    refused): an unprivileged uid (``cfg["uid"]``, when the grader is root and gives one)
    or, as root without one, no capabilities; then Landlock (``read``, ``write``, ``abi``,
    ``browse``: :func:`grader.sandbox.child.landlock.restrict`) and :func:`deny_calls`, which
    here also refuses System V IPC and POSIX message queues, and, without a uid of
    its own, every change to a file's metadata. The caller has applied the resource limits:
    as root, before the uid changes."""
    from grader.sandbox.child import landlock

    first_to_die()
    new_session_keyring()
    uid = cfg.get("uid")
    machine = platform.machine()
    also = _CONFINED_CALLS.get(machine, ())
    if isinstance(uid, int):
        drop_privileges(uid, int(cfg.get("gid", uid)))
    else:
        also += _METADATA_CALLS.get(machine, ())
        if os.geteuid() == 0:
            drop_capabilities()
    landlock.restrict(cfg["read"], cfg["write"], int(cfg["abi"]), cfg.get("browse", ()))
    deny_calls(also)


def drop_privileges(uid: int, gid: int) -> None:
    """Run as ``uid``/``gid`` (when root and they differ) with no way to gain privileges."""
    if os.geteuid() == 0 and uid != 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    prctl(PR_SET_NO_NEW_PRIVS, 1, "no_new_privs")


