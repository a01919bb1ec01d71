"""Assignment and problem specs: YAML in, typed and validated frozen objects out.

Every mistake in a spec raises :class:`~grader.errors.SpecError` naming the file, the key
path and what was expected. Paths inside a spec resolve relative to the spec's folder,
never to the current directory. The format is documented in ``problems/README.md``.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

from grader._schema import Node
from grader.errors import SpecError
from grader.spec._common import SETTINGS, Context, display_path, read_settings, read_yaml
from grader.spec.key import read_key
from grader.spec.model import (
    MAX_TIMEOUT,
    NOTEBOOK_CELLS,
    ORACLE_KINDS,
    SCORING,
    WARNINGS,
    Assignment,
    CaseGroup,
    Defaults,
    KnownMistake,
    NotebookSettings,
    OracleSpec,
    Package,
    Part,
    Problem,
    Tolerance,
)
from grader.spec.parts import load_part

__all__ = [
    "MAX_TIMEOUT",
    "ORACLE_KINDS",
    "SCORING",
    "WARNINGS",
    "Assignment",
    "CaseGroup",
    "Defaults",
    "KnownMistake",
    "NotebookSettings",
    "OracleSpec",
    "Package",
    "Part",
    "Problem",
    "Tolerance",
    "assignment_digest",
    "display_path",
    "load_assignment",
]


def load_assignment(path: str | Path) -> Assignment:
    """Load and validate an assignment folder (or its ``assignment.yaml``)."""
    root = Path(path)
    if root.is_file() and root.name == "assignment.yaml":
        root = root.parent
    if not root.is_dir():
        raise SpecError(display_path(root), "", "assignment folder not found")
    node = read_yaml(root / "assignment.yaml")
    node.mapping(
        required=("name", "module", "problems"),
        optional=("seed", "defaults", "reference_dir", "public_dir", "wrong_dir",
                  "source_digest", "packages", "notebooks"),
    )
    defaults_node = node.child("defaults")
    if defaults_node.value is not None:
        defaults_node.mapping(optional=SETTINGS)
    module = node.child("module").string()
    if not module.isidentifier():
        node.child("module").fail(f"expected a Python module name, got {module!r}")
    seed = node.child("seed").integer(minimum=0) if node.has("seed") else None
    source_digest = None
    if node.has("source_digest"):
        source_digest = node.child("source_digest").string()
        if not re.fullmatch(r"[0-9a-f]{8,64}", source_digest):
            node.child("source_digest").fail(
                f"expected a hex digest such as 3f2a1c9e0b7d4e21, got {source_digest!r}")
    defaults = read_settings(defaults_node, Defaults()) if defaults_node.value is not None \
        else Defaults()
    reference_dir = root / (node.child("reference_dir").string()
                            if node.has("reference_dir") else "reference")
    public_dir = root / (node.child("public_dir").string()
                         if node.has("public_dir") else "public")
    wrong_dir = root / (node.child("wrong_dir").string() if node.has("wrong_dir") else "wrong")
    ids_node = node.child("problems")
    ids = ids_node.string_list()
    if len(set(ids)) != len(ids):
        ids_node.fail("problem ids must be unique")
    context = Context(root, reference_dir, public_dir, wrong_dir, defaults)
    problems = []
    for i, pid in enumerate(ids):
        if not pid.replace("-", "_").isidentifier():
            ids_node.child(i).fail(f"expected a problem id like q1, got {pid!r}")
        problem_file = root / f"{pid}.yaml"
        if not problem_file.is_file():
            ids_node.child(i).fail(f"expected a file {pid}.yaml next to assignment.yaml; "
                                   "it does not exist")
        problems.append(_load_problem(problem_file, pid, context))
    groups = [g for p in problems for part in p.parts for g in part.groups]
    if seed is None:
        drawn = next((g for g in groups if g.stored is None), None)
        if drawn is not None:
            node.child("seed").fail(f"missing required key: the cases of {drawn.file}: "
                                    f"{drawn.key} are drawn from it")
    return Assignment(
        name=node.child("name").string(),
        module=module,
        seed=0 if seed is None else seed,
        problems=tuple(problems),
        root=root.resolve(),
        reference_dir=reference_dir.resolve(),
        public_dir=public_dir.resolve(),
        wrong_dir=wrong_dir.resolve(),
        defaults=defaults,
        digest=assignment_digest(root, (reference_dir, public_dir, wrong_dir), ids,
                                 [g.stored.path for g in groups if g.stored is not None]),
        source_digest=source_digest,
        packages=_packages(node.child("packages")) if node.has("packages") else (),
        notebooks=_notebooks(node.child("notebooks")) if node.has("notebooks")
        else NotebookSettings(),
        key=read_key(root),
    )


def _notebooks(node: Node) -> NotebookSettings:
    """``notebooks: {cells: all | definitions | tagged, tags: [graded], timeout: 60}``."""
    node.mapping(optional=("cells", "tags", "timeout"))
    default = NotebookSettings()
    cells = node.child("cells").choice(NOTEBOOK_CELLS) if node.has("cells") else default.cells
    tags = tuple(node.child("tags").string_list()) if node.has("tags") else default.tags
    if node.has("tags") and cells != "tagged":
        node.child("tags").fail("only with 'cells: tagged'")
    timeout = node.child("timeout").number(positive=True) if node.has("timeout") \
        else default.timeout
    if timeout > MAX_TIMEOUT:
        node.child("timeout").fail(f"expected at most {MAX_TIMEOUT:g} seconds, got {timeout:g}")
    return NotebookSettings(cells, tags, timeout)


def _packages(node: Node) -> tuple[Package, ...]:
    """``packages: [scipy, {import: past, install: future}, {import: matplotlib, optional:
    true}]``: import names, each with the distribution that provides it where the two
    differ, and whether grading can do without it."""
    packages: list[Package] = []
    for item in node.elements():
        optional = False
        if isinstance(item.value, dict):
            item.mapping(required=("import",), optional=("install", "optional"))
            name = item.child("import").string()
            install = item.child("install").string() if item.has("install") else name
            optional = item.child("optional").boolean() if item.has("optional") else False
        else:
            name = install = item.string()
        if not name.isidentifier():
            item.fail(f"expected a top-level module name such as 'scipy', got {name!r}")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~ ]*", install):
            item.fail(f"expected a distribution name for pip, got {install!r}")
        if any(p.name == name for p in packages):
            item.fail(f"{name!r} is listed twice")
        packages.append(Package(name, install, optional))
    return tuple(packages)


def assignment_digest(root: Path, folders: Sequence[Path], ids: list[str],
                      stored: list[Path] | None = None) -> str:
    """A digest of every file that decides the reports: specs, stored cases, and the Python
    files in ``folders`` (references, builders, known-wrong answers)."""
    files = [root / "assignment.yaml", *(root / f"{pid}.yaml" for pid in ids)]
    for folder in folders:
        if folder.is_dir():
            files += sorted(folder.rglob("*.py"))
    files += sorted(set(stored or ()))
    h = hashlib.sha256()
    for f in files:
        h.update(Path(os.path.relpath(f, root)).as_posix().encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _load_problem(path: Path, expected_id: str, ctx: Context) -> Problem:
    node = read_yaml(path)
    node.mapping(required=("id", "title", "points", "parts"))
    pid = node.child("id").string()
    if pid != expected_id:
        node.child("id").fail(f"expected {expected_id!r} (the file name), got {pid!r}")
    points = node.child("points").number(minimum=0)
    parts_node = node.child("parts")
    parts = [load_part(p, pid, ctx) for p in parts_node.elements()]
    if not parts:
        parts_node.fail("expected at least one part")
    ids = [p.id for p in parts]
    for i, part_id in enumerate(ids):
        if ids.index(part_id) != i:
            parts_node.child(i).fail(
                f"duplicate part id {part_id!r}; give one of them an explicit 'id'")
    total = sum(p.points for p in parts)
    if abs(total - points) > 1e-9:
        node.child("points").fail(
            f"expected the sum of the parts' points ({total:g}), got {points:g}")
    return Problem(
        id=pid,
        title=node.child("title").string(),
        points=points,
        parts=tuple(parts),
        file=path.resolve(),
    )
