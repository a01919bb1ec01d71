"""The typed, validated form of a spec: frozen values that the rest of the grader reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import values
from grader.cases.generators import Generator
from grader.cases.stored import StoredCases
from grader.judge.properties import PropertyCheck

SCORING = ("partial", "all_or_nothing")


MAX_TIMEOUT = 86_400.0


WARNINGS = ("ignore", "fail")


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-6
    atol: float = 1e-9
    reason: str | None = None
    float32: bool = True  # answers computed in float32 must pass (grader.judge.calibrate)
    shape: str = "exact"  # "squeeze": shapes that differ only by dimensions of size 1 match

    def describe(self) -> str:
        return f"rtol={self.rtol:g}, atol={self.atol:g}"


NOTEBOOK_CELLS = ("all", "definitions", "tagged")


@dataclass(frozen=True)
class NotebookSettings:
    """How a notebook submission runs (``notebooks:`` in assignment.yaml)."""

    cells: str = "all"  # every code cell; "definitions": only what defines; "tagged"
    tags: tuple[str, ...] = ("graded",)  # the tags of the cells that run, for "tagged"
    timeout: float = 60.0  # seconds for running the cells (the notebook's import)


@dataclass(frozen=True)
class KnownMistake:
    """A known-wrong answer as students hear of it: a short name and one line on the mistake
    (from the spec's ``explanation``, else the answer's docstring; may be empty)."""

    name: str  # "unbiased_var" for q2:batchnorm_forward_unbiased_var in the part of that name
    explanation: str = ""
    ref: str = ""  # "module:function" (or a module) in wrong/; "" in a student bundle


@dataclass(frozen=True)
class Defaults:
    tolerance: Tolerance = Tolerance()
    timeout: float = 10.0
    scoring: str = "partial"
    warnings: str = "ignore"


@dataclass(frozen=True)
class CaseGroup:
    """One entry of a part's ``cases``: ``count`` cases drawn the same way, or read from a file."""

    name: str
    count: int
    public: int  # how many of the first cases of this group are public
    dims: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    let: tuple[tuple[str, Generator], ...] = ()
    args: tuple[tuple[str, Generator], ...] = ()
    kwargs: tuple[tuple[str, Generator], ...] = ()
    generator: Callable[..., Any] | None = None
    generator_ref: str | None = None
    generator_options: Mapping[str, Any] = field(default_factory=dict)
    stored: StoredCases | None = None  # the cases of a ``stored:`` group, read on load
    file: str = ""  # where the group is written, for error messages
    key: str = ""

    def indices(self, start: int) -> tuple[int, ...]:
        """The case indices of this group when the part's numbering has reached ``start``.

        Cases are numbered across a part's groups in order; stored cases that carry their
        own index (a student bundle's public cases) keep it.
        """
        if self.stored is not None and any(c.index is not None for c in self.stored.cases):
            return tuple(c.index for c in self.stored.cases if c.index is not None)
        return tuple(range(start, start + self.count))


ORACLE_KINDS = ("gradient", "jacobian", "hessian", "function", "monte_carlo")


@dataclass(frozen=True)
class OracleSpec:
    """An independent check of the reference; see :mod:`grader.judge.oracles`."""

    name: str
    kind: str
    function: Callable[..., Any]
    ref: str
    tolerance: Tolerance
    wrt: str | None = None
    output: int = 0
    step: float = 1e-5
    wrt_keys: tuple[str, ...] = ()  # into a dict argument: wrt "params.W1" is params["W1"]
    output_keys: tuple[str, ...] = ()  # into a dict output: "grads.W1" (steps), "1.W1"
    output_text: str = ""  # the output as the spec names it, for messages
    samples: int = 100_000


# What a step passes: a name or dotted path, or {"literal": plain data}.
Argument = str | dict[str, Any]


@dataclass(frozen=True)
class Step:
    """One step of a call sequence (``steps:``): call a path, take a copy of one (``get``) or
    put a value there (``set``), and name the result (``bind``: one name, or names to unpack
    a tuple into)."""

    call: str | None = None
    get: str | None = None
    set: str | None = None  # with value: put that value at this path
    value: Argument | None = None
    args: tuple[Argument, ...] = ()
    kwargs: tuple[tuple[str, Argument], ...] = ()
    bind: str | tuple[str, ...] | None = None

    def program(self) -> dict[str, Any]:
        """This step as :mod:`grader.sandbox.child.steps` reads it."""
        step: dict[str, Any] = {"call": self.call} if self.call is not None else \
            {"get": self.get} if self.get is not None else {"set": self.set, "value": self.value}
        if self.args:
            step["args"] = list(self.args)
        if self.kwargs:
            step["kwargs"] = dict(self.kwargs)
        if self.bind is not None:
            step["as"] = self.bind if isinstance(self.bind, str) else list(self.bind)
        return step


