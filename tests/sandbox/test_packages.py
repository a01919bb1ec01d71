"""What students may import (``packages:`` in assignment.yaml, grader.sandbox.packages and
grader.sandbox.child.imports): numpy, the standard library, ``public/`` modules and the
declared packages; an undeclared installed package is refused where isolation is enforced;
a declared package that is missing stops the run before anyone is graded."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.errors import SpecError
from grader.grading import GradeOptions, Grader
from grader.sandbox.policy import Isolation
from grader.sandbox.runner import RunOptions
from grader.spec import load_assignment

from .._mini import MINI_ASSIGNMENT, edited, make_assignment, write_student

# pyyaml and tabulate are installed with the grader; the assignment declares only pyyaml.
DECLARED = edited(MINI_ASSIGNMENT, "packages", [{"import": "yaml", "install": "pyyaml"}])


def assignment(tmp_path: Path, data: dict[str, Any] = DECLARED) -> Path:
    root = make_assignment(tmp_path / "hw", assignment=data)
    (root / "public").mkdir(exist_ok=True)
    (root / "public" / "compat.py").write_text("def twice(x):\n    return 2 * x\n",
                                              encoding="utf-8")
    return root


def grade(root: Path, tmp_path: Path, head: str, sandbox: str = "auto") -> Any:
    student = write_student(tmp_path / "s", "")
    assert student.module is not None
    source = student.module.read_text(encoding="utf-8")
    student.module.write_text(textwrap.dedent(head) + "\n" + source, encoding="utf-8")
    with Grader(load_assignment(root), GradeOptions(run=RunOptions(sandbox=sandbox))) as g:
        return g.grade(student)


def test_declared_packages_and_public_modules_import(tmp_path: Path) -> None:
    result = grade(assignment(tmp_path), tmp_path, """\
        import yaml
        from compat import twice
        """)
    assert result.score == result.max_score, result.error


@pytest.mark.skipif(Isolation("auto").level not in ("full", "confined"),
                    reason="undeclared packages are refused under full or confined isolation "
                           "only (limits-only isolation imports whatever is installed)")
def test_an_undeclared_installed_package_is_refused_by_name(tmp_path: Path) -> None:
    result = grade(assignment(tmp_path), tmp_path, "import tabulate\n")
    assert result.score == 0
    assert result.error == (
        "import failed: ModuleNotFoundError: No module named 'tabulate': the assignment does "
        "not allow it (the assignment allows numpy, yaml, the standard library, its public "
        "modules and your own modules) (hw.py, line 1)")


def test_the_view_of_site_packages_holds_only_what_is_allowed(tmp_path: Path) -> None:
    import numpy
    import tabulate
    import yaml

    from grader.sandbox.packages import view

    shown = {entry for entries in view(load_assignment(assignment(tmp_path))).values()
             for entry in entries}
    for module in (numpy, yaml):
        assert Path(module.__file__).parent.name in shown
    assert any(entry.startswith("numpy-") and entry.endswith(".dist-info") for entry in shown)
    assert Path(tabulate.__file__).name not in shown
    assert Path(tabulate.__file__).parent.name not in shown


WALL = """\
    import sys
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "Declared"]
    import tabulate
    """


@pytest.mark.parametrize("level", ["full", "confined"])
def test_without_the_finder_an_undeclared_package_is_still_not_there(
        tmp_path: Path, level: str) -> None:
    """The finder gives the message; the wall is that the files cannot be read: at full
    isolation site-packages shows only what the assignment allows, at the confined level
    Landlock refuses to read the rest."""
    root = assignment(tmp_path)
    student = write_student(tmp_path / "s", "")
    assert student.module is not None
    source = student.module.read_text(encoding="utf-8")
    student.module.write_text(textwrap.dedent(WALL) + "\n" + source, encoding="utf-8")
    with Grader(load_assignment(root)) as grader:
        if grader.isolation.level == "full" and level == "confined":
            grader.isolation.downgrade("as if namespaces were refused (a test)")
        if grader.isolation.level != level:
            pytest.skip(f"this machine has no {level} isolation")
        result = grader.grade(student)
    assert result.score == 0
    assert "tabulate" in result.error and re.search(
        r"ModuleNotFoundError|PermissionError", result.error), result.error


def test_without_isolation_whatever_is_installed_imports(tmp_path: Path) -> None:
    result = grade(assignment(tmp_path), tmp_path, "import tabulate\n", sandbox="off")
    assert result.score == result.max_score, result.error


def test_a_module_that_is_nowhere_says_what_the_assignment_allows(tmp_path: Path) -> None:
    result = grade(assignment(tmp_path), tmp_path, "import past.builtins\n")
    assert result.error.startswith(
        "import failed: ModuleNotFoundError: No module named 'past': it is not available "
        "here (the assignment allows numpy, yaml, the standard library, its public modules "
        "and your own modules)")


def test_a_missing_module_imported_inside_a_function_is_named_too(tmp_path: Path) -> None:
    student = write_student(tmp_path / "s", """
