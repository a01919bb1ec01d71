"""A markdown summary, for a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

GitHub-flavoured tables: for one submission, a row per part (question, part, result, cases,
points, first failure); for several, the gradebook (a row per submission, a column per
question, the total, notes). Student-controlled text (ids, file names, messages) is escaped
so it shows as typed: no pipe ends a cell, no newline ends a row, no markdown, HTML or math
markup acts, and nothing GitHub would link by itself stays live (``@mentions``, which notify
people; ``#123`` references; bare ``http://``, ``https://`` and ``www.`` URLs; e-mail
addresses): a zero-width space after ``@``, ``#``, ``www`` and the ``:`` of ``://`` breaks
each of those patterns and shows nothing. Hidden cases show only how many passed (with
``ReportOptions.hidden_detail == "cases"``: each failing one's id and kind of failure). No
timings: the same grading gives the same bytes.
"""

from __future__ import annotations

import re

from grader.reporters import _visible
from grader.reporters._format import points
from grader.reporters._options import DEFAULT, ReportOptions
from grader.results import GradeReport, SubmissionResult

CELL_WIDTH = 160
# Backslash-escaped wherever student text appears: markdown emphasis, code, links, HTML,
# strikethrough, math, headings, entities and table cells.
SPECIAL = frozenset("\\`*_[]<>|~$#&")
ZERO_WIDTH_SPACE = "\u200b"
# What GitHub links by itself in text: mentions and e-mail addresses (at "@"), issue and pull
# request references (at "#"), and URLs (at "://" and "www."). A zero-width space after each
# of these marks (found after escaping, hence the optional backslash) unlinks it.
AUTOLINK = re.compile(r"(?i)(\\?[@#]|:(?=//)|www(?=\.))")


def render(report: GradeReport, options: ReportOptions = DEFAULT) -> str:
    if len(report.submissions) == 1:
        return render_submission(report, report.submissions[0], options)
    return render_gradebook(report)


def render_gradebook(report: GradeReport) -> str:
    info = report.assignment
    varied = bool(report.meta.get("vary_by_student"))  # each submission had its own seed
    header = ["submission", *(["seed"] if varied else []),
              *(f"{pid} ({points(pts)})" for pid, _, pts in info.problems),
              f"total ({points(info.max_score)})", "notes"]
    rows = []
    for sub in report.submissions:
        row = [escape(sub.id), *([str(sub.seed)] if varied else [])]
        for pid, _, _ in info.problems:
            problem = sub.problem(pid)
            row.append(points(problem.score) if problem else "-")
        rows.append([*row, points(sub.score), escape(sub.error)])
    align = ["left", *["right"] * (len(header) - 2), "left"]
    seed = None if varied else report.meta.get("seed")
    lines = [f"### {escape(info.name)}", "", _scope(report, seed), "",
             *table(header, align, rows)]
    return "\n".join(lines) + "\n"


def render_submission(report: GradeReport, sub: SubmissionResult,
                      options: ReportOptions = DEFAULT) -> str:
    info = report.assignment
    lines = [f"### {escape(info.name)}: {escape(sub.id)}: "
             f"{points(sub.score)} / {points(sub.max_score)}", "",
             _scope(report, sub.seed, options), ""]
    if sub.error:
        lines += [f"**Problem with the submission:** {escape(sub.error)}", ""]
    header = ["question", "part", "result", "cases", "points", "first failure"]
    align = ["left", "left", "center", "right", "right", "left"]
    rows = []
    for problem in sub.problems:
        for part in problem.parts:
            mark = "not run" if part.total == 0 else "✅" if part.passed == part.total else "❌"
            rows.append([problem.id, escape(part.id), mark,
                         f"{part.passed}/{part.total}",
                         f"{points(part.score)} / {points(part.max_score)}",
                         escape("; ".join([*_visible.mistake_lines(part),
                                           _visible.summary(part, options)]))])
    lines += table(header, align, rows)
    return "\n".join(lines) + "\n"


def table(header: list[str], align: list[str], rows: list[list[str]]) -> list[str]:
    """A GitHub-flavoured table; the cells must already be escaped."""
    rule = {"left": ":--", "right": "--:", "center": ":-:"}
    return [_row(header), _row([rule[a] for a in align]), *(_row(r) for r in rows)]


def escape(text: str, width: int = CELL_WIDTH) -> str:
    """Student-controlled text as one line of literal markdown, at most ``width`` characters
    before escaping, with no mention, reference or link that GitHub would make of it."""
    flat = " ".join("".join(_printable(ch) for ch in text).split())
    if len(flat) > width:
        flat = flat[: width - 3] + "..."
    escaped = "".join("\\" + ch if ch in SPECIAL else ch for ch in flat)
    return AUTOLINK.sub(lambda m: m.group() + ZERO_WIDTH_SPACE, escaped)


def _printable(ch: str) -> str:
    if ch.isprintable():
        return ch
    if ch.isspace():
        return " "
    return repr(ch)[1:-1]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _scope(report: GradeReport, seed: object, options: ReportOptions = DEFAULT) -> str:
    scope = "Public cases only" if report.cases == "public" else "All cases"
    seed_text = f", seed {seed}" if seed is not None else ""
    hidden = ""
    if report.cases == "all":
        hidden = (" A failing hidden case shows only its id and the kind of failure."
                  if options.hidden_cases else " Hidden cases show only how many passed.")
    return f"{scope}{seed_text}, assignment `{report.assignment.digest}`.{hidden}"
