"""The grader's side of isolation: which level to ask for, and what a student process sees.

``--sandbox auto`` (the default) asks for full isolation and falls back to resource limits
alone, saying once on stderr what is off; ``strict`` refuses to grade without full
isolation; ``off`` runs the student's code in a plain child process, for a student checking
their own code. The student side is :mod:`grader.sandbox.child.confine` and
:mod:`grader.sandbox.child.container`.
"""

from __future__ import annotations

import os
import site
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderError

MODES = ("auto", "strict", "off")
_SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin", "/etc")
UID_BASE = 64000  # student processes run as UID_BASE + job slot when the grader is root


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
    """(read-only bind mounts, symlinks to recreate) for a student process's root."""
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
    return mounts, links


def _probe_reason() -> str | None:
    """Why full isolation cannot work on this platform, or None if it may."""
    if not sys.platform.startswith("linux"):
        return f"namespaces are Linux-only (this is {sys.platform})"
    return None


class Isolation:
    """Per-run isolation policy; remembers a fallback so it is tried and reported once."""

    def __init__(self, mode: str = "auto", limits: Limits | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown sandbox mode {mode!r}")
        self.mode = mode
        self.limits = limits or Limits()
        self._warn = warn
        self._lock = threading.Lock()
        self.unavailable: str | None = None if mode == "off" else _probe_reason()
        self._warned = False
        self.proven = False  # a worker has run under full isolation in this run
        if self.unavailable:
            self.downgrade(self.unavailable)

    @property
    def level(self) -> str:
        if self.mode == "off":
            return "off"
        return "limits" if self.unavailable else "full"

    def confirm(self) -> None:
        """A worker is running under full isolation: from now on it is known to work here."""
        self.proven = True

    def fail(self, reason: str) -> bool:
        """A worker could not have full isolation. True: go on with limits only, and try
        again (``auto``, before full isolation ever worked in this run). False: this
        worker's submission cannot be graded. Once full isolation has worked, a failure may
        be another student's doing (exhausting a shared kernel resource, say), so it never
        lowers the isolation of the rest of the run. ``strict`` before it ever worked:
        :class:`SandboxUnavailable`."""
        if self.proven:
            if self._warn is not None:
                self._warn(f"grader: warning: a student process could not be isolated "
                           f"({reason}); that submission is not graded")
            return False
        self.downgrade(reason)
        return True

    def downgrade(self, reason: str) -> None:
        """Full isolation failed; go on with limits only (or refuse, in strict mode)."""
        if self.mode == "strict":
            raise SandboxUnavailable(f"--sandbox strict: full isolation is unavailable: {reason}")
        with self._lock:
            self.unavailable = reason
            if not self._warned and self._warn is not None:
                self._warned = True
                self._warn(
                    f"grader: warning: full isolation is unavailable ({reason}); student code "
                    "runs with resource limits only: no filesystem or network isolation, and "
                    "process-count limits do not bind for root")

    def container(self, workspace: Path, extra: Iterable[Path]) -> dict[str, Any]:
        """The configuration of a container zygote
        (:func:`grader.sandbox.child.container.enter_container`): the system, Python and the
        grader read-only, plus ``extra`` (the public builders), and the memory all of a
        worker's processes may use together (``--memory``)."""
        mounts, links = visible_paths(extra)
        root = workspace / ".root"  # a mount point only: the container's root is a tmpfs
        root.mkdir(exist_ok=True)
        return {"root": str(root), "read_only": mounts, "links": links,
                "inbox": str(workspace), "memory": self.limits.memory}

    def request(self, run: str, slot: int, cpu_seconds: int) -> dict[str, Any]:
        """The ``sandbox`` message that a new worker receives before anything else; ``run``
        names the submission's folder in the workspace."""
        level = self.level
        header: dict[str, Any] = {"op": "sandbox", "level": level,
                                  "limits": self.limits.as_dict(cpu_seconds)}
        if level == "full":
            header["config"] = {
                "run": run,
                "scratch_bytes": self.limits.scratch,
                "uid": UID_BASE + slot,
                "gid": UID_BASE + slot,
            }
        return header
