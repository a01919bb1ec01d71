"""The portable path: the grader where the POSIX-only modules and calls do not exist.

Windows has no ``resource``, ``fork``, ``killpg``, ``SIGKILL``, pidfds, ``poll`` or fd
passing; macOS has no namespaces, Landlock or pidfds. Here every process of a throw-away
virtual environment lacks what Windows lacks (tests/_windowslike.py, loaded by a ``.pth``
file, so the workers the grader starts with that environment's Python lack it too): an
import or an attribute that Windows lacks fails here first. In it, ``grader check`` grades
the shipped examples as it does on Linux, a hang costs one timeout and leaves no process, and
``export``, notebooks and the pytest plugin work.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_examples import EXPECTED

REPO = Path(__file__).resolve().parent.parent.parent
HW2 = REPO / "problems" / "hw2"
SUBMISSIONS = REPO / "submissions"
SHIM = REPO / "tests" / "_windowslike.py"


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Python of a virtual environment (with this one's packages, the grader among
    them) in which every process lacks what Windows lacks."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the stand-in for Windows takes Linux's calls away; elsewhere CI runs "
                    "the real platform")
    venv = tmp_path_factory.mktemp("windowslike")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True, capture_output=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"], check=True,
                          capture_output=True, text=True, timeout=60).stdout.strip()
    shutil.copyfile(SHIM, Path(site) / "windowslike.py")
    (Path(site) / "windowslike.pth").write_text("import windowslike\n")
    return python


def run(python: Path, *args: str, cwd: Path = REPO, timeout: float = 300,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False, env={**os.environ, **(env or {})})


def check(python: Path, target: Path, *options: str) -> dict[str, float]:
    """``grader check HW2 TARGET --all --format json``: each part's score."""
    done = run(python, "-m", "grader", "check", str(HW2), str(target), "--all", "--format",
               "json", *options)
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    return {part["function"]: part["score"] for sub in report["submissions"]
            for problem in sub["problems"] for part in problem["parts"]}


def test_the_stand_in_lacks_what_windows_lacks_in_every_process(python: Path) -> None:
    probe = ("import os, select, signal, socket, subprocess\n"
             "try:\n    import resource\nexcept ImportError:\n    print('no resource')\n"
             "print(hasattr(os, 'fork'), hasattr(os, 'killpg'), hasattr(signal, 'SIGKILL'),"
             " hasattr(signal, 'pidfd_send_signal'), hasattr(select, 'poll'),"
             " hasattr(socket, 'send_fds'))\n")
    for flags in ([], ["-I"]):  # (-I: how the grader starts its workers)
        done = run(python, *flags, "-c", probe)
        assert done.stdout.split("\n")[:2] == ["no resource", "False " * 5 + "False"], done


def test_the_cli_and_every_module_students_use_import(python: Path) -> None:
    done = run(python, "-m", "grader", "--help")
    assert done.returncode == 0 and "check" in done.stdout, done.stderr
    modules = ("grader.cli", "grader.notebook", "grader.selfcheck.pytest_plugin",
               "grader.sandbox.child.worker", "grader.batch.run", "grader.judge.forked")
    done = run(python, "-c", "import " + ", ".join(modules))
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("example", ["correct", "buggy", "notebook_buggy"])
def test_check_grades_the_examples_as_on_linux(python: Path, example: str) -> None:
    scores = check(python, SUBMISSIONS / example)
    assert scores == pytest.approx(EXPECTED[example], abs=0.01)


def test_the_isolation_line_says_what_the_platform_gives(python: Path) -> None:
    done = run(python, "-m", "grader", "check", str(HW2), str(SUBMISSIONS / "correct"))
    assert done.returncode == 0, done.stderr
    assert "isolation: a separate process and timeouts only (no resource limits on this " \
           "platform)" in done.stderr
    assert "Traceback" not in done.stderr


