"""A container's memory cgroup: made and joined by its zygote, read and removed by the grader.

As root, each container zygote moves itself into a new memory cgroup, ``grader-<zygote pid>``,
capped at ``--memory``, before it forks any worker (:func:`join_memory_cgroup`). The grader
reads how many processes its out-of-memory killer has taken (:func:`oom_kills`), to tell a
memory kill from any other, and removes the cgroup once the zygote is gone
(:func:`remove_cgroup`).

Standard library only: the zygote imports it.
"""

from __future__ import annotations

import contextlib
import os

from grader.sandbox.child.syscalls import write_file

_CGROUP_V1 = "/sys/fs/cgroup/memory"
_CGROUP_V2 = "/sys/fs/cgroup"


def join_memory_cgroup(limit: int) -> None:
    """Move this process (the zygote) into a new memory cgroup capped at ``limit`` bytes, so
    that every worker it forks is born in it (moving each worker in would cost milliseconds
    of RCU grace period apiece). ``RLIMIT_AS`` caps each process's mappings, not the memory
    a student pins in memory files or spreads over many processes; the cgroup caps all of
    it, and its out-of-memory killer picks only in it: among the workers (score 1000), never
    the zygote or the reaper (-1000, where root has CAP_SYS_RESOURCE). Nothing happens
    where no cgroup can be made here."""
    made = _memory_cgroup(limit)
    if made is None:
        return
    try:
        os.write(made, b"0")
    except OSError:
        return
    finally:
        os.close(made)
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


def _memory_cgroup(limit: int) -> int | None:
    """A new memory cgroup capped at ``limit`` bytes: a descriptor of its process list, or
    None where none can be made (no memory controller)."""
    name = f"grader-{os.getpid()}"
    if os.path.isfile(f"{_CGROUP_V2}/cgroup.controllers"):
        try:
            with open(f"{_CGROUP_V2}/cgroup.subtree_control") as f:
                if "memory" not in f.read().split():
                    return None
        except OSError:
            return None
        folder, limit_file = f"{_CGROUP_V2}/{name}", "memory.max"
    elif os.path.isdir(_CGROUP_V1):
        folder, limit_file = f"{_CGROUP_V1}/{name}", "memory.limit_in_bytes"
    else:
        return None
    _remove_stale_cgroups(os.path.dirname(folder))
    try:
        os.mkdir(folder)
    except OSError:
        return None
    try:
        write_file(f"{folder}/{limit_file}", str(int(limit)))
        return os.open(f"{folder}/cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)
    except OSError:
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
    """Remove a container's memory cgroup, once its processes are gone (the grader's side).
    True when none is left."""
    for base in (_CGROUP_V2, _CGROUP_V1):
        folder = f"{base}/grader-{zygote_pid}"
        with contextlib.suppress(OSError):
            os.rmdir(folder)
        if os.path.isfile(f"{folder}/cgroup.procs"):
            return False
    return True
