"""The files a bundle packs: regular files only, in a stable order, without caches or links."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

from grader.errors import UsageError

_SKIP_DIRS = ("__pycache__", ".git", ".mypy_cache", ".pytest_cache", ".ruff_cache")


def regular_files(root: Path, refusal: str) -> Iterator[tuple[Path, str]]:
    """Regular files under ``root`` in a stable order, with their relative names, without
    caches. A link anywhere is refused, with ``refusal`` as the reason: what is being packed
    would carry whatever it points to."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in _SKIP_DIRS for part in relative.parts) or path.suffix == ".pyc":
            continue
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            raise UsageError(f"{path} is a symbolic link; {refusal}")
        if stat.S_ISREG(mode):
            yield path, relative.as_posix()
