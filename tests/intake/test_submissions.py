"""Finding submissions on disk: a folder of folders, one folder, the module file itself, and
files as learning-management systems download them (zips: test_archives.py)."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.intake import lms
from grader.intake.submissions import Staging, Submission, discover, one_submission


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("", encoding="utf-8")
    return path


def test_folder_of_submission_folders_sorted_by_id(tmp_path: Path) -> None:
    for name in ("carol", "alice", "bob"):
        touch(tmp_path / name / "hw.py")
    touch(tmp_path / ".hidden" / "hw.py")
    touch(tmp_path / "_private" / "hw.py")

    found = discover(tmp_path, "hw.py")

    assert [s.id for s in found] == ["alice", "bob", "carol"]
    assert all(s.module == (tmp_path / s.id / "hw.py").resolve() for s in found)


def test_module_one_folder_down_is_found(tmp_path: Path) -> None:
    touch(tmp_path / "alice" / "unzipped" / "hw.py")

    (sub,) = discover(tmp_path, "hw.py")

    assert sub.module == (tmp_path / "alice" / "unzipped" / "hw.py").resolve()


def test_several_modules_is_a_problem_of_that_submission(tmp_path: Path) -> None:
    touch(tmp_path / "alice" / "v1" / "hw.py")
    touch(tmp_path / "alice" / "v2" / "hw.py")

    (sub,) = discover(tmp_path, "hw.py")

    assert sub.module is None
    assert sub.problem == "found several hw.py files (v1/hw.py, v2/hw.py); submit exactly one"


def test_folder_without_module_is_still_a_submission(tmp_path: Path) -> None:
    (tmp_path / "alice").mkdir()
    touch(tmp_path / "bob" / "hw.py")

    found = discover(tmp_path, "hw.py")

    assert [(s.id, s.module is None) for s in found] == [("alice", True), ("bob", False)]
    assert found[0].problem == "no hw.py in alice/"


def test_one_submission_folder_holding_the_module(tmp_path: Path) -> None:
    touch(tmp_path / "alice" / "hw.py")

    assert [s.id for s in discover(tmp_path / "alice", "hw.py")] == ["alice"]


def test_module_file_itself(tmp_path: Path) -> None:
    module = touch(tmp_path / "alice" / "hw.py")

    sub = one_submission(module, "hw.py")

    assert (sub.id, sub.module) == ("alice", module.resolve())


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "submissions not found"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "no hw.py and no submission folders"),
    ],
    ids=["missing", "empty"],
)
def test_unusable_submissions_path_is_a_usage_error(tmp_path: Path, make: object,
                                                    message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]

    with pytest.raises(UsageError, match=message):
        discover(path, "hw.py")


def test_non_python_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="expected a Python file, a notebook, a zip or a folder"):
        one_submission(touch(tmp_path / "hw.txt"), "hw.py")


# --- files as learning-management systems download them -----------------------------------

def module_text(sub: Submission) -> str:
    assert sub.module is not None, sub.problem
    return sub.module.read_text(encoding="utf-8")


def lms_folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        touch(root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("smithjohn_12345_67890_hw.py", ("smithjohn", "12345", "hw.py", "", 0, "canvas")),
        ("smithjohn_LATE_12345_67890_hw-1.py",
         ("smithjohn", "12345", "hw.py", "", 1, "canvas")),
        ("anon_Xy12z_67890_hw.py", ("anon_Xy12z", "anon_Xy12z", "hw.py", "", 0, "canvas")),
        ("LATE_anon_Q9_67890_hw-2.py", ("anon_Q9", "anon_Q9", "hw.py", "", 2, "canvas")),
        ("smithjohn_12345_67890_notes-1.txt",
         ("smithjohn", "12345", "notes-1.txt", "", 0, "canvas")),
        ("Jane Doe_101_assignsubmission_file_hw.py",
         ("Jane Doe", "101", "hw.py", "", 0, "moodle")),
        ("Jane Doe_101_assignsubmission_onlinetext_onlinetext.html",
         ("Jane Doe", "101", "onlinetext.html", "", 0, "moodle")),
        ("Homework 2_jsmith_attempt_2024-10-02-09-00-00_hw.py",
         ("jsmith", "", "hw.py", "2024-10-02-09-00-00", 0, "blackboard")),
        ("Homework_2_jsmith_attempt_2024-10-02-09-00-00.txt",
         ("jsmith", "", "", "2024-10-02-09-00-00", 0, "blackboard")),
        ("alice_hw.py", ("alice", "", "hw.py", "", 0, "named")),
        ("bob_late_v2_hw-3.py", ("bob", "", "hw.py", "", 3, "named")),
        ("bob_hw.zip", ("bob", "", "hw.zip", "", 0, "named")),
        ("carol.py", ("carol", "", "hw.py", "", 0, "plain")),
        ("carol-smith.zip", ("carol-smith", "", "carol-smith.zip", "", 0, "plain")),
        ("grades.csv", None),
    ],
)
def test_lms_file_names(filename: str, expected: tuple[object, ...] | None) -> None:
    named = lms.parse(filename, "hw.py")

    assert (None if named is None else (named.student, named.user, named.original,
                                        named.attempt, named.resubmission, named.style)) \
        == expected


def test_canvas_download_one_submission_per_student_latest_resubmission_wins(
        tmp_path: Path) -> None:
    subs = lms_folder(tmp_path / "subs", {
        "smithjohn_12345_67890_hw.py": "smith",
        "doejane_LATE_222_333_hw.py": "first try",
        "doejane_LATE_222_334_hw-1.py": "second try",
        "doejane_LATE_222_335_helper.py": "helper",
        "anon_Xy12z_555_hw.py": "anonymous",
        "grades.csv": "not a submission",
    })

    with Staging() as staging:
        found = {s.id: s for s in discover(subs, "hw.py", staging)}

        assert sorted(found) == ["anon_Xy12z", "doejane", "smithjohn"]
        jane = found["doejane"]
        assert module_text(jane) == "second try"
        assert jane.module is not None and jane.module.name == "hw.py"
        assert (jane.module.parent / "helper.py").read_text(encoding="utf-8") == "helper"
        assert sorted(p.name for p in jane.module.parent.iterdir()) == ["helper.py", "hw.py"]
        assert jane.source == subs / "doejane_LATE_222_334_hw-1.py"
        assert jane.shown_path == str(subs / "doejane_LATE_222_334_hw-1.py")
        assert module_text(found["smithjohn"]) == "smith"
        root = staging.root
        assert root is not None

    assert not root.exists()
    assert sorted(p.name for p in subs.iterdir())[0] == "anon_Xy12z_555_hw.py"  # untouched


def test_moodle_files_and_folders(tmp_path: Path) -> None:
    subs = lms_folder(tmp_path / "subs", {
        "Jane Doe_101_assignsubmission_file_hw.py": "jane",
        "Jane Doe_101_assignsubmission_onlinetext_onlinetext.html": "<p>hi</p>",
        "Max Mustermann_202_assignsubmission_file_/hw.py": "max",
        "Erika Muster_203_assignsubmission_file/sub/hw.py": "erika",
    })

    with Staging() as staging:
        found = {s.id: s for s in discover(subs, "hw.py", staging)}

        assert sorted(found) == ["Erika Muster", "Jane Doe", "Max Mustermann"]
        assert all(s.problem == "" for s in found.values())
        assert found["Max Mustermann"].module == \
            subs / "Max Mustermann_202_assignsubmission_file_" / "hw.py"
        assert module_text(found["Jane Doe"]) == "jane"


def test_blackboard_latest_attempt_wins_and_a_receipt_alone_is_no_module(
        tmp_path: Path) -> None:
    subs = lms_folder(tmp_path / "subs", {
        "Homework 2_jsmith_attempt_2024-10-01-10-00-00_hw.py": "old",
        "Homework 2_jsmith_attempt_2024-10-01-10-00-00_helper.py": "old helper",
        "Homework 2_jsmith_attempt_2024-10-02-09-00-00_hw.py": "new",
        "Homework 2_jsmith_attempt_2024-10-02-09-00-00.txt": "receipt",
        "Homework 2_kwong_attempt_2024-10-02-11-00-00.txt": "receipt",
    })

    with Staging() as staging:
        jsmith, kwong = discover(subs, "hw.py", staging)

        assert module_text(jsmith) == "new"
        assert jsmith.module is not None
        assert not (jsmith.module.parent / "helper.py").exists(), "from an older attempt"
        assert (kwong.id, kwong.module) == ("kwong", None)
        assert kwong.problem == "no hw.py among kwong's files (found: nothing)"


def test_plain_and_named_files(tmp_path: Path) -> None:
    subs = lms_folder(tmp_path / "subs", {"alice_hw.py": "a", "bob_12_x_hw.py": "b",
                                          "carol.py": "c"})

    with Staging() as staging:
        found = discover(subs, "hw.py", staging)

        assert [(s.id, module_text(s)) for s in found] == [("alice", "a"), ("bob", "b"),
                                                           ("carol", "c")]
        assert all(s.module is not None and s.module.name == "hw.py" for s in found)


@pytest.mark.parametrize(
    ("files", "sid", "problem"),
    [
        ({"smithjohn_a_hw.py": "", "smithjohn_b_hw.py": ""}, "smithjohn",
         "found several hw.py files (smithjohn_a_hw.py, smithjohn_b_hw.py); "
         "submit exactly one"),
        ({"doejane_2_3_homework.py": "", "doejane_2_4_notes.txt": ""}, "doejane",
         "no hw.py among doejane's files (found: homework.py, notes.txt)"),
        ({"alice/hw.py": "", "alice_hw.py": ""}, "alice",
         "found more than one submission for alice (alice/, alice_hw.py); keep one"),
    ],
    ids=["two-candidates", "no-module", "folder-and-file"],
)
def test_a_problem_with_ones_files_is_that_submissions_problem(
        tmp_path: Path, files: dict[str, str], sid: str, problem: str) -> None:
    subs = lms_folder(tmp_path / "subs", {**files, "zed_9_9_hw.py": "fine"})

    with Staging() as staging:
        found = {s.id: s for s in discover(subs, "hw.py", staging)}

        assert (found[sid].module, found[sid].problem) == (None, problem)
        assert found["zed"].module is not None and found["zed"].problem == ""


def test_two_students_with_one_name_are_told_apart_by_their_lms_ids(tmp_path: Path) -> None:
    subs = lms_folder(tmp_path / "subs", {"smithjohn_1_2_hw.py": "one",
                                          "smithjohn_9_3_hw.py": "nine"})

    with Staging() as staging:
        found = discover(subs, "hw.py", staging)

        assert [(s.id, module_text(s)) for s in found] == [("smithjohn_1", "one"),
                                                           ("smithjohn_9", "nine")]


def test_a_symlinked_lms_file_is_refused_and_not_copied(tmp_path: Path) -> None:
    secret = touch(tmp_path / "reference" / "solution.py")
    secret.write_text("the answers", encoding="utf-8")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "mallory_1_2_hw.py").symlink_to(secret)
    (subs / "trudy_3_4_hw.py").write_text("mine", encoding="utf-8")
    (subs / "trudy_3_5_data.py").symlink_to(secret)

    with Staging() as staging:
        mallory, trudy = discover(subs, "hw.py", staging)

        assert mallory.module is None
        assert mallory.problem == "mallory_1_2_hw.py is a symbolic link; submit the file itself"
        assert trudy.module is not None
        assert not (trudy.module.parent / "data.py").exists()


def test_an_lms_zip_is_unpacked(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    with zipfile.ZipFile(subs / "smithjohn_1_2_hw2.zip", "w") as zf:
        zf.writestr("hw2/hw.py", "zipped")

    with Staging() as staging:
        (sub,) = discover(subs, "hw.py", staging)

        assert sub.id == "smithjohn" and sub.source == subs / "smithjohn_1_2_hw2.zip"
        assert module_text(sub) == "zipped"


def test_unreadable_submissions_folder_is_a_usage_error(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Path) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "iterdir", refuse)

    with pytest.raises(UsageError, match=f"cannot read {tmp_path}: Permission denied"):
        discover(tmp_path, "hw.py")


def test_a_folder_of_unrelated_files_is_a_usage_error(tmp_path: Path) -> None:
    touch(tmp_path / "grades.csv")

    with pytest.raises(UsageError, match=r"no hw\.py and no submission folders or files inside"):
        discover(tmp_path, "hw.py")


def test_staging_is_removed_at_close_and_left_alone_by_forked_children(tmp_path: Path) -> None:
    staging = Staging()
    folder = staging.new_folder()
    assert staging.root is not None and folder.parent == staging.root
    assert stat.S_IMODE(staging.root.stat().st_mode) == 0o700

    pid = os.fork()
    if pid == 0:
        staging.close()  # a job process forked from the grader must not remove it
        os._exit(0)
    os.waitpid(pid, 0)
    assert folder.exists()

    root = staging.root
    staging.close()
    assert not root.exists()


def test_a_moodle_online_text_folder_is_not_a_second_submission(tmp_path: Path) -> None:
    file_folder = tmp_path / "Jane Doe_101_assignsubmission_file_"
    text_folder = tmp_path / "Jane Doe_101_assignsubmission_onlinetext_"
    file_folder.mkdir()
    text_folder.mkdir()
    (file_folder / "hw2.py").write_text("x = 1\n")
    (text_folder / "onlinetext.html").write_text("<p>see my code</p>\n")

    found = discover(tmp_path, "hw2.py")

    assert [(s.id, s.problem) for s in found] == [("Jane Doe", "")]


def test_two_submissions_that_end_up_with_one_id_keep_separate_ids(tmp_path: Path) -> None:
    # Two Canvas John Smiths get their LMS user ids appended; a folder already named like
    # one of those ids must not share its result.
    for name in ("smithjohn_12345_1_hw2.py", "smithjohn_67890_2_hw2.py"):
        (tmp_path / name).write_text("x = 1\n")
    (tmp_path / "smithjohn_12345").mkdir()
    (tmp_path / "smithjohn_12345" / "hw2.py").write_text("x = 2\n")

    ids = [s.id for s in discover(tmp_path, "hw2.py")]

    assert len(ids) == len(set(ids)) == 3
    assert "smithjohn_12345#2" in ids


def test_a_second_id_never_takes_a_name_another_submission_has() -> None:
    from grader.intake.submissions import Submission, _distinct_ids

    subs = [Submission("x_1", Path("a"), None), Submission("x_1", Path("b"), None),
            Submission("x_1#2", Path("c"), None)]
    assert [s.id for s in _distinct_ids(subs)] == ["x_1", "x_1#3", "x_1#2"]
