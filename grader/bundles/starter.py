"""A starter notebook for students (``grader export --notebook``): the handout, a stub of
every function and class they must write, and a cell that checks their answers.

Stubs show the names and signatures students must define (what the handout says anyway),
never a reference's body or docstring: each body raises NotImplementedError. Where the
assignment grades tagged cells only, the stubs' cells carry the first of its tags.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterator
from typing import Any

from grader.spec import Assignment, Part


def starter_notebook(assignment: Assignment, handout: str) -> Any:
    """The notebook (an nbformat node) for ``assignment``, ``handout`` its first cell."""
    import nbformat.v4 as v4  # (imported when used, as nbformat always is)

    cells = [v4.new_markdown_cell(handout.strip() or f"# {assignment.name}"),
             v4.new_code_cell("import numpy as np")]
    seen: set[str] = set()
    for problem in assignment.problems:
        cells.append(v4.new_markdown_cell(f"## {problem.id}: {problem.title}"))
        for part in problem.parts:
            for name, obj in _defined(part):
                if name not in seen:
                    seen.add(name)
                    cells.append(v4.new_code_cell(stub(name, obj)))
    if assignment.notebooks.cells == "tagged":  # (what is graded: the stubs and the import)
        tag = assignment.notebooks.tags[0]
        for cell in cells:
            if cell.cell_type == "code":
                cell.metadata["tags"] = [tag]
    cells += [v4.new_markdown_cell("## Check your answers\n\nSave the notebook first: the "
                                   "check reads the file, not this kernel."),
              v4.new_code_cell("from grader.notebook import check\n\ncheck()")]
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{i}"
    return notebook


def _defined(part: Part) -> Iterator[tuple[str, Any]]:
    """The names a student defines for ``part``, each with what the reference has there
    (None where there is no reference to look at)."""
    reference: Any = part.references[0] if part.references else None
    if not part.by_module:
        yield part.function, reference
        return
    if not isinstance(reference, types.ModuleType):
        return
    called = {step.call.split(".")[0] for step in part.steps if step.call}
    for name, obj in vars(reference).items():
        own = getattr(obj, "__module__", None) == reference.__name__
        if own and (inspect.isfunction(obj) or inspect.isclass(obj)) and not \
                name.startswith("_") and (part.scenario is not None or name in called):
            yield name, obj


def stub(name: str, obj: Any) -> str:
    """``def name(signature): raise NotImplementedError``, or a class of such methods."""
    if inspect.isclass(obj):
        methods = [(n, m) for n, m in vars(obj).items()
                   if inspect.isfunction(m) and (n == "__init__" or not n.startswith("_"))]
        body = "\n\n".join(_function(n, m, "    ") for n, m in methods) or "    pass"
        return f"class {name}:\n{body}\n"
    return _function(name, obj, "") + "\n"


def _function(name: str, obj: Any, indent: str) -> str:
    try:
        signature = str(inspect.signature(obj)) if obj is not None else "(*args, **kwargs)"
    except (TypeError, ValueError):
        signature = "(*args, **kwargs)"
    return (f"{indent}def {name}{signature}:\n"
            f"{indent}    raise NotImplementedError({name!r})")
