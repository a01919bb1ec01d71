"""Whose file is this, when the student names part of it: adversarial upload names for each
LMS layout (grader.intake.lms, read through discover).

In every download the uploaded file's own name is the student's choice and comes last. Each
case drops one hostile upload of Mallory's into an otherwise ordinary class folder of that
LMS and checks that it can make no file another student's, no row appear or vanish, and no
file of Mallory's later than it is. The red team's two attacks: test_lms_hostile.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.intake import lms
from grader.intake.submissions import Staging, discover

STAMP = "2099-01-01-00-00-00"  # far in the future: "the latest attempt", if it were believed


def graded(folder: Path, files: dict[str, str]) -> dict[str, tuple[str | None, str]]:
    """Each submission id -> (the text of the module that would be graded, the problem)."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    with Staging() as staging:
        return {s.id: (None if s.module is None else s.module.read_text(encoding="utf-8"),
                       s.problem) for s in discover(folder, "hw.py", staging)}


# --- one hostile upload in an ordinary class folder -----------------------------------------

# Each LMS's class folder of Alice, Bob and Mallory, and the ids it gives them.
CANVAS = {"alicesmith_201_9001_hw.py": "alice", "bobjones_202_9002_hw.py": "bob",
          "mallorylee_203_9003_hw.py": "mallory"}
CANVAS_ANON = {"anon_AAAAA_9001_hw.py": "alice", "anon_BBBBB_9002_hw.py": "bob",
               "anon_MMMMM_9003_hw.py": "mallory"}
MOODLE = {"Alice Smith_201_assignsubmission_file_hw.py": "alice",
          "Bob Jones_202_assignsubmission_file_hw.py": "bob",
          "Mallory Lee_203_assignsubmission_file_hw.py": "mallory"}
BLACKBOARD = {f"Homework 2_{who}_attempt_2024-10-0{day}-09-00-00{end}": text
              for who, day in (("alice", 1), ("bob", 1), ("mallory", 2))
              for end, text in (("_hw.py", who), (".txt", "receipt"))}
NAMED = {"alice_hw.py": "alice", "bob_hw.py": "bob", "mallory_hw.py": "mallory"}
IDS = {"canvas": ("alicesmith", "bobjones", "mallorylee"),
       "anon": ("anon_AAAAA", "anon_BBBBB", "anon_MMMMM"),
       "moodle": ("Alice Smith", "Bob Jones", "Mallory Lee"),
       "blackboard": ("alice", "bob", "mallory"), "named": ("alice", "bob", "mallory")}
FOLDERS = {"canvas": CANVAS, "anon": CANVAS_ANON, "moodle": MOODLE, "blackboard": BLACKBOARD,
           "named": NAMED}


def honest(layout: str, mallory: str = "mallory") -> dict[str, tuple[str | None, str]]:
    """What the layout's class folder gives without Mallory's extra uploads: each student's
    own hw.py (Mallory's is ``mallory``), and no problem."""
    alice, bob, mal = IDS[layout]
    return {alice: ("alice", ""), bob: ("bob", ""), mal: (mallory, "")}


