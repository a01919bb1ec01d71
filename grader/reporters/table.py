"""The gradebook table: a row per submission, a column per question, and the total.

When each submission had its own seed (``grade --vary-by-student``), a "seed" column after
the submission id says which: ``grader check --seed SEED --case ID`` reruns any of its cases.
``--columns parts`` gives a column per part instead of per question. The notes say why a
submission lost points to something other than a wrong value: its error, or the parts whose
code raised, timed out, crashed, returned something unusable or was missing, with a public
case's message (a hidden case's in the grader's words only, as everywhere but the JSON).

Text a student chose (a submission's id, a note naming a file in it) is shown inert
(:func:`grader.display.printable`), so no escape sequence or carriage return in it can recolour
the terminal or draw rows of its own.
"""

from __future__ import annotations

from grader.display import printable, shorten
from grader.reporters._format import points
from grader.reporters._options import DEFAULT, ReportOptions
from grader.reporters._visible import HIDDEN_STATUS
from grader.results import GradeReport, SubmissionResult

NOTE_WIDTH = 80
ID_WIDTH = 32  # a longer submission id is shortened in the middle (the JSON keeps it whole)


def render(report: GradeReport, options: ReportOptions = DEFAULT) -> str:
    info = report.assignment
    varied = bool(report.meta.get("vary_by_student"))
    by_part = options.columns == "parts"
    headers = ["submission", *(["seed"] if varied else [])]
    columns = _part_columns(report) if by_part else \
        [(pid, None, pts) for pid, _, pts in info.problems]
    headers += [f"{pid}/{part} /{points(pts)}" if part else f"{pid} /{points(pts)}"
                for pid, part, pts in columns]
    headers += [f"total /{points(info.max_score)}", "notes"]
    rows = []
    shown = _shown_ids([printable(sub.id) for sub in report.submissions])
    for sub, name in zip(report.submissions, shown, strict=True):
        row = [name, *([str(sub.seed)] if varied else [])]
        for pid, part_id, _ in columns:
            row.append(_score(sub, pid, part_id))
        row.append(points(sub.score))
        row.append(_note(sub))
        rows.append(row)
    title = printable(f"{info.name} ({report.cases} cases, assignment {info.digest})")
    from tabulate import tabulate  # (imported when used: 20 ms of every CLI start)

    body = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True,
                    colalign=("left", *["right"] * (len(headers) - 2), "left"))
    return f"{title}\n\n{body}\n"


def _part_columns(report: GradeReport) -> list[tuple[str, str | None, float]]:
    """(question, part, points) of every part, in the order the first result lists them."""
    seen: dict[tuple[str, str], float] = {}
    for sub in report.submissions:
        for problem in sub.problems:
            for part in problem.parts:
                seen.setdefault((problem.id, part.id), part.max_score)
    return [(pid, part, pts) for (pid, part), pts in seen.items()]


def _score(sub: SubmissionResult, pid: str, part_id: str | None) -> str:
    problem = sub.problem(pid)
    if problem is None:
        return "-"
    if part_id is None:
        return points(problem.score)
    part = next((p for p in problem.parts if p.id == part_id), None)
    return points(part.score) if part is not None else "-"


def _shown_ids(ids: list[str]) -> list[str]:
    """Ids as the table shows them: longer than ID_WIDTH, shortened in the middle, unless
    that would make two of them look alike (then those stay whole)."""
    short = [_short(i) for i in ids]
    clash = {s for s in short if short.count(s) > 1}
    return [i if s in clash else s for i, s in zip(ids, short, strict=True)]


def _short(text: str) -> str:
    return shorten(text, ID_WIDTH)


def _note(sub: SubmissionResult) -> str:
    """The submission's own error (an import that failed), or the parts that lost points to
    a runtime failure and how, in the grader's words (``q1/f: raised an exception``), and
    those named as a known mistake (``q2/f: known mistake unbiased_var``)."""
    # ("No module named ..." says what kind of failure it is: the reason gets the room)
    text = sub.error.replace("import failed: ModuleNotFoundError: ", "import failed: ", 1)
    if not text:
        failures = []
        for problem in sub.problems:
            for part in problem.parts:
                broken = [c for c in part.cases if c.status not in ("pass", "fail")]
                if broken:  # (a public case's message; a hidden one in the grader's words)
                    first = broken[0]
                    said = first.message if first.public and first.message else \
                        HIDDEN_STATUS.get(first.status, "failed")
                    failures.append(f"{problem.id}/{part.id}: {said}")
                elif part.mistakes:  # (named on every case: the instructor's view)
                    names = ", ".join(m.name for m in part.mistakes)
                    failures.append(f"{problem.id}/{part.id}: known mistake {names}")
        text = "; ".join([*sub.notes, *failures])
    text = printable(text)
    return text if len(text) <= NOTE_WIDTH else text[: NOTE_WIDTH - 3] + "..."
