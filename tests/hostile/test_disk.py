"""Hostile zips and modules that would fill the grader's disk: what one student may take there.

Twenty zips in one student's folder, each within the per-zip limits, once unpacked to over a
gigabyte in the grader's temporary folder, where it stayed until the run ended. Now only the
zip that holds the module is unpacked (the others are read by their directories alone), and
what one student takes on disk, unpacked plus the copy made for grading, stays within 64 MiB
(the documented default budget); a student over it gets zero and a message, never a byte
more. A module too large to copy for grading is refused with its size and the limit.

Each hostile student is graded in a class beside two good ones (a folder and a zip) through
the library, as ``grader grade`` does: ``Staging``, ``discover``, then the class run. What is
on disk is measured from inside the test process: an audit hook sums the files under the
grader's temporary folder (staging and run folders alike) before every file is opened there
and before anything is removed or renamed, which are the moments the total is largest.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grader.batch.run import grade_class
from grader.grading import GradeOptions, Grader
from grader.intake.submissions import Staging, discover
from grader.results import GradeReport
from grader.sandbox.runner import RunOptions

from ._lab import MODULE_FILE, Lab, correct_source
from .test_corpus import check_left_nothing

BUDGET = 64 << 20  # the default disk budget per student (README, "Submission layouts")
MIB = 1 << 20


# --- measuring the temporary folder ---------------------------------------------------------

class _Watch:
    """The largest total size of the files under ``root`` seen at any measured moment."""

    root: str | None = None
    peak = 0
    local = threading.local()


_MOMENTS = frozenset({"open", "os.remove", "os.rmdir", "os.rename", "shutil.rmtree",
                      "shutil.move"})
_hooked = False


def _size(root: str) -> int:
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):  # removed meanwhile, or unreadable
                total += os.lstat(os.path.join(folder, name)).st_size
    return total


def _audit(event: str, args: tuple[Any, ...]) -> None:
    root = _Watch.root
    if root is None or event not in _MOMENTS or getattr(_Watch.local, "busy", False):
        return
    if event == "open":  # a new file only counts once it is under the watched folder
        path = args[0]
        if not isinstance(path, (str, bytes, os.PathLike)) or \
                not os.fsdecode(path).startswith(root):
            return
    _Watch.local.busy = True
    try:
        _Watch.peak = max(_Watch.peak, _size(root))
    finally:
        _Watch.local.busy = False


@pytest.fixture()
def watched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The grader's temporary folder for this test, watched: ``_Watch.peak`` is its largest
    total size while the test ran. (An audit hook stays for the life of the process; it does
    nothing while no folder is watched.)"""
    global _hooked
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked = True
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    _Watch.root, _Watch.peak = str(temp), 0
    try:
        yield temp
    finally:
        _Watch.root = None


# --- the hostile students -------------------------------------------------------------------

def compressible(size: int) -> bytes:
    """``size`` bytes that deflate about 25 to 1: far under the zip-bomb ratio of 100."""
    data = bytearray(size)
    data[::64] = os.urandom(len(data[::64]))
    return bytes(data)


def make_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def twenty_zips_one_module(lab: Lab, class_folder: Path) -> None:
    """Twenty zips of 4 MiB each (80 MiB in all), the module in one of them."""
    folder = class_folder / "mallory"
    data = make_zip(folder / "part00.zip", {"data.bin": compressible(4 * MIB)})
    for i in range(1, 20):
        shutil.copyfile(data, folder / f"part{i:02d}.zip")
    make_zip(folder / "part13.zip", {"hw/hw.py": lab.substitute(correct_source()),
                                     "hw/data.bin": compressible(4 * MIB)})


def twenty_zips_each_a_module(lab: Lab, class_folder: Path) -> None:
    """Twenty zips of 4 MiB each, every one with its own hw.py."""
    folder = class_folder / "mallory"
    first = make_zip(folder / "v00.zip", {"hw.py": lab.substitute(correct_source()),
                                          "data.bin": compressible(4 * MIB)})
    for i in range(1, 20):
        shutil.copyfile(first, folder / f"v{i:02d}.zip")


