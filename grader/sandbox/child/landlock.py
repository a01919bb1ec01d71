"""Landlock: confinement a process gives itself, with no namespace and no privilege.

The building block of the middle isolation level (where namespaces are refused: Docker's
default profile, Gradescope's containers, hosts that block user namespaces). A process
restricts itself, and everything it starts, to the folders it names: which it may read,
which it may also write. What Landlock can refuse grows with its ABI version:

- 1 (Linux 5.13): files and folders (read, write, execute, create, remove);
- 2: linking or renaming a file into another folder; 3: truncating a file;
- 4: TCP bind and connect (refused outright here: a student's process needs no network);
- 5: ioctl on devices;
- 6: signals to processes outside the domain, and abstract Unix sockets outside it.

:func:`abi_version` probes the kernel; :func:`restrict` applies a ruleset with every right
the probed ABI knows. ``GRADER_LANDLOCK_ABI`` caps the probed version (``0``: as if the
kernel had no Landlock): the tests use it to check each older ABI's fallback on a new
kernel. Standard library only: it runs in the student's process.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import sys
from collections.abc import Iterable

from grader.sandbox.child.syscalls import PR_SET_NO_NEW_PRIVS, SandboxError, libc, prctl

# System call numbers: the same on x86_64 and on the generic table (aarch64).
_CALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446), "arm64": (444, 445, 446)}
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

# Filesystem rights (bit, the first ABI that has it).
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_RIGHTS = [(1 << bit, 1) for bit in range(13)] + [(1 << 13, 2), (1 << 14, 3), (1 << 15, 5)]
READ = EXECUTE | READ_FILE | READ_DIR
DEVICES = (1 << 6) | (1 << 11)  # making character and block device nodes: never granted
_NET_TCP = (1 << 0) | (1 << 1)  # bind, connect (ABI 4)
_SCOPED = (1 << 0) | (1 << 1)  # abstract Unix sockets, signals (ABI 6)
ABI_CAP_VARIABLE = "GRADER_LANDLOCK_ABI"


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscall(number: int, *args: object) -> int:
    return int(libc().syscall(ctypes.c_long(number), *args))


def abi_version() -> int:
    """The Landlock ABI this kernel offers this process (0: none, or refused by a seccomp
    profile), capped by ``GRADER_LANDLOCK_ABI`` where set."""
    calls = _CALLS.get(platform.machine())
    if calls is None or not sys.platform.startswith("linux"):
        return 0
    version = _syscall(calls[0], ctypes.c_void_p(None), ctypes.c_size_t(0),
                       ctypes.c_uint32(_CREATE_RULESET_VERSION))
    version = max(version, 0)
    cap = os.environ.get(ABI_CAP_VARIABLE, "")
    if cap.isdigit():
        version = min(version, int(cap))
    return version


def describe(abi: int) -> str:
    """What this ABI cannot refuse, for the line that says which level a run got."""
    if abi <= 0:
        return "no Landlock"
    lacks = [what for what, needs in (("TCP", 4), ("signal and abstract-socket scoping", 6))
             if abi < needs]
    return f"Landlock ABI {abi}" + (f" (without {', '.join(lacks)})" if lacks else "")


def restrict(read: Iterable[str], write: Iterable[str], abi: int,
             browse: Iterable[str] = ()) -> None:
    """Confine this process and what it starts: it may read (and execute) only under
    ``read``, read and write only under ``write`` (where it may make anything but device
    nodes), and list the folders under ``browse``; under ABI 4 and later it may not bind or
    connect TCP sockets, and under ABI 6 and later it may not signal processes, or reach
    abstract Unix sockets, outside its own domain. Paths that do not exist are skipped.
    Sets ``no_new_privs``. Raises :class:`SandboxError` if Landlock refuses."""
    if abi <= 0:
        raise SandboxError("landlock: not available")
    create, add_rule, restrict_self = _CALLS[platform.machine()]
    handled = 0
    for right, since in _FS_RIGHTS:
        if abi >= since:
            handled |= right
    attr = _RulesetAttr(handled, _NET_TCP if abi >= 4 else 0, _SCOPED if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _syscall(create, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise SandboxError(f"landlock_create_ruleset: {os.strerror(ctypes.get_errno())}")
    try:
        for paths, rights in ((read, READ & handled), (write, handled & ~DEVICES),
                              (browse, READ_DIR)):
            for path in paths:
                _allow(add_rule, ruleset, path, rights)
        prctl(PR_SET_NO_NEW_PRIVS, 1, "no_new_privs")
        if _syscall(restrict_self, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise SandboxError(f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(ruleset)


def _allow(add_rule: int, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SandboxError(f"landlock: cannot open {path}: {exc.strerror}") from None
    try:
        if not os.path.isdir(path):  # a file takes only the rights that apply to files
            rights &= EXECUTE | WRITE_FILE | READ_FILE | (1 << 14) | (1 << 15)
        beneath = _PathBeneath(rights, fd)
        if _syscall(add_rule, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                    ctypes.byref(beneath), ctypes.c_uint32(0)) != 0:
            err = ctypes.get_errno()
            raise SandboxError(f"landlock_add_rule {path}: {os.strerror(err)}"
                               + (" (a file given rights only folders have)"
                                  if err == errno.EINVAL else ""))
    finally:
        os.close(fd)
