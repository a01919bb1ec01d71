"""Shards and merge: `grader grade --shard K/N` on each part of a class, then `grader merge`,
give the report one run gives, in every format; merge refuses what does not belong together.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from grader.batch import shards
from grader.errors import UsageError
from grader.reporters import FORMATS

from .._cli import one_line, run
from .._mini import make_assignment, write_student
from .._reports import without_timings

WRONG = """
def double(x):
    return 3 * x
"""
BROKEN = "def halve(x:\n"
STUDENTS = 9
# Every format but gradescope (one submission's results.json), as --also of one run.
ALSO = [f for f in sorted(FORMATS) if f not in ("gradescope", "table")]



@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A class graded in one run, and again in 3 shards; every format of each kept."""
    root = tmp_path_factory.mktemp("shards")
    assignment = make_assignment(root / "assignment")
    subs = root / "subs"
    for i in range(STUDENTS):
        extra = WRONG if i % 3 == 0 else (BROKEN if i == 4 else "")
        write_student(subs / f"student{i:02d}", extra)
    paths = {"assignment": assignment, "subs": subs, "root": root}

    def grade(name: str, *options: str) -> None:
        out = root / name
        out.mkdir()
        result = run("grade", assignment, subs, "--run-dir", root / f"{name}-run",
                     "-o", out / "table", *(x for f in ALSO for x in ("--also", f"{f}:{out / f}")),
                     "--feedback-dir", out / "feedback", *options)
        assert result.exit_code == 0, result.output

    grade("whole")
    for k in (1, 2, 3):
        grade(f"shard{k}", "--shard", f"{k}/3")
    return paths


def _merge(root: Path, *run_dirs: str | Path, out: str = "merged") -> Any:
    folder = root / out
    folder.mkdir(exist_ok=True)
    return run("merge", *(root / d for d in run_dirs), "-o", folder / "table",
               *(x for f in ALSO for x in ("--also", f"{f}:{folder / f}")),
               "--feedback-dir", folder / "feedback")


def test_merged_shards_give_one_runs_report_byte_for_byte(graded: dict[str, Path]) -> None:
    root = graded["root"]
    result = _merge(root, "shard1-run", "shard2-run", "shard3-run")
    assert result.exit_code == 0, result.output
    whole, merged = root / "whole", root / "merged"
    for fmt in ["table", *ALSO]:
        if fmt == "json":  # (timings are the run's own)
            one = json.loads((whole / fmt).read_text(encoding="utf-8"))
            assert without_timings(json.loads((merged / fmt).read_text(encoding="utf-8"))) \
                == without_timings(one)
            assert [s["id"] for s in one["submissions"]] == \
                [f"student{i:02d}" for i in range(STUDENTS)]
        else:
            assert (merged / fmt).read_bytes() == (whole / fmt).read_bytes(), fmt
    pages = sorted(p.name for p in (whole / "feedback").iterdir())
    assert pages == sorted(p.name for p in (merged / "feedback").iterdir())
    for page in pages:
        assert (merged / "feedback" / page).read_bytes() == \
            (whole / "feedback" / page).read_bytes()


def test_each_shard_grades_its_own_part_of_the_class(graded: dict[str, Path]) -> None:
    root = graded["root"]
    seen: list[str] = []
    for k in (1, 2, 3):
        report = json.loads((root / f"shard{k}" / "json").read_text(encoding="utf-8"))
        ids = [s["id"] for s in report["submissions"]]
        assert ids, f"shard {k} is empty: pick another class size"
        assert all(shards.Shard(k, 3).holds(i) for i in ids)
        seen += ids
    assert sorted(seen) == [f"student{i:02d}" for i in range(STUDENTS)]


def test_a_shard_is_the_documented_hash_of_the_id() -> None:
    digest = hashlib.sha256(b"student00").digest()
    index = int.from_bytes(digest[:8], "big") % 7 + 1
    assert shards.Shard(index, 7).holds("student00")
    assert sum(shards.Shard(k, 7).holds("student00") for k in range(1, 8)) == 1


def test_one_whole_run_folder_merges_to_its_own_report(graded: dict[str, Path]) -> None:
    root = graded["root"]
    result = _merge(root, "whole-run", out="again")
    assert result.exit_code == 0, result.output
    assert (root / "again" / "csv").read_bytes() == (root / "whole" / "csv").read_bytes()


