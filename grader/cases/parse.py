"""The YAML of a case group's ``args``, ``kwargs`` and ``let`` entries, parsed into the
generators of :mod:`grader.cases.generators` (checked as they are read, so a mistake is one
line naming the key). ``problems/README.md``, "Values and generators", lists the forms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader._schema import Node, describe
from grader.cases.generators import (
    DTYPES,
    MAX_DEPTH,
    SPD,
    Build,
    Choice,
    Dim,
    Generator,
    Integers,
    Literal,
    Normal,
    OneHot,
    Plain,
    Probabilities,
    Ref,
    Structure,
    Uniform,
)
from grader.cases.shapes import DimExpr, ShapeSyntaxError, parse_dim, parse_shape


@dataclass(frozen=True)
class Scope:
    """What a generator may refer to: declared dimensions and earlier named values."""

    dims: frozenset[str]
    names: frozenset[str]
    check_builder: Any = None  # callable(node, "module:function") -> None, set by grader.spec


def parse_value(node: Node, scope: Scope) -> Generator:
    """Parse one ``args``/``let`` entry: a literal, or a one-key distribution mapping."""
    value = node.value
    if value is None:
        node.fail("expected a value or a generator, got nothing")
    if isinstance(value, (bool, int, float, str)):
        return Literal(value)
    if isinstance(value, list):
        return Literal(_literal_array(node, value, None))
    if not isinstance(value, dict):
        node.fail(f"expected a value or a generator, got {describe(value)}")
    kinds = [k for k in value if k in _DISTRIBUTIONS]
    if len(kinds) != 1:
        node.fail(
            "expected a mapping with exactly one generator key "
            f"({', '.join(_DISTRIBUTIONS)}), got keys {sorted(map(str, value))}"
        )
    kind = kinds[0]
    extra = [k for k in value if k not in (kind, "dtype", "with")]
    if extra or ("with" in value and kind != "builder"):
        bad = extra[0] if extra else "with"
        node.child(bad).fail(f"unknown key next to '{kind}'; expected only 'dtype'"
                             + (" or 'with'" if kind == "builder" else ""))
    dtype = None
    if "dtype" in value:
        dtype = node.child("dtype").choice(DTYPES)
    params = node.child(kind)
    try:
        return _PARSERS[kind](params, scope, dtype, node)
    except ShapeSyntaxError as exc:
        params.fail(str(exc))


def _literal_array(node: Node, value: list[Any], dtype: str | None) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=dtype or np.float64)
    except (ValueError, TypeError, OverflowError):
        node.fail("expected a rectangular list of numbers")
    return array


def _shape_params(
    params: Node, scope: Scope, keys: tuple[str, ...], need_shape: bool = False
) -> tuple[tuple[DimExpr, ...] | None, dict[str, float]]:
    """Params are either a shape list (shorthand) or a mapping with ``shape`` and ``keys``."""
    if params.value is None or isinstance(params.value, dict):
        if params.value is None:
            params = Node({}, params.file, params.path)
        params.mapping(required=("shape",) if need_shape else (), optional=("shape", *keys))
        shape = _optional_shape(params, scope)
        numbers = {k: params.child(k).number() for k in keys if params.has(k)}
        return shape, numbers
    try:
        return parse_shape(params.value, scope.dims), {}
    except ShapeSyntaxError as exc:
        params.fail(str(exc))


def _normal(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
    shape, p = _shape_params(params, scope, ("mean", "std"))
    if p.get("std", 1.0) < 0:
        params.child("std").fail("expected a number >= 0")
    return Normal(shape, p.get("mean", 0.0), p.get("std", 1.0), dtype)


def _uniform(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
    shape, p = _shape_params(params, scope, ("low", "high"))
    low, high = p.get("low", 0.0), p.get("high", 1.0)
    if low > high:
        params.fail(f"expected low <= high, got low={low:g}, high={high:g}")
    if not np.isfinite(high - low):
        params.fail(f"expected a finite range high - low, got low={low:g}, high={high:g}")
    return Uniform(shape, low, high, dtype)


def _integers(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
    params.mapping(required=("low", "high"), optional=("shape",))
    low, high = (_integer_bound(params.child(k), scope) for k in ("low", "high"))
    if isinstance(low, int) and isinstance(high, int) and low > high:
        params.fail(f"expected low <= high, got low={low}, high={high}")
    return Integers(_optional_shape(params, scope), low, high, dtype)


def _integer_bound(node: Node, scope: Scope) -> int | DimExpr:
    """An integer, or a dimension expression such as ``C-1`` (drawn with the case)."""
    if isinstance(node.value, str):
        try:
            return parse_dim(node.value, scope.dims)
        except ShapeSyntaxError as exc:
            node.fail(str(exc))
    if isinstance(node.value, bool) or not isinstance(node.value, int):
        node.fail(f"expected an integer or a dimension expression such as 'C-1', got "
                  f"{node.value!r}")
    return node.value


def _optional_shape(params: Node, scope: Scope) -> tuple[DimExpr, ...] | None:
    if not params.has("shape"):
        return None
    try:
        return parse_shape(params.value["shape"], scope.dims)
    except ShapeSyntaxError as exc:
        params.child("shape").fail(str(exc))


def _choice(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
    if isinstance(params.value, list):
        params = Node({"values": params.value}, params.file, params.path)
    params.mapping(required=("values",), optional=("shape",))
    values = params.child("values")
    items = tuple(v.number() if not isinstance(v.value, bool) else v.value
                  for v in values.elements())
    if not items:
        values.fail("expected at least one value")
    return Choice(items, _optional_shape(params, scope), dtype)


def _one_hot(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
    shape, _ = _shape_params(params, scope, (), need_shape=True)
    assert shape is not None
    return OneHot(shape, dtype)


def _probabilities(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
    shape, p = _shape_params(params, scope, ("concentration",), need_shape=True)
    assert shape is not None
    concentration = p.get("concentration", 1.0)
    if concentration <= 0:
        params.child("concentration").fail("expected a number > 0")
    return Probabilities(shape, concentration, dtype)


def _spd(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
    if not isinstance(params.value, dict):
        params = Node({"n": params.value}, params.file, params.path)
    params.mapping(required=("n",), optional=("min_eig", "max_eig"))
    n = parse_dim(params.value["n"], scope.dims)
    low = params.child("min_eig").number(positive=True) if params.has("min_eig") else 0.5
    high = params.child("max_eig").number(positive=True) if params.has("max_eig") else 5.0
    if low > high:
        params.fail(f"expected min_eig <= max_eig, got {low:g} > {high:g}")
    return SPD(n, low, high)


def _dim(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
    return Dim(parse_dim(params.value, scope.dims))


def _ref(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
    name = params.string()
    if name not in scope.names:
        params.fail(
            f"refers to {name!r}, which is not defined earlier; "
            f"defined: {', '.join(sorted(scope.names)) or 'none'}"
        )
    return Ref(name)


def _array(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
    if not isinstance(params.value, list):
        params.fail(f"expected a list of numbers, got {describe(params.value)}")
    return Literal(_literal_array(params, params.value, dtype))


def _dict(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
    if not isinstance(params.value, dict):
        params.fail(f"expected a mapping of key to value or generator, got "
                    f"{describe(params.value)}")
    _no_dtype(node, dtype)
    return Structure("dict", tuple((str(key), _entry(child, scope))
                                   for key, child in params.items()))


def _sequence(kind: str) -> Callable[[Node, Scope, str | None, Node], Generator]:
    def parse(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
        if not isinstance(params.value, list):
            params.fail(f"expected a list of values or generators, got {describe(params.value)}")
        _no_dtype(node, dtype)
        return Structure(kind, tuple((str(i), _entry(child, scope))
                                     for i, child in enumerate(params.elements())))
    return parse


def _entry(node: Node, scope: Scope) -> Generator:
    """An entry of a dict, list or tuple: a literal or generator, or ``null`` for None."""
    return Literal(None) if node.value is None else parse_value(node, scope)


def _literal(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
    _no_dtype(node, dtype)
    _check_plain(params, params.value, 0)
    return Plain(params.value)


def _check_plain(node: Node, value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        node.fail(f"expected at most {MAX_DEPTH} levels of lists and mappings")
    if value is None or isinstance(value, (bool, int, float, str)):
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_plain(node.child(i), item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                node.fail(f"expected string keys, got {describe(key)}")
            _check_plain(node.child(key), item, depth + 1)
        return
    node.fail(f"expected plain data (null, a string, a number, a list or a mapping), got "
              f"{describe(value)}")


def _no_dtype(node: Node, dtype: str | None) -> None:
    if dtype is not None:
        node.child("dtype").fail("dtype applies to arrays; give it to each entry instead")


def _builder(params: Node, scope: Scope, dtype: str | None, node: Node) -> Generator:
    ref = params.string()
    if ":" not in ref:
        params.fail(f"expected 'module:function', got {ref!r}")
    if scope.check_builder is not None:
        scope.check_builder(params, ref)
    data: list[tuple[str, Generator]] = []
    if node.has("with"):
        for name, child in node.child("with").items():
            data.append((name, parse_value(child, scope)))
    return Build(ref, tuple(data))


_PARSERS = {
    "normal": _normal,
    "uniform": _uniform,
    "integers": _integers,
    "choice": _choice,
    "one_hot": _one_hot,
    "probabilities": _probabilities,
    "spd": _spd,
    "dim": _dim,
    "ref": _ref,
    "array": _array,
    "builder": _builder,
    "dict": _dict,
    "list": _sequence("list"),
    "tuple": _sequence("tuple"),
    "literal": _literal,
}
_DISTRIBUTIONS = tuple(_PARSERS)  # the generator keys, in the order messages list them