@dataclass(frozen=True)
class Part:
    id: str
    function: str
    points: float
    references: tuple[Callable[..., Any], ...]
    reference_refs: tuple[str, ...]
    groups: tuple[CaseGroup, ...]
    tolerance: Tolerance
    timeout: float
    scoring: str
    warnings: str
    compare: tuple[int, ...] | None = None  # which outputs of a tuple to compare
    # Parts of structured outputs to compare ("1.W1": output 1's key W1), by output index;
    # an output with no entry here is compared whole.
    compare_paths: tuple[tuple[int, tuple[tuple[str, ...], ...]], ...] = ()
    outputs: tuple[str, ...] | None = None  # names of the outputs, for messages
    checks: tuple[PropertyCheck, ...] = ()
    oracles: tuple[OracleSpec, ...] = ()
    wrong: tuple[str, ...] = ()  # known-wrong implementations, "module:function" in wrong/
    # The mistakes a failing answer may be named as: one per entry of ``wrong``, or, in a
    # student bundle (no wrong answers), as its ``mistakes:`` lists them (outputs stored).
    mistakes: tuple[KnownMistake, ...] = ()
    key: str = ""  # "parts[0]" in the problem file, for error messages
    # A call sequence (``steps:``): its steps and the paths it returns for comparison. Its
    # references (and known-wrong answers) are modules, not functions.
    steps: tuple[Step, ...] = ()
    returns: tuple[str, ...] = ()
    # A scenario (``scenario: module:function`` in reference/): trusted code that drives the
    # student's names through remote handles (grader.sandbox.remote); references are modules.
    scenario: Callable[..., Any] | None = None
    scenario_ref: str = ""
    one_reference: bool = False  # every case must match the same accepted reference

    @property
    def by_module(self) -> bool:
        """Whether references and known-wrong answers are modules (a call sequence or a
        scenario calls several names), not functions."""
        return bool(self.steps) or self.scenario is not None

    @property
    def program(self) -> dict[str, Any] | None:
        """The call sequence as :mod:`grader.sandbox.child.steps` runs it; None for a part
        that makes one call."""
        if not self.steps:
            return None
        return {"steps": [s.program() for s in self.steps], "returns": list(self.returns)}

    def picked(self, outputs: dict[int, Any]) -> dict[int, Any]:
        """``outputs`` with only the compared parts of structured outputs (``compare:``
        paths such as ``1.W1``)."""
        if not self.compare_paths:
            return outputs
        paths = dict(self.compare_paths)
        return {i: values.pick(v, paths[i]) if i in paths else v for i, v in outputs.items()}

    @property
    def case_count(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def draws_hidden(self) -> bool:
        """Whether some hidden case is drawn (not stored), so only the key can make it."""
        return any(g.stored is None and g.public < g.count for g in self.groups)

    def numbered_groups(self) -> Iterator[tuple[CaseGroup, tuple[int, ...]]]:
        """Each case group with the indices of its cases (see :meth:`CaseGroup.indices`)."""
        start = 0
        for group in self.groups:
            yield group, group.indices(start)
            start += group.count


@dataclass(frozen=True)
class Problem:
    id: str
    title: str
    points: float
    parts: tuple[Part, ...]
    file: Path


@dataclass(frozen=True)
class Package:
    """A package students may import beyond numpy and the standard library: its import name,
    and the distribution that provides it (``pip install`` it)."""

    name: str
    install: str
    optional: bool = False  # allowed where installed; grading does not need it (a plot)


@dataclass(frozen=True)
class Assignment:
    name: str
    module: str
    seed: int
    problems: tuple[Problem, ...]
    root: Path
    reference_dir: Path
    public_dir: Path
    wrong_dir: Path
    defaults: Defaults
    digest: str
    source_digest: str | None = None  # a student bundle: the digest it was exported from
    packages: tuple[Package, ...] = ()  # what students may import beyond numpy and stdlib
    notebooks: NotebookSettings = NotebookSettings()  # how a notebook submission runs
    # The secret key of the hidden cases (grader.spec.key), None when there is no key file.
    key: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def needs_key(self) -> bool:
        """Whether some hidden case is drawn, so that grading every case needs :attr:`key`."""
        return any(part.draws_hidden for p in self.problems for part in p.parts)

    @property
    def max_score(self) -> float:
        return sum(p.points for p in self.problems)

    @property
    def module_file(self) -> str:
        return f"{self.module}.py"

    @property
    def notebook_file(self) -> str:
        return f"{self.module}.ipynb"

    def problem(self, problem_id: str) -> Problem:
        for problem in self.problems:
            if problem.id == problem_id:
                return problem
        raise KeyError(problem_id)