def one_zip_over_the_budget_with_its_copy(lab: Lab, class_folder: Path) -> None:
    """One zip within the per-zip limits (48 MiB unpacked), whose copy for grading (the
    module and three of its 8 MiB files) takes it past the budget."""
    chunk = compressible(8 * MIB)
    make_zip(class_folder / "mallory.zip", {"hw.py": lab.substitute(correct_source()),
                                            **{f"d{i}.bin": chunk for i in range(6)}})


def module_over_the_copy_limit(lab: Lab, class_folder: Path) -> None:
    """A correct hw.py padded with comments to 9.05 MiB (shown rounded up, as 9.1)."""
    source = lab.substitute(correct_source())
    size = 9 * MIB + 50_000 - len(source.encode())
    padding = (("# " + "x" * 77 + "\n") * (size // 80 + 1))[:size]
    lab.write(class_folder / "mallory", source + padding)


@dataclass(frozen=True)
class DiskCase:
    build: Callable[[Lab, Path], None]  # adds the student "mallory" to the class folder
    reason: str = ""  # "": graded as usual (full marks); else 0, and the error says this
    seen: int = 0  # bytes the measurement must have seen on disk at once (it measures)


CASES: dict[str, DiskCase] = {
    # The module's zip unpacked, and copied for grading: 4 MiB of data twice.
    "twenty_zips_one_module": DiskCase(twenty_zips_one_module, seen=8 * MIB),
    "twenty_zips_each_a_module": DiskCase(
        twenty_zips_each_a_module,
        reason="found several hw.py files in mallory/ (v00.zip, v01.zip, v02.zip, "),
    "one_zip_over_the_budget_with_its_copy": DiskCase(
        one_zip_over_the_budget_with_its_copy,
        reason="mallory.zip takes 72.1 MiB on disk, with the copy made for grading; the disk "
               "budget per student is 64 MiB", seen=48 * MIB),
    "module_over_the_copy_limit": DiskCase(module_over_the_copy_limit,
                                           reason="hw.py is 9.1 MiB; the limit is 8 MiB"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_students_files_stay_within_the_disk_budget(lab: Lab, tmp_path: Path,
                                                        watched: Path, name: str) -> None:
    case = CASES[name]
    class_folder = tmp_path / "class"
    lab.write(class_folder / "alice", correct_source())
    make_zip(class_folder / "bob.zip", {"bob/hw.py": lab.substitute(correct_source())})
    case.build(lab, class_folder)

    def run() -> GradeReport:
        with Staging() as staging, Grader(lab.spec, GradeOptions(run=RunOptions())) as grader:
            return grade_class(grader, discover(class_folder, MODULE_FILE, staging), 1)

    observed = lab.observe(run)
    peak = max(_Watch.peak, _size(str(watched)))

    failures = check_left_nothing(observed)
    report: GradeReport | None = observed.graded
    results = {r.id: r for r in report.submissions} if report is not None else {}
    if sorted(results) != ["alice", "bob", "mallory"]:
        failures.append(f"the run did not grade the class: {sorted(results)}")
    for good in ("alice", "bob"):
        if good in results and results[good].score != results[good].max_score:
            failures.append(f"{good} was not graded normally: {results[good].score:g}/"
                            f"{results[good].max_score:g} {results[good].error!r}")
    mallory = results.get("mallory")
    if mallory is not None and case.reason:
        if mallory.score != 0 or case.reason not in mallory.error:
            failures.append(f"expected 0 with {case.reason!r} in the error, got "
                            f"{mallory.score:g}: {mallory.error!r}")
    elif mallory is not None and mallory.score != mallory.max_score:
        failures.append(f"a correct hw.py got {mallory.score:g}/{mallory.max_score:g}: "
                        f"{mallory.error!r}")
    if peak < case.seen:
        failures.append(f"the measurement saw {peak / MIB:.1f} MiB at most; it missed "
                        f"{case.seen / MIB:g} MiB that were on disk")
    if peak > BUDGET:
        failures.append(f"the grader's temporary folder held {peak / MIB:.1f} MiB, over the "
                        f"budget of {BUDGET / MIB:g} MiB for one student")
    assert not failures, f"{name}:\n  " + "\n  ".join(failures)
