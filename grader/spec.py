"""Assignment and problem specs: YAML in, typed and validated frozen objects out.

Every mistake in a spec raises :class:`~grader.errors.SpecError` naming the file, the key
path and what was expected. Paths inside a spec resolve relative to the spec's folder,
never to the current directory. The format is documented in ``problems/README.md``.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import _modules
from ._schema import Node
from .errors import SpecError
from .generators import Generator, Scope, parse_value
from .properties import BUILTIN as BUILTIN_PROPERTIES
from .properties import PropertyCheck
from .stored import StoredCases, StoredCasesError, builder_refs, read_cases

# libyaml's loader when PyYAML was built with it (several times faster); safe either way.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SCORING = ("partial", "all_or_nothing")
MAX_TIMEOUT = 86_400.0
WARNINGS = ("ignore", "fail")


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-6
    atol: float = 1e-9
    reason: str | None = None

    def describe(self) -> str:
        return f"rtol={self.rtol:g}, atol={self.atol:g}"


@dataclass(frozen=True)
class Defaults:
    tolerance: Tolerance = Tolerance()
    timeout: float = 10.0
    scoring: str = "partial"
    warnings: str = "ignore"


@dataclass(frozen=True)
class CaseGroup:
    """One entry of a part's ``cases``: ``count`` cases drawn the same way, or read from a file."""

    name: str
    count: int
    public: int  # how many of the first cases of this group are public
    dims: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    let: tuple[tuple[str, Generator], ...] = ()
    args: tuple[tuple[str, Generator], ...] = ()
    kwargs: tuple[tuple[str, Generator], ...] = ()
    generator: Callable[..., Any] | None = None
    generator_ref: str | None = None
    generator_options: Mapping[str, Any] = field(default_factory=dict)
    stored: StoredCases | None = None  # the cases of a ``stored:`` group, read on load
    file: str = ""  # where the group is written, for error messages
    key: str = ""

    def indices(self, start: int) -> tuple[int, ...]:
        """The case indices of this group when the part's numbering has reached ``start``.

        Cases are numbered across a part's groups in order; stored cases that carry their
        own index (a student bundle's public cases) keep it.
        """
        if self.stored is not None and any(c.index is not None for c in self.stored.cases):
            return tuple(c.index for c in self.stored.cases if c.index is not None)
        return tuple(range(start, start + self.count))


ORACLE_KINDS = ("gradient", "jacobian", "hessian", "function", "monte_carlo")


@dataclass(frozen=True)
class OracleSpec:
    """An independent check of the reference; see :mod:`grader.oracles`."""

    name: str
    kind: str
    function: Callable[..., Any]
    ref: str
    tolerance: Tolerance
    wrt: str | None = None
    output: int = 0
    step: float = 1e-5
    samples: int = 100_000


@dataclass(frozen=True)
class Part:
    id: str
    function: str
    points: float
    references: tuple[Callable[..., Any], ...]
    reference_refs: tuple[str, ...]
    groups: tuple[CaseGroup, ...]
    tolerance: Tolerance
    timeout: float
    scoring: str
    warnings: str
    compare: tuple[int, ...] | None = None  # which outputs of a tuple to compare
    outputs: tuple[str, ...] | None = None  # names of the outputs, for messages
    checks: tuple[PropertyCheck, ...] = ()
    oracles: tuple[OracleSpec, ...] = ()
    wrong: tuple[str, ...] = ()  # known-wrong implementations, "module:function" in wrong/
    key: str = ""  # "parts[0]" in the problem file, for error messages

    @property
    def case_count(self) -> int:
        return sum(g.count for g in self.groups)

    def numbered_groups(self) -> Iterator[tuple[CaseGroup, tuple[int, ...]]]:
        """Each case group with the indices of its cases (see :meth:`CaseGroup.indices`)."""
        start = 0
        for group in self.groups:
            yield group, group.indices(start)
            start += group.count


@dataclass(frozen=True)
class Problem:
    id: str
    title: str
    points: float
    parts: tuple[Part, ...]
    file: Path


