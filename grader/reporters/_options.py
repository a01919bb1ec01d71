"""What a reporter may be told besides the results: choices of the person running the grader."""

from __future__ import annotations

from dataclasses import dataclass

# Gradescope's visibility values for a test (results.json "visibility").
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
# How much the student-facing formats say about hidden cases: how many of each part's passed,
# or also which failed and how (the grader's words only).
HIDDEN_DETAILS = ("counts", "cases")
# The gradebook table's score columns: one per question, or one per part.
COLUMNS = ("questions", "parts")


@dataclass(frozen=True)
class ReportOptions:
    """Options for the formats that need them; every other reporter ignores them.

    ``hidden_visibility``: the Gradescope visibility of the tests made of hidden cases.
    ``root``: the folder that file paths in GitHub annotations are relative to (the
    repository's checkout, i.e. the current directory in a workflow); ``None`` keeps the
    paths as recorded.
    ``hidden_detail``: what the student-facing formats (Gradescope, JUnit, markdown, GitHub,
    ``grader check``'s text) say about hidden cases. ``"counts"`` (the default): how many of
    each part's hidden cases passed, nothing more. ``"cases"``: also each failing hidden
    case's id and kind of failure in the grader's words ("wrong result", "timed out"), a
    wider channel for a submission that fails chosen hidden cases on purpose. Never anything
    the student's process reported (message, file, line, names), in either.
    ``columns``: the gradebook table's score columns, one per question or one per part.
    """

    hidden_visibility: str = "after_published"
    root: str | None = None
    hidden_detail: str = "counts"
    columns: str = "questions"  # the table's score columns (COLUMNS)

    def __post_init__(self) -> None:
        if self.hidden_visibility not in VISIBILITIES:
            raise ValueError(f"hidden_visibility must be one of {', '.join(VISIBILITIES)}, "
                             f"got {self.hidden_visibility!r}")
        if self.columns not in COLUMNS:
            raise ValueError(f"columns must be one of {', '.join(COLUMNS)}, "
                             f"got {self.columns!r}")
        if self.hidden_detail not in HIDDEN_DETAILS:
            raise ValueError(f"hidden_detail must be one of {', '.join(HIDDEN_DETAILS)}, "
                             f"got {self.hidden_detail!r}")

    @property
    def hidden_cases(self) -> bool:
        """Whether failing hidden cases are listed one by one (id and kind of failure)."""
        return self.hidden_detail == "cases"


DEFAULT = ReportOptions()
