"""Two submissions graded one after the other by the same job slot cannot talk.

A job slot keeps one container (one PID and one network namespace) for every submission it
grades. Were its process ids to count on from one worker to the next, a submission could
signal a number to the next one (say, a hidden input it had just received) by how many
processes it started, and the next one could show it in a public case's message, which
students see; likewise by how many packets it failed to send (the namespace's counters).
Each worker therefore starts at the same pid, whatever came before, and may open no socket
but a Unix one. (And ``grader grade`` grades a class
in an order nobody can predict, so that colluding submissions cannot count on meeting.)

The order is fixed here (the library's ``grade_all``), the worst case. Side by side, a
submission cannot starve its neighbour of CPU either: each container has a CPU cgroup of the
same weight.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.grading import GradeOptions, Grader
from grader.intake.submissions import one_submission
from grader.sandbox.runner import RunOptions

from ._lab import MODULE_FILE, Lab, correct_source
from .test_isolation import HOSTILE_NEIGHBOUR

# Starts N processes in every call of add(), hidden cases included.
SIGNALS = """

import os as _os


def add(a, b):
    for _ in range(@@N@@):
        pid = _os.fork()
        if pid == 0:
            _os._exit(0)
        _os.waitpid(pid, 0)
    return a + b
"""

# Shows its own pid and a child's in a public case's message.
LISTENS = """

import os as _os


def scale(x, c):
    pid = _os.fork()
    if pid == 0:
        _os._exit(0)
    _os.waitpid(pid, 0)
    raise RuntimeError(f"heard pid {_os.getpid()} child {pid}")
"""


# Fails to send N UDP packets in every call of add(): each failure counted, were sockets
# allowed, in the network namespace the container's workers share.
SENDS = """

import socket as _socket


def add(a, b):
    for _ in range(@@N@@):
        try:
            with _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM) as s:
                s.sendto(b"x", ("10.1.2.3", 9))
        except OSError:
            pass
    return a + b
"""

# Shows the namespace's count of packets with no route in a public case's message.
COUNTS = """

def scale(x, c):
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Ip:")]
    raise RuntimeError("heard " + rows[1][rows[0].index("OutNoRoutes")])
"""


# Shows the machine's count of forks since boot in a public case's message.
COUNTS_FORKS = """

def scale(x, c):
    with open("/proc/stat") as f:
        found = [line.split()[1] for line in f if line.startswith("processes ")]
    raise RuntimeError("heard " + (found[0] if found else "nothing"))
