"""Declarative value generators: the ``args`` and ``let`` entries of a case group.

Each generator is an immutable value, validated when the spec loads, with a
``draw(rng, env)`` method. Randomness enters only through the ``np.random.Generator`` that
the case builder passes in, so a case is a pure function of its seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from grader.cases.shapes import DimExpr, evaluate_shape


@dataclass(frozen=True)
class BuiltArg:
    """An argument that is a function, built from plain data by a public builder.

    ``builder`` is ``"module:function"`` in the assignment's public folder; calling
    ``function(**data)`` returns the callable. Only the data crosses to the student's process,
    which rebuilds the callable there.
    """

    builder: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Env:
    """What a case has drawn so far: its dimensions and named values."""

    dims: dict[str, int]
    values: dict[str, Any]


class Generator(Protocol):
    def draw(self, rng: np.random.Generator, env: Env) -> Any: ...


DTYPES = ("float64", "float32", "int64", "int32", "bool")


def _finish(value: np.ndarray, dtype: str | None, scalar: bool) -> Any:
    if dtype is not None:
        value = value.astype(dtype)
    if scalar:
        return value.item()
    return value


@dataclass(frozen=True)
class Literal:
    value: Any

    def draw(self, rng: np.random.Generator, env: Env) -> Any:
        return copy_value(self.value)


@dataclass(frozen=True)
class Normal:
    shape: tuple[DimExpr, ...] | None
    mean: float = 0.0
    std: float = 1.0
    dtype: str | None = None

    def draw(self, rng: np.random.Generator, env: Env) -> Any:
        shape = () if self.shape is None else evaluate_shape(self.shape, env.dims)
        return _finish(rng.normal(self.mean, self.std, size=shape), self.dtype, self.shape is None)


@dataclass(frozen=True)
class Uniform:
    shape: tuple[DimExpr, ...] | None
    low: float = 0.0
    high: float = 1.0
    dtype: str | None = None

    def draw(self, rng: np.random.Generator, env: Env) -> Any:
        shape = () if self.shape is None else evaluate_shape(self.shape, env.dims)
        return _finish(rng.uniform(self.low, self.high, size=shape), self.dtype, self.shape is None)


@dataclass(frozen=True)
class Integers:
    """Integers in ``[low, high]``, both ends included; a bound may be a dimension
    expression (``high: C-1``), evaluated per case."""

    shape: tuple[DimExpr, ...] | None
    low: int | DimExpr = 0
    high: int | DimExpr = 1
    dtype: str | None = None

    def draw(self, rng: np.random.Generator, env: Env) -> Any:
        shape = () if self.shape is None else evaluate_shape(self.shape, env.dims)
        low, high = (_bound(b, env) for b in (self.low, self.high))
        if low > high:
            raise ValueError(f"integers: low {low} > high {high} in this case")
        value = rng.integers(low, high, size=shape, endpoint=True)
        return _finish(value, self.dtype, self.shape is None)


def _bound(bound: int | DimExpr, env: Env) -> int:
    return bound if isinstance(bound, int) else bound.evaluate(env.dims)


@dataclass(frozen=True)
class Choice:
    values: tuple[Any, ...]
    shape: tuple[DimExpr, ...] | None = None
    dtype: str | None = None

    def draw(self, rng: np.random.Generator, env: Env) -> Any:
        shape = () if self.shape is None else evaluate_shape(self.shape, env.dims)
        picks = rng.integers(0, len(self.values), size=shape)
        value = np.asarray(self.values)[picks]
        return _finish(np.asarray(value), self.dtype, self.shape is None)


@dataclass(frozen=True)
class OneHot:
    """One-hot rows along the last axis of ``shape`` (classes are the last dimension)."""

    shape: tuple[DimExpr, ...]
    dtype: str | None = None

    def draw(self, rng: np.random.Generator, env: Env) -> Any:
        shape = evaluate_shape(self.shape, env.dims)
        classes = shape[-1]
        labels = rng.integers(0, classes, size=shape[:-1]) if classes else np.zeros(shape[:-1])
        out = np.zeros(shape)
        if classes:
            np.put_along_axis(out, labels[..., None].astype(np.intp), 1.0, axis=-1)
        return _finish(out, self.dtype, False)


@dataclass(frozen=True)
class Probabilities:
    """Rows on the probability simplex along the last axis (Dirichlet draws)."""

    shape: tuple[DimExpr, ...]
    concentration: float = 1.0
    dtype: str | None = None

    def draw(self, rng: np.random.Generator, env: Env) -> Any:
        shape = evaluate_shape(self.shape, env.dims)
        alpha = np.full(shape[-1], self.concentration)
        out = rng.dirichlet(alpha, size=shape[:-1]) if shape[-1] else np.zeros(shape)
        return _finish(out, self.dtype, False)


@dataclass(frozen=True)
class SPD:
    """A symmetric positive-definite ``n x n`` matrix with eigenvalues in a range."""

    n: DimExpr
    min_eig: float = 0.5
    max_eig: float = 5.0

    def draw(self, rng: np.random.Generator, env: Env) -> Any:
        n = self.n.evaluate(env.dims)
        q, _ = np.linalg.qr(rng.normal(size=(n, n)))
        eigs = rng.uniform(self.min_eig, self.max_eig, size=n)
        out = (q * eigs) @ q.T
        return (out + out.T) / 2.0


@dataclass(frozen=True)
class Dim:
    """The integer value of a dimension expression, e.g. ``n`` for ``centering_jacobian``."""

    expr: DimExpr

    def draw(self, rng: np.random.Generator, env: Env) -> Any:
        return self.expr.evaluate(env.dims)


@dataclass(frozen=True)
class Ref:
    """The value drawn earlier under ``name`` (in ``let`` or a previous argument)."""

    name: str

    def draw(self, rng: np.random.Generator, env: Env) -> Any:
        return copy_value(env.values[self.name])


@dataclass(frozen=True)
class Build:
    """A function-valued argument: a builder reference and the generators of its data."""

    builder: str
    data: tuple[tuple[str, Generator], ...]

    def draw(self, rng: np.random.Generator, env: Env) -> Any:
        return BuiltArg(self.builder, {name: gen.draw(rng, env) for name, gen in self.data})


@dataclass(frozen=True)
class Structure:
    """A dict, list or tuple whose entries are values or generators, drawn in order (a
    dict's keys are strings; a list or tuple's "keys" are only positions)."""

    kind: str  # "dict", "list" or "tuple"
    entries: tuple[tuple[str, Generator], ...]

    def draw(self, rng: np.random.Generator, env: Env) -> Any:
        drawn = [(key, gen.draw(rng, env)) for key, gen in self.entries]
        if self.kind == "dict":
            return dict(drawn)
        values = [value for _, value in drawn]
        return values if self.kind == "list" else tuple(values)


@dataclass(frozen=True)
class Plain:
    """Plain data given as it is (``{literal: ...}``): None, strings, numbers, booleans, and
    lists and string-keyed dicts of them, kept as lists and dicts (not arrays)."""

    value: Any

    def draw(self, rng: np.random.Generator, env: Env) -> Any:
        return copy_value(self.value)


def copy_value(value: Any) -> Any:
    """A copy of a case value that shares nothing anyone could change: arrays, dicts, lists
    and tuples copied all the way down (a BuiltArg's data too)."""
    if isinstance(value, BuiltArg):
        return BuiltArg(value.builder, {k: copy_value(v) for k, v in value.data.items()})
    if isinstance(value, dict):
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [copy_value(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return value.copy() if isinstance(value, np.ndarray) else value


MAX_DEPTH = 16  # containers within containers, in an argument


def draw_all(
    gens: tuple[tuple[str, Generator], ...], rng: np.random.Generator, env: Env
) -> dict[str, Any]:
    """Draw named generators in order; each result is visible to later ones."""
    out: dict[str, Any] = {}
    for name, gen in gens:
        out[name] = env.values[name] = gen.draw(rng, env)
    return out


def draw_dims(dims: Mapping[str, tuple[int, int]], rng: np.random.Generator) -> dict[str, int]:
    return {name: int(rng.integers(lo, hi, endpoint=True)) for name, (lo, hi) in dims.items()}
