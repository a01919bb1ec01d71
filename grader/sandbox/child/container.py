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
:mod:`grader.sandbox.child.confine` gives every student process. Building the container once
per zygote, not once per worker, is what makes a worker cost one ``fork``.

Standard library only: the zygote and the worker import it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import time
from typing import Any

from grader.sandbox.child import cgroup, confine
from grader.sandbox.child.syscalls import (
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWUSER,
    CLONE_NEWUTS,
    MS_BIND,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
    SandboxError,
    die_with_parent,
    map_root,
    mount,
    pivot_root,
    set_dumpable,
    umount,
    unshare,
    write_file,
)

_DEVICES = ("null", "zero", "random", "urandom")

INBOX = "/.inbox"  # where a container sees the grader's workspace (the submissions' copies)
SUBMISSION = "/submission"  # where a worker sees its own submission, read-only
SCRATCH = "/tmp/work"  # a worker's working folder, HOME and TMPDIR
_TMP_BINDS = "/.tmp-binds"
_MOUNTPOINTS = ("/tmp", "/proc", "/dev/shm", SUBMISSION, INBOX, _TMP_BINDS)

_container: dict[str, Any] | None = None  # set in a zygote that made itself a container


def _enter_namespaces(flags: int) -> bool:
    """Unshare namespaces; returns True when a user namespace was needed (not root)."""
    if os.geteuid() == 0:
        unshare(flags)
        return False
    uid, gid = os.geteuid(), os.getegid()
    unshare(flags | CLONE_NEWUSER, "unshare (user namespace)")
    map_root(uid, gid)
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
    folders to show read-only at the same paths), ``links`` (symbolic links to recreate),
    ``views`` (folders among those to show only some entries of: :func:`_show_only`)
    and ``inbox`` (the grader's workspace, shown read-only at :data:`INBOX`).
    ``close_in_reaper``: the zygote's descriptors the reaper must not keep.
    """
    global _container
    try:
        if os.geteuid() == 0:
            cgroup.join_cgroups(int(cfg.get("memory", 2 << 30)))
        in_userns = _enter_namespaces(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS)
        if in_userns:
            _cap_namespaces()
        root = cfg["root"]
        under_tmp = _build_root(cfg)
        unshare(CLONE_NEWPID)
        reaper = _start_reaper(root + "/proc", close_in_reaper, watch_state=in_userns)
        _mask_global_counters(root + "/proc")  # (every worker's mounts are a copy of these)
        os.chdir(root)
        pivot_root(".", ".")  # the reaper, sharing this mount namespace, moves along
        umount(".", "umount old root")
        os.chdir("/")
        mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    except OSError as exc:
        raise SandboxError(f"building the container: {exc}") from None
    # In a user namespace, workers run as this process's own uid: they must not be able to
    # ptrace the reaper (a fork of this process), nor interrupt this one.
    set_dumpable(False)
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


def _build_root(cfg: dict[str, Any]) -> list[tuple[str, str]]:
    """Mount a fresh root at ``cfg["root"]`` with read-only views of the allowed paths.

    Returns the allowed paths under /tmp, as (where they are staged, their path): a worker's
    own /tmp would hide them."""
    root = cfg["root"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=755")
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
    for folder, entries in cfg.get("views", {}).items():
        staged = [(at, path) for at, path in under_tmp if folder.startswith(path + "/")]
        at = staged[0][0] + folder[len(staged[0][1]):] if staged else folder
        _show_only(folder, root + at, entries)
    for name in _DEVICES:
        target = f"{root}/dev/{name}"
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "w").close()
        mount(f"/dev/{name}", target, None, MS_BIND)
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
        die_with_parent()
        os.chdir("/")
        try:
            mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except SandboxError:
            os._exit(1)
        os.write(ans_w, b"ok")
        code = _reap_forever(cmd_r, ans_w, watch_state)
    finally:
        os._exit(code)


def _own_state() -> list[Any]:
    """What a worker (same uid) can change in the reaper: limits, niceness, policy,
    affinity, OOM score, autogroup niceness."""
    import resource  # (here: the worker imports this module everywhere, Windows included)

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
            _restart_pids()
            os.write(answer, b"k")


def _restart_pids() -> None:
    """Make the namespace's next process id 2 again, so that a worker's pid (and those of what
    it starts) depend on nothing an earlier worker did: pids only count up, and an earlier
    submission could otherwise signal a number to the next one by how many processes it
    started. Needs everything else in the namespace gone and reaped (the zygote reaps its
    workers before it forks another)."""
    with contextlib.suppress(OSError), open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write("1")  # (tests/hostile/test_neighbours.py checks that it holds)


def _show_only(folder: str, target: str, entries: list[str]) -> None:
    """Cover ``target`` (where ``folder`` shows) with a read-only folder that holds only
    ``entries`` of ``folder`` (names, or ``__pycache__/NAME``): a site-packages folder cut
    down to the packages students may import."""
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for entry in entries:
        source, shown = os.path.join(folder, entry), os.path.join(target, entry)
        os.makedirs(os.path.dirname(shown), exist_ok=True)  # (for __pycache__/NAME)
        if os.path.isdir(source):
            _bind_read_only(source, shown, recursive=True)
        elif os.path.exists(source):
            open(shown, "w").close()  # (a file is bound onto a file)
            mount(source, shown, None, MS_BIND)
            mount(None, shown, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    mount(None, target, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _bind_read_only(source: str, target: str, recursive: bool = False) -> None:
    os.makedirs(target, exist_ok=True)
    mount(source, target, None, MS_BIND | (MS_REC if recursive else 0))
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


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
    unshare(CLONE_NEWNS | CLONE_NEWIPC)
    size = int(cfg.get("scratch_bytes", 64 << 20))
    # /tmp is the student's writable space, a size-capped tmpfs that vanishes with the
    # worker; /tmp/work is its working folder.
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    os.mkdir(SCRATCH, 0o700)
    os.chown(SCRATCH, uid, gid)
    for staged, path in _container["under_tmp"]:
        _bind_read_only(staged, path, recursive=True)  # (with any site-packages view)
    # multiprocessing needs POSIX shared memory and semaphores: a small private /dev/shm.
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16m,mode=1777")
    _bind_read_only(f"{INBOX}/{run}/submission", SUBMISSION)
    umount(INBOX, "umount inbox")
    os.chdir(SCRATCH)
    if _container["userns"]:
        # Without root there is no other uid to drop to; instead a nested user namespace
        # leaves this process no capability over the mounts above (they become locked).
        unshare(CLONE_NEWUSER, "unshare (nested user namespace)")
        map_root(0, 0)
    if not confine.new_session_keyring():
        raise SandboxError(f"new session keyring: {os.strerror(ctypes.get_errno())}")
    confine.first_to_die()
    confine.drop_privileges(uid, gid)
    confine.deny_calls()


# Files of /proc that count, since boot, what every process on the machine did (forks,
# context switches, interrupts, page faults, disk requests): a worker could read there what
# the worker before it did, a channel between two submissions. Each is shown empty.
_GLOBAL_COUNTERS = ("stat", "vmstat", "schedstat", "interrupts", "softirqs", "diskstats")


def _mask_global_counters(proc: str) -> None:
    for name in _GLOBAL_COUNTERS:
        if os.path.exists(f"{proc}/{name}"):
            mount("/dev/null", f"{proc}/{name}", None, MS_BIND)


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


