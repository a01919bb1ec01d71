"""The gradebook as CSV: a row per submission, a column per question, the total, any error.

When each submission had its own seed (``grade --vary-by-student``), a "seed" column after the
submission id says which, as in the table.

Column names carry the points (``q1 (15)``, ``total (100)``), so one header row says
everything and the file imports into a spreadsheet or an LMS gradebook as is. Scores are
written in full (``44.476262626``, not ``44.48``), so the file's totals are the JSON report's.
No timings: the same grading gives the same bytes.
"""

from __future__ import annotations

import csv
import io

from grader.reporters._format import exact, points
from grader.results import GradeReport

# A cell starting with one of these is a formula to a spreadsheet; student-controlled text
# (submission ids, error messages) gets a leading apostrophe instead (OWASP's advice).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render(report: GradeReport) -> str:
    info = report.assignment
    varied = bool(report.meta.get("vary_by_student"))
    header = ["submission", *(["seed"] if varied else [])]
    header += [f"{pid} ({points(pts)})" for pid, _, pts in info.problems]
    header += [f"total ({points(info.max_score)})", "error"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for sub in report.submissions:
        row = [text(sub.id), *([str(sub.seed)] if varied else [])]
        for pid, _, _ in info.problems:
            problem = sub.problem(pid)
            row.append(exact(problem.score) if problem else "")
        row += [exact(sub.score), text(sub.error)]
        writer.writerow(row)
    return out.getvalue()


def text(value: str) -> str:
    """Student-controlled text that a spreadsheet will show, never evaluate (and that UTF-8
    can encode: a lone surrogate from a student's exception is written escaped)."""
    value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return "'" + value if value.startswith(FORMULA_START) else value
