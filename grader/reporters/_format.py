"""Number formatting shared by the text reporters."""

from __future__ import annotations


def points(value: float) -> str:
    """15 -> "15", 7.5 -> "7.5", 3.3333333 -> "3.33"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def exact(value: float) -> str:
    """A score as the shortest text that reads back as the same float: 15.0 -> "15",
    44.476262626 -> "44.476262626". For formats that machines read."""
    return repr(float(value) + 0.0).removesuffix(".0")
