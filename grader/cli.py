"""The ``grader`` command line: parse options, call the library, pick a reporter.

This is the only place that turns :class:`~grader.errors.GraderError` into exit codes:
0 done, 1 ``--fail-under`` not met (or validation found problems), 2 usage or spec error.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

from grader.batch import rundir
from grader.batch.progress import Progress
from grader.batch.run import (
    Interrupted,
    VaryingGrader,
    as_handed_in,
    default_jobs,
    grade_class,
    run_meta,
)
from grader.batch.rundir import RunDir
from grader.bundles.export import export_bundle
from grader.bundles.gradescope import write_gradescope_zip
from grader.display import printable
from grader.errors import GraderError, UsageError
from grader.grading import GradeOptions, Grader
from grader.intake import notebooks
from grader.intake.submissions import Staging, discover, one_submission
from grader.reporters import COLUMNS, FORMATS, HIDDEN_DETAILS, VISIBILITIES, ReportOptions
from grader.reporters import check as check_reporter
from grader.reporters import diff as diff_reporter
from grader.reporters import feedback as feedback_pages
from grader.reporters import validation as validation_reporter
from grader.results import GradeReport
from grader.sandbox.policy import MODES, Limits
from grader.sandbox.runner import RunOptions
from grader.similarity import code as code_similarity
from grader.similarity import report as similarity_report
from grader.spec import display_path, load_assignment
from grader.spec.key import ensure_key
from grader.validate import validate as validate_assignment

F = TypeVar("F", bound=Callable[..., Any])


def _handle_errors(fn: F) -> F:
    """Report a GraderError as one line on stderr, with its exit code; never a traceback."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GraderError as exc:
            click.echo(f"grader: error: {printable(str(exc))}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as f:
            click.echo(text, file=f, nl=False, color=False)
    except OSError as exc:
        raise GraderError(f"cannot write {output}: {exc.strerror}") from None
    click.echo(f"wrote {output}", err=True)


def _seconds(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not (0 < value <= 86_400):
        raise click.BadParameter(f"expected seconds in (0, 86400], got {value}")
    return value


timeout_option = click.option(
    "--timeout", type=float, default=None, metavar="S", callback=_seconds,
    help="Seconds per call, overriding every timeout in the specs.")
def _memory(ctx: click.Context, param: click.Parameter, text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = text.strip().lower().removesuffix("b").removesuffix("i")
    try:
        if text and text[-1] in units:
            return int(float(text[:-1]) * units[text[-1]])
        return int(text)
    except ValueError:
        raise click.BadParameter(f"expected a size such as 2G or 512M, got {text!r}") from None


def _warn(message: str) -> None:
    click.echo(printable(message), err=True)  # it may name a student's file


def run_options(f: F) -> F:
    """--timeout, --sandbox and --memory: how student processes run."""
    f = click.option(
        "--memory", default="2G", show_default=True, metavar="SIZE", callback=_memory,
        help="Address-space limit of each student process (e.g. 2G, 512M); under full "
             "isolation as root, also the memory of all of one student's processes together."
        )(f)
    f = click.option(
        "--sandbox", type=click.Choice(MODES), default="auto", show_default=True,
        help="auto: the strongest isolation this machine has (full, confined, limits), "
             "saying on stderr what it lacks; strict: refuse without full isolation; "
             "confined: refuse below the confined level; off: no isolation (checking your "
             "own code).")(f)
    return timeout_option(f)


def _run(timeout: float | None, sandbox: str, memory: int) -> RunOptions:
    return RunOptions(timeout=timeout, sandbox=sandbox, limits=Limits(memory=memory))


output_option = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write the report to FILE instead of stdout.")
hidden_visibility_option = click.option(
    "--hidden-visibility", type=click.Choice(VISIBILITIES), default="after_published",
    show_default=True, help="Gradescope visibility of the tests made of hidden cases.")
hidden_detail_option = click.option(
    "--hidden-detail", type=click.Choice(HIDDEN_DETAILS), default="counts", show_default=True,
    help="What the student-facing formats (gradescope, junit, markdown, github, text) show of "
         "hidden cases: how many of each part's passed, or also each failing one's id and "
         "kind of failure. Never their messages, inputs or locations.")


def also_option(formats: list[str]) -> Callable[[F], F]:
    """--also FORMAT:FILE (repeatable): more reports of the same run, each to its file."""

    def parse(ctx: click.Context, param: click.Parameter,
              values: tuple[str, ...]) -> list[tuple[str, Path]]:
        extra = []
        for value in values:
            name, sep, file = value.partition(":")
            if not sep or not file or name not in formats:
                raise click.BadParameter(
                    f"expected FORMAT:FILE with FORMAT one of {', '.join(formats)}, "
                    f"got {value!r}")
            extra.append((name, Path(file)))
        return extra

    return click.option(
        "--also", multiple=True, metavar="FORMAT:FILE", callback=parse,
        help="Also write the report in FORMAT to FILE (repeatable), e.g. junit:report.xml.")


def _report_options(hidden_visibility: str, hidden_detail: str = "counts",
                    columns: str = "questions") -> ReportOptions:
    # GitHub annotations name files relative to the checkout, the current directory in CI.
    return ReportOptions(hidden_visibility=hidden_visibility, root=str(Path.cwd()),
                         hidden_detail=hidden_detail, columns=columns)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="grader")
def main() -> None:
    """Grade numeric homework against reference implementations, in isolation."""


@main.command()
@click.argument("assignment", type=click.Path(path_type=Path))
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="table",
              show_default=True, help="Report format.")
@output_option
@also_option(sorted(FORMATS))
@hidden_visibility_option
@hidden_detail_option
@click.option("--columns", type=click.Choice(COLUMNS), default="questions", show_default=True,
              help="The table's score columns: one per question, or one per part.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Submissions graded in parallel [default: the number of cores].")
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder that keeps each result as it finishes "
                   "[default: a new folder under $XDG_STATE_HOME/grader/runs].")
