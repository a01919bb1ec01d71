"""What a submission may import: numpy, the standard library, its own folder, the
assignment's ``public/`` modules, and the packages the assignment declares (with what they
need). Under full and confined isolation, any other installed package is refused as if it
were missing; an import of something unavailable is reported as exactly that, naming the
module and whether the assignment allows it.

Standard library only, like the rest of :mod:`grader.sandbox.child`. (Code in the student's
process could remove the finder: it keeps honest code to what the assignment declares, so
that grading does not depend on what happens to be installed; it is not a wall.)
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
from collections.abc import Sequence
from typing import Any


class Declared:
    """Refuses, at import, top-level modules found in site-packages that the assignment
    does not allow. ``allowed``: top-level import names; ``roots``: the folders whose
    modules need allowing (site-packages)."""

    def __init__(self, allowed: Sequence[str], declared: Sequence[str],
                 roots: Sequence[str]) -> None:
        self.allowed = frozenset(allowed) | frozenset(sys.stdlib_module_names)
        self.declared = tuple(declared)
        self.roots = tuple(os.path.join(os.path.realpath(r), "") for r in roots)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if path is not None or name in self.allowed or name in sys.modules:
            return None  # (a submodule, once its package was allowed; or allowed)
        spec = importlib.machinery.PathFinder.find_spec(name)
        origin = getattr(spec, "origin", None) or next(
            iter(getattr(spec, "submodule_search_locations", None) or ()), None)
        if origin and os.path.realpath(origin).startswith(self.roots):
            raise ModuleNotFoundError(f"No module named {name!r}: {self.allows()}", name=name)
        return None

    def allows(self) -> str:
        return f"the assignment does not allow it ({allowed_text(self.declared)})"


def explain(exc: ModuleNotFoundError, declared: Sequence[str]) -> str:
    """The message for a submission whose import of a module failed because it is missing."""
    name = exc.name or "?"
    top = name.split(".")[0]
    if ": the assignment does not allow it" in str(exc):
        return str(exc)
    if top in declared:
        return f"No module named {name!r}: the assignment allows it, but it is not " \
               "installed where this is graded (tell your instructor)"
    return f"No module named {name!r}: it is not available here ({allowed_text(declared)})"


def allowed_text(declared: Sequence[str]) -> str:
    """What a submission may import, in a student's words."""
    packages = "".join(f", {n}" for n in declared)
    return f"the assignment allows numpy{packages}, the standard library, its public modules " \
           "and your own modules"


def apply(policy: dict[str, Any], enforce: bool) -> None:
    """Make ``public/`` importable and, where ``enforce``, refuse undeclared packages from
    this interpreter's site-packages."""
    public = policy.get("public")
    if isinstance(public, str) and os.path.isdir(public):
        sys.path.append(public)
    if enforce:
        roots = [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
        sys.meta_path.insert(0, Declared(policy.get("allowed", ()), policy.get("declared", ()),
                                         roots))
