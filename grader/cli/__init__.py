"""The ``grader`` command line: parse options, call the library, pick a reporter.

Each command lives in the module of its job (:mod:`.grading`, :mod:`.checking`,
:mod:`.assignments`, :mod:`.runs`); :mod:`.options` holds what they share. This package is
the only place that turns :class:`~grader.errors.GraderError` into exit codes: 0 done, 1
``--fail-under`` not met (or validation found problems, or a diff found changes), 2 usage or
spec error.
"""

from __future__ import annotations

import click

from grader.cli import assignments, checking, grading, runs


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="grader")
def main() -> None:
    """Grade numeric homework against reference implementations, in isolation."""


for command in (grading.grade, checking.check, assignments.validate, runs.diff, runs.merge,
                assignments.export, assignments.gradescope_bundle):
    main.add_command(command)
