"""What a reporter may be told besides the results: choices of the person running the grader."""

from __future__ import annotations

from dataclasses import dataclass

# Gradescope's visibility values for a test (results.json "visibility").
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class ReportOptions:
    """Options for the formats that need them; every other reporter ignores them.

    ``hidden_visibility``: the Gradescope visibility of the tests made of hidden cases.
    ``root``: the folder that file paths in GitHub annotations are relative to (the
    repository's checkout, i.e. the current directory in a workflow); ``None`` keeps the
    paths as recorded.
    """

    hidden_visibility: str = "after_published"
    root: str | None = None

    def __post_init__(self) -> None:
        if self.hidden_visibility not in VISIBILITIES:
            raise ValueError(f"hidden_visibility must be one of {', '.join(VISIBILITIES)}, "
                             f"got {self.hidden_visibility!r}")


DEFAULT = ReportOptions()
