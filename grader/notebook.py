"""Checking a notebook from inside Jupyter: ``from grader.notebook import check; check()``.

:func:`check` runs ``grader check`` on the notebook *as saved*, in a separate process, and
shows its feedback in the notebook: an HTML table of the parts, the failing case, the
known mistake and a command that reruns the case. Nothing of the grader's judging runs in
the kernel: this module only finds the files, starts the process and formats its JSON
report (:mod:`grader.reporters.notebook`).

Where the files are, when they are not given:

- the assignment (or a student bundle from ``grader export``): ``$GRADER_ASSIGNMENT``; else
  the folder holding ``assignment.yaml`` nearest the working folder: the working folder
  itself or one above it, else the only one of its subfolders that holds one;
- the notebook: ``<module>.ipynb`` in the working folder (``hw2.ipynb``), else the only
  notebook there.

The check reads the file, not the kernel: a cell changed but not saved is not seen. The
result says when the file was saved, and warns when that was over a minute ago.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

from grader.reporters import check as check_text
from grader.reporters import notebook as check_html
from grader.results import GradeReport

STALE_SECONDS = 60.0


class CheckError(Exception):
    """The check could not run: the files were not found, or ``grader check`` refused."""


@dataclass(frozen=True)
class Checked:
    """What ``grader check`` said of a notebook; Jupyter shows it as HTML."""

    report: GradeReport
    notebook: Path
    assignment: Path
    saved: str  # when the notebook was saved, in words

    @property
    def score(self) -> float:
        return self.report.submissions[0].score

    def rerun(self, case_id: str) -> str:
        return shlex.join(["grader", "check", str(self.assignment), str(self.notebook),
                           "--case", case_id])

    def _repr_html_(self) -> str:
        return check_html.render(self.report, self.rerun, self.saved)

    def __str__(self) -> str:
        return click.unstyle(check_text.render(self.report, self.rerun)) + self.saved + "\n"

    def __repr__(self) -> str:
        return str(self)


def check(notebook: str | Path | None = None, assignment: str | Path | None = None, *,
          case: str | None = None, timeout: float = 600.0) -> Checked:
    """Check ``notebook`` (as saved) against ``assignment``'s public cases, or one ``case``;
    both are found as the module says where not given."""
    folder = Path.cwd()
    where = Path(assignment) if assignment is not None else find_assignment(folder)
    path = Path(notebook) if notebook is not None else find_notebook(folder, where)
    if not path.is_file():
        raise CheckError(f"{path}: no such notebook")
    command = [sys.executable, "-m", "grader", "check", str(where), str(path),
               "--format", "json", *(["--case", case] if case else [])]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        raise CheckError(f"grader check took more than {timeout:g} s") from None
    if done.returncode not in (0, 1):
        said = done.stderr.strip().splitlines()
        raise CheckError(said[-1] if said else f"grader check failed ({done.returncode})")
    report = GradeReport.from_dict(json.loads(done.stdout))
    return Checked(report, path, where, saved_words(path))


def saved_words(path: Path, now: float | None = None) -> str:
    """``checked hw2.ipynb as saved at 14:03:12 (5 s ago)``, with a reminder to save when
    that was long ago."""
    saved = path.stat().st_mtime
    ago = max(0.0, (time.time() if now is None else now) - saved)
    words = (f"checked {path.name} as saved at {time.strftime('%H:%M:%S', time.localtime(saved))}"
             f" ({_duration(ago)} ago)")
    if ago > STALE_SECONDS:
        words += ": if you changed cells since, save the notebook (Ctrl-S) and check again"
    return words


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def find_assignment(folder: Path) -> Path:
    """The assignment to check against, by the rule in this module's docstring."""
    given = os.environ.get("GRADER_ASSIGNMENT")
    if given:
        return Path(given)
    for candidate in (folder, *folder.parents):
        if (candidate / "assignment.yaml").is_file():
            return candidate
    below = sorted(p.parent for p in folder.glob("*/assignment.yaml"))
    if len(below) == 1:
        return below[0]
    if below:
        raise CheckError(f"several assignments below {folder} "
                         f"({', '.join(p.name for p in below)}); name one: check(assignment=...)")
    raise CheckError(f"no assignment.yaml in {folder}, above it or in a folder inside it; "
                     "name the assignment or bundle: check(assignment='hw2-bundle')")


def find_notebook(folder: Path, assignment: Path) -> Path:
    """The notebook to check, by the rule in this module's docstring."""
    module = _module_name(assignment)
    if module and (folder / f"{module}.ipynb").is_file():
        return folder / f"{module}.ipynb"
    found = sorted(folder.glob("*.ipynb"))
    if len(found) == 1:
        return found[0]
    raise CheckError(f"{'several notebooks' if found else 'no notebook'} in {folder}; name "
                     f"it: check('{module or 'hw'}.ipynb')")


def _module_name(assignment: Path) -> str:
    """The ``module:`` of ``assignment.yaml`` ("" if it cannot be read)."""
    try:
        import yaml

        data = yaml.safe_load((assignment / "assignment.yaml").read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return ""
    module = data.get("module") if isinstance(data, dict) else None
    return module if isinstance(module, str) else ""
