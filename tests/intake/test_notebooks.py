"""Notebook submissions: reading them (grader.intake.notebooks), running their cells as the
module (grader.sandbox.child.notebook), and finding them where a module would be."""

from __future__ import annotations

import ast
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.errors import SpecError
from grader.grading import Grader
from grader.intake.notebooks import MAX_BYTES, MAX_CONTAINERS, NotebookError, read
from grader.intake.submissions import discover, one_submission
from grader.reporters import github
from grader.results import SubmissionResult
from grader.sandbox.child.notebook import definitions, python_lines
from grader.spec import NotebookSettings, load_assignment

from .._mini import MINI_ASSIGNMENT, MINI_REFERENCE, make_assignment

ALL = NotebookSettings()


def notebook(path: Path, *cells: Any) -> Path:
    """A notebook of ``cells``: a string is a code cell, ("md", text) a markdown cell, and
    (source, [tags]) a tagged code cell."""
    made = new_notebook()
    for cell in cells:
        if isinstance(cell, str):
            made.cells.append(new_code_cell(cell))
        elif cell[0] == "md":
            made.cells.append(new_markdown_cell(cell[1]))
        else:
            made.cells.append(new_code_cell(cell[0], metadata={"tags": cell[1]}))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(made, path)
    return path


# --- IPython syntax, made Python -------------------------------------------------------------

@pytest.mark.parametrize("line, python", [
    ("%matplotlib inline", "pass"),
    ("    !pip install numpy", "    pass"),
    ("files = !ls", "files = None"),
    ("a, b = %who_ls", "a, b = None"),
    ("np.mean?", "pass"),
    ("??sigmoid", "pass"),
    ('    """Is this right?', '    """Is this right?'),  # (in a string: untouched)
    ("x = 1 if a else 2", "x = 1 if a else 2"),
])
def test_ipython_lines_become_python(line: str, python: str) -> None:
    assert python_lines(line) == python


def test_a_cell_magic_runs_its_body_only_when_it_is_python() -> None:
    assert python_lines("%%time\nx = 1\n") == "\nx = 1\n"
    assert python_lines("\n%%bash\nls\n") == "\n\n\n"  # (line numbers kept)
    assert python_lines("%%writefile a.py\nimport os\n") == "\n\n"


def test_definitions_keep_imports_functions_classes_and_plain_assignments() -> None:
    tree = ast.parse("import numpy as np\nfrom os import path\nRATE = 0.1\nALIAS = RATE\n"
                     "LIMITS = (1, -2.5, {'a': [3]})\ndef f(x):\n    return x\n"
                     "class C:\n    pass\nw = np.zeros(3)\nfor i in range(9):\n    pass\n"
                     "train()\nOTHER = unknown\n")
    kept = definitions(tree, set())
    assert [type(s).__name__ for s in kept.body] == [
        "Import", "ImportFrom", "Assign", "Assign", "Assign", "FunctionDef", "ClassDef"]


# --- reading ---------------------------------------------------------------------------------

def test_code_cells_are_numbered_as_the_notebook_shows_them(tmp_path: Path) -> None:
    path = notebook(tmp_path / "hw.ipynb", ("md", "# title"), "x = 1", ("md", "text"),
                    "y = 2\nz = 3")
    cells = read(path, ALL)
    assert cells.cells == ((2, "x = 1"), (4, "y = 2\nz = 3"))
    assert cells.file == "hw.ipynb" and not cells.definitions


def test_tagged_cells_only(tmp_path: Path) -> None:
    path = notebook(tmp_path / "hw.ipynb", ("a = 1", ["graded"]), "b = 2", ("c = 3", ["x"]))
    assert read(path, NotebookSettings("tagged", ("graded", "x"))).cells == (
        (1, "a = 1"), (3, "c = 3"))
    with pytest.raises(NotebookError, match="no code cell tagged answer"):
        read(path, NotebookSettings("tagged", ("answer",)))


def _raw(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, message", [
    ("{not json", "hw.ipynb is not a notebook: not valid JSON"),
    ("[1, 2]", "the JSON is not an object"),
    ('{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}', "is nbformat 3; expected"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": ['
     '{"cell_type": "markdown", "id": "a", "metadata": {}, "source": "hi"}]}',
     "hw.ipynb has no code cells"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": ['
     '{"cell_type": "code", "id": "a", "metadata": {}, "source": 7, "outputs": [],'
     ' "execution_count": null}]}', "hw.ipynb is not a valid notebook"),
    ("[" * 100_000, "nested too deeply"),
])
def test_a_notebook_that_cannot_be_used_says_why(tmp_path: Path, text: str,
                                                 message: str) -> None:
    with pytest.raises(NotebookError, match=message.replace("(", r"\(")):
        read(_raw(tmp_path / "hw.ipynb", text), ALL)


