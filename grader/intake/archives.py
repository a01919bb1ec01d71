"""Unpacking a student's zip file safely.

A zip comes from a student, so it is read as hostile: it is refused as a whole (the student's
result says why) when a member's path is absolute or climbs out with ``..``, when a member is
a symbolic link, a device, a pipe or a socket, when it is encrypted, when two members unpack
to the same path, or when it is a zip bomb: more members, more uncompressed bytes, or a
higher compression ratio than :class:`ArchiveLimits` allows. The sizes a zip declares are
checked before anything is written, and the bytes actually written are counted as well, so
a member that lies about its size cannot get past the limits either.

Member names are decoded as UTF-8 when the zip says so, or when the bytes happen to be valid
UTF-8 (many tools omit the flag); otherwise as cp437, the zip format's default, which never
fails. Names holding control characters are refused. Extraction creates only folders and
regular files (``O_EXCL | O_NOFOLLOW``) under a fresh folder that the caller owns.

:func:`list_files` reads a zip's directory alone, with every check that needs no
decompression, so that the caller can tell which zip holds what before unpacking anything;
:func:`extract` then unpacks one folder of it, within a byte budget of the caller's.
"""

from __future__ import annotations

import contextlib
import lzma
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_SKIPPED = ("__MACOSX",)  # macOS resource forks: never part of a submission
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1 << 16


class ArchiveError(Exception):
    """A zip that is refused; the message says why, for the student's result.

    Raised inside the submission layer only and turned into that submission's ``problem``
    there; it never reaches the CLI.
    """


@dataclass(frozen=True)
class ArchiveLimits:
    """How much one student's zip may hold. The defaults are far above any real homework."""

    max_members: int = 1000
    max_total_bytes: int = 64 << 20  # uncompressed, all members together
    max_ratio: float = 100.0  # uncompressed / compressed, checked on members and the whole
    ratio_floor: int = 1 << 20  # the ratio is checked only above this many uncompressed bytes
    max_depth: int = 16  # folders

    def __post_init__(self) -> None:
        if min(self.max_members, self.max_total_bytes, self.max_ratio, self.max_depth) <= 0:
            raise ValueError("archive limits must be positive")


def _mebibytes(n: float) -> str:
    return f"{n / (1 << 20):.3g} MiB"


def _name(info: zipfile.ZipInfo) -> str:
    """The member's name as the student's tool meant it, never raising."""
    name = info.filename
    if not info.flag_bits & _UTF8_FLAG:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):  # else: cp437
            name = name.encode("cp437").decode("utf-8")
    return name.replace("\\", "/")  # some Windows tools write backslashes


def _safe_parts(name: str, archive: str) -> tuple[str, ...]:
    """The path components of a member name, or ArchiveError if it could escape."""
    shown = repr(name) if _CONTROL.search(name) else name
    if _CONTROL.search(name):
        raise ArchiveError(f"{archive}: member {shown} has control characters in its name")
    if name.startswith("/") or _DRIVE.match(name):
        raise ArchiveError(f"{archive}: member {shown} has an absolute path; refusing to "
                           "unpack it")
    parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
    if ".." in parts:
        raise ArchiveError(f"{archive}: member {shown} points outside the zip (..); refusing "
                           "to unpack it")
    if any(len(p.encode("utf-8", "surrogateescape")) > 255 for p in parts):
        raise ArchiveError(f"{archive}: member {shown[:80]}... has a name too long to unpack")
    return parts


def _kind(info: zipfile.ZipInfo) -> str:
    """"dir", "file", or the name of a special kind that is refused."""
    mode = info.external_attr >> 16
    if info.is_dir() or stat.S_ISDIR(mode):
        return "dir"
    if stat.S_IFMT(mode) == 0 or stat.S_ISREG(mode):
        return "file"  # no file type: made on Windows, or by a tool that records none
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISFIFO(mode):
        return "pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


@dataclass(frozen=True)
class _Member:
    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    is_dir: bool


