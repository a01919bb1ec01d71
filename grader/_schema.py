"""Typed access to parsed YAML that raises :class:`SpecError` naming file and key path.

Spec loading walks the YAML tree through :class:`Node` values, so every complaint knows
where it is: ``problems/hw2/q1.yaml: parts[0].tolerance.rtol: expected a number >= 0, got 'x'``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from grader.errors import SpecError


def describe(value: Any) -> str:
    """A short, safe rendering of a YAML value for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Node:
    """A YAML value together with the file it came from and its key path."""

    value: Any
    file: str
    path: str = ""

    def fail(self, message: str) -> NoReturn:
        raise SpecError(self.file, self.path, message)

    def child(self, key: str | int) -> Node:
        if isinstance(key, int):
            path = f"{self.path}[{key}]"
        else:
            path = f"{self.path}.{key}" if self.path else key
        value = self.value[key] if key in self._keys() else None
        return Node(value, self.file, path)

    def _keys(self) -> Sequence[Any]:
        if isinstance(self.value, dict):
            return list(self.value)
        if isinstance(self.value, list):
            return range(len(self.value))
        return ()

    # --- shape checks -------------------------------------------------------------------

    def mapping(self, required: Sequence[str] = (), optional: Sequence[str] = ()) -> Node:
        """Check that this is a mapping with exactly the allowed keys."""
        if not isinstance(self.value, dict):
            self.fail(f"expected a mapping, got {describe(self.value)}")
        allowed = [*required, *optional]
        for key in self.value:
            if not isinstance(key, str):
                self.fail(f"keys must be strings, got {describe(key)}")
            if key not in allowed:
                where = Node(None, self.file, f"{self.path}.{key}" if self.path else key)
                where.fail(f"unknown key; expected one of: {', '.join(allowed)}")
        for key in required:
            if key not in self.value:
                self.child(key).fail("missing required key")
        return self

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def items(self) -> Iterator[tuple[str, Node]]:
        if not isinstance(self.value, dict):
            self.fail(f"expected a mapping, got {describe(self.value)}")
        for key in self.value:
            if not isinstance(key, str):
                self.fail(f"keys must be strings, got {describe(key)}")
            yield key, self.child(key)

    def elements(self) -> list[Node]:
        if not isinstance(self.value, list):
            self.fail(f"expected a list, got {describe(self.value)}")
        return [self.child(i) for i in range(len(self.value))]

    def string(self) -> str:
        if not isinstance(self.value, str) or not self.value:
            self.fail(f"expected a non-empty string, got {describe(self.value)}")
        return self.value

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            self.fail(f"expected true or false, got {describe(self.value)}")
        return self.value

    def integer(self, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"expected an integer, got {describe(value)}")
        if minimum is not None and value < minimum:
            self.fail(f"expected an integer >= {minimum}, got {value}")
        if maximum is not None and value > maximum:
            self.fail(f"expected an integer <= {maximum}, got {value}")
        return value

    def number(self, minimum: float | None = None, positive: bool = False,
               maximum: float | None = None) -> float:
        value = self.value
        if isinstance(value, str):
            # YAML 1.1 reads "1e-5" (no dot) as a string; accept it as the number it means.
            with contextlib.suppress(ValueError):
                value = float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"expected a number, got {describe(self.value)}")
        value = float(value)
        if not math.isfinite(value):
            self.fail(f"expected a finite number, got {self.value}")
        if positive and not value > 0:
            self.fail(f"expected a number > 0, got {self.value}")
        if minimum is not None and value < minimum:
            self.fail(f"expected a number >= {minimum:g}, got {self.value}")
        if maximum is not None and value > maximum:
            self.fail(f"expected a number <= {maximum:g}, got {self.value}")
        return value

    def choice(self, options: Sequence[str]) -> str:
        if self.value not in options:
            self.fail(f"expected one of {', '.join(options)}, got {describe(self.value)}")
        return str(self.value)

    def string_list(self) -> list[str]:
        """A string or a list of strings, as a list."""
        if isinstance(self.value, str):
            return [self.string()]
        items = [node.string() for node in self.elements()]
        if not items:
            self.fail("expected at least one entry")
        return items
