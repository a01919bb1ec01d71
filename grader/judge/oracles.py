"""Reference oracles: independent checks of the instructor's reference, run by ``validate``.

A wrong reference takes marks from every student, so each part may declare oracles that do
not depend on it:

- ``gradient``, ``jacobian``, ``hessian``: central finite differences of a declared function
  with respect to one argument, compared with one output of the reference;
- ``function``: an independent computation of the expected output (for example, a known
  minimiser by construction). It receives the case's arguments as drawn, function-valued
  ones as :class:`~grader.cases.generators.BuiltArg`, so it can read the data behind them;
- ``monte_carlo``: like ``function``, but it also receives ``rng`` (seeded per case) and
  ``samples``; its tolerance must be justified by the sample size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grader.cases.build import Case, case_rng
from grader.cases.generators import copy_value
from grader.judge.compare import Verdict, compare_array
from grader.judge.expected import Output, materialize
from grader.sandbox.child import steps
from grader.spec import OracleSpec


def estimate(oracle: OracleSpec, case: Case, public_dir: Path, seed: int) -> np.ndarray:
    """The oracle's independent value of the checked output on ``case``."""
    if oracle.kind in ("function", "monte_carlo"):
        extra: dict[str, Any] = {}
        if oracle.kind == "monte_carlo":
            extra = {"rng": case_rng(seed, case.problem, f"{case.part}#oracle", case.index),
                     "samples": oracle.samples}
        args = [copy_value(a) for a in case.args]
        kwargs = {k: copy_value(v) for k, v in case.kwargs.items()}
        return np.asarray(oracle.function(*args, **kwargs, **extra), dtype=float)
    args = [materialize(a, public_dir) for a in case.args]
    kwargs = {k: materialize(v, public_dir) for k, v in case.kwargs.items()}
    wrt = oracle.wrt
    assert wrt is not None
    if wrt not in kwargs and wrt not in case.arg_names:
        raise ValueError(f"wrt: {wrt!r} is not an argument of this case (it has "
                         f"{', '.join((*case.arg_names, *kwargs)) or 'none'})")
    in_kwargs = wrt in kwargs
    position = -1 if in_kwargs else list(case.arg_names).index(wrt)
    whole = kwargs[wrt] if in_kwargs else args[position]
    base = _at(whole, oracle.wrt_keys, f"wrt: {wrt}")

    def call(x: np.ndarray) -> np.ndarray:
        value = _replaced(whole, oracle.wrt_keys, _like(x, base))
        new_args, new_kwargs = list(args), dict(kwargs)
        if in_kwargs:
            new_kwargs[wrt] = value
        else:
            new_args[position] = value
        return np.asarray(oracle.function(*new_args, **new_kwargs), dtype=float)

    x0 = np.asarray(base, dtype=float)
    if oracle.kind == "hessian":
        return central_hessian(call, x0, oracle.step)
    return central_jacobian(call, x0, oracle.step)


def verify(oracle: OracleSpec, case: Case, expected: Output, public_dir: Path,
           seed: int) -> Verdict:
    """Does the reference's output agree with the oracle on ``case``?"""
    value = estimate(oracle, case, public_dir, seed)
    output = oracle.output_text or ".".join((str(oracle.output), *oracle.output_keys))
    if oracle.output not in expected.values:
        return Verdict(False, f"the reference has no output {oracle.output}")
    try:
        got = _at(expected.values[oracle.output], oracle.output_keys, f"output {output}")
    except ValueError as exc:
        return Verdict(False, f"the reference's {exc}")
    if not isinstance(got, (np.ndarray, float, int)) or isinstance(got, bool):
        return Verdict(False, f"the reference's output {output} is not an array; an oracle "
                              "checks arrays")
    return compare_array(np.asarray(got, dtype=float), value, oracle.tolerance,
                         f"the reference's output {output} (got) against the oracle "
                         "(expected)")


