"""Call sequences: one case that makes several calls, later ones using earlier results.

A part with ``steps:`` (``problems/README.md``, "Call sequences and objects") becomes a
*program*: plain data (JSON) that says which names to call with which values, what to name
each result, and which values to return for comparison::

    {"steps": [{"call": "affine_forward", "args": ["x", "w", "b"], "kwargs": {},
                "as": ["out", "cache"]},
               {"call": "affine_backward", "args": ["dout", "cache"], "kwargs": {},
                "as": ["dx", "dw", "db"]},
               {"get": "bn_param.running_mean", "as": "mean_after"},
               {"set": "model.params", "value": "params"}],
     "returns": ["dx", "dw", "db"]}

The same interpreter, :func:`run`, runs the reference's sequence in the grader's process and
the student's in the student's process; whatever a step returns (a cache, an object) stays
in the process that made it, and only the returned values are converted and compared.

A ``get`` step keeps a deep copy of a value as it is then (state between two calls); a
``set`` step puts a value at a path (a model's weights, before its loss is computed).

A *path* is a dotted name: its first part is a case argument, an earlier step's result or a
name in the module (a function or class); each later part is a dict key, a list or tuple
index, or an attribute (a dict's methods included), in that order of preference
(``model.params.W1``, ``config.update``).

Where a path goes, an argument may also be a literal, ``{"literal": value}``: plain data
written in the spec, a fresh copy for each call.

Standard library only, like the rest of :mod:`grader.sandbox.child`.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any


class StepFailed(Exception):
    """A step of the sequence failed. ``label`` names it ("step 2 (affine_backward)");
    ``cause`` is the exception it raised, or None when ``reason`` says what was wrong with
    a value (a result that cannot be unpacked, a path that leads nowhere)."""

    def __init__(self, label: str, cause: BaseException | None = None, reason: str = "") -> None:
        super().__init__(label)
        self.label = label
        self.cause = cause
        self.reason = reason


class PathError(Exception):
    """A path leads nowhere: no such name, key, index or attribute."""


def step_label(number: int, step: Mapping[str, Any]) -> str:
    """"step 2 (affine_backward)", "step 3 (get bn_param.running_mean)" or "step 1 (set
    model.params)"."""
    what = step["call"] if "call" in step else \
        f"get {step['get']}" if "get" in step else f"set {step['set']}"
    return f"step {number} ({what})"


def _target(step: Mapping[str, Any]) -> str:
    return str(step.get("call") or step.get("get") or step["set"])


def return_labels(program: Mapping[str, Any]) -> list[str]:
    """A label per returned path: the step that last used its first name, and the path
    ("step 2 (model.loss) grads"); a case argument no step used is "argument x"."""
    labels = []
    for path, number in zip(program["returns"], origins(program), strict=True):
        labels.append(f"{step_label(number, program['steps'][number - 1])} {path}"
                      if number else f"argument {path}")
    return labels


def origins(program: Mapping[str, Any]) -> list[int]:
    """For each returned path, the number of the last step that used or bound its first
    name (0 when no step did)."""
    last: dict[str, int] = {}
    for number, step in enumerate(program["steps"], 1):
        used = [p for p in (_target(step), *step.get("args", ()),
                            *step.get("kwargs", {}).values(), step.get("value"))
                if isinstance(p, str)]
        bound = step.get("as")
        for name in [*(p.split(".")[0] for p in used),
                     *([bound] if isinstance(bound, str) else bound or [])]:
            last[name] = number
    return [last.get(path.split(".")[0], 0) for path in program["returns"]]


def called_names(program: Mapping[str, Any], given: set[str]) -> list[str]:
    """The module's functions and classes that the steps call by name: each ``call`` of a
    plain name that is neither a case argument (``given``) nor bound by an earlier step.
    (A path such as ``config.update`` starts with a name that need not be callable.)"""
    bound = set(given)
    names: list[str] = []
    for step in program["steps"]:
        root = _target(step)
        if "call" in step and "." not in root and root not in bound and root not in names:
            names.append(root)
        target = step.get("as")
        bound.update([target] if isinstance(target, str) else target or [])
    return names


def lookup(path: str, scope: Mapping[str, Any], module: Any) -> Any:
    """The value a path names (see the module's docstring); PathError if there is none."""
    root, *rest = path.split(".")
    if root in scope:
        value = scope[root]
    else:
        try:
            value = getattr(module, root)
        except AttributeError:
            raise PathError(f"{root!r} is not defined (not a case argument, an earlier "
                            "step's result, or a name in the module)") from None
    for depth, part in enumerate(rest, 1):
        value = step_into(value, part, ".".join([root, *rest[:depth - 1]]))
    return value


