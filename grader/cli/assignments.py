"""Commands about an assignment itself: ``validate``, ``export``, ``gradescope-bundle``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from grader.batch import rundir
from grader.bundles.export import export_bundle
from grader.bundles.gradescope import write_gradescope_zip
from grader.cli.grading import ClassRun, grade_class_folder
from grader.cli.options import (
    handle_errors,
    hidden_detail_option,
    hidden_visibility_option,
    run_from,
    run_options,
    warn,
)
from grader.errors import UsageError
from grader.reporters import diff as diff_reporter
from grader.reporters import validation as validation_reporter
from grader.spec import display_path, load_assignment
from grader.spec.key import ensure_key
from grader.validate import validate as validate_assignment

F = TypeVar("F", bound=Callable[..., Any])

@click.command()
@click.argument("assignment", type=click.Path(path_type=Path))
@click.option("--against", type=click.Path(path_type=Path), default=None,
              metavar="SUBMISSIONS",
              help="Also grade a stored class (last term's, say) and show its scores.")
@click.option("--baseline", type=click.Path(path_type=Path), default=None,
              metavar="RUN",
              help="With --against: an earlier run of that class (a run folder or JSON "
                   "report): say who changed score, as grader diff does.")
@click.option("--fail-on-change", is_flag=True,
              help="With --baseline: exit 1 when a score changed (else changes are news).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="With --against: submissions graded at once [default: the cores].")
@run_options
@handle_errors
def validate(assignment: Path, against: Path | None, baseline: Path | None,
             fail_on_change: bool, jobs: int | None, timeout: float | None, sandbox: str,
             memory: int) -> None:
    """Check ASSIGNMENT's specs, cases, references and known-wrong answers.

    Exits 1 when a reference is nondeterministic or disagrees with an oracle, or when a
    known-wrong answer would still earn a part's full points. With --against, it also
    replays a stored class: the score distribution, and with --baseline who changed.
    """
    if baseline is not None and against is None:
        raise UsageError("--baseline needs --against (the class to grade again)")
    if fail_on_change and baseline is None:
        raise UsageError("--fail-on-change needs --baseline (what a change is measured from)")
    earlier = rundir.load_results(baseline) if baseline is not None else None
    spec, created = ensure_key(load_assignment(assignment))
    if created is not None:
        click.echo(f"grader: created {display_path(created)}, the secret key of the hidden "
                   "cases: keep it out of public repositories (add it to .gitignore)", err=True)
    report = validate_assignment(spec, run_from(timeout, sandbox, memory), warn=warn)
    click.echo(validation_reporter.render(spec.name, report), nl=False)
    changed = False
    if against is not None:
        graded = grade_class_folder(assignment, spec, against,
                                    ClassRun(run_from(timeout, sandbox, memory), jobs))
        click.echo(validation_reporter.render_replay(display_path(against), graded),
                   nl=False)
        if earlier is not None:
            now = rundir.Loaded(list(graded.submissions), spec.digest, spec.name,
                                graded.cases, False)
            found = diff_reporter.compare(earlier, now,
                                          (display_path(baseline or against), "this run"))
            click.echo(diff_reporter.render_text(found), nl=False)
            changed = found.any
    if not report.ok:
        click.echo("grader: validation failed", err=True)
        sys.exit(1)
    if changed and fail_on_change:
        click.echo("grader: scores changed (--fail-on-change)", err=True)
        sys.exit(1)



@click.command("export")
@click.argument("assignment", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--notebook", is_flag=True,
              help="Also write a starter notebook (OUT/hw2.ipynb): the handout, a stub of "
                   "each function to write, and a cell that checks it.")
@handle_errors
def export(assignment: Path, out: Path, notebook: bool) -> None:
    """Write the student bundle of ASSIGNMENT to OUT, a new folder.

    OUT holds the specs without their hidden cases, the public cases' inputs and expected
    outputs, the public builders and the handout: all that `grader check OUT hw2.py` needs,
    and no reference code, key or hidden case.
    """
    spec = load_assignment(assignment)
    for note in export_bundle(spec, out, notebook):
        click.echo(f"grader: note: {note}", err=True)
    click.echo(f"wrote {out} (the public cases of assignment {spec.digest})", err=True)


@click.command("gradescope-bundle")
@click.argument("assignment", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@hidden_visibility_option
@hidden_detail_option
@click.option("--allow-limits-only", is_flag=True,
              help="Let the autograder grade where its container allows neither full nor "
                   "confined isolation (student code could then read the references and the "
                   "key). Without it, it refuses there and results.json says why.")
@handle_errors
def gradescope_bundle(assignment: Path, out: Path, hidden_visibility: str,
                      hidden_detail: str, allow_limits_only: bool) -> None:
    """Write OUT (a new .zip): the autograder Gradescope runs on each submission of ASSIGNMENT.

    It holds setup.sh, run_autograder (which grades with --hidden-visibility and
    --hidden-detail as given here), the whole assignment (references and the secret key
    included: the autograder draws the hidden cases) and this grader's source, which
    setup.sh installs with pip.
    """
    spec = load_assignment(assignment)
    write_gradescope_zip(spec, out, hidden_visibility, hidden_detail, allow_limits_only)
    if allow_limits_only:
        click.echo("grader: warning: --allow-limits-only: where Gradescope's container allows "
                   "neither full nor confined isolation, student code will run with resource "
                   "limits only and can read the references and the key", err=True)
    click.echo(f"wrote {out} (assignment {spec.digest}; it holds the reference code and the "
               "secret key of the hidden cases: keep it private)", err=True)

