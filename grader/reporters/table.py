"""The gradebook table: a row per submission, a column per question, and the total.

When each submission had its own seed (``grade --vary-by-student``), a "seed" column after
the submission id says which: ``grader check --seed SEED --case ID`` reruns any of its cases.

Text a student chose (a submission's id, a note naming a file in it) is shown inert
(:func:`grader.display.printable`), so no escape sequence or carriage return in it can recolour
the terminal or draw rows of its own.
"""

from __future__ import annotations

from grader.display import printable
from grader.reporters._format import points
from grader.results import GradeReport

NOTE_WIDTH = 80


def render(report: GradeReport) -> str:
    info = report.assignment
    varied = bool(report.meta.get("vary_by_student"))
    headers = ["submission", *(["seed"] if varied else [])]
    headers += [f"{pid} /{points(pts)}" for pid, _, pts in info.problems]
    headers += [f"total /{points(info.max_score)}", "notes"]
    rows = []
    for sub in report.submissions:
        row = [printable(sub.id), *([str(sub.seed)] if varied else [])]
        for pid, _, _ in info.problems:
            problem = sub.problem(pid)
            row.append(points(problem.score) if problem else "-")
        row.append(points(sub.score))
        row.append(_note(sub.error))
        rows.append(row)
    title = printable(f"{info.name} ({report.cases} cases, assignment {info.digest})")
    from tabulate import tabulate  # (imported when used: 20 ms of every CLI start)

    body = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True,
                    colalign=("left", *["right"] * (len(headers) - 2), "left"))
    return f"{title}\n\n{body}\n"


def _note(text: str) -> str:
    text = printable(text)
    return text if len(text) <= NOTE_WIDTH else text[: NOTE_WIDTH - 3] + "..."
