"""Commands over finished runs: ``diff`` (who changed between two) and ``merge`` (shards
into one report).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader.batch import rundir, shards
from grader.cli.grading import class_report_options, write_reports
from grader.cli.options import (
    check_writable,
    handle_errors,
    make_folder,
    report_options,
)
from grader.display import printable
from grader.reporters import diff as diff_reporter
from grader.spec import display_path


@click.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Report format.")
@handle_errors
def diff(old: Path, new: Path, fmt: str) -> None:
    """Compare two runs of a class: who changed score, by how much, in which parts.

    OLD and NEW are run folders or JSON reports of `grader grade`. Exits 0 when no score
    changed and 1 when some did (or a submission is in one of them only), as diff does.
    """
    found = diff_reporter.compare(rundir.load_results(old), rundir.load_results(new),
                                  (display_path(old), display_path(new)))
    render = diff_reporter.render_json if fmt == "json" else diff_reporter.render_text
    click.echo(render(found), nl=False)
    sys.exit(1 if found.any else 0)


@click.command("merge")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@class_report_options
@handle_errors
def merge(run_dirs: tuple[Path, ...], fmt: str, output: Path | None,
          also: list[tuple[str, Path]], hidden_visibility: str, hidden_detail: str,
          columns: str, feedback_dir: Path | None, feedback_format: str) -> None:
    """Report the run whose shards (`grader grade --shard K/N`) graded into RUN_DIRS.

    The report is the one a single run of the whole class would have given, in any format.
    It refuses, in one line with exit code 2, run folders of another assignment, seed, key,
    grader version, class or options, and a shard that is missing, given twice or not
    finished. One run folder of a whole run (no --shard) reports that run again.
    """
    check_writable([p for p in (output, *(f for _, f in also)) if p is not None])
    report = shards.merge(list(run_dirs))
    if feedback_dir is not None:
        make_folder(feedback_dir, "--feedback-dir")
    write_reports(report, fmt, output, also, report_options(hidden_visibility, hidden_detail,
                                                            columns), feedback_dir,
                  feedback_format)
    click.echo(f"merged {len(run_dirs)} run folder(s): {len(report.submissions)} "
               "submission(s)", err=True)
    failed = [s.id for s in report.submissions if s.error.startswith(rundir.NOT_GRADED)]
    if failed:
        named = ", ".join(printable(i) for i in failed[:5]) + (", ..." if failed[5:] else "")
        click.echo(f"grader: {len(failed)} submission(s) not graded (the grader's failure, not "
                   f"the student's: {named}); resume their shards (grader grade ... --resume "
                   "RUN_DIR) to grade them again, then merge again", err=True)
