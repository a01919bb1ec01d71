"""Run a command under a Docker-like seccomp filter: no new namespaces (unshare, setns and
clone with CLONE_NEW* flags refused with EPERM; clone3 answers ENOSYS, so libc falls back
to clone, as under Docker's default profile). x86_64 system call numbers. With
DOCKERLIKE_LANDLOCK=0, Landlock's calls are refused too (EPERM)."""

import ctypes
import os
import sys


class _Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Filter))]


LD, JEQ, JSET, RET = 0x20, 0x15, 0x45, 0x06
ALLOW, EPERM, ENOSYS = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
CLONE_NEW_ANY = 0x7E020080  # every CLONE_NEW* flag
PROGRAM = [
    (LD, 0, 0, 0),  # 0: the call's number
    (JEQ, 6, 0, 272),  # 1: unshare -> 8 (EPERM)
    (JEQ, 5, 0, 308),  # 2: setns -> 8
    (JEQ, 6, 0, 435),  # 3: clone3 -> 10 (ENOSYS)
    (JEQ, 0, 2, 56),  # 4: clone -> 5, anything else -> 7 (allow)
    (LD, 0, 0, 16),  # 5: clone's flags (low word)
    (JSET, 1, 0, CLONE_NEW_ANY),  # 6: a namespace flag -> 8, else 7
    (RET, 0, 0, ALLOW),  # 7
    (RET, 0, 0, EPERM),  # 8
    (RET, 0, 0, ALLOW),  # 9 (unused)
    (RET, 0, 0, ENOSYS),  # 10
]


LANDLOCK = (444, 445, 446)  # landlock_create_ruleset, _add_rule, _restrict_self


def program() -> list[tuple[int, int, int, int]]:
    """PROGRAM, refusing Landlock's calls too (EPERM) when DOCKERLIKE_LANDLOCK=0."""
    if os.environ.get("DOCKERLIKE_LANDLOCK", "1") != "0":
        return PROGRAM
    refuse = [(JEQ, len(LANDLOCK) - i + 6, 0, nr) for i, nr in enumerate(LANDLOCK)]
    return [PROGRAM[0], *refuse, *PROGRAM[1:]]


def main() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    ops = program()
    filters = (_Filter * len(ops))(*[_Filter(*op) for op in ops])
    prog = _Program(len(ops), filters)
    if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # (root: no no_new_privs, as Docker)
        sys.exit(f"seccomp: {os.strerror(ctypes.get_errno())}")
    os.execvp(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
