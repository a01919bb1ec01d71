"""Generate N synthetic homework-2 submissions: correct, buggy and broken, in a fixed mix.

    python bench/generate.py OUT_DIR [--n 500] [--seed 0]

The mix (by weight): correct and vectorized (the reference), correct with explicit loops,
one realistic wrong function taken from problems/hw2/wrong, several wrong functions, a
function that raises, missing functions, and a syntax error. No submission hangs, so the
baselines (which have no timeouts) can run the same set.
"""

from __future__ import annotations

import argparse
import ast
import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HW2 = ROOT / "problems" / "hw2"
SOLUTION = (HW2 / "reference" / "solution.py").read_text()

LOOPS = '''

def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    flat, res = z.reshape(-1), out.reshape(-1)
    for i, v in enumerate(flat):
        res[i] = 1 / (1 + np.exp(-v)) if v >= 0 else np.exp(v) / (1 + np.exp(v))
    return out if z.ndim else float(out)


def neuron_gradients(w, b, X, y):
    dw = np.zeros_like(w, dtype=float)
    db = 0.0
    for n in range(X.shape[0]):
        r = sigmoid(X[n] @ w + b) - y[n]
        dw += r * X[n]
        db += float(r)
    return dw, db


def softmax_jacobian(z):
    p = softmax(z)
    K = len(p)
    J = np.empty((K, K))
    for k in range(K):
        for i in range(K):
            J[k, i] = p[k] * ((k == i) - p[i])
    return J
'''


def _functions(source: str) -> dict[str, str]:
    tree = ast.parse(source)
    lines = source.splitlines()
    return {node.name: "\n".join(lines[node.lineno - 1: node.end_lineno])
            for node in tree.body if isinstance(node, ast.FunctionDef)}


def _wrong_answers() -> list[tuple[str, str]]:
    """(student function name, source renamed to it) for every known-wrong answer."""
    found = []
    targets = list(_functions(SOLUTION))
    for path in sorted((HW2 / "wrong").glob("q*.py")):
        text = path.read_text()
        imports = "\n".join(line for line in text.splitlines()
                            if line.startswith(("import ", "from "))
                            and not line.startswith("from __future__"))
        functions = _functions(text)
        helpers = "\n\n".join(b for n, b in functions.items() if n.startswith("_"))
        for name, body in functions.items():
            matches = [t for t in targets if name.startswith(t + "_")]
            if name.startswith("_") or not matches:
                continue
            target = max(matches, key=len)
            renamed = body.replace(f"def {name}(", f"def {target}(", 1)
            found.append((target, f"{imports}\n\n{helpers}\n\n{renamed}"))
    return found


def generate(out: Path, n: int, seed: int = 0) -> dict[str, int]:
    rng = random.Random(seed)
    wrong = _wrong_answers()
    names = list(_functions(SOLUTION))
    kinds = {"correct": 30, "loops": 20, "one_wrong": 25, "several_wrong": 10,
             "raises": 6, "missing": 6, "syntax": 3}
    counts = dict.fromkeys(kinds, 0)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for i in range(n):
        kind = rng.choices(list(kinds), weights=list(kinds.values()))[0]
        counts[kind] += 1
        text = SOLUTION
        if kind == "loops":
            text += LOOPS
        elif kind == "one_wrong":
            text += "\n\n" + rng.choice(wrong)[1] + "\n"
        elif kind == "several_wrong":
            for _, body in rng.sample(wrong, 3):
                text += "\n\n" + body + "\n"
        elif kind == "raises":
            victim = rng.choice(names)
            text += f"\n\ndef {victim}(*args, **kwargs):\n    raise ValueError('not done')\n"
        elif kind == "missing":
            for victim in rng.sample(names, 3):
                text = text.replace(f"def {victim}(", f"def _unfinished_{victim}(", 1)
        elif kind == "syntax":
            text = text.replace("def softmax(z):", "def softmax(z)", 1)
        folder = out / f"s{i:04d}_{kind}"
        folder.mkdir()
        (folder / "hw2.py").write_text(text)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(generate(args.out, args.n, args.seed))


if __name__ == "__main__":
    main()
