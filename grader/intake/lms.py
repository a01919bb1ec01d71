"""Whose file is this: the names that learning-management systems give downloaded submissions.

A "download all submissions" puts every student's files in one flat folder, the student
folded into each file name:

========== ====================================================================================
Canvas     ``<sortable name>[_LATE]_<user id>_<attachment id>_<file>``, e.g.
           ``smithjohn_LATE_12345_67890_hw2-1.py``; anonymous grading gives ``anon_<id>`` in
           place of the name and user id. Canvas adds ``-1``, ``-2``, ... to a file uploaded
           again under the same name; its attachment ids grow with each upload.
Moodle     ``<Full Name>_<participant id>_assignsubmission_file_<file>``, or a folder named
           ``<Full Name>_<participant id>_assignsubmission_file[_]`` holding the files.
Blackboard ``<assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>``, and
           ``<assignment>_<username>_attempt_<...>.txt`` for the attempt's receipt. The
           assignment is the start that all the folder's names share, so a username may
           hold ``_``; a lone name's username is its last ``_``-free part.
other      ``<student>_<anything>_<module>.py`` (or ``.zip``): the student is everything
           before the first underscore.
========== ====================================================================================

Anything else named ``<id>.py`` or ``<id>.zip`` is the submission of ``<id>``.

``<file>``, the uploaded file's own name, is the student's choice, and may itself look like
another student's download name. Two rules keep it from choosing anything:

- The LMS's prefix comes first, so each pattern matches the leftmost prefix (lazily, from
  the start of the name); whatever follows is the upload's name, which never gives the
  student, the user id, the attempt, the order of uploads or the LMS.
- A flat folder is one LMS's download, so :func:`read_folder` reads it by the LMS whose
  structure more than half of its structured names have (bare ``<id>.py`` files, the way
  files are added by hand, do not count), whatever other structure a name also has.
  Should two LMSs both fit, the one that fits more files wins, then the one that finds more
  students; if that still leaves both (every file reads both ways, as in a folder of one
  file), each name is read by the structure that ends first, and one that the two read as
  different students or attempts is marked :attr:`Named.ambiguous`: refused, never guessed.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

# Every ".+?" before the LMS's own markers is lazy: the first (leftmost) place where the
# structure is complete is the LMS's, as the student's upload name only ever comes after it.
# "." matches any character, a line break in an upload's name included.
_STAMP = r"\d{4}(?:-\d{2}){5}"
_CANVAS_ANON = re.compile(
    r"(?:LATE_)?(?P<user>anon_[A-Za-z0-9]+)_(?P<upload>\d+)_(?P<file>.+)", re.DOTALL)
_CANVAS = re.compile(
    r"(?P<student>.+?)(?:_LATE)?_(?P<user>\d+)_(?P<upload>\d+)_(?P<file>.+)", re.DOTALL)
_MOODLE = re.compile(
    r"(?P<student>.+?)_(?P<user>\d+)_assignsubmission_(?P<plugin>[a-z]+)(?:_(?P<file>.*))?",
    re.DOTALL)
_BLACKBOARD = re.compile(
    rf"(?P<assignment>.+?)_(?P<student>[^_]+)_attempt_(?P<attempt>{_STAMP})"
    r"(?:_(?P<file>.+)|\.txt)", re.DOTALL)
_RESUBMITTED = re.compile(r"(?P<stem>.+)-(?P<n>\d{1,4})(?P<ext>\.(?:py|zip))", re.DOTALL)
_UPLOADS = (".py", ".ipynb", ".zip")


@dataclass(frozen=True)
class Named:
    """What a downloaded file's name says about it."""

    student: str  # the submission id
    user: str  # the LMS's own id of the student ("" when the name has none)
    original: str  # the file's name as uploaded, without a resubmission suffix ("" if none)
    attempt: str = ""  # Blackboard's attempt time stamp; a later one is a later attempt
    resubmission: int = 0  # the "-N" before the extension (Canvas's); only breaks a tie
    style: str = "plain"  # canvas | moodle | blackboard | named | plain
    upload: int = 0  # Canvas's attachment id: Canvas numbers uploads in order; 0 elsewhere
    ambiguous: str = ""  # why the name cannot say whose file it is ("" when it can)

    @property
    def order(self) -> tuple[int, int]:
        """Of one student's files with one original name, the highest was uploaded last:
        Canvas's attachment id, then the ``-N`` suffix (the only order other LMSs give)."""
        return self.upload, self.resubmission


