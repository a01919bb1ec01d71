"""What every part of spec loading shares: reading YAML, settings, resolving names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grader import _modules
from grader._schema import Node
from grader.errors import SpecError
from grader.spec.model import MAX_TIMEOUT, SCORING, WARNINGS, Defaults, Tolerance

# libyaml's loader when PyYAML was built with it (several times faster); safe either way.
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_yaml(path: Path) -> Node:
    shown = display_path(path)
    if not path.is_file():
        raise SpecError(shown, "", "file not found")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(shown, where, f"invalid YAML: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(shown, "", f"cannot read file: {exc}") from None
    return Node(data, shown)


def read_tolerance(node: Node, base: Tolerance) -> Tolerance:
    node.mapping(optional=("rtol", "atol", "reason", "float32", "shape"))
    return Tolerance(
        rtol=node.child("rtol").number(minimum=0) if node.has("rtol") else base.rtol,
        atol=node.child("atol").number(minimum=0) if node.has("atol") else base.atol,
        reason=node.child("reason").string() if node.has("reason") else None,
        float32=node.child("float32").boolean() if node.has("float32") else base.float32,
        shape=node.child("shape").choice(("exact", "squeeze")) if node.has("shape")
        else base.shape,
    )


SETTINGS = ("tolerance", "timeout", "scoring", "warnings")


def read_settings(node: Node, base: Defaults) -> Defaults:
    """The settings a part (or the assignment's defaults) gives, falling back to ``base``.

    ``node`` is the mapping that may hold them; other keys are its caller's business.
    """
    return Defaults(
        tolerance=read_tolerance(node.child("tolerance"), base.tolerance)
        if node.has("tolerance") else base.tolerance,
        timeout=node.child("timeout").number(positive=True, maximum=MAX_TIMEOUT)
        if node.has("timeout")
        else base.timeout,
        scoring=node.child("scoring").choice(SCORING) if node.has("scoring") else base.scoring,
        warnings=node.child("warnings").choice(WARNINGS) if node.has("warnings")
        else base.warnings,
    )


@dataclass(frozen=True)
class Context:
    root: Path  # the assignment folder, where the specs are
    reference_dir: Path
    public_dir: Path
    wrong_dir: Path
    defaults: Defaults

    def resolve(self, node: Node, ref: str, folder: Path) -> Callable[..., Any]:
        try:
            return _modules.resolve(ref, folder)
        except _modules.ModuleLoadError as exc:
            node.fail(str(exc))

    def check_builder(self, node: Node, ref: str) -> None:
        self.resolve(node, ref, self.public_dir)
