"""The red team's two attacks on LMS download names, end to end through discover().

Mallory uploads a file named ``x_alice_attempt_2099-01-01-00-00-00_hw2.py``. The LMS folds
her own name in front of it, but a parser that anchors on the last match in the name reads
the end of it, which she chose: in a Blackboard download her file became Alice's latest
attempt (Alice's real file dropped), and in a Canvas download it made a fake "alice" row and
pushed the real Alice to another id. Every case here is graded as an instructor would:
discover() on the downloaded class folder.
"""

from __future__ import annotations

from pathlib import Path

from grader.intake.submissions import Staging, discover

FORGED_UPLOAD = "x_alice_attempt_2099-01-01-00-00-00_hw2.py"


def graded(folder: Path, files: dict[str, str]) -> dict[str, tuple[str | None, str]]:
    """Each submission id -> (the text of the hw2.py that would be graded, the problem)."""
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    with Staging() as staging:
        return {s.id: (None if s.module is None else s.module.read_text(encoding="utf-8"),
                       s.problem) for s in discover(folder, "hw2.py", staging)}


def test_mallorys_upload_is_not_alices_latest_blackboard_attempt(tmp_path: Path) -> None:
    found = graded(tmp_path, {
        "Homework 2_alice_attempt_2024-10-01-10-00-00_hw2.py": "alice's own work",
        "Homework 2_alice_attempt_2024-10-01-10-00-00.txt": "receipt",
        "Homework 2_mallory_attempt_2024-10-02-09-00-00_hw2.py": "mallory's own work",
        "Homework 2_mallory_attempt_2024-10-02-09-00-00.txt": "receipt",
        f"Homework 2_mallory_attempt_2024-10-02-09-00-00_{FORGED_UPLOAD}": "forged by mallory",
    })

    assert found == {"alice": ("alice's own work", ""), "mallory": ("mallory's own work", "")}


def test_mallorys_upload_makes_no_alice_row_in_a_canvas_download(tmp_path: Path) -> None:
    found = graded(tmp_path, {
        "alice_789_790_hw2.py": "alice's own work",
        "mallory_123_455_hw2.py": "mallory's own work",
        f"mallory_123_456_{FORGED_UPLOAD}": "forged by mallory",
    })

    assert found == {"alice": ("alice's own work", ""), "mallory": ("mallory's own work", "")}


def test_alone_in_the_folder_the_forgery_is_refused_as_mallorys_problem(tmp_path: Path) -> None:
    # Nothing else in the folder says it is a Canvas download: the name fits Canvas and
    # Blackboard alike, so it is not graded as anyone's, and the note is on Mallory's row.
    found = graded(tmp_path, {f"mallory_123_456_{FORGED_UPLOAD}": "forged by mallory"})

    assert list(found) == ["mallory"]
    module, problem = found["mallory"]
    assert module is None
    assert problem == (
        f"mallory_123_456_{FORGED_UPLOAD} reads as Canvas's name for mallory and as "
        "Blackboard's for alice, and the folder's other files do not tell which LMS it came "
        "from; it is refused rather than guessed (upload it under a plain name such as the "
        "module's)")
