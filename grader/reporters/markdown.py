"""A markdown summary, for a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

GitHub-flavoured tables: for one submission, a row per part (question, part, result, cases,
points, first failure); for several, the gradebook (a row per submission, a column per
question, the total, notes). Student-controlled text (ids, messages) is escaped so it shows
as typed: no pipe ends a cell, no newline ends a row, no markdown, HTML or math markup acts.
Hidden cases show only their id and the kind of failure. No timings: the same grading gives
the same bytes.
"""

from __future__ import annotations

from grader.reporters import _visible
from grader.reporters._format import points
from grader.results import GradeReport, SubmissionResult

CELL_WIDTH = 160
# Backslash-escaped wherever student text appears: markdown emphasis, code, links, HTML,
# strikethrough, math, headings, entities and table cells.
SPECIAL = frozenset("\\`*_[]<>|~$#&")


def render(report: GradeReport) -> str:
    if len(report.submissions) == 1:
        return render_submission(report, report.submissions[0])
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


def render_submission(report: GradeReport, sub: SubmissionResult) -> str:
    info = report.assignment
    lines = [f"### {escape(info.name)}: {escape(sub.id)}: "
             f"{points(sub.score)} / {points(sub.max_score)}", "", _scope(report, sub.seed), ""]
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
                         escape(_visible.summary(part))])
    lines += table(header, align, rows)
    return "\n".join(lines) + "\n"


def table(header: list[str], align: list[str], rows: list[list[str]]) -> list[str]:
    """A GitHub-flavoured table; the cells must already be escaped."""
    rule = {"left": ":--", "right": "--:", "center": ":-:"}
    return [_row(header), _row([rule[a] for a in align]), *(_row(r) for r in rows)]


def escape(text: str, width: int = CELL_WIDTH) -> str:
    """Student-controlled text as one line of literal markdown, at most ``width`` characters
    before escaping."""
    flat = " ".join("".join(_printable(ch) for ch in text).split())
    if len(flat) > width:
        flat = flat[: width - 3] + "..."
    return "".join("\\" + ch if ch in SPECIAL else ch for ch in flat)


def _printable(ch: str) -> str:
    if ch.isprintable():
        return ch
    if ch.isspace():
        return " "
    return repr(ch)[1:-1]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _scope(report: GradeReport, seed: object) -> str:
    scope = "Public cases only" if report.cases == "public" else "All cases"
    seed_text = f", seed {seed}" if seed is not None else ""
    hidden = (" A failing hidden case shows only its id and the kind of failure."
              if report.cases == "all" else "")
    return f"{scope}{seed_text}, assignment `{report.assignment.digest}`.{hidden}"
