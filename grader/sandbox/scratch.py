"""Copying and removing files safely: a run's private copy of the submission, and the removal
of folders a student could write to.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

COPY_BUDGET = 32 << 20  # bytes of a submission folder copied for the student process
COPY_FILE_LIMIT = 8 << 20  # bytes of one file; a larger module is refused at intake
_COPY_DEPTH = 8  # folders below the module's
_NEVER_COPIED = ("__pycache__", ".git")


ENTRY_BYTES = 4 << 10  # what each file, folder or link copied costs beyond its bytes


def _entries(folder: str, first: str = "") -> list[os.DirEntry[str]]:
    """A folder's entries as the copy takes them: ``first``, then the others sorted by
    name."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: (e.name != first, e.name))
    except OSError:
        return []
    return [entry for entry in entries if entry.name not in _NEVER_COPIED]


def copy_cost(size: int, left: int) -> int:
    """What copying a file of ``size`` bytes (0 for a folder or a link) costs the copy's
    budget with ``left`` of it remaining: :data:`ENTRY_BYTES` plus its bytes; 0 where the
    copy leaves it out (over :data:`COPY_FILE_LIMIT`, or past the budget)."""
    cost = ENTRY_BYTES + size
    return cost if size <= COPY_FILE_LIMIT and cost <= left else 0


def _copies(module: Path) -> Iterator[tuple[str, str, int, int]]:
    """What :func:`copy_submission` copies, in order (a folder before what it holds): the
    source, its path in the copy, its ``stat`` file type, and what it costs the budget."""
    left = COPY_BUDGET

    def walk(source: str, relative: str, depth: int) -> Iterator[tuple[str, str, int, int]]:
        nonlocal left
        for entry in _entries(source, module.name if depth == 0 else ""):
            if left < ENTRY_BYTES:
                return  # nothing more fits (and a huge folder is not read to its end)
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            kind = stat.S_IFMT(info.st_mode)
            cost = copy_cost(info.st_size if kind == stat.S_IFREG else 0, left)
            if not cost or kind not in _COPIED_KINDS \
                    or (kind == stat.S_IFDIR and depth >= _COPY_DEPTH):
                continue
            left -= cost
            path = os.path.join(relative, entry.name)
            yield entry.path, path, kind, cost
            if kind == stat.S_IFDIR:
                yield from walk(entry.path, path, depth + 1)

    yield from walk(str(module.parent), "", 0)


_COPIED_KINDS = (stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK)


def copy_submission(module: Path, dest: Path) -> Path:
    """Copy the module's folder for the student process; return the copied module.

    Only regular files, folders and links are copied (links as links, never followed: a link
    to the reference must not bring the reference along); pipes, devices and sockets are
    left out, and so are files over :data:`COPY_FILE_LIMIT` and whatever is beyond
    :data:`COPY_BUDGET`, where each file, folder and link costs :data:`ENTRY_BYTES` plus its
    bytes (the module is copied first, so what is named before it cannot use the budget up).
    The student process imports the copy, so it cannot change the submission it came from.
    :func:`copy_size` says beforehand what this costs.
    """
    os.mkdir(dest)
    os.chmod(dest, 0o755)  # (whatever the umask: a student uid of its own reads the copy)
    for source, relative, kind, _ in _copies(module):
        path = os.path.join(dest, relative)
        try:
            if kind == stat.S_IFLNK:
                os.symlink(os.readlink(source), path)
            elif kind == stat.S_IFDIR:
                os.mkdir(path)
                os.chmod(path, 0o755)
            else:
                shutil.copyfile(source, path, follow_symlinks=False)
                os.chmod(path, 0o644)
        except OSError as exc:
            # What cannot be read is left out; but a disk that is full or failing here (a
            # neighbour may have filled it) would grade a truncated copy as the student's
            # own: the grader's failure, graded again later.
            if exc.errno in _DISK_ERRORS:
                raise
    return dest / module.name


_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS)


MODULE_LIMIT = 64 << 20  # bytes of the module file itself (a notebook's outputs included)


