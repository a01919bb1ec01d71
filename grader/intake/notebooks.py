"""Reading a notebook submission (``hw2.ipynb``): its code cells, checked, without running any.

The grader reads the notebook as data: the file is size-capped, parsed as JSON, required to
be nbformat 4 and validated by nbformat, and its outputs are dropped unread. What is left is
the code cells' sources, numbered as the notebook shows its cells (markdown cells count), and
chosen as the assignment says (:class:`~grader.spec.NotebookSettings`): every code cell, or
those with a tag. The student's process turns them into the module
(:mod:`grader.sandbox.child.notebook`). A notebook that cannot be used is that student's
problem, a :class:`NotebookError` whose message says why.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.sandbox.scratch import COPY_FILE_LIMIT
from grader.spec import NotebookSettings

MAX_BYTES = 64 << 20  # a notebook's file, outputs included
MAX_CODE_BYTES = 4 << 20  # its code cells' sources together
MAX_CONTAINERS = 1 << 20  # its JSON objects and arrays (brackets), outputs included


def name_for(module_file: str) -> str:
    """The notebook that stands for ``module_file``: ``hw2.ipynb`` for ``hw2.py``."""
    return module_file.removesuffix(".py") + ".ipynb"


def file_limit(name: str) -> int:
    """How large the module (or notebook) ``name`` may be: a notebook is read, outputs and
    all, but never copied for the student process (its code cells travel by themselves)."""
    return MAX_BYTES if name.endswith(".ipynb") else COPY_FILE_LIMIT


class NotebookError(Exception):
    """A notebook that cannot be graded; the message says why (one line)."""


@dataclass(frozen=True)
class Cells:
    """The code cells to run, as ``(number, source)`` pairs in order."""

    file: str  # "hw2.ipynb"
    cells: tuple[tuple[int, str], ...]
    definitions: bool  # keep only definitions (NotebookSettings.cells == "definitions")

    skipped: str = ""  # what of the notebook does not run, said where a name is missing

    def request(self) -> dict[str, Any]:
        """What the worker's ``load`` request carries."""
        return {"cells": [list(cell) for cell in self.cells], "definitions": self.definitions,
                "skipped": self.skipped}


def read(path: Path, settings: NotebookSettings) -> Cells:
    """The code cells of the notebook at ``path`` to run; raises :class:`NotebookError`."""
    name = path.name
    try:
        size = os.stat(path).st_size
        if size > MAX_BYTES:
            raise NotebookError(f"{name} is {size >> 20} MiB; a notebook may be at most "
                                f"{MAX_BYTES >> 20} MiB (clear its outputs)")
        raw = path.read_bytes()
    except OSError as exc:
        raise NotebookError(f"{name} cannot be read: {exc.strerror or exc}") from None
    # Each JSON object or array costs the grader's memory ~100 bytes or more once loaded
    # and validated: a notebook under the size cap made of nothing but "[{},{},...]" took
    # 11 GiB. Counted before parsing (brackets inside strings count too: an over-estimate).
    containers = raw.count(b"{") + raw.count(b"[")
    if containers > MAX_CONTAINERS:
        raise NotebookError(f"{name} holds {containers} JSON objects and arrays; a notebook "
                            f"may hold at most {MAX_CONTAINERS} (clear its outputs)")
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotebookError(f"{name} is not a notebook: not valid JSON ({_short(exc)})") \
            from None
    except RecursionError:
        raise NotebookError(f"{name} is not a notebook: its JSON is nested too deeply") \
            from None
    cells = _validated(document, name)
    chosen: list[tuple[int, str]] = []
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        tags = (cell.get("metadata") or {}).get("tags") or []
        if settings.cells == "tagged" and not set(tags) & set(settings.tags):
            continue
        chosen.append((number, _text(cell.get("source", ""))))
    if not any(cell.get("cell_type") == "code" for cell in cells):
        raise NotebookError(f"{name} has no code cells")
    if not chosen:
        raise NotebookError(f"{name} has no code cell tagged {' or '.join(settings.tags)} "
                            "(the assignment grades tagged cells only)")
    if sum(len(source) for _, source in chosen) > MAX_CODE_BYTES:
        raise NotebookError(f"{name}'s code cells hold more than {MAX_CODE_BYTES >> 20} MiB "
                            "of code")
    skipped = {"definitions": "this assignment runs only the imports, definitions and plain "
                              "assignments at the top level of each cell",
               "tagged": f"this assignment runs only the cells tagged "
                         f"{' or '.join(settings.tags)}"}.get(settings.cells, "")
    return Cells(name, tuple(chosen), settings.cells == "definitions", skipped)


def beside(module: Path) -> tuple[str, ...]:
    """A note for a module graded with a notebook of its name beside it (the module wins)."""
    notebook = module.with_suffix(".ipynb")
    if module.suffix != ".py" or not notebook.is_file():
        return ()
    return (f"{notebook.name} was not graded: {module.name} beside it was (where both are "
            "handed in, the .py file wins)",)


def _validated(document: Any, name: str) -> list[dict[str, Any]]:
    """The notebook's cells, once nbformat (version 4) accepts it, outputs dropped."""
    if not isinstance(document, dict):
        raise NotebookError(f"{name} is not a notebook: the JSON is not an object")
    version = document.get("nbformat")
    if version != 4:
        raise NotebookError(f"{name} is nbformat {version!r}; expected a notebook in "
                            "nbformat 4 (save it with a current Jupyter)")
    cells = document.get("cells")
    if not isinstance(cells, list):
        raise NotebookError(f"{name} is not a notebook: it has no list of cells")
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            cell["outputs"] = []  # (never read: an output is no part of the code)
    import nbformat  # (imported when a notebook is read: 0.2 s of every CLI start)

    try:
        with warnings.catch_warnings():  # (a missing cell id, say: harmless, and not stderr's)
            warnings.simplefilter("ignore")
            nbformat.validate(nbformat.from_dict(document), version=4)
    except nbformat.ValidationError as exc:
        raise NotebookError(f"{name} is not a valid notebook: {_short(exc.message)}") \
            from None
    except (RecursionError, TypeError, ValueError) as exc:
        raise NotebookError(f"{name} is not a valid notebook: {_short(exc)}") from None
    return cells


def _text(source: Any) -> str:
    """A cell's source: a string, or a list of strings (lines) to join."""
    return "".join(source) if isinstance(source, list) else str(source)


def _short(exc: object) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 160 else text[:157] + "..."
