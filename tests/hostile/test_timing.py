"""A submission cannot time how long its answers take to judge.

The worker writes each answer to a pipe that the grader reads. Were each answer judged before
the next one is read, a large answer's write would wait on the judging of the one before it,
and a submission could time that wait between two of its calls: whether an answer was right
often changes how long judging takes. The grader holds a phase's answers and judges them once
the student's process has answered every call of the phase (grader.judge.held).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from grader import grading
from grader.grading import Grader
from grader.spec import load_assignment

from .._mini import MINI_PROBLEM, edited, make_assignment, write_student

SLOW = 0.2  # seconds the judge takes per answer here

# Answers 320 KB (more than a pipe holds) in every case, and prints each time between
# returning an answer and being called again: how long writing the answer took.
TIMER = """
import time
import numpy as np

_last = [None]
_gaps = []


def double(x):
    now = time.monotonic()
    if _last[0] is not None:
        _gaps.append(now - _last[0])
        print("gap", _gaps[-1], flush=True)
    _last[0] = time.monotonic()
    return np.zeros(40_000)
"""


def test_judging_time_cannot_be_seen_from_the_students_process(
        tmp_path: Path, monkeypatch: Any) -> None:
    real = grading.case_result

    def slow(*args: Any) -> Any:
        end = time.monotonic() + SLOW
        while time.monotonic() < end:  # busy, holding the interpreter lock, as judging does
            pass
        return real(*args)

    monkeypatch.setattr(grading, "case_result", slow)
    problem = edited(MINI_PROBLEM, "parts[0].cases[0].count", 8)
    problem = edited(problem, "parts[0].cases[0].public", 8)
    root = make_assignment(tmp_path / "course", problems={"q1": problem})
    with Grader(load_assignment(root)) as grader:
        result = grader.grade(write_student(tmp_path / "eve", extra=TIMER))
    gaps = [float(line.split()[1]) for line in result.output.splitlines()
            if line.startswith("gap ")]
    assert len(gaps) >= 5, result.output
    assert max(gaps) < SLOW / 2, gaps


# Prints when each call starts, on the clock the grader reads too (CLOCK_MONOTONIC is the
# machine's; the sandbox has no time namespace).
STAMPS = """
import time
import numpy as np


def double(x):
    print("call", time.monotonic(), flush=True)
    return 2 * np.asarray(x)
"""


def test_a_phase_is_judged_only_once_every_call_of_it_was_answered(
        tmp_path: Path, monkeypatch: Any) -> None:
    real = grading.case_result
    judged: list[tuple[bool, float]] = []  # (public, when), of double()'s cases

    def stamped(prepared: Any, case: Any, *args: Any) -> Any:
        if prepared.part.function == "double":
            judged.append((case.public, time.monotonic()))
        return real(prepared, case, *args)

    monkeypatch.setattr(grading, "case_result", stamped)
    problem = edited(MINI_PROBLEM, "parts[0].cases[0].count", 6)
    problem = edited(problem, "parts[0].cases[0].public", 3)
    root = make_assignment(tmp_path / "course", problems={"q1": problem})
    with Grader(load_assignment(root)) as grader:
        result = grader.grade(write_student(tmp_path / "eve", extra=STAMPS))
    assert result.problems[0].parts[0].passed == 6
    calls = [float(line.split()[1]) for line in result.output.splitlines()
             if line.startswith("call ")]
    assert len(calls) == 6 and len(judged) == 6, (result.output, judged)
    public_calls, hidden_calls = calls[:3], calls[3:]
    public_judged = [when for public, when in judged if public]
    hidden_judged = [when for public, when in judged if not public]
    # The public answers are judged after the last public call (while the hidden ones run:
    # their verdicts are the student's to see anyway), the hidden answers after the last
    # hidden call.
    assert max(public_calls) < min(public_judged)
    assert max(hidden_calls) < min(hidden_judged)