@dataclass(frozen=True)
class Assignment:
    name: str
    module: str
    seed: int
    problems: tuple[Problem, ...]
    root: Path
    reference_dir: Path
    public_dir: Path
    wrong_dir: Path
    defaults: Defaults
    digest: str
    source_digest: str | None = None  # a student bundle: the digest it was exported from

    @property
    def max_score(self) -> float:
        return sum(p.points for p in self.problems)

    @property
    def module_file(self) -> str:
        return f"{self.module}.py"

    def problem(self, problem_id: str) -> Problem:
        for problem in self.problems:
            if problem.id == problem_id:
                return problem
        raise KeyError(problem_id)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read_yaml(path: Path) -> Node:
    shown = _display(path)
    if not path.is_file():
        raise SpecError(shown, "", "file not found")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(shown, where, f"invalid YAML: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(shown, "", f"cannot read file: {exc}") from None
    return Node(data, shown)


def _tolerance(node: Node, base: Tolerance) -> Tolerance:
    node.mapping(optional=("rtol", "atol", "reason"))
    return Tolerance(
        rtol=node.child("rtol").number(minimum=0) if node.has("rtol") else base.rtol,
        atol=node.child("atol").number(minimum=0) if node.has("atol") else base.atol,
        reason=node.child("reason").string() if node.has("reason") else None,
    )


_SETTINGS = ("tolerance", "timeout", "scoring", "warnings")


def _settings(node: Node, base: Defaults) -> Defaults:
    """The settings a part (or the assignment's defaults) gives, falling back to ``base``.

    ``node`` is the mapping that may hold them; other keys are its caller's business.
    """
    return Defaults(
        tolerance=_tolerance(node.child("tolerance"), base.tolerance)
        if node.has("tolerance") else base.tolerance,
        timeout=node.child("timeout").number(positive=True, maximum=MAX_TIMEOUT)
        if node.has("timeout")
        else base.timeout,
        scoring=node.child("scoring").choice(SCORING) if node.has("scoring") else base.scoring,
        warnings=node.child("warnings").choice(WARNINGS) if node.has("warnings")
        else base.warnings,
    )


def load_assignment(path: str | Path) -> Assignment:
    """Load and validate an assignment folder (or its ``assignment.yaml``)."""
    root = Path(path)
    if root.is_file() and root.name == "assignment.yaml":
        root = root.parent
    if not root.is_dir():
        raise SpecError(_display(root), "", "assignment folder not found")
    node = _read_yaml(root / "assignment.yaml")
    node.mapping(
        required=("name", "module", "problems"),
        optional=("seed", "defaults", "reference_dir", "public_dir", "wrong_dir",
                  "source_digest"),
    )
    defaults_node = node.child("defaults")
    if defaults_node.value is not None:
        defaults_node.mapping(optional=_SETTINGS)
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
    defaults = _settings(defaults_node, Defaults()) if defaults_node.value is not None \
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
    context = _Context(root, reference_dir, public_dir, wrong_dir, defaults)
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
        digest=assignment_digest(root, reference_dir, public_dir, ids,
                                 [g.stored.path for g in groups if g.stored is not None]),
        source_digest=source_digest,
    )


