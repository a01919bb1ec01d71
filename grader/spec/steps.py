"""Loading a part's call sequence: ``steps:`` and ``returns:``.

See ``problems/README.md``, "Call sequences and objects". The steps run in the student's
process (:mod:`grader.sandbox.child.steps`); their references are modules in ``reference/``
that define the names the steps call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from grader import _modules
from grader._schema import Node
from grader.cases.generators import MAX_DEPTH
from grader.sandbox.child import steps as child_steps
from grader.spec.model import Argument, CaseGroup, Step

_PATH = re.compile(r"[A-Za-z_]\w*(\.\w+)*\Z")
# What a part that makes one call says with these keys, a call sequence says in `returns`.
NOT_WITH_STEPS = ("compare", "outputs")


def load_module_refs(node: Node, refs: Sequence[str], folder: Path) -> tuple[ModuleType, ...]:
    """The modules that ``refs`` name ("layers", or "models.net" for models/net.py), in
    ``folder``; ``node`` (a string or a list of them) is where a mistake is reported."""
    modules = []
    for i, ref in enumerate(refs):
        at = node.child(i) if isinstance(node.value, list) else node
        if ":" in ref or not all(p.isidentifier() for p in ref.split(".")):
            at.fail(f"a part with 'steps' or 'scenario' names a module (such as 'layers' for "
                    f"{folder.name}/layers.py), got {ref!r}")
        path = _modules.module_path(ref, folder)
        if not path.is_file():
            at.fail(f"{ref!r}: no file {path}")
        try:
            modules.append(_modules.load_module(path))
        except _modules.ModuleLoadError as exc:
            at.fail(str(exc))
    return tuple(modules)


def load_steps(node: Node, groups: Sequence[CaseGroup], modules: Sequence[ModuleType]
               ) -> tuple[tuple[Step, ...], tuple[str, ...]]:
    """``steps:`` and ``returns:`` of the part ``node``, checked: every path starts with a
    case argument, an earlier step's result, or a name every reference module defines."""
    for key in NOT_WITH_STEPS:
        if node.has(key):
            node.child(key).fail("not allowed with 'steps': list what to compare in 'returns'")
    if not node.has("returns"):
        node.child("returns").fail("missing required key: the values the steps' results "
                                   "are compared by (a list of names or paths)")
    given = _case_names(groups)
    bound: set[str] = set()
    steps = []
    steps_node = node.child("steps")
    if not steps_node.elements():
        steps_node.fail("expected a non-empty list of steps")
    for snode in steps_node.elements():
        step = _load_step(snode)

        def check(path_node: Node, path: str) -> None:
            _check_root(path_node, path, given, bound, modules)

        kind = "call" if step.call is not None else "get" if step.get is not None else "set"
        check(snode.child(kind), step.call or step.get or step.set or "")
        if isinstance(step.value, str):
            check(snode.child("value"), step.value)
        for i, arg in enumerate(step.args):
            if isinstance(arg, str):
                check(snode.child("args").child(i), arg)
        for name, arg in step.kwargs:
            if isinstance(arg, str):
                check(snode.child("kwargs").child(name), arg)
        bound.update([step.bind] if isinstance(step.bind, str) else step.bind or ())
        steps.append(step)
    if all(step.call is None for step in steps):
        steps_node.fail("expected at least one step with 'call'")
    rnode = node.child("returns")
    returns = tuple(rnode.string_list())
    if not returns:
        rnode.fail("expected a non-empty list of names or paths")
    for i, path in enumerate(returns):
        _path(rnode.child(i) if isinstance(rnode.value, list) else rnode, path)
        _check_root(rnode.child(i) if isinstance(rnode.value, list) else rnode, path, given,
                    bound, modules)
    return tuple(steps), returns


def shown_call(steps: Sequence[Step], returns: Sequence[str]) -> str:
    """The call a part with steps is shown by where ``function:`` does not say: the one that
    made its first returned value, else its last call."""
    program = {"steps": [s.program() for s in steps], "returns": list(returns)}
    number = child_steps.origins(program)[0]
    made = steps[number - 1].call if number else None
    return made or next(s.call for s in reversed(steps) if s.call is not None)


