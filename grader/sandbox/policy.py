"""The grader's side of isolation: which level to ask for, and what a student process sees.

Three levels, strongest first (:data:`LEVELS`): ``full`` (namespaces: a container per job
slot), ``confined`` (where namespaces are refused: Landlock, seccomp and, as root, a uid per
job slot; :func:`probe_confined`) and ``limits`` (resource limits only). ``--sandbox auto``
(the default) takes the strongest this machine has, saying once on stderr, in one line, what
the run got and what it lacks (:attr:`Isolation.summary`); ``strict`` refuses to grade below
full isolation, ``confined`` below the confined level; ``off`` runs the student's code in a
plain child process, for a student checking their own code. The student side is
:mod:`grader.sandbox.child.container` (full) and :mod:`grader.sandbox.child.confine`.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import site
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderError

MODES = ("auto", "strict", "confined", "off")
LEVELS = ("full", "confined", "limits")  # strongest first
_SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin", "/etc")
UID_BASE = 64000  # as root: full isolation runs a slot as UID_BASE + slot; confined claims uids


class SandboxUnavailable(GraderError):
    """``--sandbox strict`` was asked for, but full isolation cannot be had here."""


@dataclass(frozen=True)
class Limits:
    memory: int = 2 << 30  # address space; numpy with OpenBLAS needs ~200 MiB to import
    fsize: int = 64 << 20  # largest file the student may write
    nofile: int = 256
    nproc: int = 64  # processes and threads (binds only for an unprivileged uid)
    scratch: int = 64 << 20  # size of the tmpfs scratch folder under full isolation

    def as_dict(self, cpu_seconds: int) -> dict[str, int]:
        return {"memory": self.memory, "fsize": self.fsize, "nofile": self.nofile,
                "nproc": self.nproc, "cpu": cpu_seconds}


def _under(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def visible_paths(extra: Iterable[Path] = ()) -> tuple[list[str], list[str]]:
    """(read-only bind mounts, symlinks to recreate) for a student process's root: also
    what Landlock lets a confined worker read (asked for every worker, so worked out once
    per set of ``extra`` folders)."""
    mounts, links = _visible(tuple(extra))
    return list(mounts), list(links)


@functools.lru_cache(maxsize=16)
def _visible(extra: tuple[Path, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    links: list[str] = []
    mounts: list[str] = []
    for path in _SYSTEM:
        if os.path.islink(path):
            links.append(path)
        elif os.path.isdir(path):
            mounts.append(path)
    import grader

    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(),
                  str(Path(grader.__file__).resolve().parent), *(str(p) for p in extra)]
    for path in candidates:
        real = os.path.realpath(path)
        if os.path.isdir(real) and not _under(real, mounts):
            mounts = [m for m in mounts if not _under(m, [real])] + [real]
    return tuple(mounts), tuple(links)


@functools.cache
def _probe_reason() -> str | None:
    """Why full isolation cannot work on this platform, or None if it may: a forked child
    tries to make the namespaces a container needs (the container itself may still fail
    later, and then says why). Asked once per process."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return f"namespaces are Linux-only (this is {_platform()})"
    from grader.sandbox.child import syscalls as sc

    flags = sc.CLONE_NEWNS | sc.CLONE_NEWNET | sc.CLONE_NEWUTS
    what = "unshare"
    if os.geteuid() != 0:
        flags, what = flags | sc.CLONE_NEWUSER, "unshare (user namespace)"
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if sc.libc().unshare(ctypes.c_int(flags)) == 0 else ctypes.get_errno()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return None if code == 0 else f"{what}: {os.strerror(code)}"


def _platform() -> str:
    """This platform, in words: its name, or what it lacks where it calls itself Linux."""
    if sys.platform.startswith("linux") and not hasattr(os, "fork"):
        return "a Linux without os.fork"
    return {"win32": "Windows", "darwin": "macOS"}.get(sys.platform, sys.platform)


_NO_LIMITS = "a separate process and timeouts only (no resource limits on this platform)"
_WINDOWS_JOBS = ("a Windows job per worker (the memory and number of its processes capped) "
                 "and timeouts (no other resource limits on Windows)")
_WINDOWS: bool = sys.platform == "win32"  # (a plain bool: type-checked on every platform)
_LIMIT_WORDS = {"memory": "memory (address space)", "fsize": "file size",
                "nofile": "open files", "nproc": "processes", "cpu": "CPU time",
                "core": "core dumps"}


def _has_resource_limits() -> bool:
    try:
        import resource  # noqa: F401  (Windows has none)
    except ImportError:
        return False
    return True


