"""Grading a class: run folders, resume after SIGKILL or Ctrl-C, parallel jobs, progress.

These run the installed `grader` script in a subprocess, because what they test is what
happens to a whole process that is killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from grader.batch.progress import Progress, had_trouble
from grader.batch.run import VaryingGrader, student_seed
from grader.grading import GradeOptions, Grader
from grader.results import SubmissionResult
from grader.spec import Assignment

from .._mini import make_assignment, write_student
from .._reports import without_timings

SLOW = """
import time


def halve(x):
    time.sleep(0.15)
    return x / 2
"""
WRONG = """
def double(x):
    return 3 * x
"""


def _class(tmp_path: Path, n: int = 8) -> tuple[Path, Path]:
    assignment = make_assignment(tmp_path / "assignment")
    subs = tmp_path / "subs"
    for i in range(n):
        write_student(subs / f"student{i:02d}", SLOW + (WRONG if i % 3 == 0 else ""))
    return assignment, subs


def _grade(*args: str | Path, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["grader", "grade", *map(str, args)], capture_output=True,
                          text=True, timeout=120, env=env)



def _lines(path: Path) -> int:
    try:
        return len(path.read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        return 0


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _ours(pid: int) -> bool:
    """Started by this test process (another test's grader fixture, say), not by the CLI."""
    while pid > 1:
        if pid == os.getpid():
            return True
        pid = _parent(pid)
    return False


def _workers_left() -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or _ours(int(entry)):
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"grader.sandbox.child.worker" in cmdline or b"grader.sandbox.child.zygote" in cmdline:
            found.append(cmdline.decode(errors="replace"))
    return found


def _wait_until_gone(deadline: float = 10.0) -> list[str]:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        left = _workers_left()
        if not left:
            return []
        time.sleep(0.05)
    return _workers_left()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_run_killed_with_sigkill_resumes_to_the_same_report(tmp_path: Path,
                                                             jobs: str) -> None:
    assignment, subs = _class(tmp_path)
    baseline = _grade(assignment, subs, "--format", "json", "--run-dir", tmp_path / "whole",
                      "--jobs", jobs)
    assert baseline.returncode == 0, baseline.stderr

    run_dir = tmp_path / "killed"
    proc = subprocess.Popen(["grader", "grade", str(assignment), str(subs), "--format", "json",
                             "--run-dir", str(run_dir), "--jobs", jobs],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _lines(run_dir / "results.jsonl") < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    kept = _lines(run_dir / "results.jsonl")
    assert 3 <= kept < 8, "the kill should land midway"
    assert _wait_until_gone() == [], "workers outlived the killed grader"

    resumed = _grade(assignment, subs, "--format", "json", "--resume", run_dir, "--jobs", jobs)

    assert resumed.returncode == 0, resumed.stderr
    assert without_timings(json.loads(resumed.stdout)) == \
        without_timings(json.loads(baseline.stdout))
    assert _lines(run_dir / "results.jsonl") == 8
    assert f"graded {8 - kept} submission(s)" in resumed.stderr


def test_ctrl_c_stops_cleanly_keeps_results_and_says_how_to_resume(tmp_path: Path) -> None:
    assignment, subs = _class(tmp_path)
    run_dir = tmp_path / "interrupted"
    scratch = tmp_path / "tmp"  # the grader's temporary folders, to see that none is left
    scratch.mkdir()
    # (A test run started in the background inherits SIGINT ignored, and so would the
    # grader: Ctrl-C must reach it as it does from a terminal.)
    proc = subprocess.Popen(["grader", "grade", str(assignment), str(subs),
                             "--run-dir", str(run_dir), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, TMPDIR=str(scratch)),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while _lines(run_dir / "results.jsonl") < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)

    assert proc.returncode == 130
    assert stdout == ""
    assert "Traceback" not in stderr
    assert f"--resume {run_dir}" in stderr
    kept = _lines(run_dir / "results.jsonl")
    assert 2 <= kept < 8
    assert _wait_until_gone() == []
    assert list(scratch.iterdir()) == [], "copies of student code left behind"
    resumed = _grade(assignment, subs, "--resume", run_dir)
    assert resumed.returncode == 0, resumed.stderr
    assert _lines(run_dir / "results.jsonl") == 8


def test_resume_refuses_a_run_folder_of_other_options(tmp_path: Path) -> None:
    assignment, subs = _class(tmp_path, n=2)
    first = _grade(assignment, subs, "--run-dir", tmp_path / "run", "--timeout", "3")
    assert first.returncode == 0, first.stderr

    again = _grade(assignment, subs, "--resume", tmp_path / "run", "--timeout", "4")

    assert again.returncode == 2
    assert "cannot resume" in again.stderr and "timeout" in again.stderr


def test_an_existing_run_folder_is_not_overwritten(tmp_path: Path) -> None:
    assignment, subs = _class(tmp_path, n=1)
    (tmp_path / "run").mkdir()

    result = _grade(assignment, subs, "--run-dir", tmp_path / "run")

    assert result.returncode == 2
    assert "already exists; use --resume" in result.stderr


def test_parallel_jobs_give_the_same_report_as_one_job(tmp_path: Path) -> None:
    assignment, subs = _class(tmp_path, n=5)
    one = _grade(assignment, subs, "--format", "json", "--jobs", "1")
    two = _grade(assignment, subs, "--format", "json", "--jobs", "2")

    assert one.returncode == two.returncode == 0
    assert without_timings(json.loads(one.stdout)) == without_timings(json.loads(two.stdout))
    ids = [s["id"] for s in json.loads(two.stdout)["submissions"]]
    assert ids == sorted(ids)


def test_progress_is_silent_off_a_terminal_except_for_the_summary(tmp_path: Path) -> None:
    assignment, subs = _class(tmp_path, n=2)
    result = _grade(assignment, subs)

    assert result.returncode == 0
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("graded 2 submission(s) in ")


class _Tty:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_shows_count_rate_eta_and_trouble() -> None:
    stream = _Tty()
    progress = Progress(4, stream)  # type: ignore[arg-type]
    ok = SubmissionResult("a", "a", 1, 1)
    broken = SubmissionResult("b", "b", 0, 1, error="import failed: SyntaxError")

    progress.update(ok)
    progress.update(broken)
    progress.finish()

    assert "2/4" in stream.text and "/s" in stream.text and "ETA" in stream.text
    assert "not run cleanly: 1" in stream.text
    assert had_trouble(broken) and not had_trouble(ok)
    assert stream.text.rstrip().endswith("(2/4 done, 1 not run cleanly)")


# --- per-student seeds (--vary-by-student) ----------------------------------------------

def _cases(submission: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for p in submission["problems"] for part in p["parts"]
            for c in part["cases"]}


@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """Five students who all get double() wrong, graded with a seed each, two jobs."""
    root = tmp_path_factory.mktemp("varied")
    assignment = make_assignment(root / "assignment")
    subs = root / "subs"
    for name in ("ann", "ben", "cat", "dan", "eve"):
        write_student(subs / name, WRONG)
    result = _grade(assignment, subs, "--vary-by-student", "--format", "json", "--jobs", "2",
                    "--run-dir", root / "run")
    assert result.returncode == 0, result.stderr
    return assignment, subs, json.loads(result.stdout)


def test_vary_by_student_gives_each_submission_its_own_seed_and_inputs(
        varied: tuple[Path, Path, dict[str, Any]]) -> None:
    _, _, report = varied
    subs = report["submissions"]

    assert report["meta"] == {"seed": 1234, "vary_by_student": True}
    assert [s["seed"] for s in subs] == [student_seed(1234, s["id"]) for s in subs]
    assert len({s["seed"] for s in subs}) == 5
    inputs = {s["id"]: _cases(s)["q1/double/0"]["inputs"] for s in subs}
    assert all(inputs.values()) and len(set(inputs.values())) == 5, inputs
    assert all(s["score"] == 8 for s in subs), "only double() is wrong, whatever the seed"


def test_vary_by_student_is_reproducible_and_resumable(
        varied: tuple[Path, Path, dict[str, Any]], tmp_path: Path) -> None:
    assignment, subs, report = varied
    again = _grade(assignment, subs, "--vary-by-student", "--format", "json", "--jobs", "1",
                   "--run-dir", tmp_path / "run")
    assert again.returncode == 0, again.stderr
    assert without_timings(json.loads(again.stdout)) == without_timings(report)
    meta = json.loads((tmp_path / "run" / "run.json").read_text(encoding="utf-8"))
    assert meta["vary_by_student"] is True and meta["seed"] == 1234

    results = tmp_path / "run" / "results.jsonl"
    results.write_text("".join(results.read_text(encoding="utf-8").splitlines(True)[:2]),
                       encoding="utf-8")
    unvaried = _grade(assignment, subs, "--resume", tmp_path / "run")
    resumed = _grade(assignment, subs, "--vary-by-student", "--format", "json", "--jobs", "2",
                     "--resume", tmp_path / "run")

    assert unvaried.returncode == 2
    assert "cannot resume: this run's vary_by_student is False, the folder's is True" \
        in unvaried.stderr
    assert resumed.returncode == 0, resumed.stderr
    assert "graded 3 submission(s)" in resumed.stderr
    assert without_timings(json.loads(resumed.stdout)) == without_timings(report)


def test_vary_by_student_shows_a_seed_column_in_the_table(
        varied: tuple[Path, Path, dict[str, Any]], tmp_path: Path) -> None:
    assignment, subs, report = varied
    varied_table = _grade(assignment, subs, "--vary-by-student", "--run-dir", tmp_path / "a")
    plain_table = _grade(assignment, subs, "--run-dir", tmp_path / "b")

    assert varied_table.returncode == plain_table.returncode == 0
    header = next(line for line in varied_table.stdout.splitlines()
                  if line.startswith("submission"))
    assert header.split()[:2] == ["submission", "seed"]
    for sub in report["submissions"]:
        row = next(line for line in varied_table.stdout.splitlines()
                   if line.startswith(sub["id"] + " "))
        assert row.split()[1] == str(sub["seed"])
    assert "seed" not in plain_table.stdout


def test_check_with_a_varied_seed_reproduces_a_case_exactly(
        varied: tuple[Path, Path, dict[str, Any]]) -> None:
    assignment, subs, report = varied
    ben = next(s for s in report["submissions"] if s["id"] == "ben")
    graded = _cases(ben)["q1/double/2"]
    assert graded["status"] == "fail"

    check = subprocess.run(["grader", "check", str(assignment), str(subs / "ben"), "--seed",
                            str(ben["seed"]), "--case", "q1/double/2", "--format", "json"],
                           capture_output=True, text=True, timeout=120)

    assert check.returncode == 0, check.stderr
    (checked,) = _cases(json.loads(check.stdout)["submissions"][0]).values()
    for key in ("id", "status", "message", "details", "inputs"):
        assert checked[key] == graded[key], key


def test_student_seed_is_stable_and_documented() -> None:
    # sha256("1234:ann")[:4] as a big-endian integer: pinned so that a report stays
    # reproducible across grader versions.
    import hashlib

    assert student_seed(1234, "ann") == int.from_bytes(
        hashlib.sha256(b"1234:ann").digest()[:4], "big")
    assert student_seed(1234, "ann") != student_seed(1234, "ben")
    assert student_seed(1234, "ann") != student_seed(1235, "ann")


# --- submissions handed in as zips and LMS downloads ------------------------------------

def test_zips_and_lms_files_are_graded_and_their_staging_is_removed(tmp_path: Path) -> None:
    import zipfile

    assignment = make_assignment(tmp_path / "assignment")
    subs = tmp_path / "subs"
    good = write_student(tmp_path / "src" / "good")
    assert good.module is not None
    code = good.module.read_text(encoding="utf-8")
    subs.mkdir()
    with zipfile.ZipFile(subs / "ann.zip", "w") as zf:
        zf.writestr("hw/hw.py", code)
    with zipfile.ZipFile(subs / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("hw.py", "\0" * (16 << 20))
    (subs / "smithjohn_1_2_hw.py").write_text(code, encoding="utf-8")
    (subs / "smithjohn_1_3_hw-1.py").write_text(code + WRONG, encoding="utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()

    result = _grade(assignment, subs, "--format", "json", "--jobs", "2",
                    env={**os.environ, "TMPDIR": str(temp)})

    assert result.returncode == 0, result.stderr
    found = {s["id"]: s for s in json.loads(result.stdout)["submissions"]}
    assert (found["ann"]["score"], found["ann"]["path"]) == (11, str(subs / "ann.zip"))
    assert found["bomb"]["score"] == 0
    assert found["bomb"]["error"].startswith("bomb.zip: member hw.py is compressed ")
    assert (found["smithjohn"]["score"], found["smithjohn"]["path"]) == \
        (8, str(subs / "smithjohn_1_3_hw-1.py"))
    assert [p.name for p in temp.iterdir() if p.name.startswith("grader-")] == []


def test_a_varying_grader_grades_like_a_grader_of_each_students_seed(
        mini: Assignment, tmp_path: Path) -> None:
    students = [write_student(tmp_path / name, WRONG) for name in ("ann", "ben")]

    with VaryingGrader(mini) as varying:
        results = varying.grade_all(students, jobs=1)
        report = varying.report(results)

    assert report.meta == {"seed": 1234, "vary_by_student": True}
    for student, result in zip(students, results, strict=True):
        seed = student_seed(1234, student.id)
        with Grader(mini, GradeOptions(seed=seed)) as alone:
            expected = alone.grade(student)
        assert result.seed == seed
        assert without_timings(result.to_dict()) == without_timings(expected.to_dict())