def test_outputs_are_never_read_and_the_file_is_capped(tmp_path: Path) -> None:
    path = notebook(tmp_path / "hw.ipynb", "x = 1")
    document = json.loads(path.read_text("utf-8"))
    document["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout",
                                        "text": "x" * 1_000_000}, {"bogus": True}]
    path.write_text(json.dumps(document), encoding="utf-8")
    assert read(path, ALL).cells == ((1, "x = 1"),)  # (an invalid output: never looked at)
    with path.open("r+b") as f:
        f.truncate(MAX_BYTES + 1)  # (sparse)
    with pytest.raises(NotebookError, match=r"hw.ipynb is 64 MiB; a notebook may be at most"):
        read(path, ALL)


# --- graded ----------------------------------------------------------------------------------

MINI_CELLS = [("md", "# Mini"), "import numpy as np\n%matplotlib inline\n!echo hi",
              *(f"def {name}(x):\n    return {body}" for name, body in (
                  ("double", "2 * x"), ("halve", "x / 2"), ("total", "float(np.sum(x))"),
                  ("split", "x, -x"), ("quiet", "3 * x"))),
              "display(double(np.ones(2)))\nget_ipython().system('ls')\nnp.sum?",
              "from IPython.display import HTML, display\ndisplay(HTML('<b>hi</b>'))"]


def grade(root: Path, submission: Path) -> SubmissionResult:
    assignment = load_assignment(root)
    with Grader(assignment) as grader:
        (found,) = discover(submission, assignment.module_file)
        return grader.grade(found)


def test_a_notebook_with_magics_shell_lines_and_display_gets_full_marks(
        tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "course")
    result = grade(root, notebook(tmp_path / "eve" / "hw.ipynb", *MINI_CELLS))
    assert (result.score, result.max_score, result.error) == (11, 11, "")


def test_a_failure_names_the_cell_and_the_line(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "course")
    cells = [*MINI_CELLS[:3], "def halve(x):\n    y = x / 2\n    raise ValueError('no')",
             *MINI_CELLS[4:]]
    result = grade(root, notebook(tmp_path / "eve" / "hw.ipynb", *cells))
    case = result.problems[0].parts[1].cases[0]
    assert case.message == "ValueError: no (hw.ipynb, cell 4, line 3)"
    broken = [*MINI_CELLS[:4], "def total(x)\n    return 1", *MINI_CELLS[5:]]
    result = grade(root, notebook(tmp_path / "bob" / "hw.ipynb", *broken))
    assert result.error == ("import failed: SyntaxError: expected ':' "
                            "(hw.ipynb, cell 5, line 1)")


def test_running_the_cells_has_its_own_time_limit(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "course", {**MINI_ASSIGNMENT,
                                                 "notebooks": {"timeout": 1}})
    result = grade(root, notebook(tmp_path / "eve" / "hw.ipynb", *MINI_CELLS,
                                  "while True:\n    pass"))
    assert result.error == ("running the cells of hw.ipynb timed out after 1s (every code cell "
                            "runs when a notebook is graded, training loops and data loading "
                            "included)")


def test_definitions_only_skip_top_level_work(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "course", {**MINI_ASSIGNMENT, "notebooks": {
        "cells": "definitions", "timeout": 5}})
    result = grade(root, notebook(tmp_path / "eve" / "hw.ipynb", *MINI_CELLS,
                                  "while True:\n    pass", "SCALE = 2\nRATE = SCALE"))
    assert result.score == 11


def test_tagged_cells_only_run(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "course", {**MINI_ASSIGNMENT, "notebooks": {
        "cells": "tagged", "tags": ["graded"]}})
    cells = [(c, ["graded"]) if isinstance(c, str) and c.startswith(("def", "import")) else c
             for c in MINI_CELLS]
    result = grade(root, notebook(tmp_path / "eve" / "hw.ipynb", *cells,
                                  "raise SystemExit('not graded')"))
    assert result.score == 11


@pytest.mark.parametrize("settings, key, message", [
    ({"cells": "some"}, "notebooks.cells", "expected one of all, definitions, tagged"),
    ({"tags": ["graded"]}, "notebooks.tags", "only with 'cells: tagged'"),
    ({"timeout": 0}, "notebooks.timeout", "expected a number > 0, got 0"),
])
def test_bad_notebook_settings_are_named(tmp_path: Path, settings: dict[str, Any], key: str,
                                         message: str) -> None:
    root = make_assignment(tmp_path / "course", {**MINI_ASSIGNMENT, "notebooks": settings})
    with pytest.raises(SpecError) as info:
        load_assignment(root)
    assert key in str(info.value) and message in str(info.value)


# --- found where a module would be -----------------------------------------------------------

