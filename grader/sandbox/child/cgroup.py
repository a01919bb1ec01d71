"""A container's cgroups: made and joined by its zygote, read and removed by the grader.

As root, each container zygote moves itself into new cgroups, ``grader-<zygote pid>``, before
it forks any worker (:func:`join_cgroups`): a memory cgroup capped at ``--memory``, and a CPU
cgroup of the default weight, the same for every container, so that however many processes
a student starts, their job slot gets no more CPU than any other's. The grader reads how
many processes the out-of-memory killer has taken (:func:`oom_kills`), to tell a memory kill
from any other, and removes the cgroups once the zygote is gone (:func:`remove_cgroup`).

Cgroup v1 (a hierarchy per controller, as on this project's CI machine: ``memory`` and
``cpu``, with ``cpu.shares`` 1024) and v2 (one hierarchy, ``memory.max`` and ``cpu.weight``
100, where the root's ``cgroup.subtree_control`` enables the controller) are both written
to their documented interfaces; only v1 is exercised by the tests here.

Standard library only: the zygote imports it.
"""

from __future__ import annotations

import contextlib
import os

from grader.sandbox.child.syscalls import write_file

_CGROUP_V1 = "/sys/fs/cgroup/memory"
_CPU_V1 = "/sys/fs/cgroup/cpu"
_CGROUP_V2 = "/sys/fs/cgroup"


def join_cgroups(limit: int) -> None:
    """Move this process (the zygote) into a new memory cgroup capped at ``limit`` bytes and
    a new CPU cgroup of the default weight, so that every worker it forks is born in them
    (moving each worker in would cost milliseconds of RCU grace period apiece).

    ``RLIMIT_AS`` caps each process's mappings, not the memory a student pins in memory files
    or spreads over many processes; the memory cgroup caps all of it, and its out-of-memory
    killer picks only in it: among the workers (score 1000), never the zygote or the reaper
    (-1000, where root has CAP_SYS_RESOURCE). The CPU cgroup shares the machine between job
    slots, not between processes: a student's hundred busy loops (each in its own session,
    which would otherwise be a scheduler autogroup of its own) get one slot's share. Nothing
    happens where no cgroup can be made here."""
    # (Without a CPU cgroup, job slots share the CPU as their processes do.)
    _join(_new_cgroup("cpu", (_CPU_V1, "cpu.shares", "1024"), ("cpu.weight", "100")))
    cap = str(int(limit))
    if not _join(_new_cgroup("memory", (_CGROUP_V1, "memory.limit_in_bytes", cap),
                             ("memory.max", cap))):
        return
    # Needs CAP_SYS_RESOURCE, which some machines withhold even from root; the workers'
    # 1000 still makes them the first the killer picks.
    with contextlib.suppress(OSError):
        write_file("/proc/self/oom_score_adj", "-1000")


def oom_kills(zygote_pid: int) -> int | None:
    """How many processes the memory cgroup of zygote ``zygote_pid``'s container has killed
    for memory so far (the ``oom_kill`` count of cgroup v2's ``memory.events`` or v1's
    ``memory.oom_control``), or None where it cannot tell. Read by the grader: the cgroup
    outlives its zygote until the grader removes it."""
    for path in (f"{_CGROUP_V2}/grader-{zygote_pid}/memory.events",
                 f"{_CGROUP_V1}/grader-{zygote_pid}/memory.oom_control"):
        try:
            with open(path, "rb") as f:
                lines = f.read(4096).decode("ascii", "replace").splitlines()
        except OSError:
            continue
        for line in lines:
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
    return None


def _join(procs: int | None) -> bool | None:
    """Write this process into the cgroup whose process list ``procs`` is (and close it);
    None when there is none, False when joining failed."""
    if procs is None:
        return None
    try:
        os.write(procs, b"0")
        return True
    except OSError:
        return False
    finally:
        os.close(procs)


def _new_cgroup(controller: str, v1: tuple[str, str, str], v2: tuple[str, str]
                ) -> int | None:
    """A new cgroup of ``controller`` for this process, with one setting written: ``v1``
    (its hierarchy, file, value) under cgroup v1, ``v2`` (file, value) under v2, where every
    controller shares this process's one folder. A descriptor of its process list, or None
    where none can be made (no such controller)."""
    name = f"grader-{os.getpid()}"
    if os.path.isfile(f"{_CGROUP_V2}/cgroup.controllers"):
        if not _enabled(controller):
            return None
        return _make(f"{_CGROUP_V2}/{name}", v2)
    hierarchy, file, value = v1
    if not os.path.isdir(hierarchy):
        return None
    return _make(f"{hierarchy}/{name}", (file, value))


def _enabled(controller: str) -> bool:
    """Whether cgroup v2's root hands ``controller`` down to the cgroups made under it."""
    try:
        with open(f"{_CGROUP_V2}/cgroup.subtree_control") as f:
            return controller in f.read().split()
    except OSError:
        return False


def _make(folder: str, setting: tuple[str, str]) -> int | None:
    """The cgroup ``folder`` (made if missing) with ``setting`` (file, value) written: a
    descriptor of its process list, or None (nothing left behind) where that fails."""
    _remove_stale_cgroups(os.path.dirname(folder))
    made = False
    try:
        os.mkdir(folder)
        made = True
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        write_file(f"{folder}/{setting[0]}", setting[1])
        return os.open(f"{folder}/cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)
    except OSError:
        if made:
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        return None


def _remove_stale_cgroups(base: str) -> None:
    """Remove the (empty) cgroups of containers whose zygote is gone without cleaning up:
    a grader killed with SIGKILL, say."""
    with contextlib.suppress(OSError):
        for name in os.listdir(base):
            pid = name[len("grader-"):]
            if name.startswith("grader-") and pid.isdigit() and not os.path.exists(
                    f"/proc/{pid}"):
                with contextlib.suppress(OSError):
                    os.rmdir(f"{base}/{name}")


def remove_cgroup(zygote_pid: int) -> bool:
    """Remove a container's cgroups, once its processes are gone (the grader's side). True
    when none is left."""
    for base in (_CGROUP_V2, _CGROUP_V1, _CPU_V1):
        folder = f"{base}/grader-{zygote_pid}"
        with contextlib.suppress(OSError):
            os.rmdir(folder)
        if os.path.isfile(f"{folder}/cgroup.procs"):
            return False
    return True
