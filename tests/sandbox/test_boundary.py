"""The student's side of the process boundary imports none of the grader's side.

The worker and the zygote run outside the grader's process, the worker with the student's
code in it. They may import the standard library, numpy, the rest of ``grader.sandbox.child``
and the wire format; anything more would load the grader's side into a student's process.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import grader

CHILD = Path(grader.__file__).resolve().parent / "sandbox" / "child"
ALLOWED = ("grader.sandbox.child", "grader.sandbox.wire")
# What importing a child module may load besides the allowed modules: the packages above them.
PACKAGES = {"grader", "grader.sandbox", "grader.sandbox.child"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module that ``path`` imports, at any depth (function bodies included)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}:{node.lineno}: a relative import"
            module = node.module or ""
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _allowed(name: str) -> bool:
    return not name.startswith("grader") or any(
        name == a or name.startswith(a + ".") for a in ALLOWED)


@pytest.mark.parametrize("path", sorted(CHILD.glob("*.py")), ids=lambda p: p.name)
def test_child_modules_import_only_the_child_side_and_the_wire_format(path: Path) -> None:
    wrong = [f"line {line}: {name}" for line, name in _imports(path) if not _allowed(name)]
    assert not wrong, f"{path.name} imports the grader's side: {wrong}"


def test_a_student_process_loads_nothing_of_the_graders_side() -> None:
    script = ("import sys\n"
              "import grader.sandbox.child.worker, grader.sandbox.child.zygote\n"
              "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('grader'))))\n")
    loaded = subprocess.run([sys.executable, "-I", "-c", script], check=True,
                            capture_output=True, text=True).stdout.split()
    assert "grader.sandbox.child.worker" in loaded
    wrong = [m for m in loaded if m not in PACKAGES and not _allowed(m)]
    assert not wrong, f"a student's process would load {wrong}"
