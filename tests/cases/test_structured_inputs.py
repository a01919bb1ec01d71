"""Structured inputs: dicts, lists, tuples, None and strings as case arguments, written in a
spec with the explicit forms ``{dict: ...}``, ``{list: ...}``, ``{tuple: ...}`` and
``{literal: ...}`` (problems/README.md, "Structured arguments"), drawn, sent to the student's
process, stored for a student bundle, and never shared with a reference that changes its
arguments in place."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.cases.build import build_cases, check_input
from grader.cases.generators import BuiltArg
from grader.cases.stored import StoredCase, read_cases, write_cases
from grader.errors import SpecError
from grader.grading import Grader
from grader.spec import load_assignment

from .._mini import MINI_ASSIGNMENT, make_assignment, write_student

REFERENCE = textwrap.dedent('''\
    import numpy as np


    def affine(x, params):
        return x @ params["W"] + params["b"]


    def scaled(x, options):
        factor = options["factor"] if options["mode"] == "train" else 1.0
        return x * factor if options["eps"] is None else x * factor + options["eps"]


    def stack(parts):
        first, (second, name) = parts
        assert isinstance(parts, tuple) and isinstance(name, str)
        return np.concatenate([first, second])


    def take(params):
        out = params["v"].copy()
        params["v"][:] = 0  # a reference that updates its argument in place
        return out
    ''')

PROBLEM: dict[str, Any] = {
    "id": "q1", "title": "Structured arguments", "points": 8,
    "parts": [
        {"function": "affine", "points": 2, "reference": "solution:affine",
         "cases": [{"count": 3, "public": 1, "dims": {"N": [1, 4], "D": [2, 3], "H": [1, 3]},
                    "args": {"x": {"normal": ["N", "D"]},
                             "params": {"dict": {"W": {"normal": ["D", "H"]},
                                                 "b": {"normal": ["H"]}}}}}]},
        {"function": "scaled", "points": 2, "reference": "solution:scaled",
         "cases": [{"count": 2, "dims": {"N": [2, 3]},
                    "args": {"x": {"normal": ["N"]},
                             "options": {"literal": {"mode": "train", "factor": 3,
                                                     "eps": None}}}}]},
        {"function": "stack", "points": 2, "reference": "solution:stack",
         "cases": [{"count": 2, "dims": {"N": [1, 3]},
                    "args": {"parts": {"tuple": [{"normal": ["N"]},
                                                 {"list": [{"uniform": ["N"]},
                                                           "label"]}]}}}]},
        {"function": "take", "points": 2, "reference": "solution:take",
         "cases": [{"count": 2, "args": {"params": {"dict": {"v": [1.0, 2.0, 3.0]}}}}]},
    ],
}


@pytest.fixture(scope="module")
def assignment(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = make_assignment(tmp_path_factory.mktemp("structured") / "hw",
                           assignment=MINI_ASSIGNMENT, problems={"q1": PROBLEM},
                           reference=REFERENCE)
    return load_assignment(root)


def test_structured_arguments_are_drawn_as_declared(assignment: Any) -> None:
    cases = build_cases(assignment)
    affine, scaled, stack = (cases[f"q1/{f}"] for f in ("affine", "scaled", "stack"))
    params = affine[0].args[1]
    assert set(params) == {"W", "b"} and params["W"].shape[1] == params["b"].shape[0]
    options = scaled[0].args[1]
    assert options == {"mode": "train", "factor": 3, "eps": None}
    parts = stack[0].args[0]
    assert isinstance(parts, tuple) and isinstance(parts[1], list) and parts[1][1] == "label"


def test_a_student_gets_the_same_structures_and_full_marks(assignment: Any,
                                                          tmp_path: Path) -> None:
    with Grader(assignment) as grader:
        result = grader.grade(write_student(tmp_path / "s", base=REFERENCE))
    assert result.score == result.max_score == 8, [
        (p.function, p.message) for q in result.problems for p in q.parts]


def test_a_reference_that_changes_its_argument_changes_no_case(assignment: Any,
                                                               tmp_path: Path) -> None:
    """The student's copy of the case is the one the reference was given, before the
    reference zeroed it: a student that returns the values it got matches."""
    with Grader(assignment) as grader:
        result = grader.grade(write_student(tmp_path / "s", base=REFERENCE))
    take = next(p for q in result.problems for p in q.parts if p.function == "take")
    assert take.score == take.max_score, take.message


def test_a_wrong_structure_costs_its_part(assignment: Any, tmp_path: Path) -> None:
    wrong = REFERENCE + textwrap.dedent('''

        def affine(x, params):
            return x @ params["W"]  # forgot the bias
        ''')
    with Grader(assignment) as grader:
        result = grader.grade(write_student(tmp_path / "s", base=wrong))
    scores = {p.function: p.score for q in result.problems for p in q.parts}
    assert scores == {"affine": 0, "scaled": 2, "stack": 2, "take": 2}


def test_structured_values_are_stored_and_read_back(tmp_path: Path) -> None:
    value = {"W": np.arange(6.0).reshape(2, 3), "opts": [None, "x", (1, True)],
             "f": BuiltArg("builders:make", {"k": {"n": 2}})}
    write_cases(tmp_path / "c.npz", [StoredCase(args={"params": value})])
    (case,) = read_cases(tmp_path / "c.npz")
    back = case.args["params"]
    assert np.array_equal(back["W"], value["W"])
    assert back["opts"] == [None, "x", (1, True)]
    assert back["f"] == value["f"]


@pytest.mark.parametrize("value, problem", [
    ({1: np.zeros(2)}, "a dict with a key 1, expected string keys"),
    ([object()], "a object, expected an array"),
])
def test_what_cannot_be_sent_is_named(value: Any, problem: str) -> None:
    assert problem in (check_input(value) or "")


def test_nesting_is_capped() -> None:
    deep: Any = np.zeros(1)
    for _ in range(40):
        deep = [deep]
    assert "nested more than" in (check_input(deep) or "")


@pytest.mark.parametrize("entry, message", [
    ({"dict": [1, 2]}, "params.dict: expected a mapping of key to value or generator"),
    ({"list": {"a": 1}}, "params.list: expected a list of values or generators"),
    ({"tuple": 3}, "params.tuple: expected a list of values or generators"),
    ({"dict": {"W": {"normal": ["Q"]}}}, "Q"),
    ({"dict": {"a": 1}, "dtype": "float32"}, "dtype applies to arrays"),
    ({"literal": {"a": {"b": [1, {"c": {"set": 1}}]}}}, None),
])
def test_structured_spec_mistakes_name_the_key(tmp_path: Path, entry: Any,
                                               message: str | None) -> None:
    problem = {"id": "q1", "title": "t", "points": 1,
               "parts": [{"function": "affine", "points": 1, "reference": "solution:affine",
                          "cases": [{"count": 1, "args": {"params": entry}}]}]}
    root = make_assignment(tmp_path / "hw", assignment=MINI_ASSIGNMENT,
                           problems={"q1": problem}, reference=REFERENCE)
    if message is None:
        load_assignment(root)  # (a mapping inside a literal is plain data, whatever its keys)
        return
    with pytest.raises(SpecError) as raised:
        load_assignment(root)
    text = str(raised.value)
    assert "q1.yaml" in text and "params" in text and message in text, text