def limits_here() -> str:
    """What the limits level gives on this platform, in words."""
    if not _has_resource_limits():
        return _WINDOWS_JOBS if _WINDOWS else _NO_LIMITS
    linux = sys.platform.startswith("linux")
    return "resource limits only" + ("" if linux else f" (those {_platform()} enforces)")


def _others_can_read(path: str, search_only: bool = False) -> bool:
    """Anyone may reach ``path`` and read it: every folder above it searchable by others,
    and the path itself readable (and, if a folder, searchable) by others; with
    ``search_only``, a folder that others may pass through."""
    real = os.path.realpath(path)
    try:
        info = os.stat(real)
    except OSError:
        return True  # (nothing there to read: Landlock skips it too)
    wanted = 0 if search_only else stat.S_IROTH
    wanted |= stat.S_IXOTH if stat.S_ISDIR(info.st_mode) else 0
    if info.st_mode & wanted != wanted:
        return False
    parent = os.path.dirname(real)
    while True:
        try:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
        if parent == "/":
            return True
        parent = os.path.dirname(parent)


@dataclass(frozen=True)
class Confinement:
    """What the confined level has on this machine (:func:`probe_confined`)."""

    abi: int  # Landlock ABI
    separate_uid: bool  # student processes get an unprivileged uid per job slot (as root)
    lacks: tuple[str, ...]  # what it cannot give here, in words

    def describe(self) -> str:
        return f"Landlock ABI {self.abi}" + (", a uid per job slot" if self.separate_uid else "")


