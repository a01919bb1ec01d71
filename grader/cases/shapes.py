"""Dimension expressions such as ``N``, ``3``, ``D+1`` or ``2*(K-1)`` used in shapes.

They are parsed once, when the spec loads, by a small recursive-descent parser: nothing is
ever passed to ``eval``. A parsed :class:`DimExpr` evaluates against the dimensions drawn
for one case.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_]\w*)|(//|[-+*()]))")


MAX_ELEMENTS = 10**8  # one generated input; larger ones are a spec mistake, not a test


class ShapeSyntaxError(ValueError):
    """A dimension expression does not parse or names an unknown dimension."""


@dataclass(frozen=True)
class DimExpr:
    """A parsed integer expression over named dimensions."""

    text: str
    _rpn: tuple[str | int, ...]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(_names(self._rpn))

    def evaluate(self, dims: Mapping[str, int]) -> int:
        stack: list[int] = []
        for token in self._rpn:
            if isinstance(token, int):
                stack.append(token)
            elif token in _BINARY:
                right, left = stack.pop(), stack.pop()
                stack.append(_BINARY[token](left, right))
            elif token == "neg":
                stack.append(-stack.pop())
            else:
                stack.append(dims[token])
        return stack[0]


def _floordiv(a: int, b: int) -> int:
    return a // b if b else 0


_BINARY: dict[str, Callable[[int, int], int]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "//": _floordiv,
}


def _names(rpn: list[str | int] | tuple[str | int, ...]) -> set[str]:
    return {t for t in rpn if isinstance(t, str) and t not in _BINARY and t != "neg"}


def parse_dim(text: object, known: frozenset[str] | None = None) -> DimExpr:
    """Parse ``text`` into a :class:`DimExpr`; ``known`` restricts the names allowed."""
    if isinstance(text, bool):
        raise ShapeSyntaxError(f"expected a dimension, got {text!r}")
    if isinstance(text, int):
        if text < 0:
            raise ShapeSyntaxError(f"a dimension cannot be negative, got {text}")
        return DimExpr(str(text), (text,))
    if not isinstance(text, str):
        raise ShapeSyntaxError(f"expected a dimension name or expression, got {text!r}")
    tokens: list[str | int] = []
    pos = 0
    source = text.strip()
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if not match or match.end() == pos:
            raise ShapeSyntaxError(f"bad dimension expression {text!r} at {source[pos:]!r}")
        number, name, op = match.groups()
        tokens.append(int(number) if number is not None else (name or op))
        pos = match.end()
    if not tokens:
        raise ShapeSyntaxError("empty dimension expression")
    parser = _Parser(tokens, text)
    rpn = parser.expression()
    if parser.pos != len(tokens):
        raise ShapeSyntaxError(f"bad dimension expression {text!r}")
    unknown = _names(rpn)
    if known is not None and unknown - known:
        missing = ", ".join(sorted(unknown - known))
        raise ShapeSyntaxError(
            f"dimension expression {text!r} uses undeclared dimension {missing}; "
            f"declared: {', '.join(sorted(known)) or 'none'}"
        )
    return DimExpr(text, tuple(rpn))


class _Parser:
    """expression := term (('+'|'-') term)*;  term := factor (('*'|'//') factor)*."""

    def __init__(self, tokens: list[str | int], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.pos = 0

    def _peek(self) -> str | int | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def expression(self) -> list[str | int]:
        out = self.term()
        while self._peek() in ("+", "-"):
            op = self.tokens[self.pos]
            self.pos += 1
            out += [*self.term(), op]
        return out

    def term(self) -> list[str | int]:
        out = self.factor()
        while self._peek() in ("*", "//"):
            op = self.tokens[self.pos]
            self.pos += 1
            out += [*self.factor(), op]
        return out

    def factor(self) -> list[str | int]:
        token = self._peek()
        self.pos += 1
        if isinstance(token, int):
            return [token]
        if token == "-":
            return [*self.factor(), "neg"]
        if token == "(":
            inner = self.expression()
            if self._peek() != ")":
                raise ShapeSyntaxError(f"bad dimension expression {self.text!r}: missing ')'")
            self.pos += 1
            return inner
        if isinstance(token, str) and (token[0].isalpha() or token[0] == "_"):
            return [token]
        raise ShapeSyntaxError(f"bad dimension expression {self.text!r}")


def parse_shape(value: object, known: frozenset[str] | None = None) -> tuple[DimExpr, ...]:
    """A shape is a list of dimensions; a single dimension means a 1-D shape."""
    if isinstance(value, (list, tuple)):
        return tuple(parse_dim(v, known) for v in value)
    return (parse_dim(value, known),)


def evaluate_shape(shape: tuple[DimExpr, ...], dims: Mapping[str, int]) -> tuple[int, ...]:
    out = tuple(d.evaluate(dims) for d in shape)
    texts = ", ".join(d.text for d in shape)
    if any(n < 0 for n in out):
        raise ValueError(f"shape ({texts}) evaluates to {out} with dims {dict(dims)}")
    size = 1
    for n in out:
        size *= n
    if size > MAX_ELEMENTS:
        raise ValueError(f"shape ({texts}) evaluates to {out}: more than {MAX_ELEMENTS:,} "
                         f"elements in one input")
    return out
