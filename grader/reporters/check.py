"""The student's view of one submission (``grader check``).

Every part as PASS or FAIL; for the first failing case of a part, a summary of its inputs,
the worst element, and a command that reruns exactly that case.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from grader.reporters._format import points
from grader.results import CaseResult, GradeReport, PartResult, SubmissionResult

RerunCommand = Callable[[str], str]


def quote_line(line: str) -> str:
    """A printed line made inert: control characters (\\r, escape sequences) shown escaped,
    so a student's output cannot redraw or imitate the report around it."""
    return "".join(ch if ch.isprintable() or ch == "\t" else repr(ch)[1:-1] for ch in line)


def _mark(passed: bool) -> str:
    return click.style("PASS", fg="green", bold=True) if passed else click.style(
        "FAIL", fg="red", bold=True)


def _case_lines(case: CaseResult, rerun: RerunCommand, full: bool) -> list[str]:
    pad = " " * 8
    visibility = "" if case.public else " (hidden case)"
    lines = [f"{pad}case {case.id}{visibility}: {case.message}"]
    details = case.details if full else case.details[:1]
    lines += [f"{pad}  {d}" for d in details]
    if case.inputs:
        lines.append(f"{pad}inputs: {case.inputs}")
    lines.append(f"{pad}rerun:  {rerun(case.id)}")
    return lines


def _part_lines(part: PartResult, rerun: RerunCommand, verbose: bool, full: bool) -> list[str]:
    ok = part.total > 0 and part.passed == part.total
    counts = f"{part.passed}/{part.total} cases"
    lines = [f"  {_mark(ok)}  {part.function:<28} {counts:>12}   "
             f"{points(part.score):>5} / {points(part.max_score)}"]
    failures = [c for c in part.cases if not c.passed]
    for case in failures if verbose else failures[:1]:
        lines += _case_lines(case, rerun, full)
    if len(failures) > 1 and not verbose:
        lines.append(f"        ({len(failures) - 1} more failing case(s); -v shows all)")
    return lines


def render_submission(sub: SubmissionResult, rerun: RerunCommand, cases: str,
                      verbose: bool = False, full: bool = False, bundle: bool = False) -> str:
    lines: list[str] = []
    if sub.error:
        lines.append(click.style(f"{sub.path}: {sub.error}", fg="red"))
        lines.append("")
    for problem in sub.problems:
        lines.append(f"{problem.id}  {problem.title:<52} "
                     f"{points(problem.score):>5} / {points(problem.max_score)}")
        for part in problem.parts:
            lines += _part_lines(part, rerun, verbose, full)
        lines.append("")
    if bundle:  # a student bundle holds public cases only, stored, with no seed
        scope = "the public cases of the student bundle"
    elif cases == "public":
        scope = f"public cases only; --all runs every case, seed {sub.seed}"
    else:
        scope = f"all cases, seed {sub.seed}"
    lines.append(click.style(f"Score: {points(sub.score)} / {points(sub.max_score)}",
                             bold=True) + f"  ({scope})")
    if verbose and sub.output:
        lines += ["", "Your code printed (each line marked with '|'):"]
        lines += [f"  | {quote_line(line)}" for line in sub.output.rstrip("\n").split("\n")]
    return "\n".join(lines) + "\n"


def render(report: GradeReport, rerun: RerunCommand, verbose: bool = False,
           full: bool = False) -> str:
    info = report.assignment
    source = f", exported from {info.source_digest}" if info.source_digest else ""
    head = f"{info.name} (assignment {info.digest}{source})\n\n"
    bundle = report.assignment.source_digest is not None
    body = "\n".join(render_submission(s, rerun, report.cases, verbose, full, bundle)
                     for s in report.submissions)
    return head + body