def _workers_of(python: Path) -> list[int]:
    """Live processes started by ``python`` (its workers included)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")[0].decode()
            except OSError:
                continue
            if command == str(python):
                pids.append(int(entry.name))
    return pids


def test_a_hang_costs_one_timeout_and_leaves_no_process(python: Path, tmp_path: Path) -> None:
    # cross_entropy_hessian: no other function calls it, so only its part may lose.
    source = (SUBMISSIONS / "correct" / "hw2.py").read_text()
    source = re.sub(r"(def cross_entropy_hessian\(z\):\n)", r"\1    while True:\n        pass\n",
                    source)
    (tmp_path / "hw2.py").write_text(source)
    start = time.monotonic()
    scores = check(python, tmp_path, "--timeout", "1")
    took = time.monotonic() - start

    assert scores == pytest.approx({**EXPECTED["correct"], "cross_entropy_hessian": 0})
    baseline = time.monotonic()
    check(python, SUBMISSIONS / "correct", "--timeout", "1")
    baseline = time.monotonic() - baseline
    assert took < baseline + 1 + 3, (took, baseline)  # one timeout, and some slack
    assert _workers_of(python) == []


def test_export_and_the_pytest_plugin_work(python: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "hw2-bundle"
    done = run(python, "-m", "grader", "export", str(HW2), str(bundle))
    assert done.returncode == 0, done.stderr
    done = run(python, "-m", "grader", "check", str(bundle), str(SUBMISSIONS / "correct"))
    assert done.returncode == 0 and "Score: 100 / 100" in done.stdout, done.stderr
    # (a student's own check: nothing to protect, and the line says so plainly)
    assert "the code runs with your permissions" in done.stderr
    assert "hidden cases' key" not in done.stderr
    shutil.copyfile(SUBMISSIONS / "buggy" / "hw2.py", tmp_path / "hw2.py")
    # Only this plugin: others installed here may be fooled by the stand-in (it takes calls
    # away but still says it is Linux). Its registration is tests/selfcheck's business.
    done = run(python, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "-p",
               "grader.selfcheck.pytest_plugin", "--grader-assignment", str(bundle),
               "--grader-submission", "hw2.py", cwd=tmp_path,
               env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert done.returncode == 1, done.stdout[-3000:]
    assert re.search(r"^PASSED hw2\.py::q1::gradient_descent_step$", done.stdout, re.M)
    assert re.search(r"^FAILED hw2\.py::q2::batchnorm_forward", done.stdout, re.M)


class _Refusing:
    """A ``resource`` module as macOS has it: the address-space cap refused."""

    RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_CPU, RLIMIT_CORE = range(6)
    RLIM_INFINITY = -1

    def __init__(self) -> None:
        self.set: dict[int, tuple[int, int]] = {}

    def getrlimit(self, which: int) -> tuple[int, int]:
        return (self.RLIM_INFINITY, self.RLIM_INFINITY)

    def setrlimit(self, which: int, value: tuple[int, int]) -> None:
        if which == self.RLIMIT_AS:
            raise ValueError("current limit exceeds maximum limit")
        self.set[which] = value


def test_off_linux_a_limit_refused_is_skipped_and_the_rest_applied(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.sandbox.child import confine

    fake = _Refusing()
    monkeypatch.setattr(confine, "_resource_module", lambda: fake)
    monkeypatch.setattr(confine.sys, "platform", "darwin")
    limits = {"memory": 1 << 30, "fsize": 1 << 20, "nofile": 64, "nproc": 32, "cpu": 10}
    assert confine.apply_limits(limits) == ["memory"]
    assert fake.set == {fake.RLIMIT_FSIZE: (1 << 20, 1 << 20), fake.RLIMIT_NOFILE: (64, 64),
                        fake.RLIMIT_NPROC: (32, 32), fake.RLIMIT_CPU: (10, 11),
                        fake.RLIMIT_CORE: (0, 0)}
    monkeypatch.setattr(confine.sys, "platform", "linux")  # (on Linux a refusal is an error)
    with pytest.raises(ValueError):
        confine.apply_limits(limits)


def test_limits_a_platform_did_not_apply_are_said_once() -> None:
    from grader.sandbox.policy import Isolation

    said: list[str] = []
    isolation = Isolation("auto", warn=said.append)
    said.clear()  # (what the level line said)
    isolation.unenforced(["memory", "not a limit"])
    isolation.unenforced(["nproc"])
    isolation.unenforced("memory")  # (a malformed report: nothing)
    assert said == ["grader: warning: this platform did not apply these resource limits: "
                    "memory (address space)"]
