"""Mutation testing of the judging code: would the tests notice a small wrong change?

Each mutant is one small change to ``grader/judge/compare.py``, ``grader/judge/properties.py``,
``grader/scoring.py``, the grader side's decoder in ``grader/sandbox/wire.py`` or its frame
reader in ``grader/sandbox/pipes.py``: an operator flipped (``<``/``<=``, ``==``/``!=``,
``and``/``or``, ``+``/``-``, ...), a constant changed (``n + 1``, ``n * 2``,
``True``/``False``), an ``if`` guard forced true or false, ``not`` dropped, ``max``/``min`` or
``any``/``all`` swapped, a character dropped from a dtype-kind string. The module's own tests
run against each mutant, one at a time, with a time limit: a mutant they fail on is *killed*;
one they pass is a *survivor*, either a gap in the tests or a change that makes no difference
(an *equivalent* mutant, listed with its reason in ``EQUIVALENT``).

The working tree is never touched: the repository is copied to a temporary folder, mutants
are written there and the tests run there (``python -m pytest`` imports the copy's
``grader``), and the folder is removed at the end, Ctrl-C included. Student workers
(``python -I -m grader.sandbox.child.worker``) import the installed grader rather than the
copy, so only code that runs in the grader's own process is mutated: of ``wire.py``, the
decoder; of ``pipes.py``, the frame reader.

    python tools/mutate.py                     # every module
    python tools/mutate.py scoring wire        # some modules
    python tools/mutate.py --list compare      # the mutants, without running them
    python tools/mutate.py --show compare:17   # one mutant's change, as a diff
    python tools/mutate.py --only compare:17   # run some mutants
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    path: str  # the module, relative to the repository
    tests: tuple[str, ...]  # the tests that run against each of its mutants
    scope: tuple[str, ...] = ()  # the names mutated ("Class.method" too); () for all


TARGETS = {
    "compare": Target("grader/judge/compare.py", ("tests/judge/test_compare.py",)),
    "properties": Target("grader/judge/properties.py", ("tests/judge/test_properties.py",)),
    "scoring": Target("grader/scoring.py", ("tests/test_scoring.py",)),
    "wire": Target("grader/sandbox/wire.py", ("tests/sandbox/test_wire.py",),
                   ("MAX_HEADER_BYTES", "MAX_NPY_HEADER", "ALLOWED_KINDS", "decode_array",
                    "_parse_npy_header", "parse_header")),
    "pipes": Target("grader/sandbox/pipes.py", ("tests/sandbox/test_pipes.py",),
                    ("Frames._frame",)),
}

# Survivors judged equivalent, by module and the mutated line (stripped, the change in
# brackets as ``Mutant.marked`` writes it): why no test can tell the mutant from the original.
_SHORTCUT = ("the fast path only passes what the full float64 comparison after it passes too, "
             "so taking it less often (or for bool answers) costs time, not verdicts")
_SHORT_BLOB = ("a blob that short cannot hold the shortest header the grammar allows (over 50 "
               "bytes) and is refused as malformed array data either way")
_CUT = "the buffer is cut more often: the same frames, only more copying"
_EMPTY = "only an empty array takes this branch, and it has no element to break the property"
_FAST = 'expected.dtype.kind == "f" and got.dtype.kind in "fiu"'
_FAST_TEST = "((diff <= tol.atol + tol.rtol * np.abs(e)) & (diff < np.inf)).all()"
EQUIVALENT: dict[tuple[str, str], str] = {
    ("compare", f"if [{_FAST} -> False]:"): _SHORTCUT,
    ("compare", 'if expected.dtype.kind == "f" and got.dtype.kind [in -> not in] "fiu":'):
        _SHORTCUT,
    ("compare", 'if expected.dtype.kind == "f" and got.dtype.kind in ["fiu" -> \'fi\']:'):
        _SHORTCUT,
    ("compare", 'if expected.dtype.kind == "f" and got.dtype.kind in ["fiu" -> \'fu\']:'):
        _SHORTCUT,
    ("compare", 'if expected.dtype.kind == "f" and got.dtype.kind in ["fiu" -> \'iu\']:'):
        _SHORTCUT,
    ("compare", f"if [{_FAST_TEST} -> False]:"): _SHORTCUT,
    ("compare", "if ((diff [<= -> <] tol.atol + tol.rtol * np.abs(e)) & (diff < np.inf)).all():"):
        _SHORTCUT + " (and the full comparison passes the boundary)",
    ("compare", "if ((diff <= tol.atol [+ -> -] tol.rtol * np.abs(e)) & (diff < np.inf)).all():"):
        _SHORTCUT,
    ("compare", "ratio = np.where(both_finite, err / np.where(allowed [> -> >=] 0, allowed, "
                "np.inf), np.inf)"):
        "where nothing is allowed, err / 0 is inf (NaN for a match, masked two lines down), "
        "and the next line sets inf there anyway",
    ("compare", "ratio = np.where(both_finite & (allowed == 0) & (err [> -> >=] 0), np.inf, "
                "ratio)"):
        "an element without error where none is allowed matches, and matches are masked on "
        "the next line",
    ("compare", "ratio = np.where(bad, ratio, [- -> ]1.0)"):
        "a mismatched element's err / allowed, with err > allowed, rounds to a float above 1.0 "
        "(or is inf), so a matching element at 1.0 never outranks it",
    ("compare", "ratio = np.where(bad, ratio, -[1.0 -> 2.0])"):
        "-2.0 marks matching elements as well as -1.0 does",
    ("compare", "rels = np.where(refs [> -> >=] 0, errs / refs, np.inf)"):
        "a mismatched element against a reference of 0 has an error above 0, and err / 0 is "
        "the same inf",
    ("compare", 'failures.append(Verdict([False -> True], f"{label or \'output\'}: missing"))'):
        "compare_output reads only the message of the failures it collects",
    ("properties", "scale = max(1.0, float(np.abs(a).max())) if a.size else [1.0 -> 2.0]"):
        _EMPTY,
    ("properties", "low = float(np.linalg.eigvalsh(sym).min(initial=0.0)) if [a.size -> True] "
                   "else 0.0"):
        "eigvalsh of a 0 x 0 matrix is empty, and min(initial=0.0) of it is 0.0 too",
    ("properties", "low = float(np.linalg.eigvalsh(sym).min(initial=0.0)) if a.size else "
                   "[0.0 -> 1.0]"): _EMPTY,
    ("properties", "low = float(np.linalg.eigvalsh(sym).min(initial=[0.0 -> 1.0])) if a.size "
                   "else 0.0"):
        "only whether the lowest eigenvalue is below -limit counts, and a start of 1.0 hides "
        "no negative one",
    ("scoring", "return round(x, 9) [+ -> -] 0.0"):
        "+ 0.0 only turns sum([]) == 0 into a float, as - 0.0 does (a sum that starts at 0 "
        "is never -0.0)",
    ("scoring", "_divide(float(points), points, totals, cases), strict=[True -> False]))"):
        "both lists have one entry per group by construction",
    ("scoring", "if max_score [> -> >=] 0 and score >= max_score - 1e-9:"):
        "differs only for a positive score out of 0 points, which no part can earn",
    ("scoring", "if max_score > 0 and score [>= -> >] max_score - 1e-9:"):
        "differs only for a score exactly 1e-9 short of the maximum; a missed case costs "
        "points / cases, far more",
    ("wire", "if len(blob) [< -> <=] 10 or blob[:6] != _MAGIC:"): _SHORT_BLOB,
    ("wire", "if len(blob) < [10 -> 11] or blob[:6] != _MAGIC:"): _SHORT_BLOB,
    ("wire", "if len(blob) < [10 -> 20] or blob[:6] != _MAGIC:"): _SHORT_BLOB,
    ("wire", "if [parsed is None -> True]:"):
        "the header is parsed again rather than taken from the cache, with the same result",
    ("pipes", "elif [pos >= 1 << 16 -> True]:"): _CUT,
    ("pipes", "elif pos [>= -> >] 1 << 16:"):
        "the buffer is cut at 64 KiB + 1 rather than 64 KiB: the same frames",
    ("pipes", "elif pos >= 1 [<< -> >>] 16:"): _CUT,
}

_COMPARE = {ast.Lt: ("<", "<="), ast.LtE: ("<=", "<"), ast.Gt: (">", ">="),
            ast.GtE: (">=", ">"), ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="),
            ast.Is: ("is", "is not"), ast.IsNot: ("is not", "is"),
            ast.In: ("in", "not in"), ast.NotIn: ("not in", "in")}
_BINARY = {ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "/"),
           ast.Div: ("/", "*"), ast.FloorDiv: ("//", "*"), ast.Pow: ("**", "*"),
           ast.BitAnd: ("&", "|"), ast.BitOr: ("|", "&"), ast.LShift: ("<<", ">>"),
           ast.RShift: (">>", "<<")}
_BOOL = {ast.And: ("and", "or"), ast.Or: ("or", "and")}
_UNARY = {ast.Not: "not", ast.USub: "-", ast.Invert: "~"}
_SWAPS = {"max": "min", "min": "max", "any": "all", "all": "any", "argmax": "argmin",
          "argmin": "argmax"}


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int
    line: int
    start: int  # byte offsets into the module's source
    end: int
    original: str
    replacement: str

    @property
    def id(self) -> str:
        return f"{self.module}:{self.index}"

    def apply(self, source: bytes) -> bytes:
        return source[:self.start] + self.replacement.encode() + source[self.end:]

    def marked(self, source: bytes) -> str:
        """The mutated line, stripped, with the change in brackets: ``if a [< -> <=] b:``."""
        begin = source.rfind(b"\n", 0, self.start) + 1
        finish = source.find(b"\n", self.end)
        before = source[begin:self.start].decode().lstrip()
        after = source[self.end:finish if finish >= 0 else len(source)].decode().rstrip()
        return f"{before}[{' '.join(self.original.split())} -> {self.replacement}]{after}"


# --- finding mutants ----------------------------------------------------------------------------

class _Finder:
    """Collects (start, end, replacement) edits of one module's source, as byte offsets."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.starts = [0]
        for line in source.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))
        self.edits: list[tuple[int, int, str]] = []
        self.in_names: set[str] = set()  # names compared with ``in``: sets of dtype kinds

    def at(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.at(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                self.at(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]

    def add(self, start: int, end: int, replacement: str) -> None:
        self.edits.append((start, end, replacement))

    def between(self, left: ast.AST, right: ast.AST, word: str) -> tuple[int, int] | None:
        """Where the operator ``word`` is between two operands (comments skipped)."""
        start, end = self.span(left)[1], self.span(right)[0]
        gap = re.sub(rb"#[^\n]*", lambda m: b" " * len(m.group()), self.source[start:end])
        pattern = r"\b" + word.replace(" ", r"\s+") + r"\b" if word[0].isalpha() \
            else re.escape(word) + r"(?![=<>*/&|])"
        found = re.search(pattern.encode(), gap)
        return None if found is None else (start + found.start(), start + found.end())

    def visit(self, node: ast.AST) -> None:
        for field, child in ast.iter_fields(node):
            if field in ("annotation", "returns", "decorator_list"):
                continue  # annotations are never evaluated (``from __future__``)
            for item in child if isinstance(child, list) else [child]:
                if isinstance(item, ast.AST) and not isinstance(item, ast.Assert):
                    self.mutate(item)
                    self.visit(item)

    def mutate(self, node: ast.AST) -> None:
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for i, op in enumerate(node.ops):
                word, other = _COMPARE.get(type(op), ("", ""))
                where = self.between(operands[i], operands[i + 1], word) if word else None
                if where:
                    self.add(*where, other)
                right = operands[i + 1]
                if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, ast.Constant) \
                        and isinstance(right.value, str):
                    self.drop_characters(right)
        elif isinstance(node, (ast.BinOp, ast.AugAssign)):
            left, right = (node.left, node.right) if isinstance(node, ast.BinOp) \
                else (node.target, node.value)
            word, other = _BINARY.get(type(node.op), ("", ""))
            where = self.between(left, right, word + ("=" if isinstance(node, ast.AugAssign)
                                                      else "")) if word else None
            if where:
                self.add(*where, other + ("=" if isinstance(node, ast.AugAssign) else ""))
        elif isinstance(node, ast.BoolOp):
            word, other = _BOOL[type(node.op)]
            for left, right in zip(node.values, node.values[1:], strict=False):
                where = self.between(left, right, word)
                if where:
                    self.add(*where, other)
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            start, operand = self.span(node)[0], self.span(node.operand)[0]
            if self.source[start:operand].strip().startswith(_UNARY[type(node.op)].encode()):
                self.add(start, operand, "")
        elif isinstance(node, ast.Constant):
            self.constant(node)
        elif isinstance(node, (ast.If, ast.IfExp)):
            start, end = self.span(node.test)
            for value in ("True", "False"):
                self.add(start, end, value)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in _SWAPS:
                self.add(*self.span(func), _SWAPS[func.id])
            elif isinstance(func, ast.Attribute) and func.attr in _SWAPS:
                end = self.span(func)[1]
                self.add(end - len(func.attr), end, _SWAPS[func.attr])

    def constant(self, node: ast.Constant) -> None:
        start, end = self.span(node)
        value = node.value
        try:
            written = ast.literal_eval(self.source[start:end].decode())
        except (ValueError, SyntaxError):
            return  # positions that do not point at the literal: leave it alone
        if written != value or type(written) is not type(value):
            return
        if isinstance(value, bool):
            self.add(start, end, str(not value))
        elif isinstance(value, int):
            for new in dict.fromkeys([value + 1, value * 2 if value >= 2 else value + 1]):
                self.add(start, end, str(new))
        elif isinstance(value, float):
            self.add(start, end, repr(value * 2 if value else 1.0))

    def drop_characters(self, node: ast.Constant) -> None:
        start, end = self.span(node)
        text = node.value
        if not isinstance(text, str) or len(text) < 2 or not text.isalpha():
            return
        for i in range(len(text)):
            self.add(start, end, repr(text[:i] + text[i + 1:]))


def _in_scope(tree: ast.Module, scope: tuple[str, ...]) -> Iterator[ast.AST]:
    """The top-level statements (or methods) named in ``scope``; every one when it is ()."""
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)) or (
                isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
            continue
        names: list[str] = []
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [statement.name]
        elif isinstance(statement, ast.Assign):
            names = [t.id for t in statement.targets if isinstance(t, ast.Name)]
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names = [statement.target.id]
        if not scope or any(n in scope for n in names):
            yield statement
        elif isinstance(statement, ast.ClassDef):
            for member in statement.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                        and f"{statement.name}.{member.name}" in scope:
                    yield member


def find_mutants(module: str, source: bytes) -> list[Mutant]:
    """Every valid, distinct mutant of ``module``, in source order."""
    target = TARGETS[module]
    tree = ast.parse(source)
    finder = _Finder(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and isinstance(node.ops[-1], (ast.In, ast.NotIn)) \
                and isinstance(node.comparators[-1], ast.Name):
            finder.in_names.add(node.comparators[-1].id)
    for statement in _in_scope(tree, target.scope):
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant) \
                and isinstance(statement.value.value, str) and any(
                    isinstance(t, ast.Name) and t.id in finder.in_names
                    for t in statement.targets):
            finder.drop_characters(statement.value)
        finder.mutate(statement)
        finder.visit(statement)
    original = ast.dump(tree)
    mutants: list[Mutant] = []
    seen: set[bytes] = set()
    for start, end, replacement in sorted(finder.edits, key=lambda e: (e[0], e[1], e[2])):
        candidate = source[:start] + replacement.encode() + source[end:]
        if candidate in seen:
            continue
        try:
            changed = ast.dump(ast.parse(candidate)) != original
        except SyntaxError:
            continue
        if changed:
            seen.add(candidate)
            line = source.count(b"\n", 0, start) + 1
            mutants.append(Mutant(module, len(mutants) + 1, line, start, end,
                                  source[start:end].decode(), replacement))
    return mutants


# --- running them -------------------------------------------------------------------------------

_IGNORE = shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", "build", "dist",
                                 ".mypy_cache", ".ruff_cache", ".pytest_cache", ".benchmarks",
                                 ".grader", ".grader-cache", "*.pyc")