def _load_step(node: Node) -> Step:
    node.mapping(optional=("call", "get", "set", "value", "args", "kwargs", "as"))
    kinds = [k for k in ("call", "get", "set") if node.has(k)]
    if len(kinds) != 1:
        node.fail("expected exactly one of 'call' (a function, class or method to call), "
                  "'get' (a value to keep a copy of) or 'set' (a path to put a value at)")
    kind = kinds[0]
    path = _path(node.child(kind), node.child(kind).string())
    args: tuple[Argument, ...] = ()
    kwargs: tuple[tuple[str, Argument], ...] = ()
    for key in ("args", "kwargs", *(("as",) if kind == "set" else ())):
        if kind != "call" and node.has(key):
            node.child(key).fail(f"not allowed with '{kind}'")
    if kind == "get" and not node.has("as"):
        node.child("as").fail("missing required key: the name of the copy")
    if (kind == "set") != node.has("value"):
        node.child("value").fail("missing required key: the name or path of the value to set"
                                 if kind == "set" else "only a 'set' step has 'value'")
    if kind == "set":
        return Step(set=path, value=_argument(node.child("value")))
    if node.has("args"):
        anode = node.child("args")
        if not isinstance(anode.value, list):
            anode.fail("expected a list of names, paths or {literal: ...} values")
        args = tuple(_argument(a) for a in anode.elements())
    if node.has("kwargs"):
        items: list[tuple[str, Argument]] = []
        for name, knode in node.child("kwargs").items():
            if not name.isidentifier():
                knode.fail(f"expected a parameter name, got {name!r}")
            items.append((name, _argument(knode)))
        kwargs = tuple(items)
    bind: str | tuple[str, ...] | None = None
    if node.has("as"):
        bnode = node.child("as")
        if isinstance(bnode.value, list):
            names = bnode.string_list()
            if not names or len(set(names)) != len(names):
                bnode.fail("expected a name, or a list of distinct names to unpack a tuple into")
            bind = tuple(names)
        else:
            bind = bnode.string()
        for name in [bind] if isinstance(bind, str) else bind:
            if not name.isidentifier():
                bnode.fail(f"expected an identifier, got {name!r}")
    return Step(call=path if kind == "call" else None, get=path if kind == "get" else None,
                args=args, kwargs=kwargs, bind=bind)


def _argument(node: Node) -> Argument:
    """A name or path (a string), or ``{literal: value}``: plain data, as in a case's
    ``{literal: ...}`` (lists stay lists, ``null`` is None)."""
    if isinstance(node.value, dict):
        node.mapping(required=("literal",))
        _check_literal(node.child("literal"), 0)
        return {"literal": node.value["literal"]}
    if not isinstance(node.value, str):
        node.fail(f"expected a name, a dotted path or {{literal: ...}}, got "
                  f"{type(node.value).__name__}")
    return _path(node, node.value)


def _check_literal(node: Node, depth: int) -> None:
    if depth > MAX_DEPTH:
        node.fail(f"nested more than {MAX_DEPTH} deep")
    if isinstance(node.value, dict):
        for _key, child in node.items():  # (string keys only)
            _check_literal(child, depth + 1)
    elif isinstance(node.value, list):
        for child in node.elements():
            _check_literal(child, depth + 1)
    elif not (node.value is None or isinstance(node.value, (bool, int, float, str))):
        node.fail(f"expected plain data, got {type(node.value).__name__}")


def _path(node: Node, path: str) -> str:
    if not _PATH.match(path):
        node.fail(f"expected a name or a dotted path such as 'cache' or 'model.params.W1', "
                  f"got {path!r}")
    return path


def _case_names(groups: Sequence[CaseGroup]) -> set[str] | None:
    """The names every case of the part gives; None when a generator function draws them
    (known only once drawn)."""
    names: set[str] = set()
    for group in groups:
        if group.generator is not None:
            return None
        if group.stored is not None:
            for case in group.stored.cases:
                names.update((*case.args, *case.kwargs))
        names.update(name for name, _ in (*group.args, *group.kwargs))
    return names


def _check_root(node: Node, path: str, given: set[str] | None, bound: set[str],
                modules: Sequence[ModuleType]) -> None:
    root = path.split(".")[0]
    if given is None or not modules or root in bound or root in given:
        return  # (names known only once drawn, or no reference to define them)
    lacking = [m for m in modules if not hasattr(m, root)]
    if lacking:
        node.fail(f"{root!r} is not a case argument, an earlier step's result, or a name "
                  f"that the reference module {_module_name(lacking[0])} defines")


def _module_name(module: ModuleType) -> str:
    return repr(Path(module.__file__ or module.__name__).stem)
