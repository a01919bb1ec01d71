"""Options and helpers the commands share: how student processes run, where reports go,
and one line per user error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from grader.display import printable
from grader.errors import GraderError, UsageError
from grader.reporters import HIDDEN_DETAILS, VISIBILITIES, ReportOptions
from grader.sandbox.policy import MODES, Limits
from grader.sandbox.runner import RunOptions

F = TypeVar("F", bound=Callable[..., Any])

def handle_errors(fn: F) -> F:
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


def emit(text: str, output: Path | None) -> None:
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


def warn(message: str) -> None:
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


def run_from(timeout: float | None, sandbox: str, memory: int) -> RunOptions:
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


def report_options(hidden_visibility: str, hidden_detail: str = "counts",
                    columns: str = "questions") -> ReportOptions:
    # GitHub annotations name files relative to the checkout, the current directory in CI.
    return ReportOptions(hidden_visibility=hidden_visibility, root=str(Path.cwd()),
                         hidden_detail=hidden_detail, columns=columns)


def make_folder(folder: Path, option: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{option} {folder}: {exc.strerror or exc}") from None


def check_writable(files: list[Path]) -> None:
    """Each report file's folder exists: said before grading, not after it."""
    for file in files:
        folder = file.parent
        if not folder.is_dir():
            raise UsageError(f"cannot write {file}: no folder {folder}")
