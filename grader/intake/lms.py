"""Whose file is this: the names that learning-management systems give downloaded submissions.

A "download all submissions" puts every student's files in one flat folder, the student
folded into each file name:

========== ====================================================================================
Canvas     ``<sortable name>[_LATE]_<user id>_<attachment id>_<file>``, e.g.
           ``smithjohn_LATE_12345_67890_hw2-1.py``; anonymous grading gives ``anon_<id>`` in
           place of the name and user id. Canvas adds ``-1``, ``-2``, ... to a file uploaded
           again under the same name.
Moodle     ``<Full Name>_<participant id>_assignsubmission_file_<file>``, or a folder named
           ``<Full Name>_<participant id>_assignsubmission_file[_]`` holding the files.
Blackboard ``<assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>``, and
           ``<assignment>_<username>_attempt_<...>.txt`` for the attempt's receipt.
other      ``<student>_<anything>_<module>.py`` (or ``.zip``): the student is everything
           before the first underscore.
========== ====================================================================================

Anything else named ``<id>.py`` or ``<id>.zip`` is the submission of ``<id>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STAMP = r"\d{4}(?:-\d{2}){5}"
_CANVAS_ANON = re.compile(r"(?:LATE_)?(?P<user>anon_[A-Za-z0-9]+)_\d+_(?P<file>.+)")
_CANVAS = re.compile(r"(?P<student>.+?)(?:_LATE)?_(?P<user>\d+)_\d+_(?P<file>.+)")
_MOODLE = re.compile(
    r"(?P<student>.+)_(?P<user>\d+)_assignsubmission_(?P<plugin>[a-z]+)(?:_(?P<file>.*))?")
_BLACKBOARD = re.compile(
    rf"(?P<assignment>.+)_(?P<student>[^_]+)_attempt_(?P<attempt>{_STAMP})"
    r"(?:_(?P<file>.+)|\.txt)")
_RESUBMITTED = re.compile(r"(?P<stem>.+)-(?P<n>\d{1,4})(?P<ext>\.(?:py|zip))")
_UPLOADS = (".py", ".zip")


@dataclass(frozen=True)
class Named:
    """What a downloaded file's name says about it."""

    student: str  # the submission id
    user: str  # the LMS's own id of the student ("" when the name has none)
    original: str  # the file's name as uploaded, without a resubmission suffix ("" if none)
    attempt: str = ""  # Blackboard's attempt time stamp; a later one is a later attempt
    resubmission: int = 0  # Canvas's "-N" before the extension; higher is later
    style: str = "plain"  # canvas | moodle | blackboard | named | plain


def _version(filename: str) -> tuple[str, int]:
    """``hw2-1.py`` -> (``hw2.py``, 1). Only .py and .zip names are undone: a module's name
    cannot hold "-", so there "-1" can only be the LMS's suffix."""
    match = _RESUBMITTED.fullmatch(filename)
    if match is None:
        return filename, 0
    return match["stem"] + match["ext"], int(match["n"])


def parse(filename: str, module_file: str) -> Named | None:
    """Whose file ``filename`` is, or None if it is no student's (not an LMS name, and not a
    ``.py`` or ``.zip`` file)."""
    match = _BLACKBOARD.fullmatch(filename)
    if match is not None:
        original, n = _version(match["file"] or "")
        return Named(match["student"], "", original, match["attempt"], n, "blackboard")
    match = _MOODLE.fullmatch(filename)
    if match is not None:
        original, n = _version(match["file"] or "")
        return Named(match["student"], match["user"], original, "", n, "moodle")
    match = _CANVAS_ANON.fullmatch(filename) or _CANVAS.fullmatch(filename)
    if match is not None:
        original, n = _version(match["file"])
        student = match.groupdict().get("student") or match["user"]
        return Named(student, match["user"], original, "", n, "canvas")
    stem = module_file.removesuffix(".py")
    match = re.fullmatch(rf"(?P<student>[^_]+)_(?:.+_)?(?P<file>{re.escape(stem)}"
                         r"(?:-\d{1,4})?\.(?:py|zip))", filename)
    if match is not None:
        original, n = _version(match["file"])
        return Named(match["student"], "", original, "", n, "named")
    for ext in _UPLOADS:
        if filename.endswith(ext) and len(filename) > len(ext):
            # The file is the whole submission of the student it is named after.
            return Named(filename[: -len(ext)], "", module_file if ext == ".py" else filename)
    return None


def other_moodle_plugin(name: str) -> bool:
    """A Moodle folder of another submission plugin (online text, comments) beside the
    student's ``..._assignsubmission_file_`` folder: not code, so not a second submission."""
    match = _MOODLE.fullmatch(name)
    return match is not None and not match["file"] and match["plugin"] != "file"


def folder_student(name: str) -> tuple[str, str]:
    """(submission id, LMS user id) of a submission folder: a Moodle folder
    ``John Smith_123_assignsubmission_file`` is John Smith's; any other folder is named by
    its id."""
    match = _MOODLE.fullmatch(name)
    if match is not None and not match["file"]:
        return match["student"], match["user"]
    return name, ""
