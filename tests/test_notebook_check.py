"""Checking a notebook from inside Jupyter (grader.notebook): which files it finds, what it
says of when the notebook was saved, and a real kernel that calls it and shows the result."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

from grader.bundles.export import export_bundle
from grader.notebook import CheckError, check, find_assignment, find_notebook, saved_words
from grader.spec import load_assignment

from ._mini import HW2, SUBMISSIONS


def test_the_assignment_is_found_above_or_just_below_the_working_folder(
        tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("GRADER_ASSIGNMENT", raising=False)
    (tmp_path / "course" / "work").mkdir(parents=True)
    (tmp_path / "course" / "assignment.yaml").write_text("module: hw\n", encoding="utf-8")
    assert find_assignment(tmp_path / "course" / "work") == tmp_path / "course"
    assert find_assignment(tmp_path) == tmp_path / "course"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "assignment.yaml").write_text("module: hw\n", encoding="utf-8")
    with pytest.raises(CheckError, match="several assignments below"):
        find_assignment(tmp_path)
    monkeypatch.setenv("GRADER_ASSIGNMENT", str(tmp_path / "other"))
    assert find_assignment(tmp_path) == tmp_path / "other"


def test_the_notebook_is_the_modules_or_the_only_one(tmp_path: Path) -> None:
    (tmp_path / "assignment.yaml").write_text("module: hw\n", encoding="utf-8")
    with pytest.raises(CheckError, match=r"no notebook in .*check\('hw.ipynb'\)"):
        find_notebook(tmp_path, tmp_path)
    (tmp_path / "scratch.ipynb").write_text("{}", encoding="utf-8")
    assert find_notebook(tmp_path, tmp_path) == tmp_path / "scratch.ipynb"
    (tmp_path / "hw.ipynb").write_text("{}", encoding="utf-8")
    assert find_notebook(tmp_path, tmp_path) == tmp_path / "hw.ipynb"


def test_a_notebook_saved_long_ago_is_said_to_be(tmp_path: Path) -> None:
    path = tmp_path / "hw.ipynb"
    path.write_text("{}", encoding="utf-8")
    saved = path.stat().st_mtime
    assert re.fullmatch(r"checked hw.ipynb as saved at \d\d:\d\d:\d\d \(5 s ago\)",
                        saved_words(path, now=saved + 5))
    assert saved_words(path, now=saved + 600).endswith(
        "(10 min ago): if you changed cells since, save the notebook (Ctrl-S) and check again")


def test_check_runs_grader_check_on_the_notebook_against_a_bundle(
        tmp_path: Path, monkeypatch: Any) -> None:
    export_bundle(load_assignment(HW2), tmp_path / "hw2-bundle")
    shutil.copyfile(SUBMISSIONS / "notebook_buggy" / "hw2.ipynb", tmp_path / "hw2.ipynb")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADER_ASSIGNMENT", raising=False)
    checked = check()
    assert checked.assignment == tmp_path / "hw2-bundle"
    assert checked.score == pytest.approx(44.17, abs=0.01)  # (buggy's public cases)
    html = checked._repr_html_()
    assert "matches the known mistake unstable" in html and "(hw2.ipynb, cell 3, line 6)" in html
    assert "grader check" in str(checked) and "--case q1/sigmoid/6" in str(checked)
    with pytest.raises(CheckError, match="no such notebook"):
        check("nope.ipynb")


def test_a_real_kernel_checks_the_notebook_it_runs_in(tmp_path: Path) -> None:
    nbclient = pytest.importorskip("nbclient", reason="the test extra installs nbclient")
    pytest.importorskip("ipykernel", reason="the test extra installs ipykernel")
    path = tmp_path / "hw2.ipynb"
    notebook = nbformat.read(SUBMISSIONS / "notebook_buggy" / "hw2.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(
        f"from grader.notebook import check\ncheck(assignment={str(HW2)!r})"))
    nbformat.write(notebook, path)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env={**os.environ, "GRADER_ASSIGNMENT": ""})
    shown = notebook.cells[-1].outputs[-1]["data"]
    # (while graded, the notebook's own check cell does nothing: the score is buggy's)
    assert "<b>Score: 44.17 / 100</b> (public cases)" in shown["text/html"]
    assert "checked hw2.ipynb as saved at" in shown["text/html"]
    assert "FAIL  sigmoid" in shown["text/plain"]