@pytest.mark.parametrize(
    ("layout", "upload"),
    [
        # Canvas: <name>_<user id>_<attachment id>_<upload>
        ("canvas", f"mallorylee_203_9004_x_alicesmith_attempt_{STAMP}_hw.py"),
        ("canvas", "mallorylee_203_9004_alicesmith_201_9999_hw.py"),
        ("canvas", "mallorylee_LATE_203_9004_x_LATE_201_9999_hw.py"),
        ("canvas", "mallorylee_203_9004_Alice Smith_201_assignsubmission_file_hw.py"),
        ("canvas", "mallorylee_203_9004_x_7_assignsubmission_file_hw.py"),
        # Canvas, anonymous grading: anon_<id>_<attachment id>_<upload>
        ("anon", f"anon_MMMMM_9004_x_alice_attempt_{STAMP}_hw.py"),
        ("anon", "anon_MMMMM_9004_anon_AAAAA_9999_hw.py"),
        ("anon", "LATE_anon_MMMMM_9004_x_7_assignsubmission_file_hw.py"),
        # Moodle: <Full Name>_<participant id>_assignsubmission_file_<upload>
        ("moodle", f"Mallory Lee_203_assignsubmission_file_x_Alice Smith_attempt_{STAMP}_hw.py"),
        ("moodle", "Mallory Lee_203_assignsubmission_file_x_201_assignsubmission_file_hw.py"),
        ("moodle", "Mallory Lee_203_assignsubmission_file_alicesmith_201_9999_hw.py"),
        # Blackboard: <assignment>_<username>_attempt_<stamp>_<upload>
        ("blackboard", f"Homework 2_mallory_attempt_2024-10-02-09-00-00_x_zed_attempt_{STAMP}"
                       "_hw.py"),
        ("blackboard", "Homework 2_mallory_attempt_2024-10-02-09-00-00_alicesmith_201_9_hw.py"),
        ("blackboard", "Homework 2_mallory_attempt_2024-10-02-09-00-00_x_201_assignsubmission_"
                       "file_hw.py"),
        # other: <student>_<anything>_hw.py
        ("named", "mallory_alice_201_9999_notes.txt"),
        ("named", f"mallory_x_alice_attempt_{STAMP}_notes.txt"),
    ],
    ids=["canvas-blackboard-inside", "canvas-canvas-inside", "canvas-late-inside",
         "canvas-moodle-impersonation", "canvas-moodle-second-row",
         "anon-blackboard-second-row", "anon-anon-inside", "anon-moodle-second-row",
         "moodle-blackboard-impersonation", "moodle-moodle-second-row", "moodle-canvas-inside",
         "blackboard-second-row", "blackboard-canvas-inside", "blackboard-moodle-inside",
         "named-canvas-inside", "named-blackboard-inside"],
)
def test_an_upload_name_never_chooses_the_student(tmp_path: Path, layout: str,
                                                  upload: str) -> None:
    found = graded(tmp_path, {**FOLDERS[layout], upload: "forged"})

    assert found == honest(layout)  # the forged upload is one of Mallory's other files


@pytest.mark.parametrize(
    ("layout", "uploads", "mallory"),
    [
        # Her upload named hw.py inside a Blackboard structure is no hw.py of hers (or Alice's):
        ("blackboard", {f"Homework 2_mallory_attempt_2024-10-01-09-00-00_x_mallory_attempt_"
                        f"{STAMP}_hw.py": "forged", f"Homework 2_mallory_attempt_2024-10-01-09-"
                        f"00-00_x_alice_attempt_{STAMP}_hw.py": "forged"}, "mallory"),
        # Canvas orders her uploads by attachment id, whatever "-N" she picks:
        ("canvas", {"mallorylee_203_9000_hw-99.py": "forged"}, "mallory"),
        ("anon", {"anon_MMMMM_9000_hw-99.py": "forged"}, "mallory"),
        ("canvas", {"mallorylee_203_9005_hw-1.py": "second"}, "second"),
    ],
    ids=["blackboard-stamp-in-upload", "canvas-suffix-earlier-upload",
         "anon-suffix-earlier-upload", "canvas-later-upload-wins"],
)
def test_an_upload_name_never_makes_a_file_later(tmp_path: Path, layout: str,
                                                 uploads: dict[str, str], mallory: str) -> None:
    found = graded(tmp_path, {**FOLDERS[layout], **uploads})

    assert found == honest(layout, mallory)


