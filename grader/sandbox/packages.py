"""The packages an assignment lets students import (``packages:`` in ``assignment.yaml``).

- :func:`require`: whether the student's Python has them, before anyone is graded (a
  missing one would give every student the same import failure, so ``grader grade`` and
  ``grader check`` stop first, with the command that installs it);
- :func:`policy`: what the student's process is told it may import
  (:mod:`grader.sandbox.child.imports` refuses the rest by name, with a message);
- :func:`view`: what of site-packages a student's process can read at all, at full and
  confined isolation (the wall behind that finder, which code in the student's process
  could remove);
- :func:`probe`: whether they import in a student's process, isolated as students are.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import os
import re
import shutil
import site
import subprocess
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from grader.errors import SpecError
from grader.spec import Assignment, Package, display_path


def missing(packages: tuple[Package, ...], python: str) -> list[Package]:
    """The declared packages ``python`` cannot import (found, not imported)."""
    if not packages:
        return []
    names = [p.name for p in packages]
    if python == sys.executable:
        found = {name for name in names if importlib.util.find_spec(name) is not None}
    else:
        probe = ("import importlib.util, sys\n"
                 "print('\\n'.join(n for n in sys.argv[1:] "
                 "if importlib.util.find_spec(n) is not None))")
        try:
            out = subprocess.run([python, "-I", "-c", probe, *names], capture_output=True,
                                 text=True, timeout=60, check=True).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            raise SpecError(python, "", f"cannot run the student's Python: {exc}") from None
        found = set(out.split())
    return [p for p in packages if p.name not in found]


def require(assignment: Assignment, python: str) -> None:
    """Stop (SpecError, exit 2) if a declared package is missing, naming how to install it."""
    absent = [p for p in missing(assignment.packages, python) if not p.optional]
    if absent:
        first = absent[0]
        more = f" (and {', '.join(p.name for p in absent[1:])})" if absent[1:] else ""
        index = assignment.packages.index(first)
        raise SpecError(display_path(assignment.root / "assignment.yaml"),
                        f"packages[{index}]",
                        f"students may import {first.name!r}{more}, but {python} cannot; "
                        + (_hint(assignment, first) or
                           f"install it with: {python} -m pip install "
                           f"{' '.join(p.install for p in absent)}"))


def _hint(assignment: Assignment, package: Package) -> str:
    """A likelier mistake than a missing install: a public/ module listed, or the
    distribution's name where its import name belongs."""
    if (assignment.public_dir / f"{package.name}.py").is_file() or \
            (assignment.public_dir / package.name / "__init__.py").is_file():
        return (f"{package.name!r} is in {assignment.public_dir.name}/, whose modules students "
                "import without a declaration: remove it from packages")
    provides = sorted(_provides(_canonical(package.name)), key=lambda n: (n[0] == "_", n))
    if provides:
        return (f"the installed distribution {package.name!r} provides "
                f"{', '.join(provides)}: write {{import: {provides[0]}, install: "
                f"{package.name}}}")
    return ""


def policy(assignment: Assignment) -> dict[str, Any]:
    """What the student's process is told about imports (:mod:`grader.sandbox.child.imports`):
    the top-level names it may import from site-packages (numpy, the declared packages and,
    through their distributions' requirements, what they need), the installed ones it may
    not (``refused``, for the message where :func:`view` hides them), the declared names
    (for messages), and the ``public/`` folder, whose modules students may import."""
    allowed = _allowed(assignment)
    return {"allowed": sorted(allowed), "declared": [p.name for p in assignment.packages],
            "refused": sorted(_installed_names() - allowed - set(sys.stdlib_module_names)),
            "public": str(assignment.public_dir)}


def _allowed(assignment: Assignment) -> set[str]:
    allowed = {"numpy", *(p.name for p in assignment.packages)}
    for dist in _distributions(assignment):
        allowed.update(_provides(dist))
    return allowed


def _installed_names() -> set[str]:
    """The top-level names importable from this Python's site-packages folders."""
    names = set()
    for folder in _site_folders():
        for entry in os.listdir(folder):
            name = entry if os.path.isdir(os.path.join(folder, entry)) else \
                entry.partition(".")[0] if entry.endswith((".py", ".so", ".pyd")) else ""
            if name.isidentifier() and not name.startswith("__"):
                names.add(name)
    return names


