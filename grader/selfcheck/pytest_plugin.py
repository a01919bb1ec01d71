"""A pytest plugin: a submission's parts as test items, for an editor's test panel.

Registered through the ``pytest11`` entry point, it does nothing until configured with an
assignment (or a student bundle) and a submission, by option or ini setting::

    pytest --grader-assignment hw2-bundle --grader-submission hw2.py
    # or, in pytest.ini / pyproject's [tool.pytest.ini_options]:
    #   grader_assignment = hw2-bundle
    #   grader_submission = hw2.py

Then the submission file (collected where pytest looks: run it in the submission's folder)
yields one item per part, ``hw2.py::q1::sigmoid``, or with ``--grader-cases`` one per case,
``hw2.py::q1/sigmoid/0``. Only public cases run (a bundle has no others), as in
``grader check``; an item fails with the same lines ``grader check`` prints for its part.
The submission runs in its own process, isolated as ``grader check`` runs it, once per
pytest session.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest

_CONFIGURED = ("grader_assignment", "grader_submission")


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


def _setting(config: pytest.Config, name: str) -> str:
    given = config.getoption(name)  # (--grader-assignment is stored as grader_assignment)
    return str(given) if given else str(config.getini(name) or "")


def _configured(config: pytest.Config) -> tuple[Path, Path] | None:
    assignment, submission = (_setting(config, name) for name in _CONFIGURED)
    if not assignment or not submission:
        return None
    root = Path(str(config.rootpath))
    return (root / assignment).resolve(), (root / submission).resolve()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    configured = _configured(parent.config)
    if configured is None or file_path.resolve() != configured[1]:
        return None
    return SubmissionFile.from_parent(parent, path=file_path)


class SubmissionFile(pytest.File):
    """The submission: graded once, on its first item's run."""

    _result: Any = None

    def collect(self) -> Iterator[pytest.Item]:
        from grader.cases.build import part_case_ids
        from grader.spec import load_assignment

        configured = _configured(self.config)
        assert configured is not None
        self.assignment = load_assignment(configured[0])
        per_case = bool(self.config.getoption("grader_cases"))
        for problem in self.assignment.problems:
            for part in problem.parts:
                if not per_case:
                    yield PartItem.from_parent(self, name=f"{problem.id}::{part.id}",
                                               problem=problem.id, part=part.id, case=None)
                    continue
                for case_id, public in part_case_ids(part, problem):
                    if public:
                        yield PartItem.from_parent(self, name=case_id, problem=problem.id,
                                                   part=part.id, case=case_id)

    def result(self) -> Any:
        """The submission graded on its public cases (once)."""
        if self._result is None:
            from grader.grading import GradeOptions, Grader
            from grader.intake.submissions import Staging, one_submission

            with Staging() as staging, Grader(self.assignment,
                                              GradeOptions(public_only=True)) as grader:
                submission = one_submission(self.path, self.assignment.module_file, staging)
                self._result = grader.grade(submission)
        return self._result


class PartFailed(Exception):
    """A part (or a case) that did not pass; the message is ``grader check``'s."""


class PartItem(pytest.Item):
    def __init__(self, *, problem: str, part: str, case: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problem, self.part, self.case = problem, part, case

    def runtest(self) -> None:
        from grader.reporters import _visible, check

        parent = self.parent
        assert isinstance(parent, SubmissionFile)
        result = parent.result()
        found = next(p for q in result.problems if q.id == self.problem
                     for p in q.parts if p.id == self.part)
        if self.case is not None:
            case = next(c for c in found.cases if c.id == self.case)
            if not case.passed:
                raise PartFailed("\n".join([*_visible.mistake_lines(found),
                                            _visible.headline(case), *case.details]))
            return
        if result.error or found.passed < found.total:
            configured = _configured(self.config)
            assert configured is not None

            def rerun(case_id: str) -> str:
                return shlex.join(["grader", "check", str(configured[0]),
                                   str(configured[1]), "--case", case_id])

            lines = check._part_lines(found, rerun, True, True)
            raise PartFailed(click.unstyle("\n".join(
                [*([result.error] if result.error else []), *lines])))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, PartFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.name
