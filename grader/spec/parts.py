"""Loading one part of a question: its function, references, settings, cases and checks."""

from __future__ import annotations

import inspect
from typing import Any

from grader._schema import Node
from grader.judge.properties import BUILTIN as BUILTIN_PROPERTIES
from grader.judge.properties import PropertyCheck
from grader.spec._common import Context, read_settings, read_tolerance
from grader.spec.groups import load_group
from grader.spec.model import (
    ORACLE_KINDS,
    CaseGroup,
    KnownMistake,
    OracleSpec,
    Part,
    Step,
    Tolerance,
)
from grader.spec.steps import load_module_refs, load_steps, shown_call

_PART_KEYS = ("id", "compare", "outputs", "tolerance", "timeout", "scoring", "warnings",
              "checks", "oracles", "wrong", "mistakes", "one_reference")


def load_part(node: Node, problem_id: str, ctx: Context) -> Part:
    sequence = node.has("steps")
    driven = node.has("scenario")
    node.mapping(required=("points", "cases") if sequence or driven else
                 ("function", "points", "cases"),
                 optional=("reference", "function", "steps", "returns", "scenario",
                           *_PART_KEYS))
    if node.has("returns") and not sequence:
        node.child("returns").fail("only a part with 'steps' has 'returns'")
    if sequence and driven:
        node.child("scenario").fail("not allowed with 'steps': a part has one or the other")
    scenario = None
    if driven:
        for key in ("compare", "oracles"):
            if node.has(key):
                node.child(key).fail("not allowed with 'scenario': it returns what is compared")
        scenario = ctx.resolve(node.child("scenario"), node.child("scenario").string(),
                               ctx.reference_dir)
    ref_node = node.child("reference")
    refs = ref_node.string_list() if node.has("reference") else []
    if sequence or driven:  # (without a reference, stored cases give the expected outputs)
        references: tuple[Any, ...] = load_module_refs(ref_node, refs, ctx.reference_dir)
    else:
        references = tuple(
            ctx.resolve(ref_node.child(i) if isinstance(ref_node.value, list) else ref_node,
                        ref, ctx.reference_dir)
            for i, ref in enumerate(refs)
        )
    compare, compare_paths = _compare(node.child("compare")) if node.has("compare") \
        else (None, ())
    outputs = None
    if node.has("outputs"):
        outputs = tuple(node.child("outputs").string_list())
    cases_node = node.child("cases")
    groups = [load_group(g, ctx, i) for i, g in enumerate(cases_node.elements())]
    if not groups:
        cases_node.fail("expected at least one case group")
    names = [g.name for g in groups]
    for i, name in enumerate(names):
        if names.index(name) != i:
            cases_node.child(i).child("name").fail(f"duplicate case group name {name!r}")
    _check_indices(cases_node, tuple(groups))
    steps: tuple[Step, ...] = ()
    returns: tuple[str, ...] = ()
    if sequence:
        steps, returns = load_steps(node, groups, references)
    function = node.child("function").string() if node.has("function") else \
        shown_call(steps, returns) if sequence else \
        node.child("scenario").string().partition(":")[2]
    if not (function.replace(".", "_") if sequence else function).isidentifier():
        node.child("function").fail(f"expected a Python function name, got {function!r}")
    if node.has("id"):
        part_id = node.child("id").string()
        if not part_id.replace("-", "_").isidentifier():
            node.child("id").fail(f"expected an identifier, got {part_id!r}")
    elif function.isidentifier():
        part_id = function
    else:
        node.child("id").fail(f"missing required key: a part whose last step calls "
                              f"{function!r} needs an id")
    _check_expected_source(node, tuple(groups), compare)
    checks = tuple(_load_check(c, ctx) for c in node.child("checks").elements()) \
        if node.has("checks") else ()
    arg_names = {name for g in groups for name, _ in (*g.args, *g.kwargs)}
    arg_names |= {name for g in groups if g.stored is not None for case in g.stored.cases
                  for name in (*case.args, *case.kwargs)}
    known = None if any(g.generator is not None for g in groups) else arg_names
    oracles = tuple(_load_oracle(o, ctx, known, returns)
                    for o in node.child("oracles").elements()) if node.has("oracles") else ()
    wrong, mistakes = _known_mistakes(node, function, sequence or driven, ctx, tuple(groups))
    settings = read_settings(node, ctx.defaults)
    return Part(
        id=part_id,
        function=function,
        points=node.child("points").number(minimum=0),
        references=references,
        reference_refs=tuple(refs),
        groups=tuple(groups),
        tolerance=settings.tolerance,
        timeout=settings.timeout,
        scoring=settings.scoring,
        warnings=settings.warnings,
        compare=compare,
        compare_paths=compare_paths,
        outputs=outputs,
        checks=checks,
        oracles=oracles,
        wrong=wrong,
        mistakes=mistakes,
        key=node.path,
        steps=steps,
        returns=returns,
        scenario=scenario,
        scenario_ref=node.child("scenario").string() if driven else "",
        one_reference=_one_reference(node, len(refs)),
    )


