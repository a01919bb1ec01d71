"""What a submission may import: numpy, the standard library, its own folder, the
assignment's ``public/`` modules, and the packages the assignment declares (with what they
need). Under full and confined isolation, any other installed package is refused as if it
were missing; an import of something unavailable is reported as exactly that, naming the
module and whether the assignment allows it.

Standard library only, like the rest of :mod:`grader.sandbox.child`. (Code in the student's
process could remove the finder, which gives the message; the wall is that the files are
not there to read: :func:`grader.sandbox.packages.view`.)
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
    modules need allowing (site-packages); ``refused``: the installed names it may not
    import, which isolation may have hidden (then only the name says it was refused)."""

    def __init__(self, allowed: Sequence[str], declared: Sequence[str],
                 roots: Sequence[str], refused: Sequence[str] = ()) -> None:
        self.allowed = frozenset(allowed) | frozenset(sys.stdlib_module_names)
        self.declared = tuple(declared)
        self.roots = tuple(os.path.join(os.path.realpath(r), "") for r in roots)
        self.refused = frozenset(refused)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if path is not None or name in self.allowed or name in sys.modules:
            return None  # (a submodule, once its package was allowed; or allowed)
        spec = importlib.machinery.PathFinder.find_spec(name)
        origin = getattr(spec, "origin", None) or next(
            iter(getattr(spec, "submodule_search_locations", None) or ()), None)
        if (origin is None and name in self.refused) or (origin and self.installed(origin)):
            raise ModuleNotFoundError(f"No module named {name!r}: {self.allows()}", name=name)
        return None

    def installed(self, origin: str) -> bool:
        """Whether ``origin`` lies in installed packages: this Python's site-packages, any
        other ``site-packages`` or ``dist-packages`` folder, or a wheel."""
        real = os.path.realpath(origin)
        return real.startswith(self.roots) or any(
            part in ("site-packages", "dist-packages") or part.endswith(".whl")
            for part in real.split(os.sep))

    def forget_loaded(self) -> None:
        """Drop the installed modules this process loaded before the submission (``.pth``
        files import some at start) that the assignment does not allow, so that importing
        one is refused like any other."""
        for name, module in list(sys.modules.items()):
            top = name.partition(".")[0]
            if top in self.allowed or top == "grader":
                continue
            origin = getattr(module, "__file__", None)
            if isinstance(origin, str) and self.installed(origin):
                del sys.modules[name]

    def allows(self) -> str:
        return f"the assignment does not allow it ({allowed_text(self.declared)})"


def explain(exc: ModuleNotFoundError, declared: Sequence[str]) -> str:
    """The message for a submission whose import of a module failed because it is missing."""
    name = exc.name
    if not isinstance(name, str) or not name or ": the assignment does not allow it" in \
            str(exc):
        return str(exc)  # (not an import's failure, or already said)
    top = name.split(".")[0]
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
        finder = Declared(policy.get("allowed", ()), policy.get("declared", ()), roots,
                          policy.get("refused", ()))
        finder.forget_loaded()
        sys.meta_path.insert(0, finder)