@pytest.mark.parametrize(
    "upload",
    [f"mallory_x_alice_attempt_{STAMP}_hw.py", "mallory_alice_201_9999_hw.py",
     "mallory_Alice Smith_201_assignsubmission_file_hw.py", "mallory_alice_hw-9.py"],
    ids=["blackboard-inside", "canvas-inside", "moodle-inside", "suffix"],
)
def test_a_named_upload_is_the_named_students_own_problem(tmp_path: Path, upload: str) -> None:
    # With no LMS, "<student>_" is the only structure: a second hw.py is Mallory's (the
    # highest "-N" among her own files wins, else she handed in two), never Alice's.
    found = graded(tmp_path, {**NAMED, upload: "forged"})

    assert found["alice"] == ("alice", "") and found["bob"] == ("bob", "")
    assert set(found) == {"alice", "bob", "mallory"}
    if upload.endswith("-9.py"):
        assert found["mallory"] == ("forged", "")
    else:
        listed = ", ".join(sorted(["mallory_hw.py", upload]))
        assert found["mallory"] == (None, f"found several hw.py files ({listed}); "
                                          "submit exactly one")


def test_moodle_folders_are_named_by_moodle_not_by_what_they_hold(tmp_path: Path) -> None:
    found = graded(tmp_path, {
        "Alice Smith_201_assignsubmission_file_/hw.py": "alice",
        "Mallory Lee_203_assignsubmission_file_/hw.py": "mallory",
        "Mallory Lee_203_assignsubmission_file_/Alice Smith_201_assignsubmission_file_/hw.py":
            "forged",
        f"Mallory Lee_203_assignsubmission_file_/x_alice_attempt_{STAMP}_hw.py": "forged",
    })

    assert found == {"Alice Smith": ("alice", ""), "Mallory Lee": ("mallory", "")}


# --- the folder decides the LMS; a folder that cannot is refused per file ---------------------

def test_the_folder_decides_which_lms_reads_a_name_that_fits_two() -> None:
    forged = f"mallorylee_203_9004_x_alicesmith_attempt_{STAMP}_hw.py"

    names = lms.read_folder([*CANVAS, forged, "grades.csv"], "hw.py")

    assert (names[forged].student, names[forged].style) == ("mallorylee", "canvas")
    assert names[forged].original == f"x_alicesmith_attempt_{STAMP}_hw.py"
    assert not names[forged].ambiguous
    assert "grades.csv" not in names


@pytest.mark.parametrize(
    ("forged", "owner", "other"),
    [
        (f"mallorylee_203_9004_x_alice_attempt_{STAMP}_hw.py", "mallorylee", "alice"),
        (f"Mallory Lee_203_assignsubmission_file_x_alice_attempt_{STAMP}_hw.py", "Mallory Lee",
         "alice"),
        ("Mallory Lee_203_assignsubmission_file_x_201_9999_hw.py", "Mallory Lee", "Mallory Lee"
         "_203_assignsubmission_file_x"),
        (f"anon_MMMMM_9004_x_alice_attempt_{STAMP}_hw.py", "anon_MMMMM", "alice"),
    ],
    ids=["canvas-or-blackboard", "moodle-or-blackboard", "moodle-or-canvas",
         "anon-or-blackboard"],
)
def test_a_lone_file_that_fits_two_lmss_is_refused_as_its_uploaders_problem(
        tmp_path: Path, forged: str, owner: str, other: str) -> None:
    # A folder of one file cannot tell its LMS: the name is read by the structure that comes
    # first (the LMS's prefix precedes the upload) and refused, never credited to Alice.
    found = graded(tmp_path, {forged: "forged"})

    assert list(found) == [owner]
    module, problem = found[owner]
    assert module is None
    assert problem.startswith(f"{forged} reads as ")
    assert f"for {owner} and as " in problem and f"'s for {other}, " in problem
    assert "refused" in problem


def test_a_lone_honest_file_is_read_without_a_fuss() -> None:
    for name in ("smithjohn_1_2_hw.py", "anon_Q9_3_hw.py",
                 "Jane Doe_101_assignsubmission_file_hw.py",
                 "Homework_2_jsmith_attempt_2024-10-02-09-00-00_hw.py", "alice_hw.py"):
        named = lms.parse(name, "hw.py")
        assert named is not None and not named.ambiguous and named.original == "hw.py", name