def _known_mistakes(node: Node, function: str, by_module: bool, ctx: Context,
                    groups: tuple[CaseGroup, ...]
                    ) -> tuple[tuple[str, ...], tuple[KnownMistake, ...]]:
    """``wrong:`` (each entry ``module:function``, a module for a call sequence or a scenario,
    or ``{answer: ..., explanation: ...}``), or a student bundle's ``mistakes:`` (names and
    explanations, their outputs stored with the cases): (the answers' refs, the mistakes)."""
    if node.has("mistakes"):
        if node.has("wrong"):
            node.child("mistakes").fail("not allowed with 'wrong': the known-wrong answers "
                                        "are the mistakes (a student bundle lists 'mistakes')")
        return (), _stored_mistakes(node.child("mistakes"), groups)
    if not node.has("wrong"):
        return (), ()
    wrong_node = node.child("wrong")
    items = [wrong_node] if isinstance(wrong_node.value, str) else wrong_node.elements()
    if not items:
        wrong_node.fail("expected at least one entry")
    refs: list[str] = []
    found: list[tuple[str, str]] = []  # (ref, explanation)
    for item in items:
        given = ""
        at = item
        if isinstance(item.value, dict):
            item.mapping(required=("answer",), optional=("explanation",))
            at = item.child("answer")
            if item.has("explanation"):
                given = _one_line(item.child("explanation"))
        ref = at.string()
        if ref in refs:
            at.fail(f"{ref!r} is listed twice")
        if by_module:
            answer: Any = load_module_refs(at, [ref], ctx.wrong_dir)[0]
        else:
            answer = ctx.resolve(at, ref, ctx.wrong_dir)
        refs.append(ref)
        found.append((ref, given or _docstring_line(answer)))
    names = [_short_name(ref, function, by_module) for ref in refs]
    mistakes = tuple(KnownMistake(name if names.count(name) == 1 else ref, explanation, ref)
                     for name, (ref, explanation) in zip(names, found, strict=True))
    return tuple(refs), mistakes


def _stored_mistakes(node: Node, groups: tuple[CaseGroup, ...]) -> tuple[KnownMistake, ...]:
    """A student bundle's ``mistakes:``: ``[{name, explanation}]``, one per output set that
    each stored case's ``mistakes`` holds."""
    mistakes = []
    for item in node.elements():
        item.mapping(required=("name",), optional=("explanation",))
        explanation = _one_line(item.child("explanation")) if item.has("explanation") else ""
        mistakes.append(KnownMistake(item.child("name").string(), explanation))
    names = [m.name for m in mistakes]
    for i, name in enumerate(names):
        if names.index(name) != i:
            node.child(i).child("name").fail(f"duplicate mistake name {name!r}")
    for group in groups:
        if group.stored is None:
            continue
        for k, case in enumerate(group.stored.cases):
            if case.mistakes and len(case.mistakes) != len(mistakes):
                node.fail(f"{len(mistakes)} mistake(s), but {group.stored.path.name} "
                          f"cases[{k}] stores outputs for {len(case.mistakes)}")
    return tuple(mistakes)


def _one_line(node: Node) -> str:
    text = " ".join(node.string().split())
    if not text:
        node.fail("expected one line of text, got an empty string")
    return text


def _docstring_line(answer: Any) -> str:
    """The first paragraph of a known-wrong answer's docstring, on one line ("" if none)."""
    doc = inspect.getdoc(answer) or ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def _short_name(ref: str, function: str, by_module: bool) -> str:
    """A known mistake's name: its function (or module) without the part's function name in
    front (``q2:batchnorm_forward_unbiased_var`` in part ``batchnorm_forward``:
    ``unbiased_var``)."""
    name = ref.rsplit(".", 1)[-1] if by_module else ref.partition(":")[2]
    prefix = f"{function}_"
    return name[len(prefix):] if name.startswith(prefix) and len(name) > len(prefix) else name


