"""What the grader holds of one submission does not grow with the size of its answers.

Each answer is decoded (up to the 64 MiB reply cap) and held until its phase has been
answered, up to 256 MiB per submission (grader.judge.held); once judged it is dropped, and
the result keeps the verdict and a shortened message. An answer past that cap is not held
and its case fails, saying so. A submission that answers every case with a near-cap array
therefore costs the grader at most the cap and an answer or two, not its answers' total.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from grader.judge.held import DEFAULT_CAP

from .._mini import MINI_PROBLEM, edited, make_assignment, write_student

CASES = 24
ANSWER = 48_000_000  # bytes
HUGE = """
import numpy as np
def double(x):
    return np.zeros(6_000_000)  # 48 MB, a wrong shape, in every case
"""

# Grades in this subprocess (--jobs 1: judging runs in the grader's own process) and prints
# the largest resident size of it and its children (the zygote, the workers), in KiB.
MEASURE = """
import resource, subprocess, sys
done = subprocess.run([sys.executable, "-m", "grader", *sys.argv[1:]], capture_output=True,
                      text=True)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True)
print(done.stdout)
sys.stderr.write(done.stderr)
"""


def test_answers_near_the_cap_in_every_case_cost_one_answers_memory(tmp_path: Path) -> None:
    problem = edited(MINI_PROBLEM, "parts[0].cases[0].count", CASES)
    problem = edited(problem, "parts[0].cases[0].public", 0)  # one phase: the hidden cases
    root = make_assignment(tmp_path / "course", problems={"q1": problem})
    student = write_student(tmp_path / "eve", extra=HUGE).folder
    done = subprocess.run([sys.executable, "-c", MEASURE, "grade", str(root), str(student),
                           "--jobs", "1", "--format", "json", "--run-dir",
                           str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=300)
    code, peak_kib = map(int, done.stdout.splitlines()[0].split())
    assert code == 0, done.stderr
    report = json.loads("\n".join(done.stdout.splitlines()[1:]))
    double = report["submissions"][0]["problems"][0]["parts"][0]
    assert double["total"] == CASES and double["passed"] == 0
    held = DEFAULT_CAP // ANSWER
    messages = [case["message"] for case in double["cases"]]
    assert all("shape" in m for m in messages[:held]), messages
    assert all("not judged" in m and "256 MiB" in m for m in messages[held:]), messages
    # Every answer held, the grader would take CASES * 48 MB = 1.15 GB; held up to the cap,
    # the largest process (the grader, or a worker building one answer) stays near the cap.
    assert peak_kib * 1024 < DEFAULT_CAP + 3 * ANSWER + (64 << 20), peak_kib
