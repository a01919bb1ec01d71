"""Reporters: each turns a finished :class:`~grader.results.GradeReport` into text.

They only read results; scoring and totals come from :mod:`grader.scoring`. Every format is a
view of the same results: ``FORMATS[name](report, options)``, where ``options``
(:class:`ReportOptions`) matters only to the formats that say so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from grader.reporters import csv, github, gradescope, html, json, junit, markdown, table
from grader.reporters._options import (
    COLUMNS,
    DEFAULT,
    HIDDEN_DETAILS,
    VISIBILITIES,
    ReportOptions,
)
from grader.results import GradeReport


class Renderer(Protocol):
    def __call__(self, report: GradeReport, options: ReportOptions = ..., /) -> str: ...


def _plain(render: Callable[[GradeReport], str]) -> Renderer:
    """A format that takes no options."""

    def with_options(report: GradeReport, options: ReportOptions = DEFAULT, /) -> str:
        return render(report)

    return with_options


FORMATS: dict[str, Renderer] = {
    "table": table.render,
    "json": _plain(json.render),
    "csv": _plain(csv.render),
    "gradescope": gradescope.render,
    "junit": junit.render,
    "markdown": markdown.render,
    "github": github.render,
    "html": _plain(html.render),
}

# The formats a student may read: they show hidden cases only in the grader's words
# (grader.reporters._visible), as ReportOptions.hidden_detail allows. The others (table,
# json, csv, html) are the instructor's.
STUDENT_FACING = ("gradescope", "junit", "markdown", "github")

__all__ = ["COLUMNS", "FORMATS", "HIDDEN_DETAILS", "STUDENT_FACING", "VISIBILITIES", "Renderer",
           "ReportOptions"]
