"""A submission cannot time how long its answers take to judge.

The worker writes each answer to a pipe that the grader reads. Were each answer judged before
the next one is read, a large answer's write would wait on the judging of the one before it,
and a submission could time that wait between two of its calls: whether an answer was right
often changes how long judging takes. The answers are judged on a thread of their own, so
reading never waits on judging (grader.judge.offpath).
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
        time.sleep(SLOW)
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
