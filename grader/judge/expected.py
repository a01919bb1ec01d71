"""Expected outputs: the instructor's references run on each case, in the grader's process.

References are trusted code. A reference that raises or returns something that is not
numeric data is a bug in the assignment, reported as a :class:`SpecError` naming the part.
A part without a reference (a student bundle's) reads them from its stored cases instead.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader import _modules, values
from grader.cases.build import Case
from grader.cases.generators import BuiltArg
from grader.errors import SpecError
from grader.sandbox.child import steps
from grader.spec import Part, Problem


@dataclass(frozen=True)
class Output:
    """One reference's result for one case: the compared outputs, by index."""

    values: dict[int, Any]  # arrays, or structured values (grader.values)
    arity: int | None  # None: the function returns one value; n: a tuple of n
    warned: bool = False  # a known-wrong answer's: it emitted a warning (grader.judge.mistakes)


def materialize(value: Any, public_dir: Path) -> Any:
    """A fresh copy of a case input for a reference to use (and change, if it updates its
    arguments in place), with :class:`BuiltArg` values turned into the callables their
    builders make."""
    if isinstance(value, BuiltArg):
        builder = _modules.resolve(value.builder, public_dir)
        return builder(**{k: materialize(v, public_dir) for k, v in value.data.items()})
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: materialize(v, public_dir) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [materialize(v, public_dir) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return copy.copy(value)


def _normalize(result: Any, select: tuple[int, ...] | None) -> tuple[int | None, dict[int, Any]]:
    """A tuple is several outputs; anything else (a list included) is one array."""
    if isinstance(result, tuple):
        indices = select if select is not None else tuple(range(len(result)))
        return len(result), {i: result[i] for i in indices if i < len(result)}
    return None, {0: result}


def run_reference(fn: Callable[..., Any], case: Case, public_dir: Path,
                  select: tuple[int, ...] | None) -> Output:
    args = [materialize(a, public_dir) for a in case.args]
    kwargs = {k: materialize(v, public_dir) for k, v in case.kwargs.items()}
    result = fn(*args, **kwargs)
    arity, chosen = _normalize(result, select)
    outputs: dict[int, Any] = {}
    for index, value in chosen.items():
        outputs[index] = values.normalize(value, f"output {index}")
    return Output(outputs, arity)


def run_sequence(module: Any, program: dict[str, Any], case: Case, public_dir: Path) -> Output:
    """A call sequence's returned values, the reference module's names called (see
    :mod:`grader.sandbox.child.steps`): a tuple of as many outputs as it returns."""
    labels = steps.return_labels(program)
    try:
        returned, _ = steps.run(program, module, _given(case, public_dir), labels)
    except steps.StepFailed as failed:
        cause = f"{type(failed.cause).__name__}: {failed.cause}" if failed.cause is not None \
            else failed.reason
        raise ReferenceFailed(f"{failed.label}: {cause}") from None
    return Output({i: values.normalize(v, labels[i]) for i, v in enumerate(returned)},
                  len(returned))


def run_scenario(scenario: Callable[..., Any], module: Any, case: Case,
                 public_dir: Path) -> Output:
    """A scenario's result with the reference module in the student's place (see
    :mod:`grader.sandbox.remote`): a tuple is several outputs."""
    arity, chosen = _normalize(scenario(module, **_given(case, public_dir)), None)
    return Output({i: values.normalize(v, f"output {i}") for i, v in chosen.items()}, arity)


def _given(case: Case, public_dir: Path) -> dict[str, Any]:
    """A case's inputs by name (fresh copies), for a call sequence or a scenario."""
    return {name: materialize(v, public_dir) for name, v in case.named.items()}


def run_answer(part: Part, answer: Any, case: Case, public_dir: Path,
               pick: bool = True) -> Output:
    """What ``answer`` (trusted code: a reference, a variant of one, a known-wrong answer;
    a function, or a module for a call sequence or a scenario) gives on ``case``, run the
    way the part runs it: the compared outputs (``pick``: only the paths it compares)."""
    if part.scenario is not None:
        output = run_scenario(part.scenario, answer, case, public_dir)
    elif part.program is not None:
        output = run_sequence(answer, part.program, case, public_dir)
    else:
        output = run_reference(answer, case, public_dir, part.compare)
    return Output(part.picked(output.values), output.arity) if pick else output


class ReferenceFailed(Exception):
    """A reference's call sequence failed; the message names the step."""


def compute_expected(
    problem: Problem, part: Part, cases: Sequence[Case], public_dir: Path
) -> list[tuple[Output, ...]]:
    """For each case, the output of every accepted reference (in spec order)."""
    if not part.references:
        return stored_expected(part, cases)
    file = str(problem.file)
    out: list[tuple[Output, ...]] = []
    arity: int | None = None
    for case in cases:
        per_ref: list[Output] = []
        for ref, fn in zip(part.reference_refs, part.references, strict=True):
            try:
                output = run_answer(part, fn, case, public_dir, pick=False)
                for index, paths in part.compare_paths:
                    for keys in paths:
                        missing = values.path_problem(output.values.get(index), keys)
                        if missing:
                            raise SpecError(file, f"{part.key}.compare",
                                            f"'{index}.{'.'.join(keys)}': the reference's "
                                            f"output {index} on case {case.id}: {missing}")
                output = Output(part.picked(output.values), output.arity)
            except SpecError:
                raise
            except ReferenceFailed as exc:
                raise SpecError(file, f"{part.key}.reference",
                                f"{ref} failed on case {case.id}: {exc}") from None
            except Exception as exc:
                raise SpecError(file, f"{part.key}.reference",
                                f"{ref} failed on case {case.id}: "
                                f"{type(exc).__name__}: {exc}") from None
            if not per_ref and not out:
                arity = output.arity
            if output.arity != arity:
                raise SpecError(file, f"{part.key}.reference",
                                f"{ref} returned {_shape_word(output.arity)} on case {case.id}, "
                                f"but {_shape_word(arity)} elsewhere")
            per_ref.append(output)
        out.append(tuple(per_ref))
    if out and part.compare is not None and (arity is None or max(part.compare) >= arity):
        raise SpecError(file, f"{part.key}.compare",
                        f"selects outputs {list(part.compare)}, but the reference returns "
                        f"{_shape_word(arity)}")
    if out and part.outputs is not None and len(part.outputs) != (arity or 1):
        raise SpecError(file, f"{part.key}.outputs",
                        f"names {len(part.outputs)} output(s), but the reference returns "
                        f"{_shape_word(arity)}")
    return out


def stored_expected(part: Part, cases: Sequence[Case]) -> list[tuple[Output, ...]]:
    """The expected outputs that a part's stored cases carry (checked when the spec loaded)."""
    stored = {
        index: tuple(Output(dict(out.values), out.arity) for out in case.expected)
        for group, indices in part.numbered_groups() if group.stored is not None
        for index, case in zip(indices, group.stored.cases, strict=True)
    }
    return [stored[case.index] for case in cases]


def _shape_word(arity: int | None) -> str:
    return "a single value" if arity is None else f"a tuple of {arity}"
