"""The result cache (`grader grade --reuse`): a regrade of an unchanged class reuses every
result and reports the same; whatever the key covers, changed, grades again; results that may
not repeat are never stored.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from grader.batch.reuse import default_dir, repeatable
from grader.results import CaseResult, PartResult, ProblemResult, SubmissionResult
from grader.sandbox.scratch import COPY_FILE_LIMIT, content_digest, read_files

from .._cli import run
from .._mini import make_assignment, write_student

SPIN = """
def halve(x):
    while True:
        pass
"""
CRASH_AT_IMPORT = """
import os
import signal

os.kill(os.getpid(), signal.SIGSEGV)
"""
WRONG = """
def double(x):
    return 3 * x
"""


def _summary(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("graded "))


@pytest.fixture()
def course(tmp_path: Path) -> tuple[Path, Path]:
    assignment = make_assignment(tmp_path / "assignment")
    subs = tmp_path / "subs"
    for i in range(4):
        write_student(subs / f"s{i}", WRONG if i == 1 else "")
    (subs / "s2" / "notes.txt").write_text("a helper file\n", encoding="utf-8")
    return assignment, subs


def _grade(course: tuple[Path, Path], out: Path, *options: str) -> str:
    result = run("grade", *course, "--reuse", "--format", "json", "-o", out, *options)
    assert result.exit_code == 0, result.output
    return _summary(result.output)


def test_a_regrade_of_an_unchanged_class_reuses_every_result(course: tuple[Path, Path],
                                                             tmp_path: Path) -> None:
    first = _grade(course, tmp_path / "first.json")
    assert first.startswith("graded 4 submission(s)") and "reused" not in first
    again = _grade(course, tmp_path / "again.json")
    assert again.startswith("graded 0 submission(s)")
    assert "4/4 done, 0 not run cleanly, 4 reused unchanged (--reuse)" in again
    assert (tmp_path / "again.json").read_bytes() == (tmp_path / "first.json").read_bytes()
    # (without --reuse, nothing is taken from the cache)
    plain = run("grade", *course, "--format", "csv", "-o", tmp_path / "plain.csv")
    assert "reused" not in _summary(plain.output)


def test_what_changed_is_graded_again(course: tuple[Path, Path], tmp_path: Path) -> None:
    assignment, subs = course
    _grade(course, tmp_path / "first.json")
    (subs / "s2" / "notes.txt").write_text("edited\n", encoding="utf-8")  # not the module
    write_student(subs / "s3", WRONG)
    assert "graded 2 submission(s)" in _grade(course, tmp_path / "second.json")
    report = json.loads((tmp_path / "second.json").read_text(encoding="utf-8"))
    assert [s["score"] < s["max_score"] for s in report["submissions"]] == \
        [False, True, False, True]
    # Other options, or another assignment: nothing is reused.
    assert "graded 4 submission(s)" in _grade(course, tmp_path / "t.json", "--timeout", "7")
    (assignment / "reference" / "solution.py").write_text(
        (assignment / "reference" / "solution.py").read_text(encoding="utf-8") + "\n# v2\n",
        encoding="utf-8")
    assert "graded 4 submission(s)" in _grade(course, tmp_path / "v2.json")


def test_a_timeout_or_a_crash_is_never_reused(course: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    _, subs = course
    write_student(subs / "s0", SPIN)
    write_student(subs / "s3", CRASH_AT_IMPORT)
    first = _grade(course, tmp_path / "first.json", "--timeout", "0.5")
    assert "2 not run cleanly" in first
    again = _grade(course, tmp_path / "again.json", "--timeout", "0.5")
    assert again.startswith("graded 2 submission(s)") and "2 reused" in again
    stored = [json.loads(p.read_text(encoding="utf-8"))["result"]
              for p in default_dir().rglob("*.json")]
    assert {r["id"] for r in stored if r["path"].startswith(str(subs))} == {"s1", "s2"}


def test_the_key_covers_a_notebook_the_copy_leaves_out(tmp_path: Path) -> None:
    """(A notebook over the copy's file limit, its outputs, is read by the grader only.)"""
    notebook = tmp_path / "s" / "hw.ipynb"
    notebook.parent.mkdir()
    notebook.write_bytes(b"x" * (COPY_FILE_LIMIT + 10))
    before = content_digest(notebook)
    notebook.write_bytes(b"y" * (COPY_FILE_LIMIT + 10))
    assert content_digest(notebook) not in (before, None)
    [(name, _, data)] = read_files(notebook)
    assert name == "hw.ipynb" and data == b"y" * (COPY_FILE_LIMIT + 10)


def _result(status: str = "pass", message: str = "", error: str = "") -> SubmissionResult:
    case = CaseResult(id="q1/double/0", index=0, public=True, status=status, message=message)
    part = PartResult(id="double", function="double", score=1.0, max_score=1.0, passed=1,
                      total=1, message=message, cases=(case,))
    problem = ProblemResult("q1", "Q1", 1.0, 1.0, "passed", (part,))
    return SubmissionResult(id="s", path="s", score=1.0, max_score=1.0, problems=(problem,),
                            error=error)


@pytest.mark.parametrize("result, kept", [
    (_result(), True),
    (_result("fail", "wrong values"), True),
    (_result("error", "ValueError: no"), True),
    (_result("import_error", "SyntaxError"), True),
    (_result("timeout", "took longer than 1 s"), False),
    (_result("not_run", "skipped after a timeout"), False),
    (_result("crash", "was killed for using too much memory"), False),
    (_result("error", "MemoryError"), False),
    (_result("import_error", "import failed: ValueError: no"), True),
    (_result("import_error", "importing hw.py timed out after 5s"), False),
    (_result("import_error", "the process was killed by signal SIGSEGV while importing hw.py"),
     False),
    (_result("import_error", "hw.py failed to import again after a crash (...)"), False),
    (_result(error="not graded: the grader failed; grade it again"), False),
])
def test_only_results_that_repeat_are_stored(result: SubmissionResult, kept: bool) -> None:
    assert repeatable(result) is kept
    assert repeatable(replace(result, id="other")) is kept


def test_a_copy_that_a_full_disk_cuts_short_is_the_graders_failure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """(A neighbour at the confined level can fill the shared temporary disk: a truncated copy
    must not be graded, and stored, as the student's own work.)"""
    import errno
    import shutil

    from grader.sandbox import scratch

    write_student(tmp_path / "s", "")

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(OSError, match="No space left"):
        scratch.copy_submission(tmp_path / "s" / "hw.py", tmp_path / "copy")
