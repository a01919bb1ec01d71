"""What one student may take on disk: zips are looked into before anything is unpacked, only
the module's folder of the one zip that holds it is unpacked, the files staged for a student
plus the copy made for grading stay within the staging's budget, and a module too large to
copy is refused with its size and the limit (the hostile class: tests/hostile/test_disk.py).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.intake.archives import ArchiveError, extract, list_files
from grader.intake.submissions import DISK_BUDGET, Staging, discover, one_submission
from grader.sandbox.scratch import (
    COPY_BUDGET,
    COPY_FILE_LIMIT,
    ENTRY_BYTES,
    copy_size,
    copy_submission,
)

MODULE = "hw.py"
CODE = "def double(x):\n    return 2 * x\n"
MIB = 1 << 20


@pytest.fixture(autouse=True)
def _temp_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Staging folders go under tmp_path/tmp, so a test sees everything that was written."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    yield


def make_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def compressible(size: int) -> bytes:
    """``size`` bytes that deflate about 25 to 1: well under the zip-bomb ratio of 100."""
    data = bytearray(size)
    data[::64] = os.urandom(len(data[::64]))
    return bytes(data)


def written(root: Path) -> dict[str, int]:
    """Every file under ``root`` (the test's temporary folder) with its size."""
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


# --- lazy: only the zip that holds the module, only its folder ------------------------------

def test_only_the_zip_holding_the_module_is_unpacked(tmp_path: Path) -> None:
    folder = tmp_path / "subs" / "mallory"
    for i in range(20):
        make_zip(folder / f"part{i:02d}.zip", {f"data{i}.bin": compressible(MIB)})
    make_zip(folder / "part07.zip", {"hw2/hw.py": CODE, "hw2/notes.txt": "x",
                                     "unused/data.bin": compressible(MIB)})

    with Staging() as staging:
        (sub,) = discover(tmp_path / "subs", MODULE, staging)
        files = written(tmp_path / "tmp")

    assert sub.problem == "" and sub.module is not None
    assert sub.source == folder / "part07.zip"
    assert sorted(Path(f).name for f in files) == ["hw.py", "notes.txt"], files


def test_zips_are_read_by_their_directories_alone_when_two_hold_the_module(
        tmp_path: Path) -> None:
    folder = tmp_path / "subs" / "trudy"
    for i in range(20):
        make_zip(folder / f"v{i:02d}.zip", {"hw.py": CODE, "big.bin": compressible(MIB)})

    with Staging() as staging:
        (sub,) = discover(tmp_path / "subs", MODULE, staging)
        files = written(tmp_path / "tmp")

    assert sub.module is None
    assert sub.problem.startswith("found several hw.py files in trudy/ (v00.zip, v01.zip, ")
    assert files == {}


def test_a_refused_zip_is_reported_without_unpacking_the_one_with_the_module(
        tmp_path: Path) -> None:
    folder = tmp_path / "subs" / "erin"
    make_zip(folder / "a.zip", {"hw.py": CODE})
    make_zip(folder / "b.zip", {"../evil.py": "x"})

    with Staging() as staging:
        (sub,) = discover(tmp_path / "subs", MODULE, staging)
        files = written(tmp_path / "tmp")

    assert sub.problem.startswith("b.zip: member ../evil.py points outside the zip")
    assert files == {}


def test_list_files_reads_the_directory_and_extract_one_folder(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "x.zip", {"a/hw.py": CODE, "a/sub/": "", "a/sub/t.txt": "t",
                                            "b/other.py": "o", "__MACOSX/a/._hw.py": "junk"})
    (tmp_path / "out").mkdir()

    assert list_files(archive) == {("a", "hw.py"): len(CODE), ("a", "sub", "t.txt"): 1,
                                   ("b", "other.py"): 1}
    assert extract(archive, tmp_path / "out", under=("a",)) == len(CODE) + 1
    assert written(tmp_path / "out") == {"a/hw.py": len(CODE), "a/sub/t.txt": 1}
    with pytest.raises(ArchiveError, match=r"^x\.zip: member \.\./e\.py points outside"):
        list_files(make_zip(tmp_path / "x.zip", {"../e.py": "x"}))


# --- the budget -----------------------------------------------------------------------------

def test_the_default_budget_is_one_zips_limit() -> None:
    assert DISK_BUDGET == 64 * MIB == Staging().budget
    with pytest.raises(ValueError, match="budget must be positive"):
        Staging(budget=0)


def test_a_zip_over_the_budget_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    make_zip(tmp_path / "subs" / "oscar.zip", {"hw.py": CODE, "d.bin": compressible(3 * MIB)})

    with Staging(budget=2 * MIB) as staging:
        (sub,) = discover(tmp_path / "subs", MODULE, staging)
        files = written(tmp_path / "tmp")

    assert sub.module is None
    assert sub.problem == "oscar.zip: unpacks to more than 2 MiB, the disk budget per student"
    assert files == {}


def test_unpacked_files_and_the_copy_for_grading_count_together(tmp_path: Path) -> None:
    # 6 MiB unpacked, of which grading would copy 6 MiB again: 12 MiB, over a budget of 10.
    members: dict[str, str | bytes] = {"hw.py": CODE,
                                       **{f"d{i}.bin": compressible(2 * MIB) for i in range(3)}}
    make_zip(tmp_path / "subs" / "oscar.zip", members)
    make_zip(tmp_path / "subs" / "peggy.zip", {"hw.py": CODE, "d.bin": compressible(4 * MIB)})

    with Staging(budget=10 * MIB) as staging:
        oscar, peggy = discover(tmp_path / "subs", MODULE, staging)
        files = written(tmp_path / "tmp")

    assert oscar.module is None
    assert oscar.problem == ("oscar.zip takes 12.1 MiB on disk, with the copy made for "
                             "grading; the disk budget per student is 10 MiB")
    assert peggy.problem == "" and peggy.module is not None
    assert sum(files.values()) == 4 * MIB + len(CODE), "oscar's files were not removed"


def test_an_lms_students_files_stay_within_the_budget(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "smith_1_2_zz.bin").write_bytes(b"z" * MIB)  # named after hw.py: copied after it
    (subs / "smith_1_3_hw.py").write_text(CODE, encoding="utf-8")
    (subs / "smith_1_4_big.bin").write_bytes(b"b" * (3 * MIB))
    (subs / "smith_1_5_aa.bin").write_bytes(b"a" * MIB)

    with Staging(budget=5 * MIB) as staging:
        (sub,) = discover(subs, MODULE, staging)
        assert sub.module is not None
        staged = sorted(p.name for p in sub.module.parent.iterdir())
        used = sum(p.stat().st_size for p in sub.module.parent.iterdir())

    # hw.py, then by name: aa (2 MiB with its copy), big (6: left out), zz (2).
    assert staged == ["aa.bin", "hw.py", "zz.bin"]
    assert 2 * used <= 5 * MIB


def test_staged_files_are_released_once_graded(tmp_path: Path) -> None:
    make_zip(tmp_path / "subs" / "carol.zip", {"hw.py": CODE})
    (tmp_path / "subs" / "alice").mkdir()
    (tmp_path / "subs" / "alice" / MODULE).write_text(CODE, encoding="utf-8")

    with Staging() as staging:
        alice, carol = discover(tmp_path / "subs", MODULE, staging)
        assert carol.module is not None and carol.module.is_file()
        staging.release(alice)  # nothing staged: nothing to do
        staging.release(carol)
        assert not carol.module.exists() and staging.root is not None
        assert list(staging.root.iterdir()) == []
        assert alice.module is not None and alice.module.is_file()


# --- a module too large to copy -------------------------------------------------------------

@pytest.mark.parametrize("layout", ["folder", "file", "zip", "lms"])
def test_a_module_over_the_copy_limit_is_refused_with_its_size(tmp_path: Path,
                                                               layout: str) -> None:
    size = COPY_FILE_LIMIT + 100_000  # 8.095 MiB: shown rounded up, as 8.1
    big = "#" + "x" * (size - 2) + "\n"
    subs = tmp_path / "subs"
    if layout == "zip":  # random, so that it stays under the zip-bomb ratio
        text = "\n".join("# " + os.urandom(40).hex() for _ in range(size // 80))[:size]
        make_zip(subs / "alice.zip", {"alice/hw.py": text})
        expected = "alice/hw.py in alice.zip is 8.1 MiB; the limit is 8 MiB"
    else:
        name = {"lms": "alice_1_2_hw.py"}.get(layout, "hw.py")
        module = subs / ("" if layout == "lms" else "alice") / name
        module.parent.mkdir(parents=True)
        module.write_text(big, encoding="utf-8")
        expected = "hw.py is 8.1 MiB; the limit is 8 MiB"
        if layout == "lms":
            expected = "alice_1_2_hw.py is 8.1 MiB; the limit is 8 MiB"

    with Staging() as staging:
        if layout == "file":
            sub = one_submission(subs / "alice" / MODULE, MODULE, staging)
        else:
            (sub,) = discover(subs, MODULE, staging)
        files = written(tmp_path / "tmp")

    assert (sub.id, sub.module, sub.problem) == ("alice", None, expected)
    assert files == {}


def test_a_module_at_the_limit_is_accepted(tmp_path: Path) -> None:
    module = tmp_path / "alice" / MODULE
    module.parent.mkdir()
    module.write_bytes(b"#" * (COPY_FILE_LIMIT - 1) + b"\n")

    sub = one_submission(module, MODULE)

    assert sub.problem == "" and sub.module == module


# --- the copy for grading, as the budget counts it ------------------------------------------

def test_copy_size_is_what_the_copy_writes_and_the_module_comes_first(tmp_path: Path) -> None:
    folder = tmp_path / "alice"
    (folder / "sub").mkdir(parents=True)
    for i in range(5):  # 5 x 7 MiB, all named before hw.py: over the copy's budget
        (folder / f"a{i}.npy").write_bytes(b"\0" * (7 * MIB))
    (folder / "sub" / "t.txt").write_text("t", encoding="utf-8")
    (folder / "huge.bin").write_bytes(b"\0" * (COPY_FILE_LIMIT + 1))
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "hw.pyc").write_bytes(b"\0" * 100)
    module = folder / MODULE
    module.write_text(CODE, encoding="utf-8")

    expected = copy_size(module)
    copied = copy_submission(module, tmp_path / "copy")

    assert copied.read_text(encoding="utf-8") == CODE
    entries = sum(len(dirs) + len(files) for _, dirs, files in os.walk(tmp_path / "copy"))
    assert entries == 7  # hw.py, a0-a3.npy, sub, sub/t.txt
    assert expected == sum(written(tmp_path / "copy").values()) + entries * ENTRY_BYTES
    assert expected == len(CODE) + 4 * 7 * MIB + 1 + 7 * ENTRY_BYTES <= COPY_BUDGET


def test_each_copied_entry_costs_the_budget_so_empty_files_cannot_flood_the_disk(
        tmp_path: Path) -> None:
    folder = tmp_path / "mallory"
    folder.mkdir()
    (folder / MODULE).write_text(CODE, encoding="utf-8")
    many = COPY_BUDGET // ENTRY_BYTES + 500
    for i in range(many):  # empty files and links: no bytes, but an inode each
        (folder / f"e{i:06d}").touch() if i % 2 else (folder / f"e{i:06d}").symlink_to(MODULE)

    expected = copy_size(folder / MODULE)
    copied = copy_submission(folder / MODULE, tmp_path / "copy")

    kept = len(os.listdir(copied.parent))
    assert copied.read_text(encoding="utf-8") == CODE  # the module first, always
    assert kept == COPY_BUDGET // ENTRY_BYTES - 1 < many  # (hw.py's bytes take one entry's room)
    assert expected <= COPY_BUDGET
