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

_COPY_BUDGET = 32 << 20  # bytes of a submission folder copied for the student process
_COPY_FILE_LIMIT = 8 << 20


def copy_submission(module: Path, dest: Path) -> Path:
    """Copy the module's folder for the student process; return the copied module.

    Only regular files, folders and links are copied (links as links, never followed: a link
    to the reference must not bring the reference along); pipes, devices and sockets are
    left out, and so are files beyond the size budget. The student process imports the copy,
    so it cannot change the submission it came from.
    """
    budget = [_COPY_BUDGET]

    def copy_folder(source: str, target: str, depth: int) -> None:
        os.mkdir(target, 0o755)
        try:
            entries = sorted(os.scandir(source), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.name in ("__pycache__", ".git"):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            path = os.path.join(target, entry.name)
            if stat.S_ISLNK(info.st_mode):
                with contextlib.suppress(OSError):
                    os.symlink(os.readlink(entry.path), path)
            elif stat.S_ISDIR(info.st_mode) and depth < 8:
                copy_folder(entry.path, path, depth + 1)
            elif stat.S_ISREG(info.st_mode) and info.st_size <= min(_COPY_FILE_LIMIT,
                                                                      budget[0]):
                with contextlib.suppress(OSError):
                    shutil.copyfile(entry.path, path, follow_symlinks=False)
                    os.chmod(path, 0o644)
                    budget[0] -= info.st_size

    copy_folder(str(module.parent), str(dest), 0)
    return dest / module.name


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
