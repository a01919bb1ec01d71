"""Per-student feedback files (``grader grade --feedback-dir``, grader.reporters.feedback):
a page per submission, named safely, student-facing. (That they hold nothing a student may
not see of hidden cases: tests/reporters/test_hidden_channels.py renders them too.)"""

from __future__ import annotations

import re
from pathlib import Path

from grader.reporters import ReportOptions
from grader.reporters.feedback import file_name, pages
from grader.results import GradeReport
from tests._cli import one_line, run
from tests._mini import HW2, SUBMISSIONS


def test_a_page_per_submission_in_either_format(hw2_report: GradeReport) -> None:
    for fmt, suffix in (("html", ".html"), ("markdown", ".md")):
        made = pages(hw2_report, fmt, ReportOptions())
        assert [name for name, _ in made] == [f"{s.id}{suffix}"
                                              for s in hw2_report.submissions]
        by_name = dict(made)
        assert "43.57 / 100" in by_name[f"buggy{suffix}"]
        assert "matches the known mistake unstable" in by_name[f"buggy{suffix}"].replace(
            "\\_", "_")
    page = dict(pages(hw2_report, "html", ReportOptions()))["buggy.html"]
    assert page.startswith("<!DOCTYPE html>") and "(all cases)" in page
    assert "grader check BUNDLE hw2.py --case q" in page


def test_file_names_are_safe_and_nobody_can_take_anothers() -> None:
    ids = ["../../etc/passwd", "<b>x</b>", "Alice", "alice", ".hidden", "", "a" * 300, "bob",
           "!bob", "CON", "张伟", "李娜"]
    clashing = {"alice"}
    names = [file_name(sid, clashing, ".html") for sid in ids]
    assert len(set(map(str.lower, names))) == len(names)  # (one each, in any case)
    assert names[ids.index("bob")] == "bob.html"  # (an id that is a safe name keeps it)
    assert names[ids.index("!bob")].startswith("bob-")  # (and no other id can take it)
    assert names[ids.index("Alice")].startswith("Alice-")  # (a case-only twin: both hashed)
    assert names[ids.index("CON")].startswith("CON-")
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*\.html", name), name
        assert len(name) <= 80 + 9 + 5
    # (the same id, the same name, whatever else is in the class)
    assert file_name("!bob", set(), ".html") == names[ids.index("!bob")]


def test_the_cli_writes_them_and_says_so(tmp_path: Path) -> None:
    done = run("grade", HW2, SUBMISSIONS / "correct", "--format", "json", "--feedback-dir",
               tmp_path / "feedback", "--feedback-format", "markdown")
    assert done.exit_code == 0, done.output
    assert [p.name for p in (tmp_path / "feedback").iterdir()] == ["correct.md"]
    assert "wrote 1 feedback file(s)" in done.stderr
    (tmp_path / "a-file").write_text("")
    done = run("grade", HW2, SUBMISSIONS / "correct", "--feedback-dir",
               tmp_path / "a-file" / "feedback")
    assert done.exit_code == 2 and "--feedback-dir" in one_line(done)
