"""The sandbox modes, and hostile code next to honest code.

- under full isolation, a submission cannot read or import the real homework 2 reference;
- ``--sandbox strict`` grades here (where full isolation is available);
- ``--sandbox off`` still runs student code in a separate process;
- a fork bomb, a 50 GB allocation and a loop that ignores SIGTERM in one submission do not
  change the grade, or the wall time, of another submission graded in the same run.

Each run is observed as in test_corpus.py: nothing may be written outside scratch, and no
process may be left.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from ._lab import REPO_ROOT, SLACK, CliRun, Graded, Lab, Observation, correct_source

HW2_REFERENCE = REPO_ROOT / "problems" / "hw2" / "reference"


def leftovers(observed: Observation) -> list[str]:
    return ([f"changed: {c}" for c in observed.changed]
            + [f"run folder left: {r}" for r in observed.left_runs]
            + [f"process left: {p.describe()}" for p in observed.left_procs])


def scores(graded: Graded) -> dict[str, float]:
    return {function: part.score for function, part in graded.parts.items()}


def test_real_hw2_reference_is_out_of_reach(lab: Lab, tmp_path: Path) -> None:
    lab.require_full("reading files outside the sandbox")
    assert (HW2_REFERENCE / "solution.py").is_file()
    folder = lab.write(tmp_path / "thief", correct_source() + f'''

def add(a, b):
    with open("{HW2_REFERENCE}/solution.py") as f:
        f.read()
    return a + b


def scale(x, c):
    import sys

    sys.path.insert(0, "{HW2_REFERENCE}")
    import solution  # noqa: F401

    return c * x


def norm(x):
    import os

    os.listdir("{HW2_REFERENCE.parent}")
    return float(np.sqrt(np.sum(np.square(x))))
''')

    observed = lab.observe(lambda: lab.grade(folder, "strict"))

    graded: Graded = observed.graded
    assert scores(graded) == {"add": 0, "scale": 0, "norm": 0, "pair": 2}, graded.parts
    assert "FileNotFoundError" in graded.parts["add"].message
    assert "No module named 'solution'" in graded.parts["scale"].message
    assert "FileNotFoundError" in graded.parts["norm"].message
    assert leftovers(observed) == []


def test_sandbox_strict_grades_here(lab: Lab, tmp_path: Path) -> None:
    lab.require_full("--sandbox strict refuses to grade without it")
    folder = lab.write(tmp_path / "honest", correct_source())

    observed = lab.observe(lambda: lab.grade_cli(folder, "--sandbox", "strict"))

    cli: CliRun = observed.graded
    assert cli.returncode == 0, cli.stderr
    assert "warning" not in cli.stderr
    graded = cli.submissions["honest"]
    assert graded.score == graded.max_score == 8, graded.parts
    assert leftovers(observed) == []


def test_sandbox_off_still_runs_student_code_in_a_separate_process(lab: Lab,
                                                                   tmp_path: Path) -> None:
    # @@PID@@ is this test process: the student's code must run in another one, so that its
    # segfault costs one part instead of killing the grader.
    folder = lab.write(tmp_path / "elsewhere", correct_source() + '''

def add(a, b):
    import ctypes

    return ctypes.string_at(0)


def scale(x, c):
    import os
    import sys

    if os.getpid() == @@PID@@ or "_pytest" in sys.modules:
        raise RuntimeError("running inside the grader's own process")
    return c * x
''')

    observed = lab.observe(lambda: lab.grade(folder, "off"))

    graded: Graded = observed.graded
    assert graded.level == "off"
    assert scores(graded) == {"add": 0, "scale": 2, "norm": 2, "pair": 2}, graded.parts
    assert "killed by signal SIGSEGV while running add()" in graded.parts["add"].message
    assert leftovers(observed) == []


HOSTILE_NEIGHBOUR = '''

def add(a, b):
    import os

    while True:
        try:
            os.fork()
        except OSError:
            pass


def scale(x, c):
    return c * x + np.ones(50 * 10**9 // 8)[0]


def norm(x):
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        pass
'''


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_hostile_submission_does_not_affect_its_neighbour(lab: Lab, tmp_path: Path,
                                                          jobs: str) -> None:
    """One after the other (what the hostile one leaves must not reach the next), and side
    by side (what it does while it runs must not slow the other down)."""
    lab.require_full("a fork bomb run as root: RLIMIT_NPROC binds only for the student uid")
    lab.write(tmp_path / "run" / "a_hostile", correct_source() + HOSTILE_NEIGHBOUR)
    lab.write(tmp_path / "run" / "b_honest", correct_source())

    observed = lab.observe(lambda: lab.grade_cli(tmp_path / "run", "--jobs", jobs))

    cli: CliRun = observed.graded
    assert cli.returncode == 0, cli.stderr
    hostile, honest = cli.submissions["a_hostile"], cli.submissions["b_honest"]
    assert scores(hostile) == {"add": 0, "scale": 0, "norm": 0, "pair": 2}, hostile.parts
    assert "timed out after 1s" in hostile.parts["add"].message
    assert "MemoryError" in hostile.parts["scale"].message
    assert "timed out after 1s" in hostile.parts["norm"].message
    assert honest.score == honest.max_score == 8, honest.parts
    # The honest submission ran as fast as one graded alone (the lab's first run).
    assert honest.seconds <= 3 * lab.baseline + 1.0, (honest.seconds, lab.baseline)
    bound = lab.import_timeout + lab.timeouts["add"] + lab.timeouts["norm"] + SLACK
    assert observed.seconds <= bound, (observed.seconds, bound)
    assert leftovers(observed) == []


def test_lab_checks_can_fail(lab: Lab, tmp_path: Path) -> None:
    """The harness sees a daemon that left its session and a file written to /tmp."""
    stray = Path("/tmp/hostile-lab-self-test.txt")
    daemon = (f"import os, time\nif os.fork() == 0:\n    os.setsid()\n"
              f"    open({str(stray)!r}, 'w').close()\n    time.sleep(30)\nos._exit(0)\n")

    def leak() -> None:
        subprocess.run([sys.executable, "-c", daemon], check=True)
        for _ in range(100):
            if stray.exists():
                break
            time.sleep(0.01)

    observed = lab.observe(leak)

    assert f"created {stray}" in observed.changed
    assert [p.cmdline.startswith(sys.executable) for p in observed.left_procs] == [True]
    assert not stray.exists()  # the lab cleans up after a defeated grader
