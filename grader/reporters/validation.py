"""The report of ``grader validate``: one row per part, then every problem found.

Notes and problems can quote what the code under test said (a wrong answer's exception), so
every line is shown inert for a terminal (:func:`grader.display.printable`).
"""

from __future__ import annotations

import statistics

from grader.display import printable
from grader.judge.calibrate import Calibration
from grader.reporters._format import points
from grader.reporters.classview import histogram
from grader.results import GradeReport
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
    calibrated = [c.calibration for c in report.parts if c.calibration is not None]
    if calibrated:
        lines += ["calibration: distance from the expected outputs, in tolerances (a case "
                  "passes at 1 or less)",
                  *tabulate([_calibration_row(c) for c in calibrated],
                            headers=["part", "tolerance", "float32", "extended",
                                     "nearest wrong answer"]).splitlines(), ""]
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
    named = sum(c.wrong_named for c in report.parts)
    total = sum(len(c.wrong) for c in report.parts)
    verdict = "valid" if report.ok else "NOT valid"
    lines.append(f"{name}: {len(report.parts)} parts, wrong answers caught {caught}/{total} "
                 f"(named to students {named}), {verdict}")
    return "\n".join([lines[0], *(printable(line) for line in lines[1:])]) + "\n"


def _calibration_row(c: Calibration) -> list[str]:
    if c.skipped:
        return [printable(c.part), c.tolerance.describe(), c.skipped, "", ""]
    measured = c.variant_distances()
    float32 = _distance(measured.get("float32"))
    if not c.tolerance.float32:
        float32 += " (not required)"
    nearest = c.nearest_wrong
    return [printable(c.part), c.tolerance.describe(), float32,
            _distance(measured.get("extended")),
            f"{printable(nearest[0])}: {_distance(nearest[1])}" if nearest else "none"]


def _distance(value: float | None) -> str:
    if value is None:
        return "-"
    return "inf" if value == float("inf") else f"{value:.2g}"


def render_replay(name: str, report: GradeReport, width: int = 40) -> str:
    """``validate --against``: the class's scores, as counts and a histogram in text."""
    totals = [s.score for s in report.submissions]
    top = report.assignment.max_score
    lines = ["", f"replayed {len(totals)} submission(s) of {printable(name)}:"]
    if totals:
        lines.append(f"  mean {points(statistics.fmean(totals))}, median "
                     f"{points(statistics.median(totals))}, min {points(min(totals))}, max "
                     f"{points(max(totals))} (of {points(top)}); full marks "
                     f"{sum(t >= top for t in totals)}, zero {sum(t <= 0 for t in totals)}")
        bins = histogram("totals", totals, top).bins
        most = max(b.count for b in bins) or 1
        for b in bins:
            bar = "#" * round(width * b.count / most)
            lines.append(f"  {points(b.low):>6} to {points(b.high):<6} {b.count:>5}  {bar}"
                         .rstrip())
    return "\n".join(lines) + "\n"
