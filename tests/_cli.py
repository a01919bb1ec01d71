"""Running the `grader` command line in-process, shared by the CLI-level tests."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from grader.cli import main


def run(*args: str | Path) -> Result:
    """``grader ARGS...`` through click's test runner (stdout and stderr kept apart)."""
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line(result: Result) -> str:
    """The single line a usage or spec error prints, checked to be one line, no traceback."""
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]
