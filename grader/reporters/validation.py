"""The report of ``grader validate``: one row per part, then every problem found.

Notes and problems can quote what the code under test said (a wrong answer's exception), so
every line is shown inert for a terminal (:func:`grader.display.printable`).
"""

from __future__ import annotations

from grader.display import printable
from grader.validate import ValidationReport


def render(name: str, report: ValidationReport) -> str:
    rows = []
    for c in report.parts:
        wrong = f"{c.wrong_caught}/{len(c.wrong)}" if c.wrong else "-"
        oracle = "none" if not c.oracles else \
            f"FAILED ({c.oracles_failed} of {len(c.oracles)})" if c.oracles_failed else \
            f"{c.oracle_verdict} ({len(c.oracles)})"
        rows.append([printable(f"{c.problem}/{c.part}"), f"{c.cases} ({c.public} public)",
                     printable(oracle), wrong,
                     "ok" if not c.problems else f"{len(c.problems)} problem(s)"])
    from tabulate import tabulate  # (imported when used: 20 ms of every CLI start)

    lines = [tabulate(rows, headers=["part", "cases", "reference oracle",
                                     "wrong answers caught", "status"]), ""]
    for c in report.parts:
        lines += [f"note: {c.problem}/{c.part}: {note}" for note in c.notes]
    for c in report.parts:
        lines += [f"PROBLEM: {c.problem}/{c.part}: {problem}" for problem in c.problems]
    if report.self_grade:
        lines.append(f"reference solution graded as a submission: {report.self_grade}")
    elif report.not_graded:
        lines.append(f"reference solution not graded as a submission: {report.not_graded}")
    lines += [f"PROBLEM: {problem}" for problem in report.problems]
    caught = sum(c.wrong_caught for c in report.parts)
    total = sum(len(c.wrong) for c in report.parts)
    verdict = "valid" if report.ok else "NOT valid"
    lines.append(f"{name}: {len(report.parts)} parts, wrong answers caught {caught}/{total}, "
                 f"{verdict}")
    return "\n".join([lines[0], *(printable(line) for line in lines[1:])]) + "\n"
