"""Loading one entry of a part's ``cases``: declarative, generated or stored."""

from __future__ import annotations

from typing import Any

from grader import _modules
from grader._schema import Node
from grader.cases.generators import Generator
from grader.cases.parse import Scope, parse_value
from grader.cases.stored import StoredCases, StoredCasesError, builder_refs, read_cases
from grader.spec._common import Context
from grader.spec.model import CaseGroup


def load_group(node: Node, ctx: Context, index: int) -> CaseGroup:
    node.mapping(optional=("name", "count", "public", "dims", "let", "args", "kwargs",
                           "generator", "stored"))
    name = node.child("name").string() if node.has("name") else f"group{index + 1}"
    if node.has("stored"):
        return _load_stored_group(node, ctx, name)
    count = node.child("count").integer(minimum=1, maximum=10_000) if node.has("count") else 1
    public = _public(node, count)
    dims: dict[str, tuple[int, int]] = {}
    if node.has("dims"):
        for dim, dnode in node.child("dims").items():
            if not dim.isidentifier():
                dnode.fail(f"a dimension name must be an identifier, got {dim!r}")
            dims[dim] = _dim_range(dnode)
    has_args = node.has("args")
    has_gen = node.has("generator")
    if has_args == has_gen:
        node.fail("expected exactly one of 'args' (declarative), 'generator' (a function) "
                  "or 'stored' (a file of cases)")
    scope = Scope(frozenset(dims), frozenset(), ctx.check_builder)
    let: list[tuple[str, Generator]] = []
    args: list[tuple[str, Generator]] = []
    kwargs: list[tuple[str, Generator]] = []
    for key, target in (("let", let), ("args", args), ("kwargs", kwargs)):
        if not node.has(key):
            continue
        section = node.child(key)
        if section.value is None:
            section = Node({}, section.file, section.path)
        for name_, vnode in section.items():
            if not name_.isidentifier():
                vnode.fail(f"expected an identifier, got {name_!r}")
            if name_ in scope.names:
                vnode.fail(f"{name_!r} is already defined in this case group")
            target.append((name_, parse_value(vnode, scope)))
            scope = Scope(scope.dims, scope.names | {name_}, ctx.check_builder)
    generator = None
    generator_ref = None
    options: dict[str, Any] = {}
    if has_gen:
        gnode = node.child("generator")
        if isinstance(gnode.value, dict):
            gnode.mapping(required=("function",), optional=("with",))
            generator_ref = gnode.child("function").string()
            if gnode.has("with"):
                options = {k: v.value for k, v in gnode.child("with").items()}
            generator = ctx.resolve(gnode.child("function"), generator_ref, ctx.reference_dir)
        else:
            generator_ref = gnode.string()
            generator = ctx.resolve(gnode, generator_ref, ctx.reference_dir)
    return CaseGroup(
        name=name,
        count=count,
        public=public,
        dims=dims,
        let=tuple(let),
        args=tuple(args),
        kwargs=tuple(kwargs),
        generator=generator,
        generator_ref=generator_ref,
        generator_options=options,
        file=node.file,
        key=node.path,
    )


def _public(node: Node, count: int) -> int:
    """How many of the group's first cases are public: ``true``, ``false`` or a number."""
    if not node.has("public"):
        return 0
    pub = node.child("public")
    if isinstance(pub.value, bool):
        return count if pub.value else 0
    return pub.integer(minimum=0, maximum=count)


def _load_stored_group(node: Node, ctx: Context, name: str) -> CaseGroup:
    """``stored: cases/q1.npz``: the cases (and maybe expected outputs) are in that file."""
    for key in ("count", "dims", "let", "args", "kwargs", "generator"):
        if node.has(key):
            node.child(key).fail("not allowed with 'stored': the file holds the cases")
    stored_node = node.child("stored")
    relative = stored_node.string()
    path = ctx.root / relative
    try:
        cases = read_cases(path)
    except StoredCasesError as exc:
        stored_node.fail(f"{relative}: {exc}")
    for k, case in enumerate(cases):
        for section, values in (("args", case.args), ("kwargs", case.kwargs)):
            for arg, value in values.items():
                for ref in builder_refs(value):
                    try:
                        _modules.resolve(ref, ctx.public_dir)
                    except _modules.ModuleLoadError as exc:
                        stored_node.fail(f"{relative}: cases[{k}].{section}.{arg}: {exc}")
    return CaseGroup(
        name=name,
        count=len(cases),
        public=_public(node, len(cases)),
        stored=StoredCases(path, cases),
        file=node.file,
        key=node.path,
    )


def _dim_range(node: Node) -> tuple[int, int]:
    value = node.value
    if isinstance(value, int) and not isinstance(value, bool):
        n = node.integer(minimum=0)
        return n, n
    if (
        isinstance(value, list) and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] <= value[1]
    ):
        return value[0], value[1]
    node.fail(f"expected an integer or [low, high] with 0 <= low <= high, got {value!r}")
