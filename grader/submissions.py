"""Finding submissions on disk.

``SUBMISSIONS`` is either one submission folder (it holds the module file itself) or a folder
of submission folders, each named by its submission id. A folder without the module file is
still a submission: it gets a result that says what is missing.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError


@dataclass(frozen=True)
class Submission:
    id: str
    folder: Path
    module: Path | None  # None when the module file was not found
    problem: str = ""  # why the module is missing


def _regular(path: Path) -> bool:
    """A regular file that is not a link: a link could point at files the student must not
    see (the reference solution), and the grader would copy what it points to."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _absolute(path: Path) -> Path:
    """An absolute path whose last component is not resolved (links stay links)."""
    return Path(os.path.abspath(path))


def _find_module(folder: Path, module_file: str) -> tuple[Path | None, str]:
    if folder.is_symlink():
        return None, f"{folder.name}/ is a symbolic link; submit a real folder"
    direct = folder / module_file
    if direct.is_symlink():
        return None, f"{module_file} is a symbolic link; submit the file itself"
    if _regular(direct):
        return _absolute(direct), ""
    nested = sorted(p for p in folder.glob(f"*/{module_file}")
                    if _regular(p) and not p.parent.is_symlink())
    if len(nested) == 1:
        return _absolute(nested[0]), ""
    if len(nested) > 1:
        listed = ", ".join(str(p.relative_to(folder)) for p in nested)
        return None, f"found several {module_file} files ({listed}); submit exactly one"
    return None, f"no {module_file} in {folder.name}/"


def one_submission(path: Path, module_file: str) -> Submission:
    """A single submission given as its folder or as the module file itself."""
    if not path.exists():
        raise UsageError(f"submission not found: {path}")
    if path.is_file():
        if path.suffix != ".py":
            raise UsageError(f"{path}: expected a Python file or a folder")
        folder = _absolute(path).parent
        name = path.stem if path.name != module_file else folder.name or path.stem
        if path.is_symlink():
            return Submission(name, folder, None,
                              f"{path.name} is a symbolic link; submit the file itself")
        return Submission(name, folder, _absolute(path))
    module, problem = _find_module(path, module_file)
    return Submission(_absolute(path).name, _absolute(path), module, problem)


def discover(path: Path, module_file: str) -> list[Submission]:
    """Every submission under ``path``, sorted by id."""
    if not path.exists():
        raise UsageError(f"submissions not found: {path}")
    if path.is_file() or (path / module_file).is_file():
        return [one_submission(path, module_file)]
    folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    if not folders:
        raise UsageError(f"{path}: no {module_file} and no submission folders inside")
    return [one_submission(f, module_file) for f in folders]
