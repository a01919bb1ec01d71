"""Helpers shared by the tests: the shipped example's paths, and a small assignment and
students written to tmp_path.

The small assignment ("mini") has one problem, q1, with five parts chosen so that each student
behaviour can be tested on one part while the others show that it cost only that part:

    double(x)      -> 2 * x                 3 points, 3 cases (1 public)
    halve(x)       -> x / 2                 2 points, 2 cases
    total(x)       -> float(sum(x))         2 points, 2 cases (a scalar output)
    split(x)       -> (x, -x)               2 points, 2 cases (a tuple: outputs pos, neg)
    quiet(x)       -> 3 * x                 2 points, 2 cases, warnings: fail
"""

from __future__ import annotations

import copy
import re
import textwrap
from pathlib import Path
from typing import Any

import yaml

from grader.intake.submissions import Submission, one_submission

REPO_ROOT = Path(__file__).resolve().parent.parent
HW2 = REPO_ROOT / "problems" / "hw2"
SUBMISSIONS = REPO_ROOT / "submissions"

# The functions the buggy example gets wrong, and those it gets right, in q1 and q3. The issue
# listed gradient_descent_step as wrong too; since commit adbec74 the buggy submission's
# gradient_descent_step is deliberately correct ("the student recomputed the gradient here").
BUGGY_LOSES = ("sigmoid", "neuron_gradients", "softmax", "softmax_jacobian", "mlp_grad_W1")
BUGGY_FULL = ("gradient_descent_step", "cross_entropy_grad_logits")

MINI_REFERENCE = textwrap.dedent('''\
    import numpy as np


    def double(x):
        return 2 * x


    def halve(x):
        return x / 2


    def total(x):
        return float(np.sum(x))


    def split(x):
        return x, -x


    def quiet(x):
        return 3 * x


    def make_x(rng, size=3):
        return {"x": rng.normal(size=size)}
    ''')

# A correct student. Tests append a redefinition of one function to break just that part.
MINI_STUDENT = MINI_REFERENCE

MINI_ASSIGNMENT: dict[str, Any] = {
    "name": "Mini",
    "module": "hw",
    "seed": 1234,
    "problems": ["q1"],
    "defaults": {"timeout": 5, "tolerance": {"rtol": 1e-6, "atol": 1e-9}},
}


def _x_group(count: int, public: int = 0) -> dict[str, Any]:
    return {"count": count, "public": public, "dims": {"N": [1, 4]},
            "args": {"x": {"normal": ["N"]}}}


MINI_PROBLEM: dict[str, Any] = {
    "id": "q1",
    "title": "Five small functions",
    "points": 11,
    "parts": [
        {"function": "double", "points": 3, "reference": "solution:double",
         "cases": [_x_group(3, public=1)]},
        {"function": "halve", "points": 2, "reference": "solution:halve",
         "cases": [_x_group(2)]},
        {"function": "total", "points": 2, "reference": "solution:total",
         "cases": [_x_group(2)]},
        {"function": "split", "points": 2, "reference": "solution:split",
         "outputs": ["pos", "neg"], "cases": [_x_group(2)]},
        {"function": "quiet", "points": 2, "reference": "solution:quiet",
         "warnings": "fail", "cases": [_x_group(2)]},
    ],
}

MINI_FUNCTIONS = tuple(p["function"] for p in MINI_PROBLEM["parts"])


def write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def make_assignment(
    root: Path,
    assignment: dict[str, Any] | None = None,
    problems: dict[str, Any] | None = None,
    reference: str = MINI_REFERENCE,
    wrong: dict[str, str] | None = None,
) -> Path:
    """Write an assignment folder (assignment.yaml, one yaml per problem, the reference, and
    ``wrong``: known-wrong modules by name, written to wrong/<name>.py)."""
    root.mkdir(parents=True, exist_ok=True)
    write_yaml(root / "assignment.yaml", assignment or MINI_ASSIGNMENT)
    for pid, data in (problems or {"q1": MINI_PROBLEM}).items():
        write_yaml(root / f"{pid}.yaml", data)
    (root / "reference").mkdir(exist_ok=True)
    (root / "reference" / "solution.py").write_text(reference, encoding="utf-8")
    for name, source in (wrong or {}).items():
        (root / "wrong").mkdir(exist_ok=True)
        (root / "wrong" / f"{name}.py").write_text(source, encoding="utf-8")
    write_key(root)
    return root


TEST_KEY = bytes(range(32))  # a fixed key, so that tests see the same hidden cases every run


def write_key(root: Path, key: bytes = TEST_KEY) -> Path:
    """Write the secret key of the hidden cases (``hidden.key``) into an assignment folder."""
    path = root / "hidden.key"
    path.write_text(key.hex() + "\n", encoding="ascii")
    return path


DELETE = object()
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def edited(data: Any, path: str, value: Any) -> Any:
    """A deep copy of ``data`` with the key at ``path`` (``parts[0].cases[0].dims.N``) set.

    ``value`` DELETE removes the key. An index one past the end of a list appends.
    """
    data = copy.deepcopy(data)
    steps: list[str | int] = [int(i) if i else k for k, i in _STEP.findall(path)]
    target = data
    for step in steps[:-1]:
        target = target[step]
    last = steps[-1]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list) and last == len(target):
        target.append(value)
    else:
        target[last] = value
    return data


def write_student(folder: Path, extra: str = "", base: str = MINI_STUDENT,
                  module: str = "hw") -> Submission:
    """A submission folder holding ``module``.py: the correct base plus ``extra`` appended.

    A function redefined in ``extra`` replaces the base one, so each test states only what it
    breaks.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module}.py"
    path.write_text(base + "\n" + textwrap.dedent(extra), encoding="utf-8")
    return one_submission(path.parent, f"{module}.py")


def line_of(submission: Submission, marker: str) -> int:
    """The 1-based line number of the first line of the submission containing ``marker``."""
    assert submission.module is not None
    lines = submission.module.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if marker in line)
