"""``grader diff OLD NEW`` (grader.reporters.diff): after a change to the assignment, a
regrade names exactly the students it affected, by how much and in which parts."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from grader.batch.rundir import Loaded
from grader.grading import GradeOptions, Grader
from grader.intake.submissions import discover
from grader.reporters import FORMATS
from grader.reporters.diff import compare, render_text
from grader.results import GradeReport
from grader.sandbox.runner import RunOptions
from grader.spec import load_assignment
from tests._cli import one_line, run
from tests._mini import HW2, SUBMISSIONS

# numerical_hessian's tolerance, loosened from 2.5e-3 to 5e-2: buggy's forward differences
# at h = 1e-2 (and its notebook twin's) then pass every case; nobody else changes.
TOLERANCE = "tolerance: {rtol: 2.5e-3, atol: 2.5e-3,"
LOOSER = "tolerance: {rtol: 5.0e-2, atol: 5.0e-2,"


def _scores(report: GradeReport) -> dict[str, dict[str, float]]:
    return {s.id: {f"{q.id}/{p.id}": p.score for q in s.problems for p in q.parts}
            for s in report.submissions}


def test_a_changed_tolerance_names_exactly_the_students_it_affects(
        tmp_path: Path, hw2_report: GradeReport) -> None:
    changed = tmp_path / "hw2"
    shutil.copytree(HW2, changed)
    q4 = changed / "q4.yaml"
    assert TOLERANCE in q4.read_text()
    q4.write_text(q4.read_text().replace(TOLERANCE, LOOSER))
    spec = load_assignment(changed)
    with Grader(spec, GradeOptions(run=RunOptions())) as grader:
        regraded = grader.report(grader.grade_all(discover(SUBMISSIONS, spec.module_file)))
    (tmp_path / "old.json").write_text(FORMATS["json"](hw2_report))
    (tmp_path / "new.json").write_text(FORMATS["json"](regraded))

    done = run("diff", tmp_path / "old.json", tmp_path / "new.json", "--format", "json")
    assert done.exit_code == 1, done.output
    found = json.loads(done.stdout)
    before, after = _scores(hw2_report), _scores(regraded)
    affected = {sid for sid in before if before[sid] != after[sid]}
    assert {c["submission"] for c in found["changed"]} == affected == {"buggy",
                                                                        "notebook_buggy"}
    for change in found["changed"]:
        assert [p["part"] for p in change["parts"]] == ["q4/numerical_hessian"]
        assert change["delta"] > 0 and change["new"] == change["old"] + change["delta"]
    assert found["unchanged"] == len(before) - 2 and found["old_digest"] != found["new_digest"]

    text = run("diff", tmp_path / "old.json", tmp_path / "new.json").stdout
    assert "2 changed (2 up, 0 down)" in text and "q4/numerical_hessian: 3.64 -> 10" in text
    assert "note: the assignment changed: " in text


def test_no_change_exits_0_and_a_run_folder_reads_as_its_report(
        tmp_path: Path, hw2_report: GradeReport) -> None:
    (tmp_path / "old.json").write_text(FORMATS["json"](hw2_report))
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps({"digest": hw2_report.assignment.digest}))
    (folder / "results.jsonl").write_text("".join(s.json + "\n"
                                                  for s in hw2_report.submissions))
    done = run("diff", tmp_path / "old.json", folder)
    assert done.exit_code == 0, done.output
    assert f"0 changed (0 up, 0 down), {len(hw2_report.submissions)} unchanged" in done.stdout


def test_noise_is_no_change_and_a_submission_on_one_side_is_one(
        hw2_report: GradeReport) -> None:
    first, second, *rest = hw2_report.submissions
    noisy = replace(first, score=first.score + 1e-9)
    found = compare(Loaded([first, second], "d", "A", "all", False),
                    Loaded([noisy, *rest[:1]], "d", "A", "all", False))
    assert found.changed == () and found.unchanged == 1
    assert found.only_old == (second.id,) and found.only_new == (rest[0].id,) and found.any


def test_what_is_neither_a_run_folder_nor_a_report_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not json")
    done = run("diff", tmp_path / "notes.txt", tmp_path / "missing")
    assert done.exit_code == 2
    assert one_line(done).startswith("grader: error: ") and "notes.txt" in done.output


def test_a_removed_part_a_new_maximum_and_unlike_runs_are_said(
        hw2_report: GradeReport) -> None:
    sub = next(s for s in hw2_report.submissions if s.id == "correct")
    q7 = sub.problems[-1]
    fewer = replace(sub, score=sub.score - q7.score, max_score=sub.max_score - q7.max_score,
                    problems=sub.problems[:-1])
    found = compare(Loaded([sub], "d1", "hw2", "all", False),
                    Loaded([fewer], "d2", "layers", "public", True))
    (change,) = found.changed
    assert (change.old_max, change.new_max) == (100, 85)
    assert [(p.part, p.old, p.new) for p in change.parts] == [
        ("q7/cross_entropy_hessian", 15, None)]
    text = render_text(found)
    assert "q7/cross_entropy_hessian: removed (was 15)" in text
    assert "(out of 100 -> 85)" in text
    assert "different assignments" in text and "public cases only" in text
    assert "--vary-by-student" in text


def test_a_students_id_cannot_move_the_cursor(hw2_report: GradeReport) -> None:
    sub = hw2_report.submissions[0]
    hostile = replace(sub, id="e\x1b[31mRED\x1b[0m\rX" + "y" * 100)
    text = render_text(compare(Loaded([hostile], "d", "A", "all", False),
                               Loaded([], "d", "A", "all", False)))
    assert "\r" not in text and "\x1b" not in text