@click.option("--resume", type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar="RUN_DIR", help="Continue an interrupted run from its folder.")
@click.option("--feedback-dir", type=click.Path(file_okay=False, path_type=Path),
              default=None,
              help="Also write a feedback file per student to this folder, ready to upload to "
                   "an LMS (student-facing: hidden cases as --hidden-detail says).")
@click.option("--feedback-format", type=click.Choice(feedback_pages.FORMATS), default="html",
              show_default=True, help="The feedback files' format.")
@click.option("--starter", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The starter code students were given (.py or .ipynb): left out of the "
                   "code similarity the json and html reports show.")
@click.option("--vary-by-student", is_flag=True,
              help="Give each submission its own public seed, derived from the assignment's "
                   "seed and the submission id, and hidden cases from the key and that seed, so "
                   "that neighbours get different inputs.")
@run_options
@_handle_errors
def grade(assignment: Path, submissions: Path, fmt: str, output: Path | None,
          also: list[tuple[str, Path]], hidden_visibility: str, hidden_detail: str,
          columns: str, jobs: int | None, run_dir: Path | None, resume: Path | None,
          feedback_dir: Path | None, feedback_format: str, starter: Path | None,
          vary_by_student: bool, timeout: float | None, sandbox: str, memory: int) -> None:
    """Grade every submission in SUBMISSIONS against ASSIGNMENT.

    SUBMISSIONS is a class folder (a folder per student, an LMS download such as Canvas's
    smithjohn_12345_67890_hw2.py files, or a zip per student; see the README), or one
    submission by itself.
    """
    if run_dir is not None and resume is not None:
        raise UsageError("give --run-dir or --resume, not both")
    spec = load_assignment(assignment)
    if feedback_dir is not None:  # (before grading: a folder that cannot be, said at once)
        _make_folder(feedback_dir, "--feedback-dir")
    given = _starter_fingerprints(starter, spec) if starter is not None else ()
    report = _grade_class(assignment, spec, submissions, _run(timeout, sandbox, memory),
                          jobs, run_dir, resume, vary_by_student,
                          frozenset({fmt, *(name for name, _ in also)}))
    if given:
        report = replace(report, meta={**report.meta, similarity_report.STARTER: list(given)})
    options = _report_options(hidden_visibility, hidden_detail, columns)
    _emit(FORMATS[fmt](report, options), output)
    for name, path in also:
        _emit(FORMATS[name](report, options), path)
    if feedback_dir is not None:
        _write_feedback(report, feedback_dir, feedback_format, options)


