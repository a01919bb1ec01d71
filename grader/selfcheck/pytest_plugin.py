"""A pytest plugin: a submission's parts as test items, for an editor's test panel.

Registered through the ``pytest11`` entry point, it does nothing until configured with an
assignment (or a student bundle) and a submission, by option or ini setting::

    pytest --grader-assignment hw2-bundle --grader-submission hw2.py
    # or, in pytest.ini / pyproject's [tool.pytest.ini_options]:
    #   grader_assignment = hw2-bundle
    #   grader_submission = hw2.py

Then the submission file (collected where pytest looks: run it in the submission's folder)
yields a collector per question and a test per part, ``hw2.py::q1::sigmoid``, or with
``--grader-cases`` a test per public case, ``hw2.py::q1/sigmoid/0``. A path given as an
option is taken from where pytest runs, one in an ini file from that file's folder; a
setting that is half given, or names nothing, is a usage error. Only public cases run (a
bundle has no others), as in ``grader check``; an item fails with the same lines ``grader
check`` prints for its part. The submission runs in its own process, isolated as ``grader
check`` runs it, once per pytest session.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest

_CONFIGURED = ("grader_assignment", "grader_submission")
_KEY = pytest.StashKey["Configured"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader", "grading a submission (the grader plugin)")
    group.addoption("--grader-assignment", metavar="PATH",
                    help="the assignment or student bundle to check against")
    group.addoption("--grader-submission", metavar="FILE",
                    help="the submission (hw2.py or hw2.ipynb) whose parts become tests")
    group.addoption("--grader-cases", action="store_true",
                    help="one test per case instead of one per part")
    for name in _CONFIGURED:
        parser.addini(name, f"as --{name.replace('_', '-')}", default="")


class Configured:
    """The assignment (loaded) and the submission the plugin grades."""

    def __init__(self, assignment: Any, folder: Path, submission: Path) -> None:
        self.assignment, self.folder, self.submission = assignment, folder, submission


def _setting(config: pytest.Config, name: str) -> tuple[str, Path, str]:
    """(value, the folder a relative value is taken from, how it was given): an option is
    taken from where pytest was started, an ini setting from its file's folder."""
    given = config.getoption(name)  # (--grader-assignment is stored as grader_assignment)
    if given:
        return str(given), Path(config.invocation_params.dir), f"--{name.replace('_', '-')}"
    where = config.inipath.parent if config.inipath is not None else config.rootpath
    return str(config.getini(name) or ""), Path(where), f"{name} (in {config.inipath})"


def pytest_configure(config: pytest.Config) -> None:
    """Check the settings once, where either is given: both are needed, and each must name
    what exists (a usage error otherwise, in one line naming the setting)."""
    settings = [_setting(config, name) for name in _CONFIGURED]
    given = [s for s in settings if s[0]]
    if not given:
        return
    if len(given) == 1:
        lacking = next(f"--{name.replace('_', '-')} (or {name} in an ini file)"
                       for name, (value, _, _) in zip(_CONFIGURED, settings, strict=True)
                       if not value)
        raise pytest.UsageError(f"grader plugin: {given[0][2]} is set but not {lacking}: "
                                "give both")
    (assignment, a_from, a_how), (submission, s_from, s_how) = settings
    from grader.errors import GraderError
    from grader.spec import load_assignment

    folder = (a_from / assignment).resolve()
    try:
        loaded = load_assignment(folder)
    except GraderError as exc:
        raise pytest.UsageError(f"grader plugin: {a_how} {assignment}: {exc}") from None
    path = (s_from / submission).resolve()
    if not path.is_file():
        raise pytest.UsageError(f"grader plugin: {s_how} {submission}: no such file ({path})")
    config.stash[_KEY] = Configured(loaded, folder, path)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    configured = parent.config.stash.get(_KEY, None)
    if configured is None or file_path.resolve() != configured.submission:
        return None
    return SubmissionFile.from_parent(parent, path=file_path)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> Any:
    """Named on the command line (``pytest hw2.py::q1::sigmoid``), the submission would also
    be imported as a test module, in pytest's own process: it is collected here instead,
    as nothing."""
    configured = parent.config.stash.get(_KEY, None)
    if configured is not None and module_path.resolve() == configured.submission:
        return _Nothing.from_parent(parent, path=module_path)
    return None


class _Nothing(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        return iter(())


class SubmissionFile(pytest.File):
    """The submission: its questions (each part a test), or with ``--grader-cases`` each
    public case; graded once, on its first test's run."""

    _result: Any = None

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        from grader.cases.build import part_case_ids

        assignment = self.config.stash[_KEY].assignment
        per_case = bool(self.config.getoption("grader_cases"))
        for problem in assignment.problems:
            if not per_case:
                yield Question.from_parent(self, name=problem.id,
                                           parts=[part.id for part in problem.parts])
                continue
            for part in problem.parts:
                for case_id, public in part_case_ids(part, problem):
                    if public:
                        yield PartItem.from_parent(self, name=case_id, problem=problem.id,
                                                   part=part.id, case=case_id)

    def result(self) -> Any:
        """The submission graded on its public cases (once)."""
        if self._result is None:
            from grader.grading import GradeOptions, Grader
            from grader.intake.submissions import Staging, one_submission

            assignment = self.config.stash[_KEY].assignment
            with Staging() as staging, Grader(assignment,
                                              GradeOptions(public_only=True)) as grader:
                submission = one_submission(self.path, assignment.module_file, staging)
                self._result = grader.grade(submission)
        return self._result


class Question(pytest.Collector):
    """A question: its parts, ``hw2.py::q1::sigmoid``."""

    def __init__(self, *, parts: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parts = parts

    def collect(self) -> Iterator[pytest.Item]:
        for part in self.parts:
            yield PartItem.from_parent(self, name=part, problem=self.name, part=part, case=None)


class PartFailed(Exception):
    """A part (or a case) that did not pass; the message is ``grader check``'s."""


class PartItem(pytest.Item):
    def __init__(self, *, problem: str, part: str, case: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problem, self.part, self.case = problem, part, case

    def runtest(self) -> None:
        from grader.reporters import _visible, check

        submission = self.getparent(SubmissionFile)
        assert submission is not None
        result = submission.result()
        found = next(p for q in result.problems if q.id == self.problem
                     for p in q.parts if p.id == self.part)
        configured = self.config.stash[_KEY]

        def rerun(case_id: str) -> str:
            return shlex.join(["grader", "check", str(configured.folder),
                               str(configured.submission), "--case", case_id])

        if self.case is not None:
            case = next(c for c in found.cases if c.id == self.case)
            if not case.passed:
                raise PartFailed("\n".join([
                    _visible.headline(case), *_visible.mistake_lines(found), *case.details,
                    *([f"inputs: {case.inputs}"] if case.inputs else []),
                    f"rerun:  {rerun(case.id)}"]))
            return
        if result.error or found.passed < found.total:
            lines = check._part_lines(found, rerun, True, True)
            raise PartFailed(click.unstyle("\n".join([
                f"{self.problem}/{self.part}: {found.passed} of {found.total} public cases "
                "passed", *([result.error] if result.error else []), *lines])))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, PartFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.nodeid.split("::", 1)[-1]
