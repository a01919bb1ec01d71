"""Loading the instructor's trusted Python files (references, builders, case generators).

Only trusted code is loaded here, in the grader's own process. Student code is never
imported by the grader: it runs in :mod:`grader.sandbox.child.worker`, in a child process.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any


class ModuleLoadError(Exception):
    """A trusted module or function could not be loaded; the message says why."""


def load_module(path: Path) -> ModuleType:
    """Import the Python file at ``path`` under a name unique to that path."""
    path = path.resolve()
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    name = f"_grader_trusted_{digest}_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    if not path.is_file():
        raise ModuleLoadError(f"file {path} does not exist")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ModuleLoadError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.parent)
    sys.path.insert(0, folder)  # so the file may import its siblings
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ModuleLoadError(f"importing {path} failed: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.remove(folder)
    return module


def split_ref(ref: str) -> tuple[str, str]:
    """``"solution:sigmoid"`` -> ``("solution", "sigmoid")``."""
    module, sep, function = ref.partition(":")
    if not sep or not module or not function or ":" in function:
        raise ModuleLoadError(f"expected 'module:function', got {ref!r}")
    return module, function


def module_path(module: str, folder: Path) -> Path:
    """``"models.net"`` -> ``folder/models/net.py``."""
    return folder / (module.replace(".", "/") + ".py")


def ref_path(ref: str, folder: Path) -> Path:
    return module_path(split_ref(ref)[0], folder)


def resolve(ref: str, folder: Path) -> Callable[..., Any]:
    """The function named by ``module:function``, with the module file in ``folder``."""
    _, function = split_ref(ref)
    path = ref_path(ref, folder)
    if not path.is_file():
        raise ModuleLoadError(f"{ref!r}: no file {path}")
    module = load_module(path)
    target = getattr(module, function, None)
    if not callable(target):
        raise ModuleLoadError(f"{ref!r}: {path.name} defines no function {function!r}")
    return target  # type: ignore[no-any-return]