def _grading_files(module: Path) -> Iterator[tuple[str, str, int]]:
    """What grading reads of a submission: :func:`_copies` (source, path in the copy, file
    type), and the module file itself where the copy leaves it out (a notebook over
    :data:`COPY_FILE_LIMIT`, which the grader reads but the student's process never gets)."""
    copied = False
    for source, relative, kind, _ in _copies(module):
        copied = copied or relative == module.name
        yield source, relative, kind
    if not copied:
        yield str(module), module.name, stat.S_IFREG


def _grading_contents(module: Path) -> Iterator[tuple[str, int, bytes | None]]:
    """:func:`_grading_files` with each entry's bytes (:func:`_content`; None where it cannot
    be read): the module itself up to :data:`MODULE_LIMIT`, the rest up to
    :data:`COPY_FILE_LIMIT`."""
    for source, relative, kind in _grading_files(module):
        limit = MODULE_LIMIT if relative == module.name else COPY_FILE_LIMIT
        yield relative, kind, _content(source, kind, limit)


def read_files(module: Path) -> list[tuple[str, int, bytes]]:
    """What grading reads of the submission (:func:`_grading_files`), as values to send
    elsewhere: each entry's path in the copy, its ``stat`` file type and its bytes (a link's
    target); see :func:`write_files`. An entry that cannot be read is left out, as
    :func:`copy_submission` leaves it out."""
    return [(relative, kind, data) for relative, kind, data in _grading_contents(module)
            if data is not None]


def write_files(entries: list[tuple[str, int, bytes]], dest: Path) -> None:
    """Make the folder ``dest`` hold what :func:`read_files` read (paths are checked to stay
    inside it)."""
    os.mkdir(dest)
    root = os.path.realpath(dest)
    for relative, kind, data in entries:
        path = os.path.realpath(os.path.join(root, relative))
        if os.path.commonpath([root, path]) != root or path == root:
            raise ValueError(f"a path outside the submission: {relative!r}")
        if kind == stat.S_IFLNK:
            os.symlink(os.fsdecode(data), path)
        elif kind == stat.S_IFDIR:
            os.mkdir(path)
        elif kind == stat.S_IFREG:
            with open(path, "xb") as f:
                f.write(data)


def _content(source: str, kind: int, limit: int = COPY_FILE_LIMIT) -> bytes | None:
    """An entry's bytes: a file's, at most ``limit`` + 1 (never blocking on a pipe put in
    its place), a link's target, nothing for a folder; None where it cannot be read."""
    try:
        if kind == stat.S_IFLNK:
            return os.fsencode(os.readlink(source))
        if kind == stat.S_IFREG:
            fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                         | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as f:
                return f.read(limit + 1)
    except OSError:
        return None
    return b""


def content_digest(module: Path) -> str | None:
    """A digest of what grading reads of the submission (:func:`_grading_files`) as its
    folder is now: each entry's path, kind and bytes (a link's target), in the copy's order;
    None if an entry cannot be read (then nothing may be assumed about it)."""
    h = hashlib.sha256()
    for relative, kind, data in _grading_contents(module):
        if data is None:
            return None
        h.update(f"{len(relative)}:{relative}:{kind}:".encode("utf-8", "surrogateescape"))
        h.update(len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def copy_size(module: Path) -> int:
    """What :func:`copy_submission` would cost for ``module`` as its folder is now (at most
    :data:`COPY_BUDGET`): the bytes it copies plus :data:`ENTRY_BYTES` a file, folder or
    link; counted at intake against the student's disk budget before anything is copied."""
    return sum(cost for *_, cost in _copies(module))


def remove_tree(path: Path) -> None:
    """Remove a folder the student could write to: links are not followed, and folders the
    student made unreadable are opened up first."""

    def retry(function: Any, failed: str, _exc: Any) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(failed), 0o700)
            if not os.path.islink(failed) and os.path.isdir(failed):
                os.chmod(failed, 0o700)
            if function in (os.rmdir, os.remove, os.unlink):
                function(failed)
            # (A folder that could not be opened or listed is read on the next pass.)

    for _ in range(_COPY_DEPTH + 2):  # each pass opens up at least one more level
        shutil.rmtree(path, onerror=retry)
        if not os.path.lexists(path):
            return
    shutil.rmtree(path, ignore_errors=True)
