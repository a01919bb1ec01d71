"""The confined isolation level where it is meant to work: in a Docker-like place
(tests/_dockerlike.py), the hostile suite passes for every promise the README's security
table makes for that level, the probe falls back and says so where Landlock is older or
missing, and ``--sandbox confined`` refuses below it.

Each run is a separate pytest (or grader) process started inside tools/dockerlike/run.sh.
The two whole-suite runs leave out what reads the same at every level (:func:`same_at_every_level`):
the main suite runs it, at the full level. The run without root also leaves out what a uid of
its own cannot change (:func:`same_with_or_without_a_uid`): the run as root has shown it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests import _dockerlike
from tests.hostile.test_corpus import EXPECTED

HW2 = _dockerlike.REPO / "problems" / "hw2"
SUBMISSIONS = _dockerlike.REPO / "submissions"


@pytest.fixture(autouse=True)
def _harness() -> None:
    _dockerlike.require()


# Hostile tests whose outcome no isolation level changes: what a student is shown
# (grader-side reporting), how hidden cases are drawn (the key), and the timing of judging.
_PROTOCOL_FILES = ("test_student_facing.py", "test_hidden_cases.py", "test_timing.py")
# Corpus categories that attack the reply format, fail at import or patch what runs in the
# student's own process (numpy, builtins, the import system, the worker's step interpreter):
# the grader reads the reply, and the worker imports, defends itself and converts, with the
# same code at every level.
_PROTOCOL_CATEGORIES = ("forge_", "import_", "fool_")


def same_at_every_level() -> list[str]:
    """The node ids of tests/hostile that the whole-suite runs here leave out: the protocol
    files, and the corpus entries of the protocol categories whose expectation names no
    level (no ``full_only``, ``confined``, ``no_uid`` or ``root_only``)."""
    entries = [name for name, expect in EXPECTED.items()
               if name.startswith(_PROTOCOL_CATEGORIES) and not (
                   expect.full_only or expect.confined or expect.no_uid or expect.root_only)]
    return [f"tests/hostile/{name}" for name in _PROTOCOL_FILES] + [
        f"tests/hostile/test_corpus.py::test_hostile_submission[{name}]" for name in entries]


# What a separate uid cannot change, left out of the run without root (where the workers keep
# the grader's uid) since the run as root with a uid per slot has shown it at this level:
# crashes, and the limits each process has of its own (time, memory,
# output, recursion). The limits counted per uid (processes, threads), files and priorities
# stay in.
_UID_BLIND_CATEGORIES = ("crash_",)
_UID_BLIND = ("res_cpu_spin", "res_deep_recursion", "res_huge_output", "res_memory_50gb",
              "res_memory_growth", "res_recursion_error", "res_reply_flood",
              "res_scenario_sleep", "res_sleep_forever", "res_step_sleep")


def same_with_or_without_a_uid() -> list[str]:
    """The corpus entries :data:`_UID_BLIND` and of :data:`_UID_BLIND_CATEGORIES` whose
    expectation names no level, as node ids."""
    entries = [name for name, expect in EXPECTED.items()
               if (name.startswith(_UID_BLIND_CATEGORIES) or name in _UID_BLIND) and not (
                   expect.full_only or expect.confined or expect.no_uid or expect.root_only)]
    return [f"tests/hostile/test_corpus.py::test_hostile_submission[{name}]"
            for name in entries]


def hostile_suite(env: dict[str, str], *selection: str, leave_out: list[str] | None = None
                  ) -> str:
    """Run tests/hostile (or ``selection`` of it) in the harness; return its report. A whole
    run leaves out :func:`same_at_every_level`, and ``leave_out``."""
    chosen = list(selection) or ["tests/hostile", *(
        option for node in [*same_at_every_level(), *(leave_out or [])]
        for option in ("--deselect", node))]
    done = _dockerlike.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p",
                            "no:cacheprovider", "-p", "no:hypothesispytest", *chosen], env)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-6000:]
    assert re.search(r"\d+ passed", report), report[-2000:]
    return report


def level_line(env: dict[str, str], *options: str) -> tuple[int, str]:
    """Grade the shipped submissions in the harness: (exit code, stderr)."""
    done = _dockerlike.run([sys.executable, "-m", "grader", "grade", str(HW2),
                            str(SUBMISSIONS), "--format", "json", "-o", "/dev/null",
                            "--run-dir", "/tmp/dockerlike-run", *options], env)
    return done.returncode, done.stderr


def test_as_root_the_hostile_suite_holds_at_the_confined_level_with_a_uid() -> None:
    code, stderr = level_line({})
    assert code == 0, stderr
    assert re.search(r"isolation: confined, Landlock ABI \d+, a uid per job slot", stderr)
    report = hostile_suite({})
    assert "this machine has 'confined-uid'" in report  # (the skipped full-only entries)
    assert re.search(r"\d+ deselected", report), report[-2000:]


def test_what_the_whole_suite_runs_leave_out_exists() -> None:
    """(``--deselect`` matches by prefix: a name that is wrong would leave out nothing.)"""
    hostile = _dockerlike.REPO / "tests" / "hostile"
    assert set(_UID_BLIND) <= set(EXPECTED), set(_UID_BLIND) - set(EXPECTED)
    for node in same_at_every_level() + same_with_or_without_a_uid():
        path, _, name = node.partition("::")
        assert (_dockerlike.REPO / path).is_file(), node
        if name:
            entry = name.partition("[")[2].rstrip("]")
            assert (hostile / "corpus" / entry).is_dir(), node


def test_without_root_the_hostile_suite_holds_at_the_confined_level() -> None:
    env = {"DOCKERLIKE_USER": _dockerlike.other_user()}
    code, stderr = level_line(env)
    assert code == 0, stderr
    assert "isolation: confined" in stderr
    assert "a separate uid (the grader is not root)" in stderr
    report = hostile_suite(env, leave_out=same_with_or_without_a_uid())
    assert "this machine has 'confined'" in report


def test_an_older_landlock_is_probed_and_said() -> None:
    env = {"GRADER_LANDLOCK_ABI": "4"}
    code, stderr = level_line(env)
    assert code == 0, stderr
    assert "isolation: confined, Landlock ABI 4, a uid per job slot" in stderr
    assert "it lacks" in stderr and "signal and abstract-socket scoping (Landlock ABI 6)" in stderr
    hostile_suite(env, "tests/hostile/test_corpus.py", "-k", "steal or fs_ or leak_")


def test_without_landlock_it_falls_back_to_limits_and_confined_refuses() -> None:
    env = {"DOCKERLIKE_LANDLOCK": "0"}
    code, stderr = level_line(env)
    assert code == 0, stderr
    assert "isolation: resource limits only" in stderr
    assert "confined: no Landlock" in stderr

    code, stderr = level_line(env, "--sandbox", "confined")
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "grader: error: --sandbox confined: full or confined isolation is unavailable here, "
        "only resource limits"), stderr
    assert "confined: no Landlock (" in lines[0] and "--sandbox auto would grade" in lines[0]


def test_strict_still_means_full_isolation() -> None:
    code, stderr = level_line({}, "--sandbox", "strict")
    assert code == 2
    assert stderr.strip().startswith("grader: error: --sandbox strict: full isolation is "
                                     "unavailable"), stderr


def test_the_harness_refuses_namespaces_as_docker_does(tmp_path: Path) -> None:
    done = _dockerlike.run(["unshare", "-U", "true"])
    assert done.returncode != 0
    done = _dockerlike.run([sys.executable, "-c", "import os; os.mkdir('/sys/fs/cgroup/x')"])
    assert done.returncode != 0 and "Read-only file system" in done.stderr
