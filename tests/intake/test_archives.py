"""Students' zips: unpacked into a private folder, or refused as a whole with a clear message.

Each hostile zip sits next to a good student's folder: it costs only its own submission, and
nothing is written anywhere but the staging folder, which is gone after close().
"""

from __future__ import annotations

import os
import stat
import struct
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from grader.intake.archives import ArchiveError, ArchiveLimits, extract
from grader.intake.submissions import Staging, discover, one_submission

MODULE = "hw.py"
CODE = "def double(x):\n    return 2 * x\n"


@pytest.fixture(autouse=True)
def _temp_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Staging folders go under tmp_path/tmp, so a test sees everything that was written."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    yield


def make_zip(path: Path, members: dict[str, str | bytes],
             compression: int = zipfile.ZIP_DEFLATED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def symlink_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("hw.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    return path


def fifo_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("pipe")
        info.external_attr = (stat.S_IFIFO | 0o644) << 16
        zf.writestr(info, "")
        zf.writestr("hw.py", CODE)
    return path


def lying_zip(path: Path) -> Path:
    """A member that declares 100 bytes but inflates to 4 MiB (sizes patched in both headers)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("hw.py", "#" * (4 << 20))
    data = bytearray(path.read_bytes())
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, 100)
    struct.pack_into("<I", data, central + 24, 100)
    path.write_bytes(bytes(data))
    return path


def snapshot(root: Path) -> set[Path]:
    return set(root.rglob("*"))


def graded_beside_a_good_student(tmp_path: Path, name: str,
                                 build: Callable[[Path], Path],
                                 limits: ArchiveLimits | None = None) -> str:
    """Discover a class of alice (a plain folder) and ``name``.zip; return the zip's problem.

    Asserts that alice is unaffected, that nothing outside the staging folder was written,
    and that closing the staging folder leaves the tree as it was before.
    """
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / MODULE).write_text(CODE, encoding="utf-8")
    build(subs / f"{name}.zip")
    before = snapshot(tmp_path)

    with Staging(limits) as staging:
        found = {s.id: s for s in discover(subs, MODULE, staging)}
        written = snapshot(tmp_path) - before
        root = staging.root
        assert all(root is not None and (root in p.parents or p == root) for p in written), \
            written

    assert snapshot(tmp_path) == before
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "tmp" / "evil.py").exists()
    alice, bad = found["alice"], found[name]
    assert alice.module == subs / "alice" / MODULE and alice.problem == ""
    assert bad.module is None and bad.problem
    return bad.problem


# --- accepted ---------------------------------------------------------------------------

def test_a_zip_per_student_with_the_module_one_folder_down(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    make_zip(subs / "carol.zip", {"hw2-carol/": "", "hw2-carol/hw.py": CODE,
                                  "hw2-carol/data/table.csv": "1,2\n",
                                  "__MACOSX/hw2-carol/._hw.py": "junk"})
    make_zip(subs / "dave.zip", {"hw.py": CODE})

    with Staging() as staging:
        carol, dave = discover(subs, MODULE, staging)
        assert staging.root is not None
        assert carol.module is not None and staging.root in carol.module.parents
        assert carol.module.read_text(encoding="utf-8") == CODE
        assert (carol.module.parent / "data" / "table.csv").is_file()
        assert not any(p.name == "__MACOSX" for p in staging.root.rglob("*"))
        assert (carol.id, carol.source, carol.shown_path) == \
            ("carol", subs / "carol.zip", str(subs / "carol.zip"))
        assert dave.module is not None and dave.module.name == MODULE
        root = staging.root

    assert not root.exists(), "the staging folder outlived its run"


def test_a_zip_inside_a_student_folder_is_opened_when_nothing_else_is_found(
        tmp_path: Path) -> None:
    make_zip(tmp_path / "subs" / "erin" / "submission.zip", {"erin/hw.py": CODE})

    with Staging() as staging:
        (erin,) = discover(tmp_path / "subs", MODULE, staging)

        assert erin.module is not None and erin.module.parent.name == "erin"
        assert erin.source == tmp_path / "subs" / "erin" / "submission.zip"


def test_the_zip_itself_as_the_submission(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "frank.zip", {"hw.py": CODE})

    with Staging() as staging:
        sub = one_submission(archive, MODULE, staging)
        assert (sub.id, sub.problem) == ("frank", "")
        assert sub.module is not None and sub.module.is_file()


def test_utf8_names_without_the_utf8_flag_are_decoded(tmp_path: Path) -> None:
    archive = tmp_path / "names.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("Übung/hw.py")
        zf.writestr(info, CODE)
    data = archive.read_bytes()
    # Clear the UTF-8 flag in both headers, as many zip tools write names.
    patched = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = patched.find(sig) + offset
        flags = struct.unpack_from("<H", patched, at)[0]
        struct.pack_into("<H", patched, at, flags & ~0x800)
    archive.write_bytes(bytes(patched))
    (tmp_path / "out").mkdir()

    extract(archive, tmp_path / "out")

    assert (tmp_path / "out" / "Übung" / "hw.py").read_text(encoding="utf-8") == CODE


# --- refused: each costs only its own submission ----------------------------------------

@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda p: make_zip(p, {"hw.py": CODE, "../evil.py": "x"}),
         "member ../evil.py points outside the zip (..); refusing to unpack it"),
        (lambda p: make_zip(p, {"hw.py": CODE, "a/../../evil.py": "x"}),
         "member a/../../evil.py points outside the zip (..)"),
        (lambda p: make_zip(p, {"hw.py": CODE, "..\\evil.py": "x"}),
         "member ../evil.py points outside the zip (..)"),
        (lambda p: make_zip(p, {"hw.py": CODE, "/tmp/evil.py": "x"}),
         "member /tmp/evil.py has an absolute path; refusing to unpack it"),
        (lambda p: make_zip(p, {"hw.py": CODE, "C:/evil.py": "x"}),
         "member C:/evil.py has an absolute path"),
        (symlink_zip, "member hw.py is a symbolic link; only files and folders are accepted"),
        (fifo_zip, "member pipe is a pipe; only files and folders are accepted"),
        (lambda p: make_zip(p, {"hw.py": CODE, "bad\x01name.py": "x"}),
         "has control characters in its name"),
        (lambda p: make_zip(p, {"hw.py": "\0" * (8 << 20)}),
         "to 1, over the limit of 100 to 1 (a zip bomb?)"),
        (lambda p: make_zip(p, {f"f{i}.py": "" for i in range(1001)}),
         "has 1001 members, over the limit of 1000"),
        (lying_zip, "not a readable zip file (Bad CRC-32 for file 'hw.py')"),
        (lambda p: p.write_bytes(b"PK\x03\x04 this is not a zip") and p,
         "not a readable zip file (File is not a zip file)"),
        (lambda p: make_zip(p, {"notes.txt": "hello"}), "no hw.py in bad.zip"),
        (lambda p: make_zip(p, {"a/hw.py": CODE, "b/hw.py": CODE}),
         "found several hw.py files in bad.zip (a/hw.py, b/hw.py); submit exactly one"),
    ],
    ids=["dotdot", "dotdot-inside", "backslash", "absolute", "drive", "symlink", "fifo",
         "control-chars", "ratio-bomb", "too-many-members", "lying-size", "not-a-zip",
         "no-module", "two-candidates"],
)
def test_a_refused_zip_is_that_submissions_problem_only(
        tmp_path: Path, build: Callable[[Path], Path], message: str) -> None:
    problem = graded_beside_a_good_student(tmp_path, "bad", build)

    assert message in problem
    assert problem.startswith(("bad.zip: ", "no hw.py", "found several"))
    if "zip bomb" in message:
        assert problem.startswith("bad.zip: member hw.py is compressed ")


def test_a_zip_that_unpacks_too_large_is_refused(tmp_path: Path) -> None:
    limits = ArchiveLimits(max_total_bytes=1 << 20)
    big = os.urandom(600 << 10)  # incompressible, so only the total size trips

    problem = graded_beside_a_good_student(
        tmp_path, "big", lambda p: make_zip(p, {"hw.py": CODE, "a.bin": big, "b.bin": big},
                                            zipfile.ZIP_STORED), limits)

    assert problem == "big.zip: unpacks to more than 1 MiB (a zip bomb?)"


def test_a_whole_zip_compressed_too_well_is_refused(tmp_path: Path) -> None:
    # Many members each under the per-member floor, together far over the ratio.
    members = {f"part{i}.txt": "\0" * (900 << 10) for i in range(4)}

    problem = graded_beside_a_good_student(
        tmp_path, "many", lambda p: make_zip(p, {"hw.py": CODE, **members}))

    assert problem.startswith("many.zip: is compressed ")
    assert problem.endswith("to 1, over the limit of 100 to 1 (a zip bomb?)")


def test_a_symlinked_zip_is_refused(tmp_path: Path) -> None:
    target = make_zip(tmp_path / "elsewhere" / "real.zip", {"hw.py": CODE})

    problem = graded_beside_a_good_student(tmp_path, "linked",
                                           lambda p: (p.symlink_to(target), p)[1])

    assert problem == "linked.zip is a symbolic link or special file; submit the zip itself"


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        ArchiveLimits(max_members=0)


def test_extract_raises_archive_error_for_the_caller(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "x.zip", {"../evil.py": "x"})
    (tmp_path / "out").mkdir()

    with pytest.raises(ArchiveError, match=r"^x\.zip: member \.\./evil\.py points outside"):
        extract(archive, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def _directory_zip(path: Path, members: int, comment: bytes = b"") -> Path:
    """A zip of hw.py and ``members`` empty folders, each with ``comment``: almost all
    directory, which zipfile would read into memory whole (about 8 bytes per byte)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hw.py", CODE)
        for i in range(members):
            info = zipfile.ZipInfo(f"d{i}/")
            info.comment = comment
            zf.writestr(info, "")
    return path


@pytest.mark.parametrize(
    ("members", "comment", "message"),
    [(70_000, b"", "bad.zip: has 70001 members, over the limit of 1000"),  # (zip64 counts)
     (400, b"x" * 60_000, "bad.zip: its directory takes 22.9 MiB, over the limit of "
                          "7.81 MiB")],
    ids=["members", "directory-bytes"])
def test_a_zip_whose_directory_is_too_big_is_refused_before_it_is_read(
        tmp_path: Path, members: int, comment: bytes, message: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the directory was read")

    build = lambda p: _directory_zip(p, members, comment)  # noqa: E731
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", no_reading)
    problem = graded_beside_a_good_student(tmp_path, "bad", build)

    assert problem == message
