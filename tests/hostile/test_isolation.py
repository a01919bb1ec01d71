"""The sandbox modes, and hostile code next to honest code.

- under full isolation, a submission cannot read or import the real homework 2 reference;
- ``--sandbox strict`` grades here (where full isolation is available);
- ``--sandbox off`` still runs student code in a separate process;
- a fork bomb, a 50 GB allocation and a loop that ignores SIGTERM in one submission do not
  change the grade, or the wall time, of another submission graded in the same run;
- a student sees no grader process (only its PID namespace's reaper), cannot spoil the
  container for the next submission, and does not share the grader's session keyring.

Each run is observed as in test_corpus.py: nothing may be written outside scratch, and no
process may be left.
"""

from __future__ import annotations

import ctypes
import platform
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
    lab.require_confined("reading files outside the sandbox")
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

    observed = lab.observe(lambda: lab.grade(folder, lab.strict))

    graded: Graded = observed.graded
    # (Not there at all under full isolation; refused by Landlock at the confined level.)
    refused = "FileNotFoundError" if lab.level == "full" else "PermissionError"
    assert scores(graded) == {"add": 0, "scale": 0, "norm": 0, "pair": 2,
                              "chain": 2, "drive": 2}, graded.parts
    assert refused in graded.parts["add"].message
    assert "No module named 'solution'" in graded.parts["scale"].message
    assert refused in graded.parts["norm"].message
    assert leftovers(observed) == []


def test_sandbox_strict_grades_here(lab: Lab, tmp_path: Path) -> None:
    lab.require_full("--sandbox strict refuses to grade without it")
    folder = lab.write(tmp_path / "honest", correct_source())

    observed = lab.observe(lambda: lab.grade_cli(folder, "--sandbox", "strict"))

    cli: CliRun = observed.graded
    assert cli.returncode == 0, cli.stderr
    assert "warning" not in cli.stderr
    graded = cli.submissions["honest"]
    assert graded.score == graded.max_score == 12, graded.parts
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
    assert scores(graded) == {"add": 0, "scale": 2, "norm": 2, "pair": 2,
                              "chain": 2, "drive": 2}, graded.parts
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
    """One after the other (what the hostile one leaves must not reach the next; the grader
    picks the order at random), and side by side (what it does while it runs must not slow
    the other down)."""
    lab.require_full("a fork bomb run as root: RLIMIT_NPROC binds only for the student uid")
    lab.write(tmp_path / "run" / "a_hostile", correct_source() + HOSTILE_NEIGHBOUR)
    lab.write(tmp_path / "run" / "b_honest", correct_source())

    observed = lab.observe(lambda: lab.grade_cli(tmp_path / "run", "--jobs", jobs))

    cli: CliRun = observed.graded
    assert cli.returncode == 0, cli.stderr
    hostile, honest = cli.submissions["a_hostile"], cli.submissions["b_honest"]
    assert scores(hostile) == {"add": 0, "scale": 0, "norm": 0, "pair": 2,
                               "chain": 2, "drive": 2}, hostile.parts
    assert "timed out after 1s" in hostile.parts["add"].message
    assert "MemoryError" in hostile.parts["scale"].message
    assert "timed out after 1s" in hostile.parts["norm"].message
    assert honest.score == honest.max_score == 12, honest.parts
    # The honest submission ran as fast as one graded alone (the lab's first run).
    assert honest.seconds <= 3 * lab.baseline + 1.0, (honest.seconds, lab.baseline)
    bound = lab.import_timeout + lab.timeouts["add"] + lab.timeouts["norm"] + SLACK
    assert observed.seconds <= bound, (observed.seconds, bound)
    assert leftovers(observed) == []


REACH_OUT = """

def add(a, b):
    import ctypes
    import os
    import resource
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    keyring = libc.syscall(@@KEYCTL@@, 0, -3, 0)  # keyctl(GET_KEYRING_ID, session keyring)
    others = sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid())
    print("visible", others, "keyring", keyring)
    for pid in others:  # lower, slow down or kill whatever else is visible
        for attempt in (lambda: resource.prlimit(pid, resource.RLIMIT_CPU, (1, 1)),
                        lambda: resource.prlimit(pid, resource.RLIMIT_NOFILE, (8, 8)),
                        lambda: os.setpriority(os.PRIO_PROCESS, pid, 19),
                        lambda: os.sched_setaffinity(pid, {0}),
                        lambda: os.kill(pid, signal.SIGKILL)):
            try:
                attempt()
            except OSError:
                pass
    return a + b
"""


KEYCTL = {"x86_64": 250, "aarch64": 219}.get(platform.machine())  # the syscall's number


def _session_keyring() -> int:
    return int(ctypes.CDLL(None, use_errno=True).syscall(KEYCTL, 0, -3, 0))


def test_a_student_reaches_neither_the_zygote_nor_the_graders_keyring(lab: Lab,
                                                                      tmp_path: Path) -> None:
    """The workers' PID namespace holds no grader process, only a reaper owned by the
    grader's uid; whatever a student tries on what it sees, the next submission graded by
    the same zygote keeps full isolation and full marks. Its session keyring is its own."""
    lab.require_full("a PID namespace without the zygote")
    if KEYCTL is None:
        pytest.skip(f"keyctl's syscall number on {platform.machine()} is not known here")
    lab.write(tmp_path / "run" / "a_reaching",
              correct_source() + REACH_OUT.replace("@@KEYCTL@@", str(KEYCTL)))
    lab.write(tmp_path / "run" / "b_honest", correct_source())

    observed = lab.observe(lambda: lab.grade_cli(tmp_path / "run", "--jobs", "1",
                                                 "--sandbox", "strict"))

    cli: CliRun = observed.graded
    assert cli.returncode == 0, cli.stderr
    reaching, honest = cli.submissions["a_reaching"], cli.submissions["b_honest"]
    assert reaching.score == honest.score == honest.max_score == 12, (reaching.parts,
                                                                      honest.parts)
    visible = reaching.output.split("visible ")[1].split(" keyring")[0]
    assert visible == "[1]", reaching.output  # the reaper, and nothing of the grader
    keyring = int(reaching.output.split("keyring ")[1].split()[0])
    assert keyring != _session_keyring()
    assert "warning" not in cli.stderr
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