def _compare(node: Node) -> tuple[tuple[int, ...], tuple[tuple[int, tuple[tuple[str, ...],
                                                                          ...]], ...]]:
    """``compare:``: output indices (``1``), or paths into structured outputs (``"1.W1"``,
    output 1's key W1; ``"1.layers.0"`` goes deeper): (the outputs, the paths by output)."""
    indices: list[int] = []
    paths: dict[int, list[tuple[str, ...]]] = {}
    whole: set[int] = set()
    for item in node.elements():
        if isinstance(item.value, str):
            head, _, rest = item.value.partition(".")
            keys = tuple(rest.split(".")) if rest else ()
            if not _index(head) or not keys or not all(keys):
                item.fail(f"expected an output index or a path such as '1.W1', got "
                          f"{item.value!r}")
            index = int(head)
            if keys in paths.get(index, []):
                item.fail(f"{item.value!r} is listed twice")
            paths.setdefault(index, []).append(keys)
        else:
            index = item.integer(minimum=0)
            if index in whole:
                node.fail("expected distinct output indices")
            whole.add(index)
        if index not in indices:
            indices.append(index)
    if not indices:
        node.fail("expected a non-empty list of distinct output indices")
    both = whole & set(paths)
    if both:
        node.fail(f"output {min(both)} is listed whole and by path; list one or the other")
    return tuple(indices), tuple((i, tuple(p)) for i, p in paths.items())


def _check_indices(cases_node: Node, groups: tuple[CaseGroup, ...]) -> None:
    """Stored cases may carry their own indices; no two cases of a part may share one."""
    owner: dict[int, int] = {}
    start = 0
    for i, group in enumerate(groups):
        for index in group.indices(start):
            if index in owner:
                cases_node.child(i).child("stored" if group.stored else "name").fail(
                    f"case index {index} is also used by cases[{owner[index]}]; the indices "
                    "of a part's cases must be unique")
            owner[index] = i
        start += group.count


def _check_expected_source(node: Node, groups: tuple[CaseGroup, ...],
                           compare: tuple[int, ...] | None) -> None:
    """Expected outputs come from one place per part: the reference, or the stored files."""
    stored = [(i, g.stored) for i, g in enumerate(groups) if g.stored is not None]
    if node.has("reference"):
        for i, cases in stored:
            if any(case.expected for case in cases.cases):
                node.child("cases").child(i).child("stored").fail(
                    f"{_stored_name(node, i)} holds expected outputs, but the part's "
                    "'reference' computes them; remove one of the two")
        return
    if len(stored) != len(groups) or not all(cases.has_expected for _, cases in stored):
        node.child("reference").fail(
            "missing required key (only a part whose case groups are all stored with "
            "expected outputs may leave it out)")
    every = [(i, k, case) for i, cases in stored for k, case in enumerate(cases.cases)]
    if not every:
        return
    first = every[0][2].expected
    arity, count = first[0].arity, len(first)
    want = set(compare) if compare is not None else (
        {0} if arity is None else set(range(arity)))
    for i, k, case in every:
        fail = node.child("cases").child(i).child("stored").fail
        where = f"{_stored_name(node, i)}: cases[{k}].expected"
        if len(case.expected) != count or any(o.arity != arity for o in case.expected):
            fail(f"{where}: expected {count} output set(s) of arity {arity}, as in the "
                 "first case")
        for out in case.expected:
            if set(out.values) != want:
                fail(f"{where}: outputs {sorted(out.values)}, expected {sorted(want)} "
                     "(the outputs the part compares)")


def _stored_name(part: Node, i: int) -> str:
    return str(part.value["cases"][i]["stored"])


