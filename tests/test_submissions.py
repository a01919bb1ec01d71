"""Finding submissions on disk: a folder of folders, one folder, or the module file itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.submissions import discover, one_submission


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
    with pytest.raises(UsageError, match="expected a Python file or a folder"):
        one_submission(touch(tmp_path / "hw.txt"), "hw.py")
