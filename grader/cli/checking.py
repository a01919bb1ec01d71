"""``grader check``: one submission, as a student checks it.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from grader.batch.run import (
    as_handed_in,
)
from grader.cli.options import (
    also_option,
    emit,
    handle_errors,
    hidden_detail_option,
    hidden_visibility_option,
    output_option,
    report_options,
    run_from,
    run_options,
    warn,
)
from grader.grading import GradeOptions, Grader
from grader.intake.submissions import Staging, one_submission
from grader.reporters import FORMATS
from grader.reporters import check as check_reporter
from grader.results import GradeReport
from grader.spec import load_assignment

F = TypeVar("F", bound=Callable[..., Any])

def _rerun_command(assignment: Path, submission: Path, seed: int | None) -> Callable[[str], str]:
    base = ["grader", "check", str(assignment), str(submission)]
    if seed is not None:
        base += ["--seed", str(seed)]

    def command(case_id: str) -> str:
        return shlex.join([*base, "--case", case_id])

    return command


@click.command()
@click.argument("assignment", type=click.Path(path_type=Path))
@click.argument("submission", type=click.Path(path_type=Path), default=".")
@click.option("--all", "run_all", is_flag=True, help="Run hidden cases too.")
@click.option("--case", "case_ids", multiple=True, metavar="ID",
              help="Run only this case (repeatable), e.g. q1/sigmoid/3.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Use this seed instead of the assignment's.")
@click.option("--fail-under", type=float, default=None, metavar="X",
              help="Exit with code 1 when the score is below X.")
@click.option("--format", "fmt", type=click.Choice(["text", *sorted(FORMATS)]),
              default="text", show_default=True, help="Report format.")
@click.option("-v", "--verbose", is_flag=True,
              help="Show every failing case and what the code printed.")
@output_option
@also_option(["text", *sorted(FORMATS)])
@hidden_visibility_option
@hidden_detail_option
@run_options
@handle_errors
def check(assignment: Path, submission: Path, run_all: bool, case_ids: tuple[str, ...],
          seed: int | None, fail_under: float | None, fmt: str, verbose: bool,
          output: Path | None, also: list[tuple[str, Path]], hidden_visibility: str,
          hidden_detail: str, timeout: float | None, sandbox: str, memory: int) -> None:
    """Check one SUBMISSION (a folder, the module file or a zip; default: here) as a student
    would.

    Runs public cases only, unless --all or --case is given.
    """
    spec = load_assignment(assignment)
    staging = Staging()  # a zip, unpacked for this check only
    click.get_current_context().call_on_close(staging.close)
    sub = one_submission(submission, spec.module_file, staging)
    options = GradeOptions(
        run=run_from(timeout, sandbox, memory),
        public_only=not run_all,
        case_ids=frozenset(case_ids) if case_ids else None,
        seed=seed,
        warn=warn,
    )
    with Grader(spec, options) as grader:
        report: GradeReport = grader.report(as_handed_in(r, sub) for r in grader.grade_all([sub]))
    shown = report_options(hidden_visibility, hidden_detail)

    def render(name: str) -> str:
        if name == "text":
            rerun = _rerun_command(assignment, submission, seed)
            return check_reporter.render(report, rerun, verbose=verbose or bool(case_ids),
                                         full=bool(case_ids), options=shown)
        return FORMATS[name](report, shown)

    emit(render(fmt), output)
    for name, path in also:
        emit(render(name), path)
    score = report.submissions[0].score
    if fail_under is not None and score < fail_under:
        click.echo(f"score {score:g} is below --fail-under {fail_under:g}", err=True)
        sys.exit(1)


