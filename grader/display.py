"""How values and text are shown: input and output values short and safe for any size, and
text bound for a terminal made inert (:func:`printable`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.cases.generators import BuiltArg


def summarize(value: Any, limit: int = 6) -> str:
    """A short, human-readable description of one input value."""
    if isinstance(value, BuiltArg):
        inner = ", ".join(f"{k}={summarize(v, 3)}" for k, v in value.data.items())
        return f"{value.builder.partition(':')[2]}({inner})"
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _input_number(value.item())
        if value.size <= limit and value.ndim == 1:
            return "[" + ", ".join(_input_number(v) for v in value.tolist()) + "]"
        shape = "x".join(str(n) for n in value.shape)
        if value.size and value.dtype.kind in "iuf":
            finite = value[np.isfinite(value)] if value.dtype.kind == "f" else value
            if finite.size:
                return (f"array {shape} {value.dtype} in "
                        f"[{format_number(finite.min())}, {format_number(finite.max())}]")
        return f"array {shape} {value.dtype}"
    if isinstance(value, (bool, int, float, np.generic)):
        return _input_number(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{k!r}: {summarize(v, 3)}" for k, v in list(value.items())[:limit])
        return "{" + inner + (", ..." if len(value) > limit else "") + "}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(summarize(v, 3) for v in value[:limit])
        more = ", ..." if len(value) > limit else ("," if len(value) == 1 and
                                                     isinstance(value, tuple) else "")
        return ("[" if isinstance(value, list) else "(") + inner + more + \
            ("]" if isinstance(value, list) else ")")
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _input_number(value: Any) -> str:
    """A number among a case's inputs: a float keeps its point (``2.0``, not ``2``), since
    whether an argument is an int or a float can matter to the student's code."""
    text = format_number(value)
    if isinstance(value, (float, np.floating)) and text.lstrip("-").isdigit():
        return text + ".0"
    return text


def format_number(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        return f"{float(value):.6g}"
    except (TypeError, ValueError):
        return repr(value)


def format_pair(got: Any, expected: Any) -> tuple[str, str]:
    """Two numbers that differ, with enough significant digits (6 at least, 17 at most)
    that their texts differ too: "got 1.8047812, expected 1.8047805", never "got 1.80478,
    expected 1.80478"."""
    try:
        a, b = float(got), float(expected)
    except (TypeError, ValueError):
        return format_number(got), format_number(expected)
    if isinstance(got, (bool, np.bool_, int, np.integer)) or a == b or a != a or b != b:
        return format_number(got), format_number(expected)
    for digits in range(6, 18):
        shown = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if shown[0] != shown[1]:
            return shown
    return repr(a), repr(b)


def printable(text: str, keep: str = "") -> str:
    """``text`` made inert for a terminal: every character that is not printable (control
    characters, escape sequences, ``\\r``, line and paragraph separators, bidirectional
    overrides, lone surrogates) is shown escaped (``\\x1b``), except those in ``keep``.

    So text a student chose (a file name, an exception's message, what their code printed)
    cannot move the cursor, recolour, redraw or imitate the report around it.
    """
    if text.isprintable():
        return text  # the common case, fast
    return "".join(ch if ch.isprintable() or ch in keep else repr(ch)[1:-1] for ch in text)


def shorten(text: str, width: int) -> str:
    """``text`` if it fits in ``width`` characters, else its start and end around
    ``...`` (an id's beginning and its end tell ids apart best)."""
    if len(text) <= width:
        return text
    keep = width - 3
    return text[: keep - keep // 3] + "..." + text[-(keep // 3):]
