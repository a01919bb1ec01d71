"""Parsers for the text formats, and a JSON report without its timings, shared by the
reporter, CI-example and class-run tests."""

from __future__ import annotations

import re
from typing import Any


def without_timings(value: Any) -> Any:
    """A JSON report (or part of one) without its ``seconds``: what runs of the same class
    must agree on."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def md_table(text: str) -> list[list[str]]:
    """The cells of the first GitHub table in ``text``, split on pipes not escaped."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]


def assert_gfm_table(rows: list[list[str]], data_rows: int) -> None:
    assert len(rows) == data_rows + 2
    assert all(re.fullmatch(r":?-+:?", cell) for cell in rows[1])
    assert {len(r) for r in rows} == {len(rows[0])}


COMMAND = re.compile(r"::(error|warning|notice)( ((file|line|title)=[^,:\r\n]*)"
                     r"(,(file|line|title)=[^,:\r\n]*)*)?::[^\r\n]*")


def annotations(text: str) -> list[dict[str, str]]:
    """Each workflow command's level, properties and message, as written (still escaped)."""
    found = []
    for line in text.splitlines():
        assert COMMAND.fullmatch(line), line
        head, message = line[2:].split("::", 1)
        level, _, props = head.partition(" ")
        item = dict(p.split("=", 1) for p in props.split(",") if p)
        found.append({"level": level, "message": message, **item})
    return found


def table_rows(text: str) -> dict[str, dict[str, str]]:
    """Parse a tabulate 'simple' table into {first cell: {column header: cell}}.

    The dashed line under the headers gives each column's extent.
    """
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    spans, start = [], 0
    for chunk in lines[rule].split("  "):
        if chunk:
            spans.append((start, start + len(chunk)))
        start += len(chunk) + 2
    header = lines[rule - 1]
    names = [header[a:b].strip() for a, b in spans]
    rows = {}
    for line in lines[rule + 1:]:
        if not line.strip():
            break
        cells = [line[a:b].strip() for a, b in spans[:-1]] + [line[spans[-1][0]:].strip()]
        rows[cells[0]] = dict(zip(names, cells, strict=True))
    return rows