def argument(given: str | Mapping[str, Any], scope: Mapping[str, Any], module: Any) -> Any:
    """What a step passes: the value a path names, or a copy of a literal."""
    if isinstance(given, str):
        return lookup(given, scope, module)
    return copy.deepcopy(given["literal"])


def step_into(value: Any, part: str, where: str) -> Any:
    """``value[part]`` for a dict that has that key or (with a number) a list or tuple,
    else the attribute (a dict's methods included)."""
    if isinstance(value, dict):
        if part in value:
            return value[part]
        if not hasattr(type(value), part):  # (else a method: config.update, params.items)
            raise PathError(f"{where} has no key {part!r}")
    if isinstance(value, (list, tuple)) and part.isdigit():
        if int(part) >= len(value):
            raise PathError(f"{where} has no item {part} (it holds {len(value)})")
        return value[int(part)]
    if not hasattr(value, part):
        raise PathError(f"{where} ({type(value).__name__}) has no attribute {part!r}")
    return getattr(value, part)


def run(program: Mapping[str, Any], module: Any, given: Mapping[str, Any],
        labels: Sequence[str] | None = None) -> tuple[list[Any], list[float]]:
    """Run the steps with the case's values (``given``, by name) and the module's names;
    return the values of ``returns`` and each step's time. A failure raises StepFailed.
    ``labels``: :func:`return_labels` of the program, when the caller has them already."""
    scope = dict(given)
    seconds: list[float] = []
    for number, step in enumerate(program["steps"], 1):
        label = step_label(number, step)
        if "call" not in step:
            with failing(label):  # (a student's __setattr__, __deepcopy__ or property)
                if "set" in step:
                    _assign(step["set"], argument(step["value"], scope, module), scope,
                            module)
                else:
                    _bind(scope, step["as"], copy.deepcopy(lookup(step["get"], scope, module)),
                          label)
            seconds.append(0.0)
            continue
        with failing(label):  # (a student's property or __getattr__ that raised)
            function = lookup(step["call"], scope, module)
            args = [argument(p, scope, module) for p in step.get("args", ())]
            kwargs = {k: argument(p, scope, module) for k, p in step.get("kwargs", {}).items()}
        start = time.perf_counter()
        try:
            result = function(*args, **kwargs)
        except BaseException as exc:
            raise StepFailed(label, exc) from None
        seconds.append(time.perf_counter() - start)
        with failing(label):  # (a result whose __len__ or __iter__ raised)
            _bind(scope, step.get("as"), result, label)
    returned = []
    for path, label in zip(program["returns"], labels or return_labels(program), strict=True):
        with failing(label):
            returned.append(lookup(path, scope, module))
    return returned, seconds


@contextlib.contextmanager
def failing(label: str) -> Iterator[None]:
    """Whatever goes wrong inside is a :class:`StepFailed` of the step ``label``."""
    try:
        yield
    except StepFailed:
        raise
    except PathError as exc:
        raise StepFailed(label, reason=str(exc)) from None
    except BaseException as exc:
        raise StepFailed(label, exc) from None


def _assign(path: str, value: Any, scope: dict[str, Any], module: Any) -> None:
    """Set what ``path`` names to ``value``: a dict key, a list item or an attribute."""
    parent, _, last = path.rpartition(".")
    if not parent:
        scope[last] = value
        return
    holder = lookup(parent, scope, module)
    if isinstance(holder, dict):
        holder[last] = value
    elif isinstance(holder, list) and last.isdigit():
        if int(last) >= len(holder):
            raise PathError(f"{parent} has no item {last} (it holds {len(holder)})")
        holder[int(last)] = value
    else:
        setattr(holder, last, value)


def _bind(scope: dict[str, Any], target: str | list[str] | None, value: Any,
          label: str) -> None:
    if target is None:
        return
    if isinstance(target, str):
        scope[target] = value
        return
    size = (list.__len__(value) if isinstance(value, list) else tuple.__len__(value)) \
        if isinstance(value, (tuple, list)) else -1
    if size != len(target):
        got = f"a {type(value).__name__} of {size}" if size >= 0 \
            else ("None" if value is None else f"a {type(value).__name__}")
        raise StepFailed(label, reason=f"returned {got}, expected a tuple of {len(target)} "
                                       f"({', '.join(target)})")
    items = list.__iter__(value) if isinstance(value, list) else tuple.__iter__(value)
    for name, item in zip(target, items, strict=True):
        scope[name] = item
