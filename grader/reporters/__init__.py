"""Reporters: each turns a finished :class:`~grader.results.GradeReport` into text.

They only read results; scoring and totals come from :mod:`grader.scoring`. Every format is a
view of the same results: ``FORMATS[name](report, options)``, where ``options``
(:class:`ReportOptions`) matters only to the formats that say so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from grader.reporters import csv, github, gradescope, json, junit, markdown, table
from grader.reporters._options import DEFAULT, VISIBILITIES, ReportOptions
from grader.results import GradeReport


class Renderer(Protocol):
    def __call__(self, report: GradeReport, options: ReportOptions = ..., /) -> str: ...


def _plain(render: Callable[[GradeReport], str]) -> Renderer:
    """A format that takes no options."""

    def with_options(report: GradeReport, options: ReportOptions = DEFAULT, /) -> str:
        return render(report)

    return with_options


FORMATS: dict[str, Renderer] = {
    "table": _plain(table.render),
    "json": _plain(json.render),
    "csv": _plain(csv.render),
    "gradescope": gradescope.render,
    "junit": _plain(junit.render),
    "markdown": _plain(markdown.render),
    "github": github.render,
}

__all__ = ["FORMATS", "VISIBILITIES", "Renderer", "ReportOptions"]
