"""What the grader holds of one submission does not grow with the size of its answers.

Each answer is decoded (up to the 64 MiB reply cap), judged as it arrives, and dropped: the
result keeps the verdict and a shortened message. A submission that answers every case with
a near-cap array therefore costs the grader about one answer's memory, not one per case.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .._mini import MINI_PROBLEM, edited, make_assignment, write_student

CASES = 24
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
    # Held per case, the answers would be CASES * 48 MB = 1.15 GB; judged and dropped, the
    # largest process (a worker building one answer, or the grader) stays far below.
    assert peak_kib < 400 * 1024, peak_kib