@contextlib.contextmanager
def repository_copy() -> Iterator[Path]:
    """A copy of the repository in a temporary folder, removed afterwards whatever happens.

    (Named ``grader-*`` under the temporary folder, which the hostile suite's watch of /tmp
    leaves to other programs.)
    """
    folder = Path(tempfile.mkdtemp(prefix="grader-mutate-"))
    try:
        copy = folder / "repo"
        shutil.copytree(ROOT, copy, ignore=_IGNORE, symlinks=True)
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_tests(copy: Path, tests: Iterable[str], timeout: float) -> str:
    """``killed``, ``survived`` or ``timeout``: the tests run once in ``copy``, stopping at
    their first failure."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    # No bytecode: a mutant as long as the original, written within the same second, would
    # otherwise run as the original's cached .pyc.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    process = subprocess.Popen(command, cwd=copy, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        code = process.wait(timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    finally:
        if process.returncode is None:  # timed out or interrupted: its whole group goes
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if code in (3, 4, 5):  # pytest's internal error, usage error, no tests collected
        raise RuntimeError(f"pytest exited {code} running {' '.join(tests)}")
    return "survived" if code == 0 else "killed"


def check_copy_is_imported(copy: Path) -> None:
    """Refuse to run if ``python -m pytest`` in the copy would import another grader."""
    found = subprocess.run(
        [sys.executable, "-c", "import grader; print(grader.__file__)"], cwd=copy,
        capture_output=True, text=True, check=True).stdout.strip()
    if not Path(found).resolve().is_relative_to(copy.resolve()):
        raise RuntimeError(f"the copy's tests would import {found}, not the copy")


@dataclass
class Outcome:
    mutant: Mutant
    result: str  # killed | survived | timeout
    seconds: float
    line: str  # the mutated line, as Mutant.marked writes it

    @property
    def equivalent(self) -> str | None:
        return EQUIVALENT.get((self.mutant.module, self.line))


def mutate(modules: list[str], only: set[str], timeout: float | None,
           outcomes: list[Outcome]) -> None:
    """Run the mutants of ``modules`` (or those in ``only``), appending to ``outcomes``."""
    with repository_copy() as copy:
        check_copy_is_imported(copy)
        for module in modules:
            target = TARGETS[module]
            path = copy / target.path
            source = path.read_bytes()
            mutants = [m for m in find_mutants(module, source) if not only or m.id in only]
            if not mutants:
                continue
            start = time.monotonic()
            if run_tests(copy, target.tests, 600) != "survived":
                raise RuntimeError(f"{module}: the tests fail without any mutant")
            limit = timeout or 5 * (time.monotonic() - start) + 10
            print(f"{module}: {len(mutants)} mutants of {target.path}, tests "
                  f"{' '.join(target.tests)}, {limit:.0f}s each", flush=True)
            try:
                for mutant in mutants:
                    path.write_bytes(mutant.apply(source))
                    began = time.monotonic()
                    result = run_tests(copy, target.tests, limit)
                    outcome = Outcome(mutant, result, time.monotonic() - began,
                                      mutant.marked(source))
                    outcomes.append(outcome)
                    print(f"  {_row(outcome)}", flush=True)
            finally:
                path.write_bytes(source)


def _row(outcome: Outcome) -> str:
    m = outcome.mutant
    note = f"\n      equivalent: {outcome.equivalent}" \
        if outcome.result == "survived" and outcome.equivalent else ""
    return (f"{outcome.result:8} {m.id:14} {TARGETS[m.module].path}:{m.line}  {outcome.line}"
            f"  ({outcome.seconds:.1f}s){note}")


def summary(outcomes: list[Outcome]) -> str:
    lines = []
    for module in dict.fromkeys(o.mutant.module for o in outcomes):
        mine = [o for o in outcomes if o.mutant.module == module]
        lines.append(_score(module, mine))
    lines.append(_score("all", outcomes))
    survivors = [o for o in outcomes if o.result == "survived"]
    if survivors:
        lines.append("survivors:")
        lines += [f"  {_row(o)}" for o in survivors]
    return "\n".join(lines)


def _score(name: str, outcomes: list[Outcome]) -> str:
    count = {r: sum(o.result == r for o in outcomes) for r in ("killed", "survived", "timeout")}
    equivalent = sum(o.result == "survived" and o.equivalent is not None for o in outcomes)
    detected = count["killed"] + count["timeout"]
    total = len(outcomes)
    return (f"{name:10} {detected}/{total} detected ({100 * detected / max(total, 1):.1f}%): "
            f"{count['killed']} killed, {count['timeout']} timed out, {count['survived']} "
            f"survived, {equivalent} of them equivalent; {detected}/{total - equivalent} "
            f"({100 * detected / max(total - equivalent, 1):.1f}%) of the others")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so that `kill` cleans up as Ctrl-C does


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", choices=[[], *TARGETS], default=[],
                        metavar="MODULE", help=f"of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--show", metavar="ID", help="print one mutant's change as a diff")
    parser.add_argument("--only", metavar="ID", action="append", default=[],
                        help="run only this mutant (repeatable), e.g. compare:17")
    parser.add_argument("--timeout", type=float,
                        help="seconds per mutant (default: 5 times the unmutated run + 10)")
    args = parser.parse_args(argv)
    modules = args.modules or list(TARGETS)
    if args.only:
        modules = list(dict.fromkeys(i.partition(":")[0] for i in args.only))
    if args.show or args.list:
        if args.show:
            modules = [args.show.partition(":")[0]]
        for module in modules:
            source = (ROOT / TARGETS[module].path).read_bytes()
            for m in find_mutants(module, source):
                if args.list:
                    note = "  [equivalent]" if (module, m.marked(source)) in EQUIVALENT else ""
                    print(f"{m.id:14} {TARGETS[module].path}:{m.line}  {m.marked(source)}{note}")
                elif m.id == args.show:
                    sys.stdout.writelines(difflib.unified_diff(
                        source.decode().splitlines(keepends=True),
                        m.apply(source).decode().splitlines(keepends=True),
                        f"a/{TARGETS[module].path}", f"b/{TARGETS[module].path}"))
        return 0
    outcomes: list[Outcome] = []
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        mutate(modules, set(args.only), args.timeout, outcomes)
    except KeyboardInterrupt:
        print("interrupted; the working tree was never changed", file=sys.stderr)
        return 130
    finally:
        if outcomes:
            print(summary(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