def test_a_hand_added_file_in_an_lms_folder_is_read_by_its_plain_name() -> None:
    names = lms.read_folder([*CANVAS, "zed_hw.py", "carol.py"], "hw.py")

    assert [(names[n].student, names[n].style) for n in ("zed_hw.py", "carol.py")] == \
        [("zed", "named"), ("carol", "plain")]
    assert {names[n].style for n in CANVAS} == {"canvas"}


def test_a_few_lms_like_names_do_not_make_a_named_folder_an_lms_download() -> None:
    forged = f"mallory_x_alice_attempt_{STAMP}_hw.py"

    names = lms.read_folder([*NAMED, forged], "hw.py")

    assert (names[forged].student, names[forged].style) == ("mallory", "named")


def test_files_of_one_student_named_two_ways_are_refused_not_ordered(tmp_path: Path) -> None:
    # A folder whose names no LMS made gives Mallory the end of hers: with enough forged
    # uploads, Blackboard's structure fits most of them, and the folder is read as Blackboard's.
    # Her forgeries then meet Alice's own file under one id: refused, never "the latest".
    forged = {f"mallory_x_alice_attempt_{STAMP}_hw-{k}.py": "forged" for k in range(1, 5)}

    found = graded(tmp_path, {**NAMED, **forged})

    module, problem = found["alice"]
    assert module is None
    assert problem.startswith("found alice's files named in more than one way (alice_hw.py, ")
    assert found["bob"] == ("bob", "")


def test_a_blackboard_download_with_numeric_usernames_is_blackboards() -> None:
    """``Lab_3_123456_attempt_...`` also fits Canvas's pattern (``_3_123456_``), but read as
    Canvas's every file would be student "Lab"'s: the reading that finds the students wins."""
    names = [f"Lab_3_{user}_attempt_2024-10-0{day}-09-00-00{tail}"
             for user, day in (("123456", 2), ("777777", 3)) for tail in ("_hw.py", ".txt")]
    read = lms.read_folder(names, "hw.py")
    assert {(n.student, n.style, n.ambiguous) for n in read.values()} == {
        ("123456", "blackboard", ""), ("777777", "blackboard", "")}


def test_blackboard_usernames_may_hold_underscores() -> None:
    """The assignment's name is the start every name of the download shares, so ``a_lee``
    and ``b_lee`` stay two students (not one "lee", graded from the later file)."""
    names = [f"Homework 2_{user}_attempt_2024-10-0{day}-09-00-00{tail}"
             for user, day in (("a_lee", 2), ("b_lee", 4), ("jsmith", 3))
             for tail in ("_hw.py", ".txt")]
    read = lms.read_folder(names, "hw.py")
    assert sorted({n.student for n in read.values()}) == ["a_lee", "b_lee", "jsmith"]
    assert all(n.style == "blackboard" and not n.ambiguous for n in read.values())


def test_hand_added_files_do_not_outvote_an_lms_download() -> None:
    """Two Blackboard students and two files added by hand: still a Blackboard download
    (the hand-added files are read by their plain names), not one "Homework 2" student."""
    names = [f"Homework 2_{user}_attempt_2024-10-02-09-00-00_hw.py" for user in ("alice", "bob")]
    read = lms.read_folder([*names, "carol.py", "dave.py"], "hw.py")
    assert sorted(n.student for n in read.values()) == ["alice", "bob", "carol", "dave"]
    assert [read[name].style for name in names] == ["blackboard", "blackboard"]


def test_a_line_break_in_an_upload_name_changes_nothing() -> None:
    forged = "Homework 2_eve_attempt_2024-10-02-09-00-00_x0\nz_hw.py"
    names = [f"Homework 2_{user}_attempt_2024-10-02-09-00-00_hw.py" for user in ("alice", "bob")]
    read = lms.read_folder([*names, forged], "hw.py")
    assert (read[forged].student, read[forged].style) == ("eve", "blackboard")
    assert sorted(n.student for n in read.values()) == ["alice", "bob", "eve"]