# One LMS's reading of a name, and where the LMS's own part of the name ends.
_Reading = tuple[Named, int]


def _version(filename: str) -> tuple[str, int]:
    """``hw2-1.py`` -> (``hw2.py``, 1). Only .py and .zip names are undone: a module's name
    cannot hold "-", so there "-1" can only be the LMS's suffix."""
    match = _RESUBMITTED.fullmatch(filename)
    if match is None:
        return filename, 0
    return match["stem"] + match["ext"], int(match["n"])


def _blackboard(filename: str, assignment: str | None = None) -> _Reading | None:
    """Blackboard's reading; ``assignment``, where the folder tells it (:func:`_assignment`),
    ends where the username starts, so a username may hold ``_``; else the username is the
    last ``_``-free part before ``_attempt_``."""
    match = _BLACKBOARD.fullmatch(filename)
    if match is None:
        return None
    student = match["student"]
    head = filename[:match.start("student")] + student  # "<assignment>_<username>"
    if assignment is not None and head.startswith(assignment + "_") and \
            len(head) > len(assignment) + 1:
        student = head[len(assignment) + 1:]
    if match["file"] is None:  # the attempt's receipt
        return Named(student, "", "", match["attempt"], 0, "blackboard"), match.end()
    original, n = _version(match["file"])
    return (Named(student, "", original, match["attempt"], n, "blackboard"),
            match.start("file"))


def _assignment(filenames: Iterable[str]) -> str | None:
    """The assignment's name in a folder of Blackboard names: the longest start, up to a
    ``_``, that every ``<assignment>_<username>`` shares; None unless two differ."""
    heads = {filename[:match.start("student")] + match["student"]
             for filename in filenames if (match := _BLACKBOARD.fullmatch(filename))}
    if len(heads) < 2:
        return None
    first, last = min(heads), max(heads)  # (what these two share, all of them share)
    pairs = enumerate(zip(first, last, strict=False))
    size = next((i for i, (a, b) in pairs if a != b), len(first))
    cut = first.rfind("_", 0, size)
    return first[:cut] if cut > 0 else None


def _moodle(filename: str) -> _Reading | None:
    match = _MOODLE.fullmatch(filename)
    if match is None:
        return None
    original, n = _version(match["file"] or "")
    return (Named(match["student"], match["user"], original, "", n, "moodle"),
            match.start("file") if match["file"] else match.end())


def _canvas(filename: str) -> _Reading | None:
    match = _CANVAS_ANON.fullmatch(filename) or _CANVAS.fullmatch(filename)
    if match is None:
        return None
    original, n = _version(match["file"])
    student = match.groupdict().get("student") or match["user"]
    return (Named(student, match["user"], original, "", n, "canvas", int(match["upload"])),
            match.start("file"))


# The LMSs whose names say whose file it is (and, for some, which came later).
_LMS: dict[str, Callable[[str], _Reading | None]] = {
    "blackboard": _blackboard, "moodle": _moodle, "canvas": _canvas}