def _plan(zf: zipfile.ZipFile, archive: str, archive_bytes: int,
          limits: ArchiveLimits) -> list[_Member]:
    """Every member to unpack, after every check that needs no decompression."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise ArchiveError(f"{archive}: has {len(infos)} members, over the limit of "
                           f"{limits.max_members}")
    members: list[_Member] = []
    seen: dict[tuple[str, ...], bool] = {}
    total = 0
    for info in infos:
        parts = _safe_parts(_name(info), archive)
        if not parts or parts[0] in _SKIPPED:
            continue
        shown = "/".join(parts)
        kind = _kind(info)
        if kind not in ("dir", "file"):
            raise ArchiveError(f"{archive}: member {shown} is a {kind}; only files and "
                               "folders are accepted")
        if info.flag_bits & _ENCRYPTED_FLAG:
            raise ArchiveError(f"{archive}: member {shown} is encrypted")
        if len(parts) - (kind == "file") > limits.max_depth:
            raise ArchiveError(f"{archive}: member {shown} is nested more than "
                               f"{limits.max_depth} folders deep")
        is_dir = kind == "dir"
        for depth in range(1, len(parts)):
            if seen.get(parts[:depth]) is False:
                raise ArchiveError(f"{archive}: {'/'.join(parts[:depth])} is both a file and "
                                   "a folder")
            seen[parts[:depth]] = True
        if parts in seen and (not is_dir or seen[parts] is False):
            raise ArchiveError(f"{archive}: has two members named {shown}")
        seen[parts] = is_dir
        if not is_dir:
            total += info.file_size
            if total > limits.max_total_bytes:
                raise ArchiveError(f"{archive}: unpacks to more than "
                                   f"{_mebibytes(limits.max_total_bytes)} (a zip bomb?)")
            if (info.file_size > limits.ratio_floor
                    and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
                ratio = info.file_size / max(info.compress_size, 1)
                raise ArchiveError(f"{archive}: member {shown} is compressed {ratio:.0f} to 1, "
                                   f"over the limit of {limits.max_ratio:g} to 1 (a zip bomb?)")
        members.append(_Member(info, parts, is_dir))
    if total > limits.ratio_floor and total > limits.max_ratio * max(archive_bytes, 1):
        raise ArchiveError(f"{archive}: is compressed {total / max(archive_bytes, 1):.0f} to 1, "
                           f"over the limit of {limits.max_ratio:g} to 1 (a zip bomb?)")
    return members


_EOCD = struct.Struct("<4s4H2LH")  # end of central directory: signature ... comment length
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
DIRECTORY_BYTES_PER_MEMBER = 8 << 10  # far above a real entry (46 bytes and its name)


def _check_directory(archive: Path, shown: str, limits: ArchiveLimits) -> None:
    """Refuse a zip whose directory is too big to read, from its end record alone:
    :class:`zipfile.ZipFile` reads the whole directory into memory (about 8 bytes per byte
    of it) before any member can be counted."""
    with open(archive, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        tail_start = max(0, size - _EOCD.size - 0xFFFF)
        f.seek(tail_start)
        tail = f.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or at + _EOCD.size > len(tail):
            return  # not a zip: zipfile says so
        _, _, _, _, entries, directory, _, _ = _EOCD.unpack_from(tail, at)
        locator_at = tail_start + at - _ZIP64_LOCATOR.size
        if (entries == 0xFFFF or directory == 0xFFFFFFFF) and locator_at >= 0:
            f.seek(locator_at)
            signature, _, record_at, _ = _ZIP64_LOCATOR.unpack(f.read(_ZIP64_LOCATOR.size))
            if signature == b"PK\x06\x07" and record_at + _ZIP64_EOCD.size <= size:
                f.seek(record_at)
                record = _ZIP64_EOCD.unpack(f.read(_ZIP64_EOCD.size))
                if record[0] == b"PK\x06\x06":
                    entries, directory = record[7], record[8]
    if entries > limits.max_members:
        raise ArchiveError(f"{shown}: has {entries} members, over the limit of "
                           f"{limits.max_members}")
    most = limits.max_members * DIRECTORY_BYTES_PER_MEMBER
    if directory > most:
        raise ArchiveError(f"{shown}: its directory takes {_mebibytes(directory)}, over the "
                           f"limit of {_mebibytes(most)}")


@contextlib.contextmanager
def _reading(shown: str) -> Iterator[None]:
    """Turn whatever reading a hostile zip raises into an :class:`ArchiveError`."""
    try:
        yield
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, UnicodeDecodeError, ValueError,
            zlib.error, lzma.LZMAError) as exc:
        raise ArchiveError(f"{shown}: not a readable zip file ({exc})") from None
    except NotImplementedError as exc:  # a compression method zipfile does not know
        raise ArchiveError(f"{shown}: uses an unsupported compression method ({exc})") \
            from None
    except RuntimeError as exc:  # e.g. "File is encrypted, password required"
        raise ArchiveError(f"{shown}: cannot be unpacked ({exc})") from None
    except OSError as exc:
        raise ArchiveError(f"{shown}: cannot be unpacked ({exc.strerror or exc})") from None
    except MemoryError:
        raise ArchiveError(f"{shown}: too large to read") from None


@contextlib.contextmanager
def _opened(archive: Path, limits: ArchiveLimits
            ) -> Iterator[tuple[zipfile.ZipFile, list[_Member]]]:
    """The open zip and every member to unpack, after every check that needs no
    decompression; whatever reading it raises, inside too, becomes an ArchiveError."""
    with _reading(archive.name):
        _check_directory(archive, archive.name, limits)
        with zipfile.ZipFile(archive) as zf:
            yield zf, _plan(zf, archive.name, archive.stat().st_size, limits)


def list_files(archive: Path, limits: ArchiveLimits | None = None
               ) -> dict[tuple[str, ...], int]:
    """The files ``archive`` would unpack, as path components, each with the size it
    declares; nothing is decompressed or written.

    Every check :func:`extract` makes before decompressing is made here too, so a zip this
    refuses (:class:`ArchiveError`) is one :func:`extract` would refuse.
    """
    with _opened(archive, limits or ArchiveLimits()) as (_, members):
        return {m.parts: m.info.file_size for m in members if not m.is_dir}


def extract(archive: Path, dest: Path, limits: ArchiveLimits | None = None,
            under: tuple[str, ...] = (), budget: int | None = None) -> int:
    """Unpack ``archive`` into ``dest`` (a new, empty folder the caller owns and removes);
    return the bytes written.

    Only members inside the folder ``under`` (path components; the whole zip by default) are
    unpacked, though the whole zip is checked. ``budget``, if given, caps the bytes written
    (a student's disk budget): a zip whose members there declare more is refused before
    anything is written, and one whose members inflate past it while unpacking is refused
    then. Raises :class:`ArchiveError` with a message for the student when the zip is
    unreadable or refused; ``dest`` may then hold part of the zip, and the caller removes it.
    """
    limits = limits or ArchiveLimits()
    shown = archive.name
    cap = limits.max_total_bytes
    too_much = f"{shown}: unpacks to more than {_mebibytes(cap)} (a zip bomb?)"
    if budget is not None and budget < cap:
        cap = budget
        too_much = (f"{shown}: unpacks to more than {_mebibytes(cap)}, the disk budget per "
                    "student")
    with _opened(archive, limits) as (zf, planned):
        members = [m for m in planned if m.parts[:len(under)] == under]
        if sum(m.info.file_size for m in members if not m.is_dir) > cap:
            raise ArchiveError(too_much)
        written = [0]
        for member in members:
            target = dest.joinpath(*member.parts)
            if member.is_dir:
                target.mkdir(mode=0o755, parents=True, exist_ok=True)
                continue
            target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            if not _write(zf, member, target, written, cap):
                raise ArchiveError(too_much)
    return written[0]


def _write(zf: zipfile.ZipFile, member: _Member, target: Path, written: list[int],
           cap: int) -> bool:
    """Copy one member to a new regular file, counting the bytes really produced; False
    (the file cut short) as soon as the zip's total would pass ``cap``."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as out, zf.open(member.info) as source:
        while chunk := source.read(_CHUNK):
            written[0] += len(chunk)
            if written[0] > cap:
                return False
            out.write(chunk)
    return True
