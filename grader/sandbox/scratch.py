"""Copying and removing files safely: a run's private copy of the submission, and the removal
of folders a student could write to.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path
from typing import Any

COPY_BUDGET = 32 << 20  # bytes of a submission folder copied for the student process
COPY_FILE_LIMIT = 8 << 20  # bytes of one file; a larger module is refused at intake
_COPY_DEPTH = 8  # folders below the module's
_NEVER_COPIED = ("__pycache__", ".git")


def _entries(folder: str, first: str = ""
             ) -> list[tuple[os.DirEntry[str], os.stat_result]]:
    """A folder's entries as the copy sees them (never following links): ``first``, then the
    others sorted by name."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: (e.name != first, e.name))
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.name in _NEVER_COPIED:
            continue
        try:
            found.append((entry, entry.stat(follow_symlinks=False)))
        except OSError:
            continue
    return found


def _fits(info: os.stat_result, budget: int) -> bool:
    return stat.S_ISREG(info.st_mode) and info.st_size <= min(COPY_FILE_LIMIT, budget)


def copy_submission(module: Path, dest: Path) -> Path:
    """Copy the module's folder for the student process; return the copied module.

    Only regular files, folders and links are copied (links as links, never followed: a link
    to the reference must not bring the reference along); pipes, devices and sockets are
    left out, and so are files over :data:`COPY_FILE_LIMIT` and files beyond
    :data:`COPY_BUDGET` (the module is copied first, so data files named before it cannot
    use the budget up). The student process imports the copy, so it cannot change the
    submission it came from. :func:`copy_size` says beforehand how many bytes this copies.
    """
    budget = [COPY_BUDGET]

    def copy_folder(source: str, target: str, depth: int) -> None:
        os.mkdir(target, 0o755)
        for entry, info in _entries(source, module.name if depth == 0 else ""):
            path = os.path.join(target, entry.name)
            if stat.S_ISLNK(info.st_mode):
                with contextlib.suppress(OSError):
                    os.symlink(os.readlink(entry.path), path)
            elif stat.S_ISDIR(info.st_mode) and depth < _COPY_DEPTH:
                copy_folder(entry.path, path, depth + 1)
            elif _fits(info, budget[0]):
                with contextlib.suppress(OSError):
                    shutil.copyfile(entry.path, path, follow_symlinks=False)
                    os.chmod(path, 0o644)
                    budget[0] -= info.st_size

    copy_folder(str(module.parent), str(dest), 0)
    return dest / module.name


def copy_size(module: Path) -> int:
    """The bytes of files :func:`copy_submission` would copy for ``module`` as its folder is
    now (at most :data:`COPY_BUDGET`): what grading it adds on disk, counted at intake
    against the student's disk budget before anything is copied."""
    budget = [COPY_BUDGET]

    def walk(source: str, depth: int) -> None:
        for entry, info in _entries(source, module.name if depth == 0 else ""):
            if stat.S_ISDIR(info.st_mode) and depth < _COPY_DEPTH:
                walk(entry.path, depth + 1)
            elif _fits(info, budget[0]):
                budget[0] -= info.st_size

    walk(str(module.parent), 0)
    return COPY_BUDGET - budget[0]


def remove_tree(path: Path) -> None:
    """Remove a folder the student could write to: links are not followed, and folders the
    student made unreadable are opened up first."""

    def retry(function: Any, failed: str, _exc: Any) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(failed), 0o700)
            if not os.path.islink(failed) and os.path.isdir(failed):
                os.chmod(failed, 0o700)
            function(failed)

    shutil.rmtree(path, onerror=retry)
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)