def halve(x):
    import torch
    return x / 2
""")
    with Grader(load_assignment(assignment(tmp_path))) as g:
        result = g.grade(student)
    messages = [p.message for q in result.problems for p in q.parts if p.score == 0]
    assert messages and all(
        "ModuleNotFoundError: No module named 'torch': it is not available here (the "
        "assignment allows numpy, yaml, the standard library" in m for m in messages), messages


def test_a_declared_package_that_is_missing_stops_before_grading(tmp_path: Path) -> None:
    data = edited(DECLARED, "packages[1]", {"import": "past", "install": "future"})
    root = assignment(tmp_path, data)
    with pytest.raises(SpecError, match=r"packages\[1\]: students may import 'past', but .* "
                                        r"cannot; install it with: .* -m pip install future"):
        Grader(load_assignment(root))

    write_student(tmp_path / "subs" / "alice")
    result = CliRunner().invoke(main, ["grade", str(root), str(tmp_path / "subs")])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "pip install future" in result.output


def test_validate_imports_the_declared_packages_as_a_student_would(tmp_path: Path) -> None:
    from grader.validate import validate

    report = validate(load_assignment(assignment(tmp_path)))

    assert report.ok, report.problems
    assert report.self_grade == "11 / 11"


def test_bundles_carry_the_declared_packages(tmp_path: Path) -> None:
    import zipfile

    from grader.bundles.export import export_bundle
    from grader.bundles.gradescope import write_gradescope_zip

    spec = load_assignment(assignment(tmp_path))
    export_bundle(spec, tmp_path / "bundle")
    assert load_assignment(tmp_path / "bundle").packages == spec.packages
    zip_path = tmp_path / "autograder.zip"
    write_gradescope_zip(spec, zip_path)
    setup = zipfile.ZipFile(zip_path).read("setup.sh").decode()
    assert 'pip install "$SOURCE/grader-src" pyyaml' in setup


@pytest.mark.parametrize(("entry", "hint"), [
    ("pyyaml", "the installed distribution 'pyyaml' provides yaml, _yaml: write {import: "
               "yaml, install: pyyaml}"),
    ("compat", "'compat' is in public/, whose modules students import without a "
               "declaration"),
])
def test_a_likely_mistake_in_packages_gets_a_hint(tmp_path: Path, entry: str,
                                                  hint: str) -> None:
    root = assignment(tmp_path, edited(MINI_ASSIGNMENT, "packages", [entry]))
    with pytest.raises(SpecError, match=re.escape(hint)):
        Grader(load_assignment(root))


def test_a_package_only_the_graders_process_sees_stops_grading(tmp_path: Path,
                                                               monkeypatch: Any) -> None:
    # Importable here (on this process's sys.path), but not where students run.
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "only_here.py").write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    root = assignment(tmp_path, edited(MINI_ASSIGNMENT, "packages", ["only_here"]))
    student = write_student(tmp_path / "s")
    with Grader(load_assignment(root)) as grader, \
            pytest.raises(SpecError, match=r"assignment\.yaml: packages: the declared packages "
                                           r"do not import in a student's process: import "
                                           r"failed: ModuleNotFoundError: No module named "
                                           r"'only_here'"):
        grader.grade(student)