def _copy_run(source: Path, dest: Path) -> Path:
    dest.mkdir()
    for name in ("run.json", "results.jsonl"):
        (dest / name).write_bytes((source / name).read_bytes())
    return dest


def _edit_meta(folder: Path, **changes: Any) -> None:
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    meta.update(changes)
    (folder / "run.json").write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.parametrize("case, expected", [
    ("missing", r"shard 3/3 missing: merge needs all 3"),
    ("duplicate", r"shard2-run and .*shard2-copy are both shard 2/3"),
    ("same folder twice", r"shard2-run is given twice"),
    ("unfinished", r"shard2-cut \(shard 2/3\) is unfinished: 0 of \d+ submissions graded, "
                   r"'student\d\d' not; finish it with grader grade \.\.\. --resume"),
    ("other options", r"shard3-other is not a shard of the same run as .*shard1-run: its "
                      r"timeout is 5\.0, not None"),
    ("other version", r"its grader is '0\.0\.1', not '\d"),
    ("other assignment", r"its assignment's files \(digest\) is '0123abcd', not '[0-9a-f]+'; "
                         r"grade every shard with the same assignment"),
    ("other seed", r"its seed is 99, not \d+"),
    ("other class", r"it graded another class \(10 submissions, not 9"),
    ("other split", r"shard1-of-2 is shard 1/2 but .*shard1-run is shard 1/3"),
    ("not a run folder", r"nowhere: not a run folder \(no run.json\)"),
    ("damaged header", r"run.json: its 'report' is not a report's header; grade that shard"),
    ("damaged results", r"shard3-damaged \(shard 3/3\) is unfinished: \d+ of \d+"),
])
def test_merge_refuses_in_one_line(graded: dict[str, Path], tmp_path: Path, case: str,
                                   expected: str) -> None:
    root = graded["root"]
    given: list[Path] = [root / "shard1-run", root / "shard2-run", root / "shard3-run"]
    if case == "missing":
        given = given[:2]
    elif case == "same folder twice":
        given.append(root / "shard2-run")
    elif case == "duplicate":
        given.append(_copy_run(root / "shard2-run", tmp_path / "shard2-copy"))
    elif case == "unfinished":
        cut = _copy_run(root / "shard2-run", tmp_path / "shard2-cut")
        (cut / "results.jsonl").write_text("", encoding="utf-8")
        given[1] = cut
    elif case == "other options":
        other = tmp_path / "shard3-other"
        result = run("grade", graded["assignment"], graded["subs"], "--shard", "3/3",
                     "--timeout", "5", "--run-dir", other, "-o", tmp_path / "out")
        assert result.exit_code == 0, result.output
        given[2] = other
    elif case in ("other version", "other assignment", "other seed", "other class"):
        changed = _copy_run(root / "shard3-run", tmp_path / "shard3-changed")
        _edit_meta(changed, **{
            "other version": {"grader": "0.0.1"},
            "other assignment": {"digest": "0123abcd"},
            "other seed": {"seed": 99},
            "other class": {"class": [f"student{i:02d}" for i in range(STUDENTS + 1)]},
        }[case])
        given[2] = changed
    elif case == "damaged header":
        given[0] = _copy_run(root / "shard1-run", tmp_path / "shard1-damaged")
        _edit_meta(given[0], report={"cases": "all"})
        for i in (1, 2):  # (the same header, so that it is the first's that is read)
            given[i] = _copy_run(given[i], tmp_path / f"shard{i + 1}-damaged")
            _edit_meta(given[i], report={"cases": "all"})
    elif case == "damaged results":
        damaged = _copy_run(root / "shard3-run", tmp_path / "shard3-damaged")
        (damaged / "results.jsonl").write_bytes(b"\xff\xfe not utf-8\n" + (
            damaged / "results.jsonl").read_bytes()[:-50])
        given[2] = damaged
    elif case == "other split":
        other = _copy_run(root / "shard1-run", tmp_path / "shard1-of-2")
        _edit_meta(other, shard="1/2")
        given.append(other)
    else:
        given.append(tmp_path / "nowhere")
    result = run("merge", *given, "-o", tmp_path / "merged")
    assert result.exit_code == 2, result.output
    assert re.search(expected, one_line(result)), one_line(result)
    assert not (tmp_path / "merged").exists()