def _grade_class(assignment: Path, spec: Any, submissions: Path, run: RunOptions,
                 jobs: int | None, run_dir: Path | None, resume: Path | None,
                 vary_by_student: bool, formats: frozenset[str] = frozenset()) -> GradeReport:
    """Grade SUBMISSIONS into a run folder, with progress on stderr (``grade``, and
    ``validate --against``); on Ctrl-C, say how to resume and exit 130."""
    staging = Staging()  # zips and LMS-named files, unpacked for this run only
    click.get_current_context().call_on_close(staging.close)
    found = discover(submissions, spec.module_file, staging)
    if "gradescope" in formats and len(found) != 1:
        raise UsageError(f"the gradescope format is one submission's results.json; "
                         f"{submissions} holds {len(found)} submissions")
    grader_class = VaryingGrader if vary_by_student else Grader
    with grader_class(spec, GradeOptions(run=run, warn=_warn)) as grader:
        folder = RunDir(resume or run_dir or rundir.default_path(), run_meta(grader),
                        resume=resume is not None)
        previous = len(folder.done())
        progress = Progress(len(found), sys.stderr, already=min(previous, len(found)))
        try:
            report = grade_class(grader, found, jobs or default_jobs(), folder,
                                 on_result=progress.update, release=staging.release)
        except Interrupted as exc:
            progress.finish(" - interrupted")
            command = ["grader", "grade", str(assignment), str(submissions), "--resume",
                       str(exc.run_dir), *(["--vary-by-student"] if vary_by_student else [])]
            click.echo(f"grader: interrupted; {exc.done} of {exc.total} results are kept in "
                       f"{exc.run_dir}; resume with: {shlex.join(command)}", err=True)
            sys.exit(130)
        finally:
            folder.close()
    progress.finish(f"; results in {folder.path}")
    return report


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


def _make_folder(folder: Path, option: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{option} {folder}: {exc.strerror or exc}") from None


def _write_feedback(report: GradeReport, folder: Path, fmt: str,
                    options: ReportOptions) -> None:
    try:
        for name, text in feedback_pages.pages(report, fmt, options):
            (folder / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--feedback-dir {folder}: {exc.strerror or exc}") from None
    click.echo(f"wrote {len(report.submissions)} feedback file(s) to {folder}", err=True)


def _rerun_command(assignment: Path, submission: Path, seed: int | None) -> Callable[[str], str]:
    base = ["grader", "check", str(assignment), str(submission)]
    if seed is not None:
        base += ["--seed", str(seed)]

    def command(case_id: str) -> str:
        return shlex.join([*base, "--case", case_id])

    return command


@main.command()
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
@_handle_errors
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
        run=_run(timeout, sandbox, memory),
        public_only=not run_all,
        case_ids=frozenset(case_ids) if case_ids else None,
        seed=seed,
        warn=_warn,
    )
    with Grader(spec, options) as grader:
        report: GradeReport = grader.report(as_handed_in(r, sub) for r in grader.grade_all([sub]))
    report_options = _report_options(hidden_visibility, hidden_detail)

    def render(name: str) -> str:
        if name == "text":
            rerun = _rerun_command(assignment, submission, seed)
            return check_reporter.render(report, rerun, verbose=verbose or bool(case_ids),
                                         full=bool(case_ids), options=report_options)
        return FORMATS[name](report, report_options)

    _emit(render(fmt), output)
    for name, path in also:
        _emit(render(name), path)
    score = report.submissions[0].score
    if fail_under is not None and score < fail_under:
        click.echo(f"score {score:g} is below --fail-under {fail_under:g}", err=True)
        sys.exit(1)


@main.command()
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
@_handle_errors
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
    report = validate_assignment(spec, _run(timeout, sandbox, memory), warn=_warn)
    click.echo(validation_reporter.render(spec.name, report), nl=False)
    changed = False
    if against is not None:
        graded = _grade_class(assignment, spec, against, _run(timeout, sandbox, memory), jobs,
                              None, None, False)
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


@main.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Report format.")
@_handle_errors
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


@main.command("export")
@click.argument("assignment", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--notebook", is_flag=True,
              help="Also write a starter notebook (OUT/hw2.ipynb): the handout, a stub of "
                   "each function to write, and a cell that checks it.")
@_handle_errors
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


@main.command("gradescope-bundle")
@click.argument("assignment", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@hidden_visibility_option
@hidden_detail_option
@click.option("--allow-limits-only", is_flag=True,
              help="Let the autograder grade where its container allows neither full nor "
                   "confined isolation (student code could then read the references and the "
                   "key). Without it, it refuses there and results.json says why.")
@_handle_errors
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