def probe_confined(read: Iterable[str]) -> tuple[Confinement | None, str]:
    """Whether the confined level can work here: (what it has, "") or (None, why not).
    ``read``: what a student process must be able to read (checked against the
    unprivileged uid's file permissions when the grader is root)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "geteuid"):
        return None, f"Landlock is Linux-only (this is {_platform()})"
    from grader.sandbox.child import landlock

    abi = landlock.abi_version()
    if abi <= 0:
        return None, f"no Landlock ({_why_no_landlock()})"
    lacks = ["a size cap on scratch", "a memory cap on all its processes and a CPU share",
             "a private /dev/shm (multiprocessing locks fail)", "/proc"]
    separate = os.geteuid() == 0
    if separate:
        hidden = [path for path in read if not _others_can_read(path)]
        if not _others_can_read(tempfile.gettempdir(), search_only=True):
            hidden.append(tempfile.gettempdir())  # (where the submissions' copies go)
        if hidden:
            separate = False
            lacks.append(f"a separate uid ({hidden[0]} is not readable by other users)")
    else:
        lacks.append("a separate uid (the grader is not root)")
    if abi < 6:
        lacks.append("signal and abstract-socket scoping (Landlock ABI 6)"
                     + ("" if separate else ": a student can signal the grader"))
    return Confinement(abi, separate, tuple(lacks)), ""


def _why_no_landlock() -> str:
    """Why this kernel offers no Landlock: too old, or turned off or refused."""
    release = platform.release()
    try:
        version = tuple(int(part) for part in release.split("-")[0].split(".")[:2])
    except ValueError:
        version = (0, 0)
    if version < (5, 13):
        return f"Linux {release} is older than 5.13"
    return (f"Linux {release} has it, but it is off (boot with lsm=...,landlock) or refused "
            "by a seccomp profile (allow landlock_create_ruleset, landlock_add_rule and "
            "landlock_restrict_self)")


def claim_uid(first: int = UID_BASE, count: int = 1000) -> tuple[int, int]:
    """An unprivileged uid no other grader on this machine uses now, and the descriptor that
    holds the claim: a lock on a file in a folder of root's alone (:func:`_claims`), out of
    every student's reach; the claim ends when the descriptor is closed, or when this
    process ends. Processes of that uid are killed wholesale (``kill(-1)``), so two graders
    must never share one."""
    import fcntl  # (POSIX only, as the confined level is)

    folder = _claims()
    for uid in range(first, first + count):
        fd = os.open(os.path.join(folder, str(uid)), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                     0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return uid, fd
    raise OSError(f"no free student uid in {first}..{first + count - 1}")


def _claims() -> str:
    """The folder of the uid claims' lock files (made, root's alone, on first use)."""
    for parent in ("/run", "/var/lock", tempfile.gettempdir()):
        folder = os.path.join(parent, "grader-student-uids")
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            info = os.lstat(folder)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() \
                and not info.st_mode & 0o077:
            return folder
    raise OSError("no folder for the student uids' claims (/run, /var/lock, the temporary "
                  "folder)")


class Isolation:
    """Per-run isolation policy: the strongest level that works here, tried in order
    (:data:`LEVELS`), each fallback reported once in one line.

    ``extra``: folders every student process may read besides the system, Python and the
    grader (the assignment's public builders); ``site_view``: for each site-packages folder,
    the only entries in it that student processes may read at full and confined isolation
    (:func:`grader.sandbox.packages.view`; a folder not named shows whole)."""

    def __init__(self, mode: str = "auto", limits: Limits | None = None,
                 warn: Callable[[str], None] | None = None, extra: Iterable[Path] = (),
                 site_view: Mapping[str, Sequence[str]] | None = None,
                 bundle: bool = False) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown sandbox mode {mode!r}")
        self.mode = mode
        self.bundle = bundle  # a student bundle: no references or hidden key to protect
        self.limits = limits or Limits()
        self._warn = warn
        self._lock = threading.Lock()
        self._extra = tuple(extra)
        self._site_view = tuple((folder, tuple(entries))
                                for folder, entries in (site_view or {}).items())
        self.unavailable: dict[str, str] = {}  # level -> why it cannot be had here
        self.confinement: Confinement | None = None
        self._uids: dict[int, tuple[int, int]] = {}  # slot -> (uid, claim's descriptor)
        self.proven = False  # a worker has run at the current level in this run
        self._said_unenforced = False
        if mode != "off":
            reason = _probe_reason()
            if reason:
                self.downgrade(reason)
        elif warn is not None:
            warn("grader: warning: isolation: off (--sandbox off): student code runs with "
                 "your permissions, and imports whatever is installed (an assignment's "
                 "packages: are not enforced)")

    @property
    def level(self) -> str:
        if self.mode == "off":
            return "off"
        return next(level for level in LEVELS if level not in self.unavailable)

    @property
    def summary(self) -> str:
        """One line: the level this run has, and what it lacks."""
        level = self.level
        if level == "confined" and self.confinement is not None:
            return (f"isolation: confined, {self.confinement.describe()} (no namespaces: "
                    f"{self.unavailable.get('full', '?')}); it lacks "
                    + "; ".join(self.confinement.lacks))
        if level == "limits" and self.bundle:  # (a student checking their own code)
            return (f"isolation: {limits_here()}; the code runs with your permissions, as "
                    "in your own Python (full: "
                    f"{self.unavailable.get('full')}; confined: "
                    f"{self.unavailable.get('confined')})")
        if level == "limits":
            return (f"isolation: {limits_here()} (full: {self.unavailable.get('full')}; "
                    f"confined: {self.unavailable.get('confined')}): student code can read "
                    "the references, the hidden cases' key and the cache, reach the "
                    "network, and import whatever is installed (--sandbox confined refuses "
                    "to grade so)")
        return f"isolation: {level}"

    def unenforced(self, names: object) -> None:
        """A worker's report of the limits its platform did not apply (macOS refuses some):
        said once, in one line, where the platform has resource limits at all (on Windows
        the isolation line says there are none)."""
        known = sorted({n for n in names if n in _LIMIT_WORDS}) if isinstance(names, list) \
            else []
        with self._lock:
            if not known or self._said_unenforced or not _has_resource_limits():
                return
            self._said_unenforced = True
        if self._warn is not None:
            self._warn("grader: warning: this platform did not apply these resource limits: "
                       + ", ".join(_LIMIT_WORDS[n] for n in known))

    def confirm(self) -> None:
        """A worker is running at the current level: from now on it is known to work."""
        self.proven = True

    def fail(self, reason: str) -> bool:
        """A worker could not have the current level. True: go on one level down, and try
        again (``auto``, before this level ever worked in this run). False: this worker's
        submission cannot be graded. Once a level has worked, a failure may be another
        student's doing (exhausting a shared kernel resource, say), so it never lowers the
        isolation of the rest of the run. Below what the mode requires:
        :class:`SandboxUnavailable`."""
        if self.proven:
            if self._warn is not None:
                self._warn(f"grader: warning: a student process could not be isolated "
                           f"({reason}); that submission is not graded")
            return False
        self.downgrade(reason)
        return True

    def downgrade(self, reason: str) -> None:
        """The current level failed for ``reason``: go on with the next one that this
        machine has (or refuse, where the mode requires more)."""
        with self._lock:
            failed = self.level
            self.unavailable[failed] = reason
            if failed == "full":
                self._probe_confined()
            level = self.level
            if self.mode == "strict" or (self.mode == "confined" and level == "limits"):
                needs = "full isolation" if self.mode == "strict" else \
                    "full or confined isolation"
                why = "; ".join(f"{lvl}: {why}" for lvl, why in self.unavailable.items())
                got = {"confined": "confined isolation", "limits": "resource limits"}[level]
                raise SandboxUnavailable(
                    f"--sandbox {self.mode}: {needs} is unavailable here, only {got} "
                    f"({why}); --sandbox auto would grade with {got}")
            if self._warn is not None:
                self._warn(f"grader: warning: {self.summary}")

    def _probe_confined(self) -> None:
        import grader

        mounts, _ = visible_paths(self._extra)
        needed = [*mounts, str(Path(grader.__file__).resolve().parent)]
        found, why = probe_confined(needed)
        if found is None:
            self.unavailable["confined"] = why
        self.confinement = found

    def student_uid(self, slot: int) -> int | None:
        """The uid of the job slot's student processes at the confined level (claimed on
        first use, for this process's lifetime), or None where they keep the grader's."""
        if self.confinement is None or not self.confinement.separate_uid:
            return None
        with self._lock:
            if slot not in self._uids:
                self._uids[slot] = claim_uid()
            return self._uids[slot][0]

    def container(self, workspace: Path, extra: Iterable[Path]) -> dict[str, Any]:
        """The configuration of a container zygote
        (:func:`grader.sandbox.child.container.enter_container`): the system, Python and the
        grader read-only, plus ``extra`` (the public builders), and the memory all of a
        worker's processes may use together (``--memory``)."""
        mounts, links = visible_paths(extra)
        root = workspace / ".root"  # a mount point only: the container's root is a tmpfs
        root.mkdir(exist_ok=True)
        return {"root": str(root), "read_only": mounts, "links": links,
                "views": {folder: list(entries) for folder, entries in self._site_view
                          if _under(folder, mounts)},
                "inbox": str(workspace), "memory": self.limits.memory}

    def request(self, run: Path, slot: int, cpu_seconds: int,
                extra: Iterable[Path] = ()) -> dict[str, Any]:
        """The ``sandbox`` message that a new worker receives before anything else. ``run``
        is the submission's folder in the workspace (its copy in ``submission/``, its
        scratch space ``work/``); ``extra``, what the worker's launcher shows besides the
        system, Python and the grader."""
        level = self.level
        header: dict[str, Any] = {"op": "sandbox", "level": level,
                                  "limits": self.limits.as_dict(cpu_seconds)}
        if level == "full":
            header["config"] = {
                "run": run.name,
                "scratch_bytes": self.limits.scratch,
                "uid": UID_BASE + slot,
                "gid": UID_BASE + slot,
            }
        elif level == "confined":
            assert self.confinement is not None
            mounts, _ = visible_paths(extra)
            read, browse = _confined_reads(tuple(mounts), self._site_view)
            uid = self.student_uid(slot)
            header["config"] = {
                "read": [*read, str(run / "submission"), *_DEVICES],
                "browse": list(browse),
                "write": [str(run / "work"), "/dev/null"],
                "abi": self.confinement.abi,
                "uid": uid,
                "gid": uid,
            }
        return header


_DEVICES = ("/dev/zero", "/dev/random", "/dev/urandom")


@functools.lru_cache(maxsize=16)
def _confined_reads(mounts: tuple[str, ...],
                    site_view: tuple[tuple[str, tuple[str, ...]], ...]
                    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Landlock's rules for ``mounts`` with each site-packages folder cut down to its view:
    (what may be read, the folders that may only be listed). A rule covers everything
    beneath its folder, so a mount holding a site-packages folder is granted piecewise: the
    folders on the way down may be listed, everything beside them read, and in the site
    folder itself only the entries of its view."""
    read: list[str] = []
    browse: list[str] = []
    views = dict(site_view)
    for mount in mounts:
        inside = [folder for folder in views if _under(folder, [mount])]
        if not inside:
            read.append(mount)
            continue
        way: set[str] = set()  # the folders on the way down to them
        for folder in inside:
            while folder != mount:
                folder = os.path.dirname(folder)
                way.add(folder)
        browse.extend(sorted(way | set(inside)))
        for folder in sorted(way):
            for entry in sorted(os.listdir(folder)):
                path = os.path.join(folder, entry)
                real = os.path.realpath(path)  # (a rule follows a link: lib64 -> lib)
                if path not in way and path not in views and not any(
                        _under(view, [real]) or _under(real, [view]) for view in views):
                    read.append(path)
        for folder in inside:
            read.extend(os.path.join(folder, entry) for entry in views[folder])
    return tuple(read), tuple(browse)
