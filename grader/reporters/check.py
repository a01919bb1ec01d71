"""The student's view of one submission (``grader check``).

Every part as PASS or FAIL; for the first failing public case of a part, a summary of its
inputs, the worst element, and a command that reruns exactly that case. Hidden cases (``--all``,
``--case``) show only what :mod:`grader.reporters._visible` lets a student see: how many of a
part's passed, or with ``ReportOptions.hidden_detail == "cases"`` each failing one's id and
kind of failure; never a message, details, inputs or location, and with ``-v`` not what the
code printed once hidden inputs had been sent (the instructor's ``--format json`` has all).
Text the student chose is shown inert for a terminal (:func:`grader.display.printable`).
"""

from __future__ import annotations

from collections.abc import Callable

import click

from grader.display import printable
from grader.reporters import _visible
from grader.reporters._format import points
from grader.reporters._options import DEFAULT, ReportOptions
from grader.results import CaseResult, GradeReport, PartResult, SubmissionResult

RerunCommand = Callable[[str], str]
PAD = " " * 8


def _mark(passed: bool) -> str:
    return click.style("PASS", fg="green", bold=True) if passed else click.style(
        "FAIL", fg="red", bold=True)


def _case_lines(case: CaseResult, rerun: RerunCommand, full: bool) -> list[str]:
    """A failing public case: its message, details, inputs and the command that reruns it."""
    lines = [f"{PAD}{printable(_visible.headline(case))}"]
    details = case.details if full else case.details[:1]
    lines += [f"{PAD}  {printable(d)}" for d in details]
    if case.inputs:
        lines.append(f"{PAD}inputs: {printable(case.inputs)}")
    lines.append(f"{PAD}rerun:  {printable(rerun(case.id))}")
    return lines


def _hidden_lines(part: PartResult, verbose: bool, options: ReportOptions) -> list[str]:
    """A part's failing hidden cases in the grader's words: the count, and the cases where the
    options list them (the first, or all with -v)."""
    failed = [c for c in _visible.hidden_cases(part) if not c.passed]
    if not failed:
        return []
    lines = [f"{PAD}{_visible.hidden_count(part)}"]
    if options.hidden_cases:
        shown = failed if verbose else failed[:1]
        lines += [f"{PAD}{_visible.headline(c)}" for c in shown]
        if len(failed) > len(shown):
            lines.append(f"{PAD}({len(failed) - len(shown)} more failing hidden case(s); "
                         "-v shows all)")
    return lines


def _name(part: PartResult) -> str:
    # A part's id where it differs from its function: two parts may grade one function.
    return part.function if part.id == part.function else f"{part.id} ({part.function})"


def _part_lines(part: PartResult, rerun: RerunCommand, verbose: bool, full: bool,
                options: ReportOptions = DEFAULT, width: int = 28) -> list[str]:
    ok = part.total > 0 and part.passed == part.total
    counts = f"{part.passed}/{part.total} cases"
    lines = [f"  {_mark(ok)}  {printable(_name(part)):<{width}} {counts:>12}   "
             f"{points(part.score):>5} / {points(part.max_score)}"]
    lines += [f"{PAD}{printable(line)}" for line in _visible.mistake_lines(part)]
    # (an import failure is said once, above the parts: no case of its own to show)
    failures = [c for c in _visible.public_failures(part) if c.status != "import_error"]
    for case in failures if verbose else failures[:1]:
        lines += _case_lines(case, rerun, full)
    if len(failures) > 1 and not verbose:
        lines.append(f"{PAD}({len(failures) - 1} more failing public case(s); -v shows all)")
    return lines + _hidden_lines(part, verbose, options)


def render_submission(sub: SubmissionResult, rerun: RerunCommand, cases: str,
                      verbose: bool = False, full: bool = False, bundle: bool = False,
                      options: ReportOptions = DEFAULT) -> str:
    lines: list[str] = []
    if sub.error:
        lines.append(click.style(printable(f"{sub.path}: {sub.error}"), fg="red"))
        lines.append("")
    if sub.notes:
        lines += [*(f"note: {printable(note)}" for note in sub.notes), ""]
    width = max((len(printable(_name(p))) for q in sub.problems for p in q.parts),
                default=0)
    width = max(28, width)
    for problem in sub.problems:
        lines.append(f"{problem.id}  {problem.title:<{width + 24}} "
                     f"{points(problem.score):>5} / {points(problem.max_score)}")
        for part in problem.parts:
            lines += _part_lines(part, rerun, verbose, full, options, width)
        lines.append("")
    hidden = [c for problem in sub.problems for part in problem.parts
              for c in _visible.hidden_cases(part)]
    if any(not c.passed for c in hidden):
        shown = ("only their ids and kinds of failure" if options.hidden_cases
                 else "only how many passed")
        lines += [f"Hidden cases show {shown}: never their messages, inputs or where they "
                  "failed (the instructor's --format json has those).", ""]
    if bundle:  # a student bundle holds public cases only, stored, with no seed
        scope = "the public cases of the student bundle"
    elif cases == "public":
        scope = f"public cases only; --all runs every case, seed {sub.seed}"
    else:
        scope = f"all cases, seed {sub.seed}"
    lines.append(click.style(f"Score: {points(sub.score)} / {points(sub.max_score)}",
                             bold=True) + f"  ({scope})")
    if verbose and sub.output and hidden:  # what it printed could echo a hidden input
        lines += ["", "What your code printed is not shown: hidden cases ran (the "
                  "instructor's --format json has it)."]
    elif verbose and sub.output:
        lines += ["", "Your code printed (each line marked with '|'):"]
        printed = sub.output.rstrip("\n").split("\n")
        lines += ["  | " + printable(line, keep="\t") for line in printed]
    return "\n".join(lines) + "\n"


def render(report: GradeReport, rerun: RerunCommand, verbose: bool = False,
           full: bool = False, options: ReportOptions = DEFAULT) -> str:
    info = report.assignment
    source = f", exported from {info.source_digest}" if info.source_digest else ""
    head = f"{info.name} (assignment {info.digest}{source})\n\n"
    bundle = report.assignment.source_digest is not None
    body = "\n".join(render_submission(s, rerun, report.cases, verbose, full, bundle, options)
                     for s in report.submissions)
    return head + body