def test_a_notebook_is_found_in_folders_zips_and_lms_downloads(tmp_path: Path) -> None:
    notebook(tmp_path / "class" / "ann" / "hw.ipynb", "x = 1")
    notebook(tmp_path / "class" / "bob" / "work" / "hw.ipynb", "x = 1")
    source = notebook(tmp_path / "cat.ipynb", "x = 1")
    with zipfile.ZipFile(tmp_path / "class" / "cat.zip", "w") as z:
        z.write(source, "cat/hw.ipynb")
    found = {s.id: s for s in discover(tmp_path / "class", "hw.py")}
    assert {k: (s.module.name if s.module else s.problem) for k, s in found.items()} == {
        "ann": "hw.ipynb", "bob": "hw.ipynb", "cat": "hw.ipynb"}
    lms = tmp_path / "lms"
    lms.mkdir()
    os.link(source, lms / "smithjohn_12345_67890_hw.ipynb")
    (only,) = discover(lms, "hw.py")
    assert only.id == "smithjohn" and only.module is not None
    assert only.module.name == "hw.ipynb"
    alone = one_submission(source, "hw.py")
    assert alone.module is not None and alone.module.suffix == ".ipynb"


def test_a_module_beside_a_notebook_wins(tmp_path: Path) -> None:
    notebook(tmp_path / "ann" / "hw.ipynb", "raise SystemExit")
    (tmp_path / "ann" / "hw.py").write_text(MINI_REFERENCE, encoding="utf-8")
    found = one_submission(tmp_path / "ann", "hw.py")
    assert found.module is not None and found.module.name == "hw.py"


def test_a_bad_notebook_costs_only_its_student(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "course")
    _raw(tmp_path / "class" / "ann" / "hw.ipynb", "{oops")
    notebook(tmp_path / "class" / "bob" / "hw.ipynb", *MINI_CELLS)
    assignment = load_assignment(root)
    with Grader(assignment) as grader:
        results = {s.id: grader.grade(s) for s in discover(tmp_path / "class",
                                                          assignment.module_file)}
    assert results["ann"].score == 0
    assert results["ann"].error.startswith("hw.ipynb is not a notebook: not valid JSON")
    assert results["bob"].score == 11



def test_a_notebook_beside_the_module_is_noted_as_not_graded(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "course")
    notebook(tmp_path / "ann" / "hw.ipynb", "raise SystemExit")
    (tmp_path / "ann" / "hw.py").write_text(MINI_REFERENCE, encoding="utf-8")
    result = grade(root, tmp_path / "ann")
    assert result.score == 11
    assert result.notes == ("hw.ipynb was not graded: hw.py beside it was (where both are "
                            "handed in, the .py file wins)",)
    assert SubmissionResult.from_json(result.json).notes == result.notes


def test_a_github_annotation_on_a_notebook_names_the_cell_not_a_line(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "course")
    # (double's first case is public: its location may be shown)
    cells = [*MINI_CELLS[:2], "def double(x):\n    y = 2 * x\n    raise ValueError('no')",
             *MINI_CELLS[3:7]]
    result = grade(root, notebook(tmp_path / "eve" / "hw.ipynb", *cells))
    (annotation,) = [a for a in github.submission_annotations(result)
                     if a.title.startswith("q1 double")]
    assert annotation.file is not None and annotation.file.endswith("eve/hw.ipynb")
    assert annotation.line is None and annotation.title.endswith("(cell 3, line 3)")


def test_a_name_in_a_cell_that_does_not_run_is_said_to_be_skipped(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "course", {**MINI_ASSIGNMENT, "notebooks": {
        "cells": "tagged", "tags": ["graded"]}})
    cells = [(c, ["graded"]) if isinstance(c, str) and not c.startswith("def double") else c
             for c in MINI_CELLS[:7]]
    result = grade(root, notebook(tmp_path / "eve" / "hw.ipynb", *cells))
    assert result.problems[0].parts[0].cases[0].message == (
        "hw.ipynb does not define double() (this assignment runs only the cells tagged "
        "graded)")


def test_a_notebook_with_large_outputs_is_graded(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "course")
    path = notebook(tmp_path / "eve" / "hw.ipynb", *MINI_CELLS)
    document = json.loads(path.read_text("utf-8"))
    document["cells"][1]["outputs"] = [{"output_type": "display_data", "metadata": {},
                                        "data": {"image/png": "A" * (12 << 20)}}]
    path.write_text(json.dumps(document), encoding="utf-8")  # (12 MiB: over a module's 8)
    assert grade(root, path.parent).score == 11


def test_a_notebook_of_countless_empty_objects_is_refused_before_it_is_parsed(
        tmp_path: Path) -> None:
    """(Under the size cap, "[{},{},...]" in a cell's metadata took the grader 11 GiB.)"""
    notebook = json.loads(nbformat.writes(new_notebook(cells=[new_code_cell("x = 1")])))
    many = ",".join(["{}"] * (MAX_CONTAINERS + 1))
    text = json.dumps(notebook).replace('"metadata": {}', f'"metadata": {{"x": [{many}]}}', 1)
    path = tmp_path / "hw.ipynb"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(NotebookError, match=r"hw\.ipynb holds \d+ JSON objects and arrays; "
                                            r"a notebook may hold at most \d+ \(clear"):
        read(path, ALL)
