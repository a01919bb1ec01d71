"""``grader grade``: grade a class folder into a run folder and report it.
"""

from __future__ import annotations

import contextlib
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import click

from grader.batch import cluster, rundir, shards
from grader.batch.progress import Progress
from grader.batch.reuse import ResultCache
from grader.batch.run import (
    Interrupted,
    VaryingGrader,
    default_jobs,
    grade_class,
    run_meta,
)
from grader.batch.rundir import RunDir
from grader.cli.options import (
    also_option,
    check_writable,
    emit,
    handle_errors,
    hidden_detail_option,
    hidden_visibility_option,
    make_folder,
    output_option,
    report_options,
    run_from,
    run_options,
    warn,
)
from grader.errors import UsageError
from grader.grading import GradeOptions, Grader
from grader.intake import notebooks
from grader.intake.submissions import Staging, discover
from grader.reporters import COLUMNS, FORMATS, ReportOptions
from grader.reporters import feedback as feedback_pages
from grader.results import GradeReport
from grader.sandbox.runner import RunOptions
from grader.similarity import code as code_similarity
from grader.similarity import report as similarity_report
from grader.spec import load_assignment

F = TypeVar("F", bound=Callable[..., Any])

def feedback_options(f: F) -> F:
    """--feedback-dir and --feedback-format: a student-facing file per submission."""
    f = click.option("--feedback-format", type=click.Choice(feedback_pages.FORMATS),
                     default="html", show_default=True, help="The feedback files' format.")(f)
    return click.option(
        "--feedback-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Also write a feedback file per student to this folder, ready to upload to an "
             "LMS (student-facing: hidden cases as --hidden-detail says).")(f)


@dataclass(frozen=True)
class ClassRun:
    """How ``grade`` (and ``validate --against``) grades a class folder."""

    run: RunOptions
    jobs: int | None = None
    run_dir: Path | None = None
    resume: Path | None = None
    vary_by_student: bool = False
    shard: shards.Shard = shards.WHOLE
    reuse: bool = False
    dask: str | None = None
    dask_files: str = "shipped"
    allow_limits_only: bool = False
    meta: tuple[tuple[str, Any], ...] = ()  # more of the report's meta (--starter's)

    def again(self, assignment: Path, submissions: Path, run_dir: Path) -> list[str]:
        """The command that resumes this run."""
        flags = [("--vary-by-student", self.vary_by_student), ("--reuse", self.reuse)]
        return ["grader", "grade", str(assignment), str(submissions), "--resume", str(run_dir),
                *(["--shard", str(self.shard)] if self.shard != shards.WHOLE else []),
                *(["--dask", self.dask, "--dask-files", self.dask_files]
                  if self.dask is not None else []),
                *(flag for flag, given in flags if given)]


def class_report_options(f: F) -> F:
    """How a class's report is written (``grade`` and ``merge``): --format, -o, --also,
    --hidden-visibility, --hidden-detail, --columns, and the feedback files."""
    for option in reversed([
            click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)),
                         default="table", show_default=True, help="Report format."),
            output_option, also_option(sorted(FORMATS)), hidden_visibility_option,
            hidden_detail_option,
            click.option("--columns", type=click.Choice(COLUMNS), default="questions",
                         show_default=True, help="The table's score columns: one per "
                         "question, or one per part."),
            feedback_options]):
        f = option(f)
    return f


@click.command()
@click.argument("assignment", type=click.Path(path_type=Path))
@click.argument("submissions", type=click.Path(path_type=Path))
@class_report_options
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Submissions graded in parallel [default: the number of cores]; with "
                   "--dask local, the local cluster's worker processes.")
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder that keeps each result as it finishes "
                   "[default: a new folder under $XDG_STATE_HOME/grader/runs].")
@click.option("--resume", type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar="RUN_DIR", help="Continue an interrupted run from its folder.")
@click.option("--resume-if-exists", is_flag=True,
              help="With --run-dir: resume the run in that folder if there is one, else "
                   "start it (a batch job that may be run again).")
@click.option("--shard", default=None, metavar="K/N",
              help="Grade only shard K of N: the submissions whose id hashes to it. Each "
                   "shard's run folder is one argument of grader merge. [default: 1/1, or "
                   "the resumed folder's]")
@click.option("--reuse", is_flag=True,
              help="Take the result of every submission unchanged since a run with --reuse "
                   "(same files, assignment, grader and options) from the result cache, and "
                   "store the new ones there.")
