"""Seeded test cases: every case is a pure function of (seed or key, problem, part, case index).

Public cases are drawn from the assignment's seed, hidden cases from its secret key
(:mod:`grader.spec.key`), so the public cases say nothing about the hidden ones.

The case index counts across a part's case groups in spec order, so appending a group never
changes the cases before it. Stored cases (``stored:`` groups) come from their file instead,
keeping the index the file gives them. Nothing here touches global random state.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.cases.generators import MAX_DEPTH, BuiltArg, Env, draw_all, draw_dims
from grader.cases.stored import StoredCase
from grader.display import summarize
from grader.errors import SpecError
from grader.spec import Assignment, CaseGroup, Part, Problem


@dataclass(frozen=True)
class Case:
    """One call of a student function: its id, visibility and inputs."""

    id: str  # "q1/sigmoid/3"
    problem: str
    part: str
    index: int
    group: str
    public: bool
    arg_names: tuple[str, ...]
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]

    @property
    def named(self) -> dict[str, Any]:
        """Every input by name, positional ones first (a call sequence and a scenario take
        them so)."""
        return {**dict(zip(self.arg_names, self.args, strict=True)), **self.kwargs}

    @functools.cached_property
    def summary_text(self) -> str:
        items = [f"{n}={summarize(v)}" for n, v in zip(self.arg_names, self.args, strict=True)]
        items += [f"{n}={summarize(v)}" for n, v in self.kwargs.items()]
        return ", ".join(items)

    def summary(self) -> str:
        """A one-line description of the inputs, safe to print (computed once per case)."""
        return self.summary_text


def _label(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def case_rng(seed: int, problem: str, part: str, index: int) -> np.random.Generator:
    """The random generator of one case; independent of every other case. ``seed`` is the
    public seed, or a hidden case's :func:`hidden_entropy`."""
    return np.random.default_rng(
        np.random.SeedSequence([seed, _label(problem), _label(part), index]))


def part_case_ids(part: Part, problem: Problem) -> list[tuple[str, bool]]:
    """(id, public) of every case of ``part``, without drawing any."""
    return [(case_id(problem.id, part.id, index), k < group.public)
            for group, indices in part.numbered_groups() for k, index in enumerate(indices)]