@pytest.mark.parametrize("value", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2"])
def test_a_bad_shard_is_one_line(graded: dict[str, Path], value: str) -> None:
    result = run("grade", graded["assignment"], graded["subs"], "--shard", value)
    assert result.exit_code == 2
    assert "expected K/N with 1 <= K <= N" in one_line(result)


def test_a_shard_resumes_as_that_shard_only(graded: dict[str, Path], tmp_path: Path) -> None:
    root = graded["root"]
    cut = _copy_run(root / "shard2-run", tmp_path / "shard2")
    lines = (cut / "results.jsonl").read_text(encoding="utf-8").splitlines()
    (cut / "results.jsonl").write_text(lines[0] + "\n", encoding="utf-8")
    result = run("grade", graded["assignment"], graded["subs"], "--resume", cut, "--shard", "1/3")
    assert result.exit_code == 2
    assert "cannot resume: this run's shard is '1/3', the folder's is '2/3'" in one_line(result)
    result = run("grade", graded["assignment"], graded["subs"], "--resume", cut,
                 "-o", tmp_path / "out")  # (the folder's shard, 2/3)
    assert result.exit_code == 0, result.output
    merged = run("merge", root / "shard1-run", cut, root / "shard3-run", "--format", "csv",
                 "-o", tmp_path / "csv")
    assert merged.exit_code == 0, merged.output
    assert (tmp_path / "csv").read_bytes() == (root / "whole" / "csv").read_bytes()


def test_a_shard_whose_class_changed_does_not_resume(graded: dict[str, Path],
                                                     tmp_path: Path) -> None:
    root = graded["root"]
    cut = _copy_run(root / "shard2-run", tmp_path / "shard2")
    (cut / "results.jsonl").write_text("", encoding="utf-8")
    late = tmp_path / "subs"
    shutil.copytree(graded["subs"], late)
    write_student(late / "student99")
    result = run("grade", graded["assignment"], late, "--resume", cut)
    assert result.exit_code == 2
    assert f"{cut}: cannot resume: its class changed since it started (10 now, 9 then); " \
        "grade every shard again" == one_line(result).removeprefix("grader: error: ")


def test_a_report_file_in_a_missing_folder_is_refused_before_grading(
        graded: dict[str, Path], tmp_path: Path) -> None:
    result = run("grade", graded["assignment"], graded["subs"], "--run-dir", tmp_path / "run",
                 "-o", tmp_path / "missing" / "report.csv")
    assert result.exit_code == 2
    assert "no folder" in one_line(result) and not (tmp_path / "run").exists()


def test_a_resume_grades_again_what_the_grader_failed_on_and_one_run_at_a_time(
        tmp_path: Path) -> None:
    from grader.batch.rundir import RunDir
    from grader.results import SubmissionResult

    folder = RunDir(tmp_path / "run", {"what": 1})
    folder.record(SubmissionResult("ok", "ok", 1.0, 1.0))
    folder.record(SubmissionResult("lost", "lost", 0.0, 1.0,
                                   error="not graded: the grader failed; grade it again"))
    with pytest.raises(UsageError, match="another grader run is using this run folder"):
        RunDir(tmp_path / "run", {"what": 1}, resume=True)
    folder.close()
    again = RunDir(tmp_path / "run", {"what": 1}, resume=True)
    assert list(again.done()) == ["ok"]
    again.close()


def test_a_refused_resume_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    from grader.batch.rundir import META, RunDir

    folder = RunDir(tmp_path / "run", {"what": 1}, record={"class": ["a", "b"]})
    before = (tmp_path / "run" / META).read_bytes()
    with pytest.raises(UsageError, match="another grader run is using this run folder"):
        RunDir(tmp_path / "run", {"what": 1}, resume=True, record={"class": ["a"]})
    assert (tmp_path / "run" / META).read_bytes() == before
    folder.close()


def test_an_id_that_is_not_utf8_has_a_seed_and_a_shard() -> None:
    from grader.batch.run import student_seed

    name = b"M\xfcller".decode("utf-8", "surrogateescape")
    assert student_seed(1, name) == student_seed(1, name) >= 0
    assert sum(shards.Shard(k, 3).holds(name) for k in (1, 2, 3)) == 1
