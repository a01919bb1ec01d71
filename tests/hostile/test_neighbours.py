"""Two submissions graded one after the other by the same job slot cannot talk.

A job slot keeps one container (one PID namespace) for every submission it grades. Were its
process ids to count on from one worker to the next, a submission could signal a number to
the next one (say, a hidden input it had just received) by how many processes it started,
and the next one could show it in a public case's message, which students see. Each worker
therefore starts at the same pid, whatever came before. (And ``grader grade`` grades a class
in an order nobody can predict, so that colluding submissions cannot count on meeting.)

The order is fixed here (the library's ``grade_all``), the worst case.
"""

from __future__ import annotations

from pathlib import Path

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


def _heard(lab: Lab, tmp_path: Path, forks: int) -> str:
    sender = lab.write(tmp_path / f"sender{forks}",
                       correct_source() + SIGNALS.replace("@@N@@", str(forks)))
    listener = lab.write(tmp_path / f"listener{forks}", correct_source() + LISTENS)
    options = GradeOptions(run=RunOptions(sandbox="strict"))
    with Grader(lab.spec, options) as grader:
        sent, heard = grader.grade_all([one_submission(sender, MODULE_FILE),
                                        one_submission(listener, MODULE_FILE)], jobs=1)
    assert sent.score == sent.max_score, sent
    message = next(p.message for q in heard.problems for p in q.parts if p.function == "scale")
    assert "heard pid" in message, message
    return message


def test_a_submission_cannot_signal_the_next_one_by_pids(lab: Lab, tmp_path: Path) -> None:
    lab.require_full("a PID namespace per job slot")
    quiet, loud = _heard(lab, tmp_path, 0), _heard(lab, tmp_path, 37)
    assert quiet == loud, (quiet, loud)


def test_what_a_hostile_submission_leaves_does_not_reach_the_next(lab: Lab,
                                                                   tmp_path: Path) -> None:
    """test_isolation's hostile neighbour (a fork bomb, 50 GB, a loop ignoring SIGTERM),
    graded right before an honest submission in the same slot."""
    lab.require_full("a fork bomb run as root: RLIMIT_NPROC binds only for the student uid")
    hostile = lab.write(tmp_path / "hostile", correct_source() + HOSTILE_NEIGHBOUR)
    honest = lab.write(tmp_path / "honest", correct_source())
    with Grader(lab.spec, GradeOptions(run=RunOptions(sandbox="strict"))) as grader:
        first, second = grader.grade_all([one_submission(hostile, MODULE_FILE),
                                          one_submission(honest, MODULE_FILE)], jobs=1)
    assert first.score < first.max_score
    assert second.score == second.max_score, second
