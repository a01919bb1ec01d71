"""Student code that hangs, crashes, exits or floods the output costs only its own part.

Each test writes the correct mini student (see _mini.py) with one function replaced, grades it
with grader.grading.Grader (the student runs in a child process), and checks both the broken
part and that every other part still earned its points.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.grading import GradeOptions, Grader
from grader.intake.submissions import one_submission
from grader.results import PartResult, SubmissionResult
from grader.sandbox import runner, zygotes
from grader.sandbox.launch import describe_status
from grader.sandbox.policy import Limits
from grader.sandbox.runner import RunOptions
from grader.spec import Assignment, load_assignment

from .._mini import (
    MINI_ASSIGNMENT,
    MINI_FUNCTIONS,
    MINI_PROBLEM,
    SUBMISSIONS,
    edited,
    line_of,
    make_assignment,
    write_student,
)

POINTS = {"double": 3, "halve": 2, "total": 2, "split": 2, "quiet": 2}


def grade(grader: Grader, folder: Path, extra: str) -> SubmissionResult:
    return grader.grade(write_student(folder, extra))


def parts(result: SubmissionResult) -> dict[str, PartResult]:
    return {part.function: part for problem in result.problems for part in problem.parts}


def assert_others_full(result: SubmissionResult, broken: str) -> None:
    for function, part in parts(result).items():
        if function != broken:
            assert part.score == POINTS[function], (function, part.message)


@pytest.fixture(scope="module")
def fast_grader(mini: Assignment) -> Iterator[Grader]:
    """Calls time out after 1 second."""
    with Grader(mini, GradeOptions(run=RunOptions(timeout=1.0))) as grader:
        yield grader


def test_correct_student_gets_full_marks(mini_grader: Grader, tmp_path: Path) -> None:
    result = grade(mini_grader, tmp_path, "")

    assert result.score == result.max_score == 11
    assert result.error == ""
    assert all(p.message == "" for p in parts(result).values())


def test_infinite_loop_costs_only_its_part_and_one_timeout(fast_grader: Grader,
                                                           tmp_path: Path) -> None:
    start = time.monotonic()
    result = grade(fast_grader, tmp_path, """
        def double(x):
            while True:
                pass
        """)
    elapsed = time.monotonic() - start

    assert elapsed < 1.0 + 4.0
    part = parts(result)["double"]
    assert part.score == 0
    assert [c.status for c in part.cases] == ["timeout", "not_run", "not_run"]
    assert part.cases[0].message == "timed out after 1s"
    assert part.message == "case q1/double/0: timed out after 1s"
    for case in part.cases[1:]:
        assert case.message == "not run: case q1/double/0 timed out"
    assert_others_full(result, "double")


def test_answers_before_a_hang_in_the_same_batch_are_kept(fast_grader: Grader,
                                                         tmp_path: Path) -> None:
    # The worker wakes the grader once per batch of answers, not per answer: the answers it
    # wrote before hanging must still be read and judged, and the timeout blamed on the case
    # that hung, not on the first case whose answer the grader had not yet looked at.
    result = grade(fast_grader, tmp_path, """
        CALLS = []

        def double(x):
            CALLS.append(1)
            if len(CALLS) == 3:
                while True:
                    pass
            return 2 * x
        """)

    part = parts(result)["double"]
    assert [c.status for c in part.cases] == ["pass", "pass", "timeout"]
    assert part.message == "case q1/double/2: timed out after 1s"
    assert_others_full(result, "double")


def test_loop_that_swallows_interrupts_is_still_stopped(fast_grader: Grader,
                                                        tmp_path: Path) -> None:
    result = grade(fast_grader, tmp_path, """
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        def halve(x):
            while True:
                try:
                    pass
                except BaseException:
                    pass
        """)

    assert [c.status for c in parts(result)["halve"].cases] == ["timeout", "not_run"]
    assert_others_full(result, "halve")


def test_hang_at_import_is_an_import_timeout(tmp_path: Path) -> None:
    quick = edited(MINI_ASSIGNMENT, "defaults.timeout", 1)
    assignment = load_assignment(make_assignment(tmp_path / "hw", assignment=quick))
    start = time.monotonic()

    result = grade(Grader(assignment), tmp_path / "s", "while True:\n    pass\n")

    assert time.monotonic() - start < 1.0 + 4.0
    assert result.score == 0
    assert "timed out after 1s" in result.error


def test_syntax_error_scores_zero_with_the_line(mini_grader: Grader, tmp_path: Path) -> None:
    submission = write_student(tmp_path, "def broken(:\n    pass\n")
    line = line_of(submission, "def broken(:")

    result = mini_grader.grade(submission)

    assert result.score == 0
    assert "SyntaxError" in result.error
    for part in parts(result).values():
        assert part.score == 0
        assert part.message.startswith("case q1/")
        assert "SyntaxError" in part.message
        assert f"(hw.py, line {line})" in part.message
        assert {c.status for c in part.cases} == {"import_error"}


def test_import_error_summary_names_the_line(mini_grader: Grader, tmp_path: Path) -> None:
    # The submission-level error is the gradebook's note: it should say where, too.
    submission = write_student(tmp_path, "def broken(:\n    pass\n")
    line = line_of(submission, "def broken(:")

    result = mini_grader.grade(submission)

    assert f"line {line}" in result.error


def test_error_at_import_reports_exception_and_line(mini_grader: Grader, tmp_path: Path) -> None:
    submission = write_student(tmp_path, "import numpy_but_misspelled\n")

    result = mini_grader.grade(submission)

    assert result.score == 0
    assert "ModuleNotFoundError: No module named 'numpy_but_misspelled'" in result.error
    line = line_of(submission, "numpy_but_misspelled")
    assert f"(hw.py, line {line})" in parts(result)["double"].message


def test_missing_function_costs_only_its_part(mini_grader: Grader, tmp_path: Path) -> None:
    result = grade(mini_grader, tmp_path, "del halve\n")

    part = parts(result)["halve"]
    assert part.score == 0
    assert part.message == "case q1/halve/0: hw.py does not define halve()"
    assert {c.status for c in part.cases} == {"missing"}
    assert_others_full(result, "halve")


def test_non_callable_function_name(mini_grader: Grader, tmp_path: Path) -> None:
    result = grade(mini_grader, tmp_path, "halve = 5\n")

    assert parts(result)["halve"].message == "case q1/halve/0: halve is a int, not a function"
    assert_others_full(result, "halve")


def test_exception_names_its_last_line_and_the_student_line(mini_grader: Grader,
                                                            tmp_path: Path) -> None:
    submission = write_student(tmp_path, """
        def check(x):
            if x.size > 0:
                raise ValueError(f"cannot halve {x.size} values")

        def halve(x):
            check(x)
            return x / 2
        """)
    raise_line = line_of(submission, "raise ValueError")

    result = mini_grader.grade(submission)

    case = parts(result)["halve"].cases[0]
    assert case.status == "error"
    assert case.message.startswith("ValueError: cannot halve ")
    assert case.message.endswith(f"(hw.py, line {raise_line})")
    assert (case.file, case.line) == ("hw.py", raise_line)
    assert_others_full(result, "halve")


def test_exception_inside_numpy_points_at_the_student_call(mini_grader: Grader,
                                                           tmp_path: Path) -> None:
    submission = write_student(tmp_path, """
        import numpy as np
        def halve(x):
            return np.dot(x, np.ones(x.size + 1)) / 2
        """)
    call_line = line_of(submission, "np.dot(x, np.ones(x.size + 1))")

    result = mini_grader.grade(submission)

    case = parts(result)["halve"].cases[0]
    assert case.message.startswith("ValueError: shapes")
    assert case.line == call_line


def test_exception_with_a_note_still_names_the_exception(mini_grader: Grader,
                                                         tmp_path: Path) -> None:
    result = grade(mini_grader, tmp_path, """
        def halve(x):
            error = ValueError("bad shape")
            error.add_note("while halving")
            raise error
        """)

    assert "ValueError: bad shape" in parts(result)["halve"].cases[0].message


def test_sys_exit_inside_a_function_is_an_error_of_that_part(mini_grader: Grader,
                                                             tmp_path: Path) -> None:
    submission = write_student(tmp_path, """
        import sys
        def halve(x):
            sys.exit(0)
        """)

    result = mini_grader.grade(submission)

    part = parts(result)["halve"]
    assert part.score == 0
    line = line_of(submission, "sys.exit(0)")
    assert part.cases[0].message == f"called sys.exit(0) (hw.py, line {line})"
    assert_others_full(result, "halve")


def test_sys_exit_at_import_fails_the_import(mini_grader: Grader, tmp_path: Path) -> None:
    result = grade(mini_grader, tmp_path, "import sys\nsys.exit(0)\n")

    assert result.score == 0
    assert "called sys.exit(0)" in result.error
    assert {c.status for p in parts(result).values() for c in p.cases} == {"import_error"}


def test_os_exit_crashes_and_other_functions_run_in_a_fresh_process(mini_grader: Grader,
                                                                    tmp_path: Path) -> None:
    result = grade(mini_grader, tmp_path, """
        import os
        def double(x):
            os._exit(3)
        """)

    part = parts(result)["double"]
    assert part.score == 0
    assert [c.status for c in part.cases] == ["crash", "crash", "not_run"]
    assert part.cases[0].message == "the process exited with code 3 while running double()"
    assert part.cases[2].message == "not run: double() crashed the process twice"
    assert_others_full(result, "double")


def test_one_crash_restarts_the_process_for_the_next_case(mini_grader: Grader,
                                                          tmp_path: Path) -> None:
    # Crash on the first case's input only; the next cases run in a fresh process.
    first = float(mini_grader.parts[0].cases[0].args[0][0])
    result = grade(mini_grader, tmp_path, f"""
        import os
        def double(x):
            if x[0] == {first!r}:
                os._exit(1)
            return 2 * x
        """)

    assert [c.status for c in parts(result)["double"].cases] == ["crash", "pass", "pass"]
    assert_others_full(result, "double")


@pytest.mark.parametrize("name", ["SIGKILL", "SIGSEGV", "SIGTERM"])
def test_killed_by_a_signal_is_named(mini_grader: Grader, tmp_path: Path, name: str) -> None:
    # SIGKILL is what the kernel's out-of-memory killer sends.
    result = grade(mini_grader, tmp_path, f"""
        import os, signal
        def halve(x):
            os.kill(os.getpid(), signal.{name})
        """)

    assert parts(result)["halve"].cases[0].message == (
        f"the process was killed by signal {name} while running halve()")
    assert_others_full(result, "halve")


@pytest.mark.parametrize(
    ("code", "text"),
    [(None, "stopped responding"), (3, "exited with code 3"), (-9, "was killed by signal SIGKILL"),
     (-200, "was killed by signal 200")],
)
def test_describe_exit(code: int | None, text: str) -> None:
    assert describe_status(code) == text


FLOOD = """
    import os, sys
    print("IMPORT-SPAM " * 20000)
    def double(x):
        print("CALL-SPAM " * 20000)
        sys.stderr.write("ERR-SPAM " * 20000)
        os.write(1, b"FD-SPAM " * 20000)
        return 2 * x
    """


def test_printed_output_is_captured_and_truncated(mini_grader: Grader, tmp_path: Path,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    result = grade(mini_grader, tmp_path, FLOOD)

    assert result.score == 11
    assert result.output.startswith("IMPORT-SPAM ")
    assert len(result.output) < 4096 + 100
    assert "[output truncated: " in result.output
    seen = capfd.readouterr()
    assert "SPAM" not in seen.out
    assert "SPAM" not in seen.err


def test_printed_output_never_reaches_the_json_report_stream(mini_root: Path,
                                                             tmp_path: Path) -> None:
    write_student(tmp_path / "subs" / "loud", FLOOD)

    result = CliRunner().invoke(main, ["grade", str(mini_root), str(tmp_path / "subs"),
                                       "--format", "json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["submissions"][0]["score"] == 11
    assert "SPAM" not in result.stderr


def test_every_function_of_the_mini_assignment_is_graded(mini_grader: Grader,
                                                         tmp_path: Path) -> None:
    result = grade(mini_grader, tmp_path, "")

    assert tuple(parts(result)) == MINI_FUNCTIONS
    assert {f: p.total for f, p in parts(result).items()} == {
        "double": 3, "halve": 2, "total": 2, "split": 2, "quiet": 2}


def test_every_public_case_runs_before_any_hidden_input_reaches_the_student(
        tmp_path: Path) -> None:
    # Each call raises with the number of calls so far, so the messages give the run order.
    # Public messages can be shown to students; by then no hidden input may have been sent.
    # The last part has a public case too, after other parts' hidden ones in spec order.
    problem = edited(MINI_PROBLEM, "parts[4].cases[0].public", 1)
    assignment = load_assignment(make_assignment(tmp_path / "a", problems={"q1": problem}))
    student = """
        CALLS = []

        def _count(x):
            CALLS.append(1)
            raise ValueError(f"call {len(CALLS)}")

        double = halve = total = split = quiet = _count
        """
    with Grader(assignment) as grader:
        result = grade(grader, tmp_path / "s", student)
    order: dict[bool, list[int]] = {True: [], False: []}
    for part in parts(result).values():
        for case in part.cases:
            order[case.public].append(int(case.message.split("call ")[1].split()[0]))

    assert order[True] and order[False]
    assert max(order[True]) < min(order[False])


def test_inputs_that_cannot_be_built_are_that_cases_error(hw2: Assignment,
                                                          tmp_path: Path) -> None:
    # The student breaks what the public builder (run in the student's process) relies on:
    # the case fails with a message that says so, and the process goes on.
    folder = tmp_path / "s"
    folder.mkdir()
    source = (SUBMISSIONS / "correct" / "hw2.py").read_text(encoding="utf-8")
    (folder / "hw2.py").write_text(source + "\nimport numpy\nnumpy.array = None\n",
                                   encoding="utf-8")
    options = GradeOptions(case_ids=frozenset({"q4/numerical_hessian/0", "q1/sigmoid/0"}))
    with Grader(hw2, options) as grader:
        result = grader.grade(one_submission(folder, hw2.module_file))

    cases = {c.id: c for p in result.problems for part in p.parts for c in part.cases}
    assert cases["q4/numerical_hessian/0"].status == "error"
    assert "could not build this case's inputs" in cases["q4/numerical_hessian/0"].message
    assert cases["q1/sigmoid/0"].status in ("pass", "error")  # (its own use of asarray)


def test_a_student_process_is_the_first_the_oom_killer_picks(mini_grader: Grader,
                                                             tmp_path: Path) -> None:
    result = grade(mini_grader, tmp_path, """
        with open("/proc/self/oom_score_adj") as _f:
            print("oom_score_adj", _f.read().strip())
        """)

    assert "oom_score_adj 1000" in result.output


def test_after_hidden_inputs_a_failed_reimport_says_nothing_the_student_chose(
        mini: Assignment, tmp_path: Path) -> None:
    # The worker crashes on a hidden input; the next import fails with a message of the
    # student's choosing, which could carry that input (here the import tells that it is a
    # later one by the clock, which a worker can steer by when it crashes). Import failures
    # are shown with every case, hidden ones included.
    later = time.time() + 3.0  # the first import comes before this, the second after
    student = f"""
        import os
        import time

        if time.time() > {later!r}:  # a worker started after a hidden input
            raise ImportError("SECRET-FROM-A-HIDDEN-INPUT")

        CALLS = []

        def double(x):
            CALLS.append(1)
            if len(CALLS) > 1:  # the first hidden case
                while time.time() <= {later!r}:
                    time.sleep(0.05)
                os._exit(3)
            return 2 * x
        """
    with Grader(mini) as grader:
        result = grade(grader, tmp_path, student)

    hidden = [c for p in parts(result).values() for c in p.cases if not c.public]
    withheld = [c for c in hidden if c.status == "import_error"]
    assert withheld, [(c.id, c.status, c.message) for c in hidden]
    for case in hidden:
        assert "SECRET" not in case.message, case
    assert "withheld" in withheld[0].message


def _memory_cgroups() -> bool:
    v2 = Path("/sys/fs/cgroup/cgroup.subtree_control")
    if v2.is_file():
        return "memory" in v2.read_text().split()
    return Path("/sys/fs/cgroup/memory").is_dir()


@pytest.fixture
def memory_capped(mini: Assignment) -> Iterator[Grader]:
    """A grader whose containers have a memory cgroup capped at 512 MiB."""
    if os.geteuid() != 0 or not _memory_cgroups():
        pytest.skip("memory cgroups need root and a memory controller")
    options = GradeOptions(run=RunOptions(timeout=20.0, sandbox="strict",
                                          limits=Limits(memory=512 << 20)))
    with Grader(mini, options) as grader:
        yield grader


def assert_killed_for_memory(result: SubmissionResult, function: str) -> None:
    case = parts(result)[function].cases[0]
    assert case.status == "crash", case
    assert "was killed for using too much memory" in case.message
    assert_others_full(result, function)


def test_memory_in_files_counts_against_the_memory_limit(memory_capped: Grader,
                                                         tmp_path: Path) -> None:
    # RLIMIT_AS caps a process's mappings; memory files (memfd, tmpfs) escape it. Under full
    # isolation as root, the container's memory cgroup caps them too (--memory): the
    # student is killed, not some other process on the machine.
    result = grade(memory_capped, tmp_path, """
        import os

        def double(x):
            chunk = b"x" * (1 << 20)
            for i in range(16):  # 960 MiB in files of 60 MiB, under RLIMIT_FSIZE
                fd = os.memfd_create(f"pinned-{i}", 0)
                for _ in range(60):
                    os.write(fd, chunk)
            return 2 * x
        """)

    assert_killed_for_memory(result, "double")


def test_a_student_whose_memory_kills_the_zygote_gets_a_memory_verdict(
        memory_capped: Grader, tmp_path: Path) -> None:
    # A program a worker runs is dumpable again, so where the grader lacks CAP_SYS_RESOURCE
    # it can undo the score of 1000 and leave the zygote as the memory killer's first pick.
    # That costs the container, not the run, and the student is told it was memory.
    result = grade(memory_capped, tmp_path, """
        import os, sys

        HOG = "\\n".join([
            "import os",
            "open('/proc/self/oom_score_adj', 'w').write('0')",
            "chunk = b'x' * (1 << 20)",
            "fds = [os.memfd_create(f'pinned-{i}', 0) for i in range(16)]",
            "for fd in fds:",
            "    for _ in range(60):",
            "        os.write(fd, chunk)",
        ])

        def double(x):
            os.execv(sys.executable, [sys.executable, "-c", HOG])
        """)

    assert_killed_for_memory(result, "double")


def test_a_worker_ends_by_itself_after_its_last_answer(mini_grader: Grader, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Told that no request follows the last batch, it exits while the grader still judges;
    # so the next submission's worker need not wait for this one to be killed and cleared.
    codes: list[int | None] = []
    close = runner.SubmissionRun.close

    def close_after_its_end(self: runner.SubmissionRun) -> str:
        if self.child is not None:
            codes.append(self.child.proc.wait(timeout=5.0))
        return close(self)

    monkeypatch.setattr(runner.SubmissionRun, "close", close_after_its_end)
    result = grade(mini_grader, tmp_path, "")

    assert result.score == result.max_score
    assert codes == [0]


def test_an_ended_workers_pid_is_never_signalled(mini_grader: Grader, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker ends by itself after its last answer and its pid is freed: the grader must not
    # kill that pid afterwards, since it may already be another process's (here one that is
    # made to get it, as if the pid space had wrapped around). The wait is busy, holding the
    # interpreter lock as judging does, so the grader has not yet read that the worker ended.
    if os.geteuid() != 0 or not os.path.exists("/proc/sys/kernel/ns_last_pid"):
        pytest.skip("choosing the next pid needs root")
    bystanders: list[int] = []
    close = runner.SubmissionRun.close

    def close_after_pid_reuse(self: runner.SubmissionRun) -> str:
        assert self.child is not None
        pid = self.child.proc.pid
        deadline = time.monotonic() + 5.0
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            pass
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(pid - 1))
        bystander = os.fork()
        if bystander == 0:
            os.setsid()
            os.execv("/bin/sleep", ["sleep", "30"])
        bystanders.append(bystander)
        return close(self)

    monkeypatch.setattr(runner.SubmissionRun, "close", close_after_pid_reuse)
    try:
        results = [grade(mini_grader, tmp_path / str(i), "") for i in range(3)]
        time.sleep(0.1)
        assert all(r.score == r.max_score for r in results)
        assert [os.waitpid(b, os.WNOHANG)[0] for b in bystanders] == [0, 0, 0]
    finally:
        for bystander in bystanders:
            with contextlib.suppress(OSError):
                os.kill(bystander, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(bystander, 0)


@pytest.fixture
def spare_pid() -> Iterator[int]:
    """The pid of a zygote prestarted by this process (ended afterwards if still unused)."""
    if not zygotes.zygote_supported():
        pytest.skip("zygotes need Linux")
    zygotes.prestart()
    assert zygotes._spare is not None
    yield zygotes._spare[3][0].pid
    zygotes.end_prestarted()


def test_a_prestarted_zygote_serves_the_first_launcher_of_its_process(spare_pid: int) -> None:
    zygote = zygotes.ZygoteLauncher()
    try:
        assert zygote.proc.pid == spare_pid
        assert zygotes._spare is None
    finally:
        zygote.close()


def test_a_forked_process_never_takes_its_parents_prestarted_zygote(spare_pid: int) -> None:
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the job processes of grader.batch.jobs are forked like this
        taken = zygotes._take_spare(sys.executable, "/")
        os.write(write, b"taken" if taken is not None else b"left")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 16)
    os.close(read)
    os.waitpid(child, 0)
    zygote = zygotes.ZygoteLauncher()  # the parent's own first launcher still gets it
    try:
        assert answer == b"left"
        assert zygote.proc.pid == spare_pid
    finally:
        zygote.close()


def test_an_unused_prestarted_zygote_ends_with_its_process() -> None:
    if not zygotes.zygote_supported():
        pytest.skip("zygotes need Linux")
    script = ("from grader.sandbox import zygotes\n"
              "zygotes.prestart()\n"
              "print(zygotes._spare[3][0].pid)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=30, check=True)
    pid = int(done.stdout)
    assert not os.path.exists(f"/proc/{pid}") or _state(pid) == "Z"


def test_the_zygote_is_prestarted_before_numpy_loads_in_the_grader() -> None:
    # ``grader check`` starts the zygote first so that its numpy import overlaps the CLI's:
    # the launcher must not load numpy itself before it can start one.
    script = ("import sys\n"
              "import grader.__main__, grader.sandbox.zygotes\n"
              "print('numpy' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True,
                          text=True, timeout=30, check=True)
    assert done.stdout.strip() == "False"


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def test_a_worker_that_kills_its_zygote_is_still_killed(mini: Assignment,
                                                       tmp_path: Path) -> None:
    # Without a container nothing stops a worker from killing its zygote (its parent) and
    # giving up its parent-death signal; its timeout must still end it.
    if not zygotes.zygote_supported():
        pytest.skip("zygotes need Linux")
    marker = tmp_path / "pid"
    options = GradeOptions(run=RunOptions(sandbox="off", timeout=1.0))
    with Grader(mini, options) as grader:
        result = grade(grader, tmp_path / "s", f"""
            import ctypes, os, signal, time

            def double(x):
                ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)  # PR_SET_PDEATHSIG: none
                os.kill(os.getppid(), signal.SIGKILL)
                with open({str(marker)!r}, "w") as f:
                    f.write(str(os.getpid()))
                while True:
                    time.sleep(1)
            """)
    assert parts(result)["double"].cases[0].status == "timeout"
    pid = int(marker.read_text())
    deadline = time.monotonic() + 2.0
    while os.path.exists(f"/proc/{pid}") and _state(pid) != "Z" \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not os.path.exists(f"/proc/{pid}") or _state(pid) == "Z"


def test_closing_the_grader_mid_run_ends_what_the_student_started(mini: Assignment,
                                                                  tmp_path: Path) -> None:
    # Without a container, a worker's children die with its process group: closing the
    # grader while the worker runs (as an interrupt does) must still reach them.
    if not zygotes.zygote_supported():
        pytest.skip("zygotes need Linux")
    marker = tmp_path / "pid"
    submission = write_student(tmp_path / "s", f"""
        import subprocess, time

        def double(x):
            child = subprocess.Popen(["sleep", "300"])
            with open({str(marker)!r}, "w") as f:
                f.write(str(child.pid))
            time.sleep(300)
        """)
    grader = Grader(mini, GradeOptions(run=RunOptions(sandbox="off", timeout=30.0)))

    def grade_until_closed() -> None:
        with contextlib.suppress(Exception):  # (its workspace goes away with the grader)
            grader.grade(submission)

    thread = threading.Thread(target=grade_until_closed, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10.0
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    pid = int(marker.read_text())
    grader.launcher.kill_all()
    grader.close()
    deadline = time.monotonic() + 2.0
    while os.path.exists(f"/proc/{pid}") and _state(pid) != "Z" \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        assert not os.path.exists(f"/proc/{pid}") or _state(pid) == "Z"
    finally:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
