"""The starter notebook (grader export --notebook): the handout, a stub of everything to
write, a cell that checks it; never a line of the reference's code."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.grading import Grader
from grader.intake.submissions import one_submission
from grader.spec import load_assignment

from .._mini import HW2, REPO_ROOT

LAYERS = REPO_ROOT / "problems" / "layers"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("starter") / "hw2-bundle"
    result = CliRunner().invoke(main, ["export", str(HW2), str(out), "--notebook"])
    assert result.exit_code == 0, result.output
    return out


def code_cells(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def test_the_starter_has_the_handout_a_stub_per_function_and_a_check(exported: Path) -> None:
    notebook = nbformat.read(exported / "hw2.ipynb", as_version=4)
    assert notebook.cells[0].source.startswith("# ")  # (the handout, whole)
    assert "Homework 2" in notebook.cells[0].source
    code = code_cells(exported / "hw2.ipynb")
    functions = [p.function for q in load_assignment(HW2).problems for p in q.parts]
    stubs = [c for c in code if c.startswith("def ")]
    assert [s.split("(")[0].removeprefix("def ") for s in stubs] == functions
    assert "def batchnorm_forward(x, gamma, beta, eps=1e-05):" in stubs[4]
    assert code[-1] == "from grader.notebook import check\n\ncheck()"


def test_the_starter_holds_no_line_of_the_reference(exported: Path) -> None:
    text = (exported / "hw2.ipynb").read_text(encoding="utf-8")
    reference = (HW2 / "reference" / "solution.py").read_text(encoding="utf-8")
    lines = {line.strip() for line in reference.splitlines()
             if len(line.strip()) >= 24 and not line.strip().startswith(("def ", "#"))}
    assert len(lines) > 25
    assert not [line for line in lines if line in text]


def test_the_starter_graded_as_it_is_scores_zero_naming_each_stub(exported: Path) -> None:
    bundle = load_assignment(exported)
    with Grader(bundle) as grader:
        result = grader.grade(one_submission(exported / "hw2.ipynb", bundle.module_file))
    assert result.score == 0 and result.error == ""
    sigmoid = result.problems[0].parts[0].cases[0]
    # (cell 1 the handout, 2 the import, 3 the title of q1, 4 its first stub)
    assert sigmoid.message == "NotImplementedError: sigmoid (hw2.ipynb, cell 4, line 2)"


def test_a_starter_for_classes_stubs_their_methods(tmp_path: Path) -> None:
    out = tmp_path / "layers-bundle"
    result = CliRunner().invoke(main, ["export", str(LAYERS), str(out), "--notebook"])
    assert result.exit_code == 0, result.output
    code = code_cells(out / "layers.ipynb")
    net = next(c for c in code if c.startswith("class TwoLayerNet:"))
    assert "    def __init__(self, input_dim, hidden_dim, num_classes, reg=0.0):" in net
    assert "    def loss(self, X, y):" in net
    for cell in code:
        compile(cell, "cell", "exec")  # (every stub is Python)


def test_a_bundle_keeps_the_notebook_settings_and_tags_the_starters_stubs(
        tmp_path: Path) -> None:
    course = tmp_path / "hw2"
    shutil.copytree(HW2, course)
    with (course / "assignment.yaml").open("a", encoding="utf-8") as f:
        f.write("notebooks: {cells: tagged, tags: [graded, answer]}\n")
    out = tmp_path / "bundle"
    result = CliRunner().invoke(main, ["export", str(course), str(out), "--notebook"])
    assert result.exit_code == 0, result.output
    assert load_assignment(out).notebooks == load_assignment(course).notebooks
    notebook = nbformat.read(out / "hw2.ipynb", as_version=4)
    tagged = [c for c in notebook.cells if c.metadata.get("tags") == ["graded"]]
    assert len(tagged) == 16  # (the import and the 15 stubs; not the check)
    with Grader(load_assignment(course)) as grader:
        graded = grader.grade(one_submission(out / "hw2.ipynb", "hw2.py"))
    assert graded.error == "" and graded.problems[0].parts[0].cases[0].message.startswith(
        "NotImplementedError: sigmoid")