def _other(filename: str, module_file: str) -> Named | None:
    """A name that is no LMS's: ``<student>_<anything>_<module>``, or ``<id>.py``/``.zip``."""
    stem = module_file.removesuffix(".py")
    match = re.fullmatch(rf"(?P<student>[^_]+)_(?:.+_)?(?P<file>{re.escape(stem)}"
                         r"(?:-\d{1,4})?\.(?:py|ipynb|zip))", filename, re.DOTALL)
    if match is not None:
        original, n = _version(match["file"])
        return Named(match["student"], "", original, "", n, "named")
    for ext in _UPLOADS:
        if filename.endswith(ext) and len(filename) > len(ext):
            # The file is the whole submission of the student it is named after.
            return Named(filename[: -len(ext)], "", module_file if ext == ".py" else
                         f"{stem}.ipynb" if ext == ".ipynb" else filename)
    return None


def _leftmost(filename: str, readings: list[_Reading]) -> Named:
    """The reading whose LMS part ends first, marked ambiguous if another reading gives
    another student or attempt: the name alone cannot say which LMS made it."""
    first, _ = min(readings, key=lambda reading: reading[1])
    for other, _ in readings:
        if (other.student, other.user, other.attempt) != (first.student, first.user,
                                                          first.attempt):
            return replace(first, ambiguous=(
                f"{filename} reads as {first.style.capitalize()}'s name for {first.student} "
                f"and as {other.style.capitalize()}'s for {other.student}, and the folder's "
                "other files do not tell which LMS it came from; it is refused rather than "
                "guessed (upload it under a plain name such as the module's)"))
    return first


def _likeliest(styles: list[str], counts: Counter[str],
               readings: dict[str, dict[str, _Reading]]) -> list[str]:
    """Of the LMSs over half, those that fit the most files; of these, those whose readings
    find the most students (a Blackboard download whose usernames are numbers also fits
    Canvas's pattern, but read as Canvas's, all its files would be one "student's")."""
    if len(styles) < 2:
        return styles
    most = max(counts[style] for style in styles)
    styles = [style for style in styles if counts[style] == most]
    students = {style: len({r[style][0].student for r in readings.values() if style in r})
                for style in styles}
    return [style for style in styles if students[style] == max(students.values())]


def _structured(named: Named | None) -> bool:
    return named is not None and named.style != "plain"


def read_folder(filenames: Iterable[str], module_file: str) -> dict[str, Named]:
    """Whose each file of one flat folder is; a file that is no student's is left out.

    The folder is one LMS's download: the LMS whose structure more than half of the names
    with a structure have (an LMS's pattern, or ``<student>_..._<module>``; bare ``<id>.py``
    and ``.zip`` names do not count). Every name with that structure is read by it, even
    where the upload name inside it looks like another LMS's; the others are read as
    ``<student>_...`` or ``<id>.py`` names. Two LMSs over half: see :func:`_likeliest`, then
    :func:`_leftmost`.
    """
    filenames = list(filenames)
    assignment = _assignment(filenames)
    readers: dict[str, Callable[[str], _Reading | None]] = {
        **_LMS, "blackboard": functools.partial(_blackboard, assignment=assignment)}
    readings = {name: {style: reading for style, read in readers.items()
                       if (reading := read(name)) is not None} for name in filenames}
    others = {name: _other(name, module_file) for name in readings}
    candidates = [name for name in readings if readings[name] or others[name] is not None]
    counts = Counter(style for name in candidates for style in readings[name])
    # Who votes: every name with some structure (an LMS's, or "<student>_..._<module>");
    # not bare "<id>.py" files, the way files are added by hand.
    voters = sum(1 for name in candidates if readings[name] or _structured(others[name]))
    lms = _likeliest([style for style in _LMS if 2 * counts[style] > voters],
                     counts, readings)
    found = {}
    for name in candidates:
        fits = [readings[name][style] for style in lms if style in readings[name]]
        named = _leftmost(name, fits) if fits else others[name]
        if named is not None:
            found[name] = named
    return found


def parse(filename: str, module_file: str) -> Named | None:
    """Whose file ``filename`` is, read as a folder of that one file, or None if it is no
    student's (not an LMS name, and not a ``.py`` or ``.zip`` file)."""
    return read_folder([filename], module_file).get(filename)


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
