"""Landlock confinement (grader.sandbox.child.landlock), applied in a forked child."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.sandbox.child import landlock

KERNEL_ABI = landlock.abi_version()
needs_landlock = pytest.mark.skipif(KERNEL_ABI == 0, reason="this kernel offers no Landlock")


def confined(tmp_path: Path, abi: int, probe: Callable[[Path], str]) -> str:
    """Run ``probe`` in a forked child confined to reading ``ro/`` and writing ``rw/``; its
    answer, or what went wrong."""
    for name in ("ro", "rw", "secret"):
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "f.txt").write_text(name, encoding="utf-8")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            landlock.restrict([str(tmp_path / "ro")], [str(tmp_path / "rw")], abi)
            answer = probe(tmp_path)
        except BaseException as exc:
            answer = f"raised {type(exc).__name__}: {exc}"
        os.write(write_end, answer.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        answer = f.read().decode()
    os.waitpid(pid, 0)
    return answer


def attempt(action: Callable[[], object]) -> str:
    try:
        action()
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, str(exc.errno))
    return "ok"


def files(tmp: Path) -> str:
    return " ".join([
        attempt(lambda: (tmp / "ro" / "f.txt").read_text()),
        attempt(lambda: (tmp / "ro" / "new.txt").write_text("x")),
        attempt(lambda: (tmp / "secret" / "f.txt").read_text()),
        attempt(lambda: os.listdir(tmp / "secret")),
        attempt(lambda: (tmp / "rw" / "new.txt").write_text("x")),
        attempt(lambda: (tmp / "rw" / "f.txt").read_text()),
    ])


@needs_landlock
@pytest.mark.parametrize("abi", range(1, KERNEL_ABI + 1))
def test_reads_only_what_is_allowed_and_writes_only_the_writable_folder(
        tmp_path: Path, abi: int) -> None:
    assert confined(tmp_path, abi, files) == "ok EACCES EACCES EACCES ok ok"


def tcp(_: Path) -> str:
    client = socket.socket()  # making a socket is allowed; Landlock checks connect()
    return attempt(lambda: client.connect(("127.0.0.1", 9)))


@needs_landlock
@pytest.mark.parametrize("abi", [3, 4])
def test_tcp_connect_is_refused_only_where_the_abi_can(tmp_path: Path, abi: int) -> None:
    if abi > KERNEL_ABI:
        pytest.skip(f"this kernel's Landlock ABI is {KERNEL_ABI}")
    # Port 9 on localhost: nothing listens, so an allowed connect is refused by TCP itself.
    assert confined(tmp_path, abi, tcp) == ("EACCES" if abi >= 4 else "ECONNREFUSED")


def signal_parent(_: Path) -> str:
    return attempt(lambda: os.kill(os.getppid(), 0))


@needs_landlock
@pytest.mark.parametrize("abi", [5, 6])
def test_signals_outside_the_domain_are_refused_from_abi_6(tmp_path: Path, abi: int) -> None:
    if abi > KERNEL_ABI:
        pytest.skip(f"this kernel's Landlock ABI is {KERNEL_ABI}")
    assert confined(tmp_path, abi, signal_parent) == ("EPERM" if abi >= 6 else "ok")


def test_the_probe_is_capped_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(landlock.ABI_CAP_VARIABLE, "0")
    assert landlock.abi_version() == 0
    monkeypatch.setenv(landlock.ABI_CAP_VARIABLE, "3")
    assert landlock.abi_version() == min(3, KERNEL_ABI)


def test_what_each_abi_lacks_is_said() -> None:
    assert landlock.describe(0) == "no Landlock"
    assert landlock.describe(3) == ("Landlock ABI 3 (without TCP, signal and abstract-socket "
                                    "scoping)")
    assert landlock.describe(5) == "Landlock ABI 5 (without signal and abstract-socket scoping)"
    assert landlock.describe(7) == "Landlock ABI 7"


def test_without_landlock_restrict_refuses() -> None:
    with pytest.raises(landlock.SandboxError, match="not available"):
        landlock.restrict([], [], 0)
