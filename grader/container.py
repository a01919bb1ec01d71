"""The container a zygote makes of itself for full isolation, and a worker's entry into it.

:func:`enter_container` runs once, in the zygote: new mount, network and UTS namespaces
(and a user namespace when not root), a memory cgroup (as root), and a fresh read-only root
holding only the system libraries, the Python installation, the grader's own package and
the public builders. No network. Its workers live in a PID namespace of their own, where
the zygote does not exist and PID 1 is a small reaper. Before each worker starts and when
one ends, the reaper kills everything else in the namespace (:func:`clear_container`), so
double-forked or ``setsid`` daemons do not outlive their worker.

:func:`enter_student` runs in each worker, before any student code: its own mount and IPC
namespaces, a size-capped ``tmpfs`` at ``/tmp`` (its working folder is ``/tmp/work``), a
private ``/dev/shm``, a read-only view of its own submission at ``/submission``, then what
:mod:`grader.sandbox` gives every student process. Building the container once per zygote,
not once per worker, is what makes a worker cost one ``fork``.

Standard library only: the zygote and the worker import it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import resource
import select
import signal
import time
from typing import Any

from grader import sandbox
from grader.sandbox import SandboxError, check, write_file

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

_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41}
_DEVICES = ("null", "zero", "random", "urandom")


def _unshare(flags: int, what: str = "unshare") -> None:
    check(what, sandbox.libc().unshare, ctypes.c_int(flags))


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    def enc(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    check(f"mount {target}", sandbox.libc().mount, enc(source), enc(target), enc(fstype),
          ctypes.c_ulong(flags), enc(data))


def _umount(target: str, what: str) -> None:
    check(what, sandbox.libc().umount2, target.encode(), ctypes.c_int(MNT_DETACH))


def _pivot_root(new_root: str, put_old: str) -> None:
    lib = sandbox.libc()
    if hasattr(lib, "pivot_root"):
        check("pivot_root", lib.pivot_root, new_root.encode(), put_old.encode())
        return
    number = _SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise SandboxError(f"pivot_root: unknown syscall number on {platform.machine()}")
    check("pivot_root", lib.syscall, ctypes.c_long(number), new_root.encode(), put_old.encode())


def _map_root(uid: int, gid: int) -> None:
    """In a new user namespace: be its root, standing for ``uid``/``gid`` outside."""
    write_file("/proc/self/setgroups", "deny")
    write_file("/proc/self/uid_map", f"0 {uid} 1")
    write_file("/proc/self/gid_map", f"0 {gid} 1")


INBOX = "/.inbox"  # where a container sees the grader's workspace (the submissions' copies)
SUBMISSION = "/submission"  # where a worker sees its own submission, read-only
SCRATCH = "/tmp/work"  # a worker's working folder, HOME and TMPDIR
_TMP_BINDS = "/.tmp-binds"
_MOUNTPOINTS = ("/tmp", "/proc", "/dev/shm", SUBMISSION, INBOX, _TMP_BINDS)

_container: dict[str, Any] | None = None  # set in a zygote that made itself a container


def _enter_namespaces(flags: int) -> bool:
    """Unshare namespaces; returns True when a user namespace was needed (not root)."""
    if os.geteuid() == 0:
        _unshare(flags)
        return False
    uid, gid = os.geteuid(), os.getegid()
    _unshare(flags | CLONE_NEWUSER, "unshare (user namespace)")
    _map_root(uid, gid)
    return True


def enter_container(cfg: dict[str, Any], close_in_reaper: tuple[int, ...]) -> None:
    """Make the calling process (the zygote) a container its workers are forked into.

    The zygote takes new mount, network and UTS namespaces (and a user namespace when it is
    not root) and moves into a fresh read-only root. Its workers go into a new PID
    namespace in which the zygote itself does not exist, so no worker can signal, trace or
    re-limit it; PID 1 there is a small *reaper* forked now, which also mounts that
    namespace's ``/proc`` and, on request (:func:`clear_container`), kills every other
    process in it. Raises :class:`SandboxError` saying which step failed.

    ``cfg``: ``root`` (an empty host folder to mount the new root on), ``read_only`` (host
    folders to show read-only at the same paths), ``links`` (symbolic links to recreate)
    and ``inbox`` (the grader's workspace, shown read-only at :data:`INBOX`).
    ``close_in_reaper``: the zygote's descriptors the reaper must not keep.
    """
    global _container
    try:
        if os.geteuid() == 0:
            _join_memory_cgroup(int(cfg.get("memory", 2 << 30)))
        in_userns = _enter_namespaces(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS)
        if in_userns:
            _cap_namespaces()
        root = cfg["root"]
        under_tmp = _build_root(cfg)
        _unshare(CLONE_NEWPID)
        reaper = _start_reaper(root + "/proc", close_in_reaper, watch_state=in_userns)
        os.chdir(root)
        _pivot_root(".", ".")  # the reaper, sharing this mount namespace, moves along
        _umount(".", "umount old root")
        os.chdir("/")
        _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    except OSError as exc:
        raise SandboxError(f"building the container: {exc}") from None
    # In a user namespace, workers run as this process's own uid: they must not be able to
    # ptrace the reaper (a fork of this process), nor interrupt this one.
    sandbox.set_dumpable(False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _container = {"userns": in_userns, "under_tmp": under_tmp, "reaper": reaper}


_NAMESPACE_CAP = 64


def _cap_namespaces() -> None:
    """In the container's own user namespace: bound how many namespaces of each kind can
    exist under it. Workers run as the grader's uid, and the kernel's per-uid counts
    (/proc/sys/user/max_*_namespaces, about 96000) are shared by every job slot: a student
    pinning that many would make every other slot's container fail."""
    for kind in ("user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"):
        path = f"/proc/sys/user/max_{kind}_namespaces"
        if os.path.exists(path):
            write_file(path, str(_NAMESPACE_CAP))


_CGROUP_V1 = "/sys/fs/cgroup/memory"
_CGROUP_V2 = "/sys/fs/cgroup"


def _join_memory_cgroup(limit: int) -> None:
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


def _build_root(cfg: dict[str, Any]) -> list[tuple[str, str]]:
    """Mount a fresh root at ``cfg["root"]`` with read-only views of the allowed paths.

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
    return under_tmp


def _start_reaper(proc: str, close: tuple[int, ...], watch_state: bool) -> tuple[int, int]:
    """Fork the reaper, PID 1 of the workers' PID namespace; (command fd, answer fd).
    ``watch_state``: workers run as its uid (a user namespace), so they could change its
    limits or scheduling."""
    cmd_r, cmd_w = os.pipe()
    ans_r, ans_w = os.pipe()
    if os.fork():
        os.close(cmd_r)
        os.close(ans_w)
        if os.read(ans_r, 64) != b"ok":
            raise SandboxError("the reaper could not mount /proc")
        return cmd_w, ans_r
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # else a worker's SIGINT ends it
        os.close(cmd_w)
        os.close(ans_r)
        for fd in close:
            os.close(fd)
        sandbox.die_with_parent()
        os.chdir("/")
        try:
            _mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except SandboxError:
            os._exit(1)
        os.write(ans_w, b"ok")
        code = _reap_forever(cmd_r, ans_w, watch_state)
    finally:
        os._exit(code)


def _own_state() -> list[Any]:
    """What a worker (same uid) can change in the reaper: limits, niceness, policy,
    affinity, OOM score, autogroup niceness."""
    proc = []
    for name in ("oom_score_adj", "autogroup"):  # (autogroup: the zygote's too)
        with contextlib.suppress(OSError), open(f"/proc/self/{name}") as f:
            proc.append(f.read().strip())
    return [*(resource.getrlimit(getattr(resource, name)) for name in sorted(dir(resource))
              if name.startswith("RLIMIT_")),
            os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0),
            sorted(os.sched_getaffinity(0)), proc]


def _others_alive() -> list[int]:
    """The processes other than this one that still run (are not yet zombies) here."""
    alive = []
    for name in os.listdir("/proc"):
        if name.isdigit() and name != "1":
            try:
                with open(f"/proc/{name}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                        alive.append(int(name))
            except (OSError, IndexError):
                pass
    return alive


def _wait_for_any_end(pids: list[int], timeout: float) -> None:
    """Sleep until one of ``pids`` ends or ``timeout`` passes (pidfds, where there are)."""
    fds = []
    try:
        for pid in pids:
            with contextlib.suppress(OSError):
                fds.append(os.pidfd_open(pid))
        if not fds:
            time.sleep(min(timeout, 0.001))
            return
        poller = select.poll()
        for fd in fds:
            poller.register(fd, select.POLLIN)
        poller.poll(max(1, int(timeout * 1000)))
    finally:
        for fd in fds:
            os.close(fd)


def _reap_forever(cmd: int, answer: int, watch_state: bool) -> int:
    """The reaper's loop: reap orphans as they end; on ``c``, kill everything else in the
    namespace and answer ``k``. It exits (ending the namespace, and the zygote's use of it)
    when the zygote goes away, when a worker changed its limits or scheduling (same uid, in
    a user namespace), or when what it killed does not end within 5 seconds."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    state = _own_state() if watch_state else None
    while True:
        try:
            readable, _, _ = select.select([cmd, wake_r], [], [])
        except InterruptedError:
            continue
        if wake_r in readable:
            os.read(wake_r, 4096)
        if cmd in readable:
            if not os.read(cmd, 1):
                return 0
            if watch_state and _own_state() != state:
                return 2
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)
            # kill() only queues the signal: wait until they have let go of what they held
            # (descriptors, namespaces), or give the container up.
            deadline = time.monotonic() + 5.0
            while alive := _others_alive():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return 3
                with contextlib.suppress(ChildProcessError):
                    while os.waitpid(-1, os.WNOHANG)[0]:
                        pass
                _wait_for_any_end(alive, min(remaining, 0.05))
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if cmd in readable:
            os.write(answer, b"k")


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
    _unshare(CLONE_NEWNS | CLONE_NEWIPC)
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
    _bind_read_only(f"{INBOX}/{run}/submission", SUBMISSION)
    _umount(INBOX, "umount inbox")
    os.chdir(SCRATCH)
    if _container["userns"]:
        # Without root there is no other uid to drop to; instead a nested user namespace
        # leaves this process no capability over the mounts above (they become locked).
        _unshare(CLONE_NEWUSER, "unshare (nested user namespace)")
        _map_root(0, 0)
    if not sandbox.new_session_keyring():
        raise SandboxError(f"new session keyring: {os.strerror(ctypes.get_errno())}")
    sandbox.first_to_die()
    sandbox.drop_privileges(uid, gid)
    sandbox.deny_calls()


def clear_container() -> None:
    """In a container zygote: have the reaper kill every process in the workers' PID
    namespace, and wait until it has. Raises :class:`SandboxError` if the reaper is gone
    (the container can no longer be used)."""
    if _container is None:
        return
    cmd, answer = _container["reaper"]
    try:
        os.write(cmd, b"c")
        done = os.read(answer, 1) == b"k"
    except OSError:
        done = False
    if not done:
        raise SandboxError("the container's reaper is gone")


def in_container() -> bool:
    return _container is not None