def _load_check(node: Node, ctx: Context) -> PropertyCheck:
    """``symmetric`` | ``{rows_sum: 0}`` | ``{name: .., property: module:fn, output: 1}``."""
    if isinstance(node.value, str):
        kind = node.choice(BUILTIN_PROPERTIES)
        if kind == "rows_sum":
            node.fail("rows_sum needs a target: write {rows_sum: 0}")
        return PropertyCheck(kind, kind)
    node.mapping(optional=(*BUILTIN_PROPERTIES, "property", "name", "output", "tol"))
    kinds = [k for k in (*BUILTIN_PROPERTIES, "property") if node.has(k)]
    if len(kinds) != 1:
        node.fail(f"expected exactly one of {', '.join((*BUILTIN_PROPERTIES, 'property'))}")
    kind = kinds[0]
    output = node.child("output").integer(minimum=0) if node.has("output") else 0
    tol = node.child("tol").number(positive=True) if node.has("tol") else 1e-8
    if kind == "property":
        ref = node.child("property").string()
        function = ctx.resolve(node.child("property"), ref, ctx.reference_dir)
        name = node.child("name").string() if node.has("name") else ref.partition(":")[2]
        return PropertyCheck(name, "custom", output, tol=tol, function=function)
    value = 0.0
    if kind == "rows_sum":
        value = node.child("rows_sum").number()
    elif node.value[kind] is not True:
        node.child(kind).fail("expected true")
    name = node.child("name").string() if node.has("name") else (
        f"rows sum to {value:g}" if kind == "rows_sum" else kind)
    return PropertyCheck(name, kind, output, value, tol)


def _load_oracle(node: Node, ctx: Context, arg_names: set[str] | None,
                 returns: tuple[str, ...] = ()) -> OracleSpec:
    """``arg_names``: the arguments every case has; None where a generator function draws
    them (``wrt`` is then checked on each case, by ``grader validate``). ``returns``: a
    call sequence's, whose names ``output`` may use."""
    node.mapping(required=("name", "kind", "function", "tolerance"),
                 optional=("wrt", "output", "step", "samples"))
    kind = node.child("kind").choice(ORACLE_KINDS)
    ref = node.child("function").string()
    function = ctx.resolve(node.child("function"), ref, ctx.reference_dir)
    wrt, wrt_keys = None, []
    if kind in ("gradient", "jacobian", "hessian"):
        if not node.has("wrt"):
            node.child("wrt").fail(f"a {kind} oracle needs 'wrt': the argument to differentiate")
        wrt, *wrt_keys = node.child("wrt").string().split(".")
        if arg_names is not None and wrt not in arg_names:
            node.child("wrt").fail(f"expected one of the arguments ({', '.join(sorted(arg_names))})"
                                   f", got {wrt!r}")
    tol_node = node.child("tolerance")
    tolerance = read_tolerance(tol_node, Tolerance())
    if tolerance.reason is None:
        tol_node.child("reason").fail("an oracle's tolerance needs a one-line 'reason'")
    output, output_keys = _oracle_output(node.child("output"), returns) \
        if node.has("output") else (0, ())
    return OracleSpec(
        name=node.child("name").string(),
        kind=kind,
        function=function,
        ref=ref,
        tolerance=tolerance,
        wrt=wrt,
        output=output,
        step=node.child("step").number(positive=True) if node.has("step") else 1e-5,
        samples=node.child("samples").integer(minimum=1) if node.has("samples") else 100_000,
        wrt_keys=tuple(wrt_keys),
        output_keys=output_keys,
        output_text=str(node.child("output").value) if node.has("output") else "0",
    )


def _one_reference(node: Node, references: int) -> bool:
    """``one_reference``: true only where the part accepts several references."""
    if not node.has("one_reference"):
        return False
    value = node.child("one_reference").boolean()
    if value and references == 1:  # (a student bundle's part names none: stored outputs)
        node.child("one_reference").fail("needs several accepted references (reference: "
                                         "[a, b]) to choose one from")
    return value


def _oracle_output(node: Node, returns: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    """An oracle's ``output``: an index, or a name in a call sequence's ``returns``; either
    may go on into a dict output by key (``1.W1``, ``grads.W1``)."""
    text = str(node.value)
    first, *keys = text.split(".")
    if returns and not _index(first):
        for index, name in enumerate(returns):
            if text == name or text.startswith(name + "."):
                return index, tuple(text[len(name) + 1:].split(".")) if text != name else ()
        node.fail(f"expected an output index or one of returns ({', '.join(returns)}), "
                  f"got {node.value!r}")
    if not _index(first) or not all(keys) or isinstance(node.value, bool):
        node.fail(f"expected an output index (0, 1, ...) or a path such as '1.W1', got "
                  f"{node.value!r}")
    if returns and int(first) >= len(returns):
        node.fail(f"expected an index into returns (0 to {len(returns) - 1}), got {first}")
    return int(first), tuple(keys)


def _index(text: str) -> bool:
    """Whether ``text`` is an output index: ASCII digits (``int`` would refuse ``²``)."""
    return text.isascii() and text.isdigit()
