"""GitHub Actions workflow commands: an annotation per failing part, then the score.

- ``::error file=F,line=L,title=T::MESSAGE`` where a failing public case knows where in the
  student's code it failed (``CaseResult.file`` and ``.line``; the file lies next to
  ``SubmissionResult.path`` and is written relative to ``ReportOptions.root``, the checkout).
  In a notebook the line is its cell's, so the annotation names the file without a line and
  its title says the cell and line (``q1 sigmoid: ... (cell 7, line 3)``);
  ``::error title=T::MESSAGE`` without a location otherwise. The title names the part, its
  cases and points; the message is the first failing public case with its explanation, or,
  when only hidden cases failed, what :mod:`grader.reporters._visible` lets a student see of
  them (how many passed; with ``ReportOptions.hidden_detail == "cases"`` each failing one's id
  and kind of failure). A hidden case never gives a location: its file and line are the
  student's to choose, after its inputs arrived.
- parts that fail at the same place with the same message (a module that does not import fails
  every part alike) share one annotation, which lists them.
- ``::notice title=ASSIGNMENT::SUBMISSION: SCORE / MAX (...)`` per submission.

Escaping follows GitHub's toolkit (``@actions/core`` ``command.ts``): in a message ``%``,
``\\r`` and ``\\n`` become ``%25``, ``%0D`` and ``%0A``; in a property also ``:`` and ``,``
(``%3A``, ``%2C``). So no student text can end the command's line or start another command.
GitHub shows at most 10 error annotations per step, so the parts come in question order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import PurePath

from grader.display import printable
from grader.reporters import _visible
from grader.reporters._format import points
from grader.reporters._options import DEFAULT, ReportOptions
from grader.results import CaseResult, GradeReport, Mistake, PartResult, SubmissionResult
from grader.sandbox.child.notebook import CELL  # (a notebook's location: hw2.ipynb, cell 7)


@dataclass
class Annotation:
    level: str  # error | warning | notice
    title: str
    message: str
    file: str | None = None
    line: int | None = None
    parts: list[str] = field(default_factory=list)

    def command(self) -> str:
        title, message = self.title, self.message
        if len(self.parts) > 1:
            title = f"{self.parts[0]} and {len(self.parts) - 1} more part(s)"
            message += "\nparts: " + ", ".join(self.parts)
        props = {"file": self.file, "line": None if self.line is None else str(self.line),
                 "title": title}
        shown = ",".join(f"{k}={escape_property(v)}" for k, v in props.items() if v)
        return f"::{self.level} {shown}::{escape_data(message)}"


def render(report: GradeReport, options: ReportOptions = DEFAULT) -> str:
    lines: list[str] = []
    for sub in report.submissions:
        lines += [a.command() for a in submission_annotations(sub, options)]
        scope = "public cases only" if report.cases == "public" else "all cases"
        notice = Annotation("notice", report.assignment.name,
                            f"{sub.id}: {points(sub.score)} / {points(sub.max_score)} "
                            f"({scope}, seed {sub.seed})")
        lines.append(notice.command())
    return "\n".join(lines) + "\n"


def submission_annotations(sub: SubmissionResult,
                           options: ReportOptions = DEFAULT) -> list[Annotation]:
    """One error per failing part; parts failing at one place with one message share it."""
    merged: dict[tuple[str, int, str, tuple[Mistake, ...]], Annotation] = {}
    annotations: list[Annotation] = []
    for problem in sub.problems:
        for part in problem.parts:
            if part.passed == part.total:  # all passed, or none run (check --case)
                continue
            name = f"{problem.id} {part.id}"
            title = (f"{name}: {part.passed}/{part.total} cases, "
                     f"{points(part.score)}/{points(part.max_score)} points")
            case = _visible.location(part)
            if case is None or case.line is None:
                message = "\n".join(_describe(part, options))
                annotations.append(Annotation("error", title, message, parts=[name]))
                continue
            # (parts named as different known mistakes say different things: not merged)
            key = (case.file or "", case.line, _what(case), tuple(part.public_mistakes))
            if key in merged:
                merged[key].parts.append(name)
                continue
            message = "\n".join([*_visible.mistake_lines(part), _visible.headline(case),
                                 *_visible.explanation(case)])
            file = student_file(sub, case, options)
            line: int | None = case.line
            if CELL in (case.file or ""):  # a notebook's line is the cell's, not
                file, line = file.split(CELL)[0], None  # the file's: no line
                title = f"{title} ({(case.file or '').split(', ', 1)[1]}, line {case.line})"
            merged[key] = Annotation("error", title, message, file, line, parts=[name])
            annotations.append(merged[key])
    if sub.error and not annotations:
        annotations.append(Annotation("error", f"{sub.id}: submission", sub.error))
    return annotations


def student_file(sub: SubmissionResult, case: CaseResult,
                 options: ReportOptions = DEFAULT) -> str:
    """The case's file as a path in the checkout (relative to ``options.root``)."""
    module = PurePath(sub.path)
    path = module if module.name == case.file else module.parent / (case.file or "")
    if options.root is not None and path.is_absolute():
        root = PurePath(options.root)
        if path.is_relative_to(root):
            return PurePath(os.path.relpath(path, root)).as_posix()
    return path.as_posix()


def escape_data(text: str) -> str:
    """A workflow command's message: inert for the log that shows it (control characters
    and escape sequences shown escaped, as on a terminal), and ``%``, CR and LF encoded."""
    text = printable(text, keep="\r\n")
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _what(case: CaseResult) -> str:
    """What went wrong, without the case id: the same for every part a broken import fails.
    (Only public cases are located.)"""
    return case.message


def _describe(part: PartResult, options: ReportOptions = DEFAULT) -> list[str]:
    """A failing part without a location: its first failing public case with its
    explanation, else its hidden cases as a student may see them."""
    public = _visible.public_failures(part)
    if public:
        return [*_visible.mistake_lines(part), _visible.headline(public[0]),
                *_visible.explanation(public[0])]
    return _visible.hidden_lines(part, options) or [_visible.summary(part, options)]
