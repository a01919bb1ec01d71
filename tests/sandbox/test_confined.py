"""The confined level on this machine, without the Docker-like harness: the policy's probe
and fallbacks, the uid claims, and a grader forced down to that level (as if namespaces were
refused) keeping a student's code from the references, from writing outside scratch, from
the network and from leaving processes behind. The hostile suite runs at this level in
tests/sandbox/test_dockerlike.py."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.grading import GradeOptions, Grader
from grader.results import SubmissionResult
from grader.sandbox.child import landlock
from grader.sandbox.policy import Isolation, SandboxUnavailable, claim_uid, probe_confined

from .._mini import write_student

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or landlock.abi_version() < 1,
    reason="the confined level needs Linux with Landlock (5.13 or later)")

REFUSED = "as if namespaces were refused (a test)"


@pytest.fixture
def confined(mini_root: Path) -> Iterator[Grader]:
    """A grader whose run has fallen to the confined level."""
    from grader.spec import load_assignment

    warnings: list[str] = []
    with Grader(load_assignment(mini_root), GradeOptions(warn=warnings.append)) as grader:
        if grader.isolation.level == "full":
            grader.isolation.downgrade(REFUSED)
        assert grader.isolation.level == "confined", warnings
        yield grader


def messages(result: SubmissionResult) -> dict[str, str]:
    return {p.function: p.message for problem in result.problems for p in problem.parts}


def scores(result: SubmissionResult) -> dict[str, float]:
    return {p.function: p.score for problem in result.problems for p in problem.parts}


def test_the_probe_says_what_the_level_has_and_lacks() -> None:
    found, why = probe_confined(["/usr"])
    assert found is not None and why == ""
    assert found.abi == landlock.abi_version()
    assert "a size cap on scratch" in found.lacks
    if os.geteuid() != 0:
        assert not found.separate_uid and "a separate uid (the grader is not root)" in found.lacks
    elif not found.separate_uid:  # (a Python, or a temporary folder, other users cannot read)
        assert any(lack.startswith("a separate uid (") and "not readable by other users" in lack
                   for lack in found.lacks), found.lacks


def test_below_abi_6_the_probe_says_signals_are_not_scoped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(landlock.ABI_CAP_VARIABLE, "4")
    found, _ = probe_confined(["/usr"])
    assert found is not None and found.abi == 4
    assert any("signal and abstract-socket scoping" in lack for lack in found.lacks)


def test_without_landlock_auto_falls_to_limits_and_confined_refuses(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(landlock.ABI_CAP_VARIABLE, "0")
    said: list[str] = []
    isolation = Isolation("auto", warn=said.append)
    if isolation.level == "full":
        isolation.downgrade(REFUSED)
    assert isolation.level == "limits"
    assert len(said) == 1 and "isolation: resource limits only" in said[0]
    assert "confined: no Landlock" in said[0]

    strict = Isolation("confined")
    if strict.level == "full":
        with pytest.raises(SandboxUnavailable, match=r"full or confined isolation is "
                                                     r"unavailable here.*no Landlock"):
            strict.downgrade(REFUSED)


def test_strict_refuses_the_confined_level() -> None:
    isolation = Isolation("strict")
    if isolation.level == "full":
        with pytest.raises(SandboxUnavailable, match="--sandbox strict: full isolation"):
            isolation.downgrade(REFUSED)


@pytest.mark.skipif(os.geteuid() != 0, reason="uids are claimed only by a grader run as root")
def test_a_uid_claimed_is_nobody_elses_until_released() -> None:
    first, held = claim_uid(first=64900, count=5)
    second, other = claim_uid(first=64900, count=5)
    assert first != second
    os.close(held)
    third, again = claim_uid(first=64900, count=5)
    assert third == first
    os.close(other)
    os.close(again)


@pytest.mark.skipif(os.geteuid() != 0, reason="uids are claimed only by a grader run as root")
def test_the_claims_are_out_of_a_students_reach() -> None:
    """They are lock files in a folder of root's alone: a student (a uid of its own, or
    Landlock, which shows no such folder) cannot take every uid first."""
    _, held = claim_uid(first=64900, count=5)
    try:
        folder = os.path.dirname(os.readlink(f"/proc/self/fd/{held}"))
        info = os.stat(folder)
        assert info.st_uid == 0 and info.st_mode & 0o077 == 0
        assert not folder.startswith(("/usr", "/etc"))  # (nothing Landlock lets a worker read)
    finally:
        os.close(held)


def test_student_code_reaches_no_file_outside_and_writes_only_scratch(
        confined: Grader, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    reference = confined.assignment.reference_dir / "solution.py"
    result = confined.grade(write_student(tmp_path / "s", f'''
def double(x):
    open({str(reference)!r}).read()
    return 2 * x

def halve(x):
    open({str(outside)!r}, "a").write("mine")
    return x / 2

def total(x):
    open("here.txt", "w").write("scratch is mine")
    import os
    os.mknod("device", 0o600 | 0o020000, os.makedev(1, 3))  # /dev/null's numbers
    return float(sum(x))
'''))
    told = messages(result)
    assert scores(result)["double"] == 0 and "PermissionError" in told["double"], told
    assert scores(result)["halve"] == 0 and "PermissionError" in told["halve"], told
    assert scores(result)["total"] == 0, told  # (scratch is writable; no device node there)
    assert "Operation not permitted" in told["total"] or "PermissionError" in told["total"]
    assert outside.read_text() == "secret"
    assert scores(result)["split"] == 2 and scores(result)["quiet"] == 2


def test_no_kernel_object_outlives_the_worker_and_no_file_changes_mode(
        confined: Grader, tmp_path: Path) -> None:
    """System V IPC has no namespace here (its objects would outlive the worker: a channel to
    the next student, memory nothing frees); chmod is not Landlock's to refuse, and a worker
    without a uid of its own owns the grader's files."""
    target = tmp_path / "instructors.txt"
    target.write_text("x")
    target.chmod(0o644)
    key = 0x5EED0000 + os.getpid() % 0xFFFF
    result = confined.grade(write_student(tmp_path / "s", f'''
def double(x):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.shmget({key}, 4096, 0o1666) >= 0 or libc.msgget({key}, 0o1666) >= 0 \\
            or libc.semget({key}, 1, 0o1666) >= 0:
        raise RuntimeError("made a System V object")
    raise RuntimeError("System V IPC refused: errno " + str(ctypes.get_errno()))

def halve(x):
    import os
    os.chmod({str(target)!r}, 0o4777)
    return x / 2
'''))
    told = messages(result)
    assert scores(result)["double"] == 0
    assert "System V IPC refused: errno 1" in told["double"], told  # EPERM
    assert scores(result)["halve"] == 0 and "PermissionError" in told["halve"], told
    assert target.stat().st_mode & 0o7777 == 0o644


def test_student_code_has_no_network(confined: Grader, tmp_path: Path) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    try:
        result = confined.grade(write_student(tmp_path / "s", f'''
def double(x):
    import socket
    socket.create_connection(("127.0.0.1", {port}), timeout=1)
    return 2 * x
'''))
    finally:
        server.close()
    assert scores(result)["double"] == 0
    assert "Network is unreachable" in messages(result)["double"], messages(result)


def test_nothing_a_student_starts_outlives_its_submission(confined: Grader,
                                                          tmp_path: Path) -> None:
    marker = f"grader-confined-daemon-{os.getpid()}"
    result = confined.grade(write_student(tmp_path / "s", f'''
def double(x):
    import os, subprocess
    if os.fork() == 0:
        os.setsid()
        subprocess.Popen(["sleep", "300", "{marker}"], start_new_session=True)
        os._exit(0)
    return 2 * x
'''))
    assert scores(result)["double"] == 3, messages(result)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _running(marker):
        time.sleep(0.05)
    left = _running(marker)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []


def _running(marker: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(name))
            except OSError:
                pass
    return found