@click.option("--dask", metavar="ADDRESS", default=None,
              help="Grade on the Dask cluster whose scheduler is at ADDRESS "
                   "(tcp://host:8786), or 'local' for a local cluster of --jobs processes. "
                   "Needs pip install 'grader[dask]'.")
@click.option("--dask-files", type=click.Choice(cluster.FILES), default="shipped",
              show_default=True,
              help="How the assignment and submissions reach the Dask workers: shipped with "
                   "each task, or as paths on a filesystem they all mount.")
@click.option("--allow-limits-only", is_flag=True,
              help="With --dask: also grade on workers whose node gives neither full nor "
                   "confined isolation (student code there could reach the network and the "
                   "references).")
@click.option("--starter", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The starter code students were given (.py or .ipynb): left out of the "
                   "code similarity the json and html reports show.")
@click.option("--vary-by-student", is_flag=True,
              help="Give each submission its own public seed, derived from the assignment's "
                   "seed and the submission id, and hidden cases from the key and that seed, so "
                   "that neighbours get different inputs.")
@run_options
@handle_errors
def grade(assignment: Path, submissions: Path, fmt: str, output: Path | None,
          also: list[tuple[str, Path]], hidden_visibility: str, hidden_detail: str,
          columns: str, jobs: int | None, run_dir: Path | None, resume: Path | None,
          resume_if_exists: bool, shard: str | None, reuse: bool, dask: str | None,
          dask_files: str,
          allow_limits_only: bool, feedback_dir: Path | None, feedback_format: str,
          starter: Path | None, vary_by_student: bool, timeout: float | None, sandbox: str,
          memory: int) -> None:
    """Grade every submission in SUBMISSIONS against ASSIGNMENT.

    SUBMISSIONS is a class folder (a folder per student, an LMS download such as Canvas's
    smithjohn_12345_67890_hw2.py files, or a zip per student; see the README), or one
    submission by itself.
    """
    if run_dir is not None and resume is not None:
        raise UsageError("give --run-dir or --resume, not both")
    if resume_if_exists:
        if run_dir is None:
            raise UsageError("--resume-if-exists goes with --run-dir")
        if (run_dir / rundir.META).is_file():
            run_dir, resume = None, run_dir
    part = shards.parse(shard) if shard is not None else \
        shards.recorded(resume) if resume is not None else shards.WHOLE
    if dask is None and (allow_limits_only or dask_files != "shipped"):
        raise UsageError(f"{'--allow-limits-only' if allow_limits_only else '--dask-files'} "
                         "is for --dask workers")
    if dask is not None:
        cluster.worker_sandbox(sandbox, allow_limits_only)  # (refused before anything runs)
    check_writable([p for p in (output, *(f for _, f in also)) if p is not None])
    spec = load_assignment(assignment)
    if feedback_dir is not None:  # (before grading: a folder that cannot be, said at once)
        make_folder(feedback_dir, "--feedback-dir")
    given = _starter_fingerprints(starter, spec) if starter is not None else ()
    how = ClassRun(run_from(timeout, sandbox, memory), jobs, run_dir, resume, vary_by_student,
                   part, reuse, dask, dask_files, allow_limits_only,
                   ((similarity_report.STARTER, list(given)),) if given else ())
    report = grade_class_folder(assignment, spec, submissions, how,
                                frozenset({fmt, *(name for name, _ in also)}))
    write_reports(report, fmt, output, also, report_options(hidden_visibility, hidden_detail,
                                                            columns), feedback_dir,
                  feedback_format)


def write_reports(report: GradeReport, fmt: str, output: Path | None,
                  also: list[tuple[str, Path]], options: ReportOptions,
                  feedback_dir: Path | None, feedback_format: str) -> None:
    """The report in ``fmt`` to ``output`` (stdout), the ``--also`` ones, the feedback."""
    emit(FORMATS[fmt](report, options), output)
    for name, path in also:
        emit(FORMATS[name](report, options), path)
    if feedback_dir is not None:
        _write_feedback(report, feedback_dir, feedback_format, options)