def view(assignment: Assignment) -> dict[str, list[str]]:
    """What of each site-packages folder a student's process sees at full and confined
    isolation: the entries (top-level files and folders, a ``__pycache__`` file by itself)
    that numpy's and the declared packages' distributions, with what they need, installed
    there, anything else named after their import names (``numpy.libs``), and the grader's
    own package (its worker runs there). Everything else in those folders is hidden, and so
    is everything in the other package folders a student's process could otherwise read
    (:data:`_ELSEWHERE`)."""
    import grader

    sites = _site_folders()
    seen: dict[str, set[str]] = {folder: set() for folder in sites}
    for name in _distributions(assignment):
        base, home, files = _installed(name)
        if os.path.dirname(home) in seen:
            seen[os.path.dirname(home)].add(os.path.basename(home))
        for parts in files if base in seen else ():
            if parts and parts[0] != "..":
                seen[base].add("/".join(parts[:2]) if parts[0] == "__pycache__" and
                               len(parts) > 1 else parts[0])
    allowed = _allowed(assignment)
    for folder in sites:
        seen[folder].update(entry for entry in os.listdir(folder)
                            if re.split(r"[.-]", entry)[0] in allowed)
    own = Path(grader.__file__).resolve().parent
    if str(own.parent) in seen:
        seen[str(own.parent)].add(own.name)
    for folder in _elsewhere():
        seen.setdefault(folder, set())  # another Python's packages: none shown
    return {folder: sorted(entries) for folder, entries in seen.items()}


# Where else installed packages lie, below a prefix: other Pythons' site-packages (a venv's
# base interpreter, the system's). (Wheels that zipimport could load, ensurepip's and
# Debian's pip and setuptools, stay readable; the finder refuses them.)
_ELSEWHERE = ("lib*/python*/site-packages", "lib*/python*/dist-packages",
              "local/lib*/python*/site-packages", "local/lib*/python*/dist-packages")


def _elsewhere() -> list[str]:
    """Package folders under this Python's prefixes and the system's (real paths)."""
    prefixes = dict.fromkeys((sys.prefix, sys.base_prefix, sys.exec_prefix,
                              sys.base_exec_prefix, "/usr", "/"))
    found: list[str] = []
    for prefix in prefixes:
        for pattern in _ELSEWHERE:
            for path in sorted(glob.glob(os.path.join(prefix, pattern))):
                real = os.path.realpath(path)
                if os.path.isdir(real) and real not in found and any(
                        not entry.endswith(".pth") for entry in os.listdir(real)):
                    found.append(real)  # (one that holds only .pth files hides nothing)
    return found


def _site_folders() -> list[str]:
    """This Python's site-packages folders (as real paths, existing ones, no repeats)."""
    candidates = [*site.getsitepackages(), site.getusersitepackages(),
                  *(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))]
    found: list[str] = []
    for path in candidates:
        real = os.path.realpath(path)
        if os.path.isdir(real) and real not in found:
            found.append(real)
    return found


def _distributions(assignment: Assignment) -> frozenset[str]:
    """numpy's and the declared packages' distributions, with what they require."""
    return _closure(("numpy", *(p.install for p in assignment.packages)))


@functools.cache
def _closure(roots: tuple[str, ...]) -> frozenset[str]:
    """The distributions ``roots`` name and everything they require (installed ones)."""
    seen: set[str] = set()
    todo = [_canonical(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            if "extra ==" in requirement:
                continue  # (an optional extra)
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
            if match:
                todo.append(_canonical(match.group(0)))
    return frozenset(seen)


@functools.cache
def _installed(dist: str) -> tuple[str, str, tuple[tuple[str, ...], ...]]:
    """Where an installed distribution's files are relative to, its own metadata folder
    (``.dist-info``), and the first two parts of each file's path; ("", "", ()) if it is
    not installed."""
    try:
        found = metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return "", "", ()
    record = found.read_text("RECORD")  # (read directly: numpy's has thousands of lines)
    paths = [line.split(",")[0] for line in record.splitlines()] if record else \
        [str(file) for file in found.files or []]
    return (os.path.realpath(str(found.locate_file(""))),
            os.path.realpath(str(getattr(found, "_path", ""))),
            tuple(tuple(path.replace(os.sep, "/").split("/", 2)[:2]) for path in paths if path))


@functools.cache
def _provides(dist: str) -> frozenset[str]:
    """The top-level import names an installed distribution provides (none if it is not
    installed): its ``top_level.txt``, or else the top of each file it installed."""
    try:
        listed = metadata.distribution(dist).read_text("top_level.txt")
    except metadata.PackageNotFoundError:
        return frozenset()
    if listed:
        return frozenset(listed.split())
    names = set()
    for parts in _installed(dist)[2]:
        name = parts[0] if len(parts) > 1 else parts[0].partition(".")[0] if parts else ""
        if name.isidentifier() and not name.startswith("__"):
            names.add(name)
    return frozenset(names)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.split("[")[0].strip()).lower()


def probe(assignment: Assignment, run: Callable[[Path], str | None]) -> str | None:
    """Why the declared packages do not import in a student's process, or None. ``run``
    imports a module file there (isolated as students are) and says why it failed."""
    required = [p for p in assignment.packages if not p.optional]
    if not required:
        return None
    work = Path(tempfile.mkdtemp(prefix="grader-packages-"))
    try:
        path = work / assignment.module_file
        path.write_text("".join(f"import {p.name}\n" for p in required), encoding="utf-8")
        failure = run(path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failure is None:
        return None
    installs = " ".join(p.install for p in required)
    return (f"the declared packages do not import in a student's process: {failure}; check "
            f"that the student's Python has them (python -m pip install {installs})")
