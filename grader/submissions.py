"""Finding submissions on disk.

``SUBMISSIONS`` is either one submission folder (it holds the module file itself) or a folder
of submission folders, each named by its submission id. A folder without the module file is
still a submission: it gets a result that says what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError


@dataclass(frozen=True)
class Submission:
    id: str
    folder: Path
    module: Path | None  # None when the module file was not found
    problem: str = ""  # why the module is missing


def _find_module(folder: Path, module_file: str) -> tuple[Path | None, str]:
    direct = folder / module_file
    if direct.is_file():
        return direct.resolve(), ""
    nested = sorted(p for p in folder.glob(f"*/{module_file}") if p.is_file())
    if len(nested) == 1:
        return nested[0].resolve(), ""
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
        return Submission(path.stem if path.name != module_file else path.parent.name or
                          path.stem, path.parent.resolve(), path.resolve())
    module, problem = _find_module(path, module_file)
    return Submission(path.resolve().name, path.resolve(), module, problem)


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