def assignment_digest(root: Path, reference_dir: Path, public_dir: Path, ids: list[str],
                      stored: list[Path] | None = None) -> str:
    """A digest of every file that decides the grades: specs, references, builders and
    stored cases."""
    files = [root / "assignment.yaml", *(root / f"{pid}.yaml" for pid in ids)]
    for folder in (reference_dir, public_dir):
        if folder.is_dir():
            files += sorted(folder.rglob("*.py"))
    files += sorted(set(stored or ()))
    h = hashlib.sha256()
    for f in files:
        h.update(Path(os.path.relpath(f, root)).as_posix().encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class _Context:
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


def _load_problem(path: Path, expected_id: str, ctx: _Context) -> Problem:
    node = _read_yaml(path)
    node.mapping(required=("id", "title", "points", "parts"))
    pid = node.child("id").string()
    if pid != expected_id:
        node.child("id").fail(f"expected {expected_id!r} (the file name), got {pid!r}")
    points = node.child("points").number(minimum=0)
    parts_node = node.child("parts")
    parts = [_load_part(p, pid, ctx) for p in parts_node.elements()]
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


_PART_KEYS = ("id", "compare", "outputs", "tolerance", "timeout", "scoring", "warnings",
              "checks", "oracles", "wrong")


def _load_part(node: Node, problem_id: str, ctx: _Context) -> Part:
    node.mapping(required=("function", "points", "cases"), optional=("reference", *_PART_KEYS))
    function = node.child("function").string()
    if not function.isidentifier():
        node.child("function").fail(f"expected a Python function name, got {function!r}")
    part_id = node.child("id").string() if node.has("id") else function
    if not part_id.replace("-", "_").isidentifier():
        node.child("id").fail(f"expected an identifier, got {part_id!r}")
    ref_node = node.child("reference")
    refs = ref_node.string_list() if node.has("reference") else []
    references = tuple(
        ctx.resolve(ref_node.child(i) if isinstance(ref_node.value, list) else ref_node,
                    ref, ctx.reference_dir)
        for i, ref in enumerate(refs)
    )
    compare = None
    if node.has("compare"):
        compare_node = node.child("compare")
        compare = tuple(c.integer(minimum=0) for c in compare_node.elements())
        if not compare or len(set(compare)) != len(compare):
            compare_node.fail("expected a non-empty list of distinct output indices")
    outputs = None
    if node.has("outputs"):
        outputs = tuple(node.child("outputs").string_list())
    cases_node = node.child("cases")
    groups = [_load_group(g, ctx, i) for i, g in enumerate(cases_node.elements())]
    if not groups:
        cases_node.fail("expected at least one case group")
    names = [g.name for g in groups]
    for i, name in enumerate(names):
        if names.index(name) != i:
            cases_node.child(i).child("name").fail(f"duplicate case group name {name!r}")
    _check_indices(cases_node, tuple(groups))
    _check_expected_source(node, tuple(groups), compare)
    checks = tuple(_load_check(c, ctx) for c in node.child("checks").elements()) \
        if node.has("checks") else ()
    arg_names = {name for g in groups for name, _ in (*g.args, *g.kwargs)}
    arg_names |= {name for g in groups if g.stored is not None for case in g.stored.cases
                  for name in (*case.args, *case.kwargs)}
    oracles = tuple(_load_oracle(o, ctx, arg_names) for o in node.child("oracles").elements()) \
        if node.has("oracles") else ()
    wrong: tuple[str, ...] = ()
    if node.has("wrong"):
        wrong_node = node.child("wrong")
        wrong = tuple(wrong_node.string_list())
        for i, ref in enumerate(wrong):
            ctx.resolve(wrong_node.child(i) if isinstance(wrong_node.value, list) else wrong_node,
                        ref, ctx.wrong_dir)
    settings = _settings(node, ctx.defaults)
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
        outputs=outputs,
        checks=checks,
        oracles=oracles,
        wrong=wrong,
        key=node.path,
    )


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


def _load_check(node: Node, ctx: _Context) -> PropertyCheck:
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


def _load_oracle(node: Node, ctx: _Context, arg_names: set[str]) -> OracleSpec:
    node.mapping(required=("name", "kind", "function", "tolerance"),
                 optional=("wrt", "output", "step", "samples"))
    kind = node.child("kind").choice(ORACLE_KINDS)
    ref = node.child("function").string()
    function = ctx.resolve(node.child("function"), ref, ctx.reference_dir)
    wrt = None
    if kind in ("gradient", "jacobian", "hessian"):
        if not node.has("wrt"):
            node.child("wrt").fail(f"a {kind} oracle needs 'wrt': the argument to differentiate")
        wrt = node.child("wrt").string()
        if wrt not in arg_names:
            node.child("wrt").fail(f"expected one of the arguments ({', '.join(sorted(arg_names))})"
                                   f", got {wrt!r}")
    tol_node = node.child("tolerance")
    tolerance = _tolerance(tol_node, Tolerance())
    if tolerance.reason is None:
        tol_node.child("reason").fail("an oracle's tolerance needs a one-line 'reason'")
    return OracleSpec(
        name=node.child("name").string(),
        kind=kind,
        function=function,
        ref=ref,
        tolerance=tolerance,
        wrt=wrt,
        output=node.child("output").integer(minimum=0) if node.has("output") else 0,
        step=node.child("step").number(positive=True) if node.has("step") else 1e-5,
        samples=node.child("samples").integer(minimum=1) if node.has("samples") else 100_000,
    )


def _load_group(node: Node, ctx: _Context, index: int) -> CaseGroup:
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


def _load_stored_group(node: Node, ctx: _Context, name: str) -> CaseGroup:
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
