"""Notebook submissions beside modules: what grading one costs, each against its .py twin.

The class is N synthetic homework-2 submissions (bench/generate.py, the same mix as
bench/bench.py); each is graded once as hw2.py and once as hw2.ipynb, its code cut into a
cell per top-level statement, with a markdown cell before each (as a notebook has). Both
classes go through `grader grade problems/hw2 CLASS --jobs 1 --format json` (the real CLI,
full isolation where this machine has it, a warm cache of expected outputs), best of R runs:

    python bench/notebooks.py [--n 60] [--repeat 3]

It prints seconds per submission for each, and their ratio (the target: under 1.5).
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from generate import generate  # noqa: E402

HW2 = REPO / "problems" / "hw2"


def as_notebook(module: Path) -> None:
    """Write the notebook twin of ``module`` beside it (a cell per top-level statement; the
    whole module in one cell where it does not parse), and remove the module."""
    source = module.read_text(encoding="utf-8")
    lines = source.splitlines()
    try:
        chunks = ["\n".join(lines[min([n.lineno, *(d.lineno for d in getattr(
            n, "decorator_list", ()))]) - 1:n.end_lineno]) for n in ast.parse(source).body]
    except SyntaxError:
        chunks = [source]
    cells = []
    for i, chunk in enumerate(chunks):
        cells += [new_markdown_cell(f"Part {i}"), new_code_cell(chunk)]
    nbformat.write(new_notebook(cells=cells), module.with_suffix(".ipynb"))
    module.unlink()


def grade(folder: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", "grade", str(HW2), str(folder), "--jobs",
                    "1", "--format", "json", "-o", "/dev/null"], check=True,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as work:
        modules, notebooks = Path(work) / "modules", Path(work) / "notebooks"
        generate(modules, args.n)
        generate(notebooks, args.n)
        for module in notebooks.glob("*/hw2.py"):
            as_notebook(module)
        grade(modules)  # (warms the cache of expected outputs)
        times = {"modules": [], "notebooks": []}
        for _ in range(args.repeat):  # in turns, so that a drift in speed hits both
            times["modules"].append(grade(modules))
            times["notebooks"].append(grade(notebooks))
    best = {kind: min(values) for kind, values in times.items()}
    for kind, seconds in best.items():
        print(f"{kind:>9}: {seconds:6.2f} s for {args.n}, {1000 * seconds / args.n:6.1f} ms "
              f"a submission")
    print(f"notebook / module, per submission: {best['notebooks'] / best['modules']:.2f} "
          "(target: under 1.5)")


if __name__ == "__main__":
    main()
