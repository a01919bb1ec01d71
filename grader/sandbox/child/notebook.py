"""A notebook's code cells run as the submission's module, in the student's process.

The grader reads the notebook (:mod:`grader.intake.notebooks`) and sends its code cells,
numbered as the notebook shows them; here they become a module, in order, each compiled
under its own name (``hw2.ipynb, cell 7``), so that a traceback or a syntax error points at
the cell and the line inside it. Everything that parses the student's code happens here, in
the student's process, never in the grader's.

IPython syntax is not IPython here (:func:`python_lines`): a line magic (``%matplotlib
inline``), a shell line (``!pip install``) and a help line (``np.mean?``) become ``pass``
(an assignment from one, ``files = !ls``, assigns None); a cell magic whose body is Python
(``%%time``, ``%%timeit``, ``%%capture``, ``%%prun``) runs its body once, and any other cell
magic (``%%bash``, ``%%writefile``, ``%%html``, ...) skips its cell. ``display`` and
``get_ipython`` are stand-ins that do nothing, as are the names ``IPython.display`` offers,
and ``grader.notebook.check`` (a notebook that checks itself).

With ``definitions``, each cell keeps only imports, function and class definitions, and
assignments of a literal or of a name already defined (:func:`definitions`): top-level
training loops, plots and data loading are skipped.
"""

from __future__ import annotations

import ast
import builtins
import importlib.abc
import importlib.machinery
import os
import re
import sys
import types
from collections.abc import Sequence
from typing import Any

PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun")
CELL = ", cell "  # between the notebook's path and a cell's number, in the cell's name
_ASSIGNED = re.compile(r"^(\s*)([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[!%]")
_HELP = re.compile(r"\s*(\?{1,2}[\w.]+|[\w.]+\?{1,2})\s*")


def python_lines(source: str) -> str:
    """A cell's source with IPython's syntax replaced by Python, line for line (so line
    numbers stay the cell's)."""
    lines = source.split("\n")
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        magic = first[2:].split(maxsplit=1)[0] if first[2:].strip() else ""
        if magic not in PYTHON_CELL_MAGICS:
            return "\n".join("" for _ in lines)  # (not Python: the cell is skipped)
        at = next(i for i, line in enumerate(lines) if line.strip())
        lines[at] = ""
    return "\n".join(_python_line(line) for line in lines)


def _python_line(line: str) -> str:
    stripped = line.strip()
    indent = line[: len(line) - len(line.lstrip())]
    if stripped.startswith(("%", "!")) or _HELP.fullmatch(line):
        return f"{indent}pass"
    assigned = _ASSIGNED.match(line)
    if assigned:
        return f"{assigned[1]}{assigned[2]} = None"
    return line


def definitions(tree: ast.Module, defined: set[str]) -> ast.Module:
    """The statements of ``tree`` that only define: imports, functions, classes, and
    assignments of a literal or of a name already in ``defined`` (which grows)."""
    kept: list[ast.stmt] = []
    for stmt in tree.body:
        names = _defines(stmt, defined)
        if names is not None:
            kept.append(stmt)
            defined.update(names)
    tree.body = kept
    return tree


def _defines(stmt: ast.stmt, defined: set[str]) -> list[str] | None:
    """The names ``stmt`` defines, where it is a definition; None otherwise."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in stmt.names]
    targets: list[ast.expr]
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets, value = [stmt.target], stmt.value
    else:
        return None
    if not all(isinstance(t, ast.Name) for t in targets) or not _plain_value(value, defined):
        return None
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _plain_value(value: ast.expr, defined: set[str]) -> bool:
    if isinstance(value, ast.Name):
        return value.id in defined
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


class _Anything:
    """A stand-in that accepts any call and any attribute, and does nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        return None

    def __getattr__(self, name: str) -> _Anything:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()


def display(*objects: Any, **options: Any) -> None:
    """IPython's ``display``, as a stand-in: shows nothing."""


def get_ipython() -> _Anything:
    """IPython's ``get_ipython``, as a stand-in: a shell whose every method does nothing."""
    return _Anything()


class _IPythonStandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import IPython`` and ``from IPython.display import display, HTML`` give stand-ins
    that do nothing (IPython itself never loads: it is no part of grading). Only once the
    notebook asks: a library that looks for a running IPython finds none otherwise. So does
    ``from grader.notebook import check``: a notebook that checks itself does not check
    again while it is graded."""

    NAMES = ("IPython", "IPython.display", "grader.notebook")

    def find_spec(self, name: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if name not in self.NAMES:
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=name == "IPython")

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = types.ModuleType(spec.name)
        if spec.name == "IPython":
            module.__path__ = []
            module.get_ipython = get_ipython  # type: ignore[attr-defined]
            module.display = display  # type: ignore[attr-defined]
            module.version_info = (99, 0, 0)  # type: ignore[attr-defined]
        elif spec.name == "grader.notebook":
            module.check = _Anything()  # type: ignore[attr-defined]
        else:
            module.display = display  # type: ignore[attr-defined]
            module.__getattr__ = _any_name  # type: ignore[method-assign]
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def _any_name(name: str) -> type[_Anything]:
    """Any other name ``IPython.display`` offers (``HTML``, ``Markdown``, ``Image``,
    ``clear_output``): a stand-in that accepts anything."""
    if name.startswith("__"):
        raise AttributeError(name)
    return _Anything


def build(name: str, path: str, cells: Sequence[Sequence[Any]], only_definitions: bool
          ) -> types.ModuleType:
    """The module ``name`` made of ``cells`` (``[number, source]`` pairs), run in order;
    ``path`` is the notebook's, which names each cell (``hw2.ipynb, cell 7``). Raises what
    a cell raises (a SyntaxError included) once the module is in ``sys.modules``."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # plots draw nowhere (matplotlib, if used)
    sys.meta_path.insert(0, _IPythonStandIns())
    module = types.ModuleType(name)
    module.__file__ = path
    module.__dict__.update(display=display, get_ipython=get_ipython)
    sys.modules[name] = module
    defined = set(dir(builtins)) if only_definitions else set()
    for number, source in cells:
        filename = f"{path}{CELL}{int(number)}"
        tree = ast.parse(python_lines(str(source)), filename)
        if only_definitions:
            tree = definitions(tree, defined)
        # The notebook's import: the student's own code, run in the student's process as
        # importing hw2.py runs it (nothing here ever reaches the grader's process).
        exec(compile(tree, filename, "exec"), module.__dict__)
    return module
