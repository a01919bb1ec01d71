"""How input and output values are shown in messages: short, and safe for any size."""

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
            return format_number(value.item())
        if value.size <= limit and value.ndim == 1:
            return "[" + ", ".join(format_number(v) for v in value.tolist()) + "]"
        shape = "x".join(str(n) for n in value.shape)
        if value.size and value.dtype.kind in "iuf":
            finite = value[np.isfinite(value)] if value.dtype.kind == "f" else value
            if finite.size:
                return (f"array {shape} {value.dtype} in "
                        f"[{format_number(finite.min())}, {format_number(finite.max())}]")
        return f"array {shape} {value.dtype}"
    if isinstance(value, (bool, int, float, np.generic)):
        return format_number(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def format_number(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        return f"{float(value):.6g}"
    except (TypeError, ValueError):
        return repr(value)
