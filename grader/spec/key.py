"""The secret key of an assignment's hidden cases: its file, ``hidden.key``.

Public cases are drawn from the assignment's seed, which students may know: it is shown in
their reports so that they can rerun a case. Hidden cases are drawn from a secret key of 256
bits kept in ``hidden.key`` beside ``assignment.yaml``, so that no public case, report or
bundle pins them down: rebuilding them from the seed would mean guessing the key.

A run's hidden cases come from ``HMAC-SHA256(key, "hidden cases:<seed>")``
(:func:`grader.cases.build.hidden_entropy`), so a run with another public seed (``check
--seed``, each student's seed under ``grade --vary-by-student``) gets its own hidden cases
too, and the seed and the key together reproduce every case.

The file is text: ``#`` comment lines and one line of 64 hexadecimal digits. Only its holder
can draw hidden cases: ``grade`` and ``check --all`` need it, ``check`` of public cases and a
student bundle do not.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from grader.errors import SpecError
from grader.spec._common import display_path

if TYPE_CHECKING:
    from grader.spec.model import Assignment

KEY_FILE = "hidden.key"
KEY_BYTES = 32
_MIN_BYTES = 16  # 128 bits: a key file written by hand may be shorter than ours, not weaker
_HEX = re.compile(rf"(?:[0-9a-f]{{2}}){{{_MIN_BYTES},}}")
_HEADER = (
    "# grader: the secret key of this assignment's hidden cases.\n"
    "# Keep it out of public repositories and student bundles (add it to .gitignore).\n"
    "# Rotate it by deleting this file and running `grader validate` on the assignment.\n"
)


def key_path(root: Path) -> Path:
    return root / KEY_FILE


def _shown(root: Path) -> str:
    """The key file's path as the user would write it (a link is named, not followed)."""
    return str(Path(display_path(root)) / KEY_FILE)


def read_key(root: Path) -> bytes | None:
    """The key in ``root/hidden.key``, or None when there is no such file."""
    path = key_path(root)
    expected = ("expected one line of hexadecimal digits, an even number of them and at least "
                f"{2 * _MIN_BYTES} (the key that `grader validate` writes)")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        if path.is_symlink():
            raise SpecError(_shown(root), "", "a link to a missing file: restore the key it "
                            "pointed to (a new key changes every hidden case)") from None
        return None
    except UnicodeDecodeError:
        raise SpecError(_shown(root), "", f"not text; {expected}") from None
    except OSError as exc:
        raise SpecError(_shown(root), "", f"unreadable ({exc.strerror})") from None
    lines = [line.strip() for line in text.splitlines()]
    values = [line.lower() for line in lines if line and not line.startswith("#")]
    if len(values) != 1 or not _HEX.fullmatch(values[0]):
        raise SpecError(_shown(root), "", expected)
    return bytes.fromhex(values[0])


def create_key(root: Path) -> bytes:
    """Write a new random key to ``root/hidden.key`` (readable by its owner only); an
    existing file is left alone (FileExistsError)."""
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(key_path(root), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(_HEADER + key.hex() + "\n")
    return key


def ensure_key(assignment: Assignment) -> tuple[Assignment, Path | None]:
    """``assignment`` with its key: a new key file is written when it draws hidden cases
    and has none. Returns the assignment and the file written (None if none was)."""
    if assignment.key is not None or not assignment.needs_key:
        return assignment, None
    return replace(assignment, key=create_key(assignment.root)), key_path(assignment.root)


def missing_key(root: Path) -> SpecError:
    """The error for a run that needs hidden cases when the assignment has no key."""
    return SpecError(_shown(root), "",
                     "missing: the hidden cases are drawn from this secret key; restore it if "
                     "you had one (a new key changes every hidden case), or create one with "
                     f"`grader validate {display_path(root)}`")


def key_id(key: bytes | None) -> str:
    """A name for the key that says nothing about it (for caches and run folders)."""
    if key is None:
        return ""
    return hashlib.sha256(b"grader key id:" + key).hexdigest()[:16]