def _at(value: Any, keys: tuple[str, ...], what: str) -> Any:
    """The part of ``value`` that ``keys`` lead to, as a call sequence's paths go (dict
    keys, list and tuple indices)."""
    try:
        for key in keys:
            value = steps.step_into(value, key, what)
    except steps.PathError as exc:
        raise ValueError(str(exc)) from None
    return value


def _replaced(value: Any, keys: tuple[str, ...], leaf: Any) -> Any:
    """A copy of ``value`` with the part at ``keys`` replaced by ``leaf``."""
    if not keys:
        return leaf
    if isinstance(value, dict):
        return {**value, keys[0]: _replaced(value[keys[0]], keys[1:], leaf)}
    items = list(value)
    items[int(keys[0])] = _replaced(items[int(keys[0])], keys[1:], leaf)
    return items if isinstance(value, list) else tuple(items)


def _like(x: np.ndarray, base: Any) -> Any:
    """Give the perturbed value the same kind (Python float vs array) as the original."""
    return float(x) if not isinstance(base, np.ndarray) else x


def central_jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                     h: float) -> np.ndarray:
    """``J[..., i] = d f(x)[...] / d x_i`` by central differences; shape f.shape + x.shape."""
    x = np.asarray(x, dtype=float)
    out = np.asarray(f(x))
    flat = x.reshape(-1)
    columns = []
    for i in range(flat.size):
        step = np.zeros_like(flat)
        step[i] = h
        plus = f((flat + step).reshape(x.shape))
        minus = f((flat - step).reshape(x.shape))
        columns.append((np.asarray(plus) - np.asarray(minus)) / (2 * h))
    jac = np.stack(columns, axis=-1) if columns else np.zeros((*out.shape, 0))
    return jac.reshape(out.shape + x.shape)


def central_hessian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                    h: float) -> np.ndarray:
    """The Hessian of a scalar ``f`` by the four-point central formula."""
    flat = x.reshape(-1)
    n = flat.size
    hess = np.empty((n, n))
    eye = np.eye(n) * h

    def g(v: np.ndarray) -> float:
        return float(f(v.reshape(x.shape)))

    for i in range(n):
        for j in range(i, n):
            value = (g(flat + eye[i] + eye[j]) - g(flat + eye[i] - eye[j])
                     - g(flat - eye[i] + eye[j]) + g(flat - eye[i] - eye[j])) / (4 * h * h)
            hess[i, j] = hess[j, i] = value
    return hess.reshape(x.shape + x.shape)


def verify_all(oracles: Sequence[OracleSpec], cases: Sequence[Case],
               expected: Sequence[tuple[Output, ...]], public_dir: Path,
               seed: int, references: Sequence[str] = ()) -> list[str]:
    """Problems found by the oracles in every accepted reference (named by ``references``),
    one line per oracle and reference: its first disagreeing case."""
    problems = []
    for oracle in oracles:
        problems += _check_references(oracle, cases, expected, public_dir, seed, references)
    return problems


def _check_references(oracle: OracleSpec, cases: Sequence[Case],
                      expected: Sequence[tuple[Output, ...]], public_dir: Path, seed: int,
                      references: Sequence[str]) -> list[str]:
    problems = []
    for number in range(len(expected[0]) if expected else 0):
        name = f"the reference {references[number]}" if len(references) > 1 \
            else "the reference"
        for case, outputs in zip(cases, expected, strict=True):
            try:
                verdict = verify(oracle, case, outputs[number], public_dir, seed)
            except Exception as exc:  # the oracle itself failed: no use trying the others
                return [f"oracle '{oracle.name}' ({oracle.ref}) failed on case {case.id}: "
                        f"{type(exc).__name__}: {exc}"]
            if not verdict.passed:
                problems.append(f"oracle '{oracle.name}' disagrees with {name} on case "
                                f"{case.id}: {verdict.message}")
                break
    return problems
