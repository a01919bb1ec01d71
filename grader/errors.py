"""The grader's exception tree.

Only mistakes of the *user* (instructor or student running the CLI) and bugs of the grader
raise. A student's code failing is never an exception here: it is a result value.
``cli.py`` is the single place that maps these classes to exit codes.
"""

from __future__ import annotations


class GraderError(Exception):
    """Base class for errors the CLI reports as one line, without a traceback."""

    exit_code = 2


class SpecError(GraderError):
    """An assignment or problem spec is malformed.

    The message names the file, the key path inside it and what was expected, e.g.
    ``problems/hw2/q3.yaml: parts[1].cases[0].dims.N: expected [low, high] with low <= high``.
    """

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = file
        self.key = key
        self.detail = message
        where = f"{file}: {key}: " if key else f"{file}: "
        super().__init__(where + message)


class UsageError(GraderError):
    """A command-line argument is wrong: a missing path, an unknown case id, ..."""


class SubmissionError(GraderError):
    """The submissions folder itself cannot be read (not a student's fault in their code)."""

