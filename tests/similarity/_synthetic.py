"""A synthetic class for the similarity tests: N submissions whose code is distinct after
normalization (random functions of random statements, drawn from an explicit rng), and a
copy of one of them with every name renamed, its comments reworded and its functions in
another order: what a student who copies and disguises hands in."""

from __future__ import annotations

import random
import re

OPS = ("+", "-", "*", "/", "%", "//")
CMPS = ("<", ">", "<=", ">=", "==", "!=")
CALLS = ("abs", "max", "min", "round", "len", "sum")
NAMES = ("total", "acc", "value", "count", "tmp", "step", "out", "best", "delta", "score",
         "items", "limit", "left", "right", "mid", "carry", "prod", "rest", "key", "x")


def _expr(rng: random.Random, names: list[str], depth: int = 0) -> str:
    pick = rng.random()
    if depth > 2 or pick < 0.3:
        return rng.choice(names) if rng.random() < 0.6 else str(rng.randint(0, 99))
    if pick < 0.45:
        call = rng.choice(CALLS[:4])
        return f"{call}({_expr(rng, names, depth + 1)}, {_expr(rng, names, depth + 1)})" \
            if call in ("max", "min") else f"{call}({_expr(rng, names, depth + 1)})"
    return f"({_expr(rng, names, depth + 1)} {rng.choice(OPS)} {_expr(rng, names, depth + 1)})"


def _statements(rng: random.Random, names: list[str], indent: str, budget: int) -> list[str]:
    lines: list[str] = []
    while budget > 0:
        kind = rng.choice(("assign", "assign", "loop", "if", "while", "list"))
        target = rng.choice(names)
        if kind == "assign" or budget < 3:
            lines.append(f"{indent}{target} = {_expr(rng, names)}")
            budget -= 1
        elif kind == "loop":
            lines.append(f"{indent}for i in range({rng.randint(1, 9)}):")
            lines += _statements(rng, [*names, "i"], indent + "    ", 2)
            budget -= 3
        elif kind == "if":
            lines.append(f"{indent}if {rng.choice(names)} {rng.choice(CMPS)} "
                         f"{rng.randint(0, 50)}:")
            lines += _statements(rng, names, indent + "    ", 1)
            lines.append(f"{indent}else:")
            lines += _statements(rng, names, indent + "    ", 1)
            budget -= 4
        elif kind == "while":
            lines.append(f"{indent}while {target} {rng.choice(CMPS[:2])} "
                         f"{rng.randint(1, 30)} and {rng.choice(names)} != 0:")
            lines.append(f"{indent}    {target} = {target} {rng.choice(OPS[:2])} 1")
            budget -= 2
        else:
            lines.append(f"{indent}{target} = sum([{_expr(rng, [*names, 'k'])} for k in "
                         f"range({rng.randint(2, 7)}) if k % {rng.randint(2, 4)} == 0])")
            budget -= 2
    return lines


def submission(rng: random.Random, functions: int = 5) -> str:
    """A module of ``functions`` random functions, each with a comment or docstring."""
    parts = ["import math", ""]
    for f in range(functions):
        params = rng.sample(NAMES, rng.randint(1, 3))
        local = rng.sample([n for n in NAMES if n not in params], 3)
        parts.append(f"def task_{f}({', '.join(params)}):")
        parts.append(f'    """Task {f}: {rng.choice(("compute", "fold", "reduce"))} it."""')
        parts += [f"    {name} = {rng.randint(0, 9)}" for name in local]
        parts += _statements(rng, [*params, *local], "    ", rng.randint(8, 14))
        parts.append(f"    return {rng.choice(local)}")
        parts.append("")
    return "\n".join(parts) + "\n"


def disguised(source: str, rng: random.Random) -> str:
    """``source`` with every name renamed, new comments and its functions reordered."""
    renames = {name: f"v_{i}_{rng.randint(100, 999)}" for i, name in enumerate(NAMES)}
    out = re.sub(r"\b(" + "|".join(NAMES) + r")\b", lambda m: renames[m[1]], source)
    out = re.sub(r'"""Task (\d+): \w+ it\."""', r'"""Solution to part \1, my own work."""',
                 out)
    out = re.sub(r"\btask_(\d+)\b", r"solve_\1", out)
    header, *functions = out.split("\ndef ")
    rng.shuffle(functions)
    lines = [header] + [f"# --- helper {i} ---\ndef {body}" for i, body in enumerate(functions)]
    return "\n".join(lines)


def make_class(n: int, seed: int) -> tuple[dict[str, str], tuple[str, str]]:
    """``n`` distinct submissions by id, one of which is copied (disguised) under another
    id; also the copied pair's ids."""
    rng = random.Random(seed)
    sources = {f"student{i:02d}": submission(rng) for i in range(n)}
    original = f"student{rng.randrange(n):02d}"
    sources["student_copy"] = disguised(sources[original], rng)
    return sources, (original, "student_copy")