def hidden_entropy(key: bytes, seed: int) -> int:
    """The root of a run's hidden cases: a keyed hash of its public seed under the
    assignment's secret key (:mod:`grader.spec.key`)."""
    digest = hmac.new(key, f"hidden cases:{seed}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest, "big")


def case_id(problem: str, part: str, index: int) -> str:
    return f"{problem}/{part}/{index}"


def build_part_cases(part: Part, problem: Problem, seed: int, key: bytes | None,
                     public_only: bool = False) -> tuple[Case, ...]:
    """The cases of ``part``: public ones from ``seed``, hidden ones from ``key`` (and
    ``seed``); ``public_only`` leaves the hidden ones out, so it needs no key."""
    cases: list[Case] = []
    hidden_seed: int | None = None
    for group, indices in part.numbered_groups():
        for k, index in enumerate(indices):
            public = k < group.public
            if public_only and not public:
                continue
            if group.stored is not None:
                names, args, kwargs = _from_stored(group.stored.cases[k])
            else:
                source = seed
                if not public:
                    if key is None:
                        raise ValueError("hidden cases are drawn from the key; none was given")
                    if hidden_seed is None:
                        hidden_seed = hidden_entropy(key, seed)
                    source = hidden_seed
                rng = case_rng(source, problem.id, part.id, index)
                names, args, kwargs = _draw_group(group, rng)
            if part.program is None and part.scenario is None and cases and \
                    _reordered(names, cases[0].arg_names):
                # (positional arguments: a generator's names in another order would pass
                # them to the wrong parameters)
                raise SpecError(group.file, f"{group.key}.generator" if group.generator
                                else group.key,
                                f"case {index} passes the arguments "
                                f"{', '.join(names) or 'none'}, but case "
                                f"{cases[0].index} passes {', '.join(cases[0].arg_names)}: "
                                "an argument both pass must be at the same position (they are "
                                "passed by position)")
            cases.append(Case(
                id=case_id(problem.id, part.id, index),
                problem=problem.id,
                part=part.id,
                index=index,
                group=group.name,
                public=public,
                arg_names=names,
                args=args,
                kwargs=kwargs,
            ))
    return tuple(cases)


def _reordered(names: tuple[str, ...], first: tuple[str, ...]) -> bool:
    """Whether an argument name both lists hold sits at different positions (a generator
    function's dict in another order than the declared groups)."""
    return any(name in first and first.index(name) != i for i, name in enumerate(names))


def build_cases(assignment: Assignment, seed: int | None = None, public_only: bool = False
                ) -> dict[str, tuple[Case, ...]]:
    """All cases of an assignment (the hidden ones from its key), keyed by ``problem/part``."""
    seed = assignment.seed if seed is None else seed
    return {
        f"{problem.id}/{part.id}": build_part_cases(part, problem, seed, assignment.key,
                                                    public_only)
        for problem in assignment.problems
        for part in problem.parts
    }


def _draw_group(
    group: CaseGroup, rng: np.random.Generator
) -> tuple[tuple[str, ...], tuple[Any, ...], dict[str, Any]]:
    if group.generator is not None:
        return _from_generator(group, rng)
    try:
        env = Env(dims=draw_dims(group.dims, rng), values={})
        draw_all(group.let, rng, env)
        args = draw_all(group.args, rng, env)
        kwargs = draw_all(group.kwargs, rng, env)
    except (ValueError, KeyError, OverflowError, MemoryError) as exc:
        raise SpecError(group.file, group.key,
                        f"cannot draw a case: {type(exc).__name__}: {exc}") from None
    return tuple(args), tuple(args.values()), kwargs


def _from_stored(
    case: StoredCase,
) -> tuple[tuple[str, ...], tuple[Any, ...], dict[str, Any]]:
    return tuple(case.args), tuple(case.args.values()), dict(case.kwargs)


def _from_generator(
    group: CaseGroup, rng: np.random.Generator
) -> tuple[tuple[str, ...], tuple[Any, ...], dict[str, Any]]:
    assert group.generator is not None
    where = f"{group.key}.generator"
    try:
        produced = group.generator(rng, **group.generator_options)
    except Exception as exc:
        raise SpecError(group.file, where,
                        f"{group.generator_ref} raised {type(exc).__name__}: {exc}") from None
    if not isinstance(produced, Mapping) or not all(isinstance(k, str) for k in produced):
        raise SpecError(group.file, where,
                        f"{group.generator_ref} must return a mapping of argument name to "
                        f"value, got {type(produced).__name__}")
    args: dict[str, Any] = {}
    kwargs: dict[str, Any] = {}
    for name, value in produced.items():
        problem = check_input(value)
        if problem:
            raise SpecError(group.file, where,
                            f"{group.generator_ref} returned {name}={problem}")
        args[name] = value
    for name, gen in group.kwargs:
        kwargs[name] = gen.draw(rng, Env({}, dict(args)))
    return tuple(args), tuple(args.values()), kwargs


def check_input(value: Any, depth: int = 0) -> str | None:
    """Why ``value`` cannot be sent to a student process, or None if it can: plain data
    (arrays, numbers, booleans, strings, None, and dicts with string keys, lists and tuples
    of them, at most :data:`~grader.cases.generators.MAX_DEPTH` deep) or a BuiltArg."""
    if depth > MAX_DEPTH:
        return f"nested more than {MAX_DEPTH} deep"
    if isinstance(value, BuiltArg):
        items: Any = value.data.values()
    elif isinstance(value, dict):
        bad = next((k for k in value if not isinstance(k, str)), None)
        if bad is not None:
            return f"a dict with a key {bad!r}, expected string keys"
        items = value.values()
    elif isinstance(value, (list, tuple)):
        items = value
    elif value is None or isinstance(value, (bool, int, float, str, np.generic)):
        return None
    elif isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return f"an array of dtype {value.dtype}, expected numbers or booleans"
        return None
    else:
        return (f"a {type(value).__name__}, expected an array, a number, a string, None, a "
                "dict, list or tuple of them, or a BuiltArg")
    for item in items:
        problem = check_input(item, depth + 1)
        if problem:
            return problem
    return None