"""


def _heard(lab: Lab, tmp_path: Path, forks: int, sender_code: str = SIGNALS,
           listener_code: str = LISTENS) -> str:
    sender = lab.write(tmp_path / f"sender{forks}",
                       correct_source() + sender_code.replace("@@N@@", str(forks)))
    listener = lab.write(tmp_path / f"listener{forks}", correct_source() + listener_code)
    options = GradeOptions(run=RunOptions(sandbox="strict"))
    with Grader(lab.spec, options) as grader:
        sent, heard = grader.grade_all([one_submission(sender, MODULE_FILE),
                                        one_submission(listener, MODULE_FILE)], jobs=1)
    assert sent.score == sent.max_score, sent
    message = next(p.message for q in heard.problems for p in q.parts if p.function == "scale")
    assert "heard " in message, message
    return message


def test_a_submission_cannot_signal_the_next_one_by_pids(lab: Lab, tmp_path: Path) -> None:
    lab.require_full("a PID namespace per job slot")
    quiet, loud = _heard(lab, tmp_path, 0), _heard(lab, tmp_path, 37)
    assert quiet == loud, (quiet, loud)


def test_a_submission_cannot_signal_the_next_one_by_network_counters(lab: Lab,
                                                                     tmp_path: Path) -> None:
    lab.require_full("a network namespace per job slot")
    quiet = _heard(lab, tmp_path / "quiet", 0, SENDS, COUNTS)
    loud = _heard(lab, tmp_path / "loud", 37, SENDS, COUNTS)
    assert quiet == loud, (quiet, loud)


def test_what_a_hostile_submission_leaves_does_not_reach_the_next(lab: Lab,
                                                                   tmp_path: Path) -> None:
    """test_isolation's hostile neighbour (a fork bomb, 50 GB, a loop ignoring SIGTERM),
    graded right before an honest submission in the same slot."""
    lab.require("a fork bomb run as root: RLIMIT_NPROC binds only for the student uid",
                "full", "confined-uid")
    hostile = lab.write(tmp_path / "hostile", correct_source() + HOSTILE_NEIGHBOUR)
    honest = lab.write(tmp_path / "honest", correct_source())
    with Grader(lab.spec, GradeOptions(run=RunOptions(sandbox=lab.strict))) as grader:
        first, second = grader.grade_all([one_submission(hostile, MODULE_FILE),
                                          one_submission(honest, MODULE_FILE)], jobs=1)
    assert first.score < first.max_score
    assert second.score == second.max_score, second


def test_a_submission_cannot_signal_the_next_one_by_the_machines_fork_count(
        lab: Lab, tmp_path: Path) -> None:
    lab.require_full("a private /proc per worker")
    quiet = _heard(lab, tmp_path / "quiet", 0, SIGNALS, COUNTS_FORKS)
    loud = _heard(lab, tmp_path / "loud", 37, SIGNALS, COUNTS_FORKS)
    assert quiet == loud, (quiet, loud)


# Starts 60 busy loops, each in its own session (so in its own scheduler autogroup, were
# there no CPU controller), in every function, then waits out each deadline.
HOGS = """

import os as _os
import time as _time


def _hog(*args):
    for _ in range(60):
        if _os.fork() == 0:
            _os.setsid()
            while True:
                pass
    _time.sleep(30)


add = scale = norm = pair = forward = Counter = _hog
"""

# Correct, but each call needs some CPU: 100 ms of it, well within a second of its own.
BUSY = """

import time as _time

_add = add


def add(a, b):
    start, end = _time.monotonic(), _time.process_time() + 0.1
    while _time.process_time() < end:
        pass
    print("share", 0.1 / (_time.monotonic() - start))  # of a CPU, while it wanted one
    return _add(a, b)
"""


def _cpu_controller() -> bool:
    if Path("/sys/fs/cgroup/cpu/cpu.shares").is_file():  # cgroup v1
        return True
    controls = Path("/sys/fs/cgroup/cgroup.subtree_control")  # v2
    return controls.is_file() and "cpu" in controls.read_text().split()


def test_a_submission_cannot_starve_its_neighbour_of_cpu(lab: Lab, tmp_path: Path) -> None:
    """Side by side (``--jobs 2``): the honest submission keeps its share of the CPU and its
    marks, however many processes the other one starts. Two runs: one lucky run proves
    nothing."""
    lab.require_full("a container per job slot")
    if os.geteuid() != 0 or not _cpu_controller():
        pytest.skip("a CPU cgroup per container needs root and a CPU controller")
    for attempt in range(2):
        hog = lab.write(tmp_path / f"run{attempt}" / "hog", correct_source() + HOGS)
        honest = lab.write(tmp_path / f"run{attempt}" / "honest", correct_source() + BUSY)
        with Grader(lab.spec, GradeOptions(run=RunOptions(sandbox="strict"))) as grader:
            hogged, graded = grader.grade_all([one_submission(hog, MODULE_FILE),
                                               one_submission(honest, MODULE_FILE)], jobs=2)
        assert hogged.score == 0, hogged
        assert graded.score == graded.max_score, (attempt, graded)
        # Two job slots on this machine's cores (2 here; the hog's container holds one
        # slot's share): the honest one gets a fair part of a CPU, not 1/60th of it.
        shares = [float(line.split()[1]) for line in graded.output.splitlines()
                  if line.startswith("share ")]
        assert shares and min(shares) > 0.2, (attempt, shares)
