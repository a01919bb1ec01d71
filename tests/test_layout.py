"""The package reads like the pipeline: subsystems are packages, each saying what it does.

These hold the shape that the README's "Architecture" section describes, so that a new
feature lands in its subsystem's package rather than at the top level.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grader

PACKAGE = Path(grader.__file__).resolve().parent
SUBSYSTEMS = ("spec", "cases", "judge", "sandbox", "sandbox/child", "intake", "batch",
              "bundles", "reporters", "selfcheck", "similarity", "cli")


def test_the_top_level_keeps_only_what_ties_the_subsystems_together() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 15, modules


def test_every_subsystem_is_a_package_whose_docstring_says_what_it_does() -> None:
    for name in SUBSYSTEMS:
        init = PACKAGE / name / "__init__.py"
        assert init.is_file(), f"grader/{name} is not a package"
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and len(doc.splitlines()) >= 3, f"grader/{name}/__init__.py: no docstring"
    packages = {p.parent.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("__init__.py")}
    assert packages - {"."} == set(SUBSYSTEMS), "a package the architecture section lacks"


def test_every_module_says_its_job_and_fits_one_sitting() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE.parent).as_posix()
        text = path.read_text()
        assert ast.get_docstring(ast.parse(text)), f"{name}: no docstring"
        assert text.count("\n") <= 500, f"{name}: over 500 lines"
