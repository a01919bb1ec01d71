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

from grader.progress import Progress, had_trouble
from grader.results import SubmissionResult

from ._mini import make_assignment, write_student

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


def _without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def _lines(path: Path) -> int:
    try:
        return len(path.read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        return 0


def _workers_left() -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"grader.worker" in cmdline or b"grader.zygote" in cmdline:
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
    assert _without_timings(json.loads(resumed.stdout)) == \
        _without_timings(json.loads(baseline.stdout))
    assert _lines(run_dir / "results.jsonl") == 8
    assert f"graded {8 - kept} submission(s)" in resumed.stderr


def test_ctrl_c_stops_cleanly_keeps_results_and_says_how_to_resume(tmp_path: Path) -> None:
    assignment, subs = _class(tmp_path)
    run_dir = tmp_path / "interrupted"
    proc = subprocess.Popen(["grader", "grade", str(assignment), str(subs),
                             "--run-dir", str(run_dir), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
    assert _without_timings(json.loads(one.stdout)) == _without_timings(json.loads(two.stdout))
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