def grade_class_folder(assignment: Path, spec: Any, submissions: Path, how: ClassRun,
                       formats: frozenset[str] = frozenset()) -> GradeReport:
    """Grade SUBMISSIONS into a run folder, with progress on stderr (``grade``, and
    ``validate --against``); on Ctrl-C, say how to resume and exit 130."""
    staging = Staging()  # zips and LMS-named files, unpacked for this run only
    click.get_current_context().call_on_close(staging.close)
    everyone = discover(submissions, spec.module_file, staging)
    found = [s for s in everyone if how.shard.holds(s.id)]
    if "gradescope" in formats and len(found) != 1:
        raise UsageError(f"the gradescope format is one submission's results.json; "
                         f"{submissions} holds {len(found)} submissions")
    for submission in everyone:
        if not how.shard.holds(submission.id):
            staging.release(submission)
    grader_class = VaryingGrader if how.vary_by_student else Grader
    with contextlib.ExitStack() as stack:
        grader = stack.enter_context(grader_class(spec, GradeOptions(run=how.run, warn=warn)))
        meta = run_meta(grader)
        header = grader.report(())
        header = replace(header, meta={**header.meta, **dict(how.meta)})
        executor = _executor(grader, how, stack)
        folder = RunDir(how.resume or how.run_dir or rundir.default_path(),
                        {**meta, shards.SHARD: str(how.shard)}, resume=how.resume is not None,
                        record={shards.CLASS: [s.id for s in everyone],
                                shards.HEADER: shards.header(header)},
                        fixed=(shards.CLASS,) if how.shard.count > 1 else ())
        stack.callback(folder.close)
        reuse = _result_cache(grader, meta, executor) if how.reuse else None
        previous = len(folder.done())
        progress = Progress(len(found), sys.stderr, already=min(previous, len(found)))
        try:
            report = grade_class(grader, found, how.jobs or default_jobs(), folder,
                                 on_result=progress.update, release=staging.release,
                                 reuse=reuse, executor=executor)
        except Interrupted as exc:
            progress.finish(" - interrupted")
            command = how.again(assignment, submissions, folder.path)
            click.echo(f"grader: interrupted; {exc.done} of {exc.total} results are kept in "
                       f"{exc.run_dir}; resume with: {shlex.join(command)}", err=True)
            sys.exit(130)
    progress.reused = reuse.reused if reuse is not None else 0
    progress.finish(f"; results in {folder.path}")
    failed = sum(r.error.startswith(rundir.NOT_GRADED) for r in report.submissions)
    if failed:
        command = how.again(assignment, submissions, folder.path)
        click.echo(f"grader: {failed} submission(s) not graded (the grader's failure, not the "
                   f"student's): grade them again with: {shlex.join(command)}", err=True)
    return replace(report, meta={**report.meta, **dict(how.meta)})


def _result_cache(grader: Grader, meta: dict[str, Any],
                  executor: cluster.DaskExecutor | None) -> ResultCache | None:
    """The result cache of ``--reuse``, keyed by the isolation that grades (this machine's
    or the Dask workers'); none, said once, where that is resource limits only."""
    if executor is not None:
        isolation, weak = executor.isolation, executor.limits_only
    else:
        isolation, weak = grader.isolation.summary, grader.isolation.level in ("limits", "off")
    if weak:
        warn("grader: warning: --reuse is off for this run: student code runs with resource "
             "limits only, and could write the result cache")
        return None
    return ResultCache(grader, meta, getattr(grader, "seed_for", lambda s: grader.seed),
                       isolation)


def _executor(grader: Grader, how: ClassRun,
              stack: contextlib.ExitStack) -> cluster.DaskExecutor | None:
    """The Dask executor ``how`` asks for (closed with ``stack``), or None."""
    if how.dask is None:
        return None
    options = grader.options
    settings = cluster.Settings(
        sandbox=cluster.worker_sandbox(how.run.sandbox, how.allow_limits_only),
        timeout=how.run.timeout, memory=how.run.limits.memory,
        public_only=options.public_only,
        case_ids=tuple(sorted(options.case_ids)) if options.case_ids is not None else None,
        seed=options.seed, vary_by_student=how.vary_by_student)
    executor = cluster.DaskExecutor(grader, how.dask, settings, how.dask_files,
                                    how.allow_limits_only, how.jobs or default_jobs(), warn)
    stack.callback(executor.close)
    return executor


def _starter_fingerprints(path: Path, spec: Any) -> tuple[int, ...]:
    if not path.is_file():
        raise UsageError(f"--starter {path}: no such file")
    cells = None
    if path.suffix == ".ipynb":
        try:
            cells = [src for _, src in notebooks.read(path, spec.notebooks).cells]
        except notebooks.NotebookError as exc:
            raise UsageError(f"--starter {path}: {exc}") from None
    return code_similarity.of_file(path, cells)


def _write_feedback(report: GradeReport, folder: Path, fmt: str,
                    options: ReportOptions) -> None:
    try:
        for name, text in feedback_pages.pages(report, fmt, options):
            (folder / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--feedback-dir {folder}: {exc.strerror or exc}") from None
    click.echo(f"wrote {len(report.submissions)} feedback file(s) to {folder}", err=True)
