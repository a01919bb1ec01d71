"""Building a part's cases: ids, indices across groups, public flags, generator functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.cases.build import build_cases, build_part_cases, case_id, case_rng, check_input
from grader.cases.generators import BuiltArg
from grader.errors import SpecError
from grader.spec import Assignment, load_assignment

from .._mini import MINI_PROBLEM, MINI_REFERENCE, edited, make_assignment


def load_with_groups(tmp_path: Path, groups: list[dict[str, Any]],
                     reference: str = MINI_REFERENCE) -> Assignment:
    problem = edited(MINI_PROBLEM, "parts[0].cases", groups)
    return load_assignment(make_assignment(tmp_path, problems={"q1": problem},
                                           reference=reference))


def part_cases(assignment: Assignment) -> Any:
    problem = assignment.problems[0]
    return build_part_cases(problem.parts[0], problem, assignment.seed, assignment.key)


def test_ids_and_indices_count_across_groups(tmp_path: Path) -> None:
    assignment = load_with_groups(tmp_path, [
        {"name": "a", "count": 2, "public": 1, "args": {"x": {"normal": [2]}}},
        {"name": "b", "count": 3, "public": True, "args": {"x": [1.0, 2.0]}},
        {"name": "c", "args": {"x": 0.5}},
    ])

    cases = part_cases(assignment)

    assert [c.id for c in cases] == [f"q1/double/{i}" for i in range(6)]
    assert [c.index for c in cases] == list(range(6))
    assert [c.group for c in cases] == ["a", "a", "b", "b", "b", "c"]
    assert [c.public for c in cases] == [True, False, True, True, True, False]
    assert all(c.arg_names == ("x",) for c in cases)


def test_build_cases_keys_every_part(mini: Assignment) -> None:
    cases = build_cases(mini)

    assert list(cases) == ["q1/double", "q1/halve", "q1/total", "q1/split", "q1/quiet"]
    assert [len(v) for v in cases.values()] == [3, 2, 2, 2, 2]


def test_case_rng_is_independent_per_case() -> None:
    def first_draw(*key: Any) -> float:
        return float(case_rng(*key).random())

    assert first_draw(1, "q1", "f", 0) == first_draw(1, "q1", "f", 0)
    others = {first_draw(2, "q1", "f", 0), first_draw(1, "q2", "f", 0),
              first_draw(1, "q1", "g", 0), first_draw(1, "q1", "f", 1)}
    assert first_draw(1, "q1", "f", 0) not in others
    assert len(others) == 4


def test_case_id_format() -> None:
    assert case_id("q3", "softmax", 7) == "q3/softmax/7"


def test_summary_is_short_for_large_inputs(tmp_path: Path) -> None:
    assignment = load_with_groups(tmp_path, [
        {"args": {"x": {"normal": [1000, 1000]}, "b": 0.25}},
    ])

    summary = part_cases(assignment)[0].summary()

    assert summary.startswith("x=array 1000x1000 float64 in [")
    assert summary.endswith("b=0.25")
    assert len(summary) < 120


def test_summary_lists_small_vectors(tmp_path: Path) -> None:
    assignment = load_with_groups(tmp_path, [{"args": {"x": [1.0, -2.5]}}])

    assert part_cases(assignment)[0].summary() == "x=[1.0, -2.5]"  # a float keeps its point


def test_kwargs_are_drawn_after_args(tmp_path: Path) -> None:
    assignment = load_with_groups(tmp_path, [
        {"dims": {"N": 3}, "args": {"x": {"normal": ["N"]}},
         "kwargs": {"alpha": {"uniform": {"low": 0.1, "high": 0.2}}, "y": {"ref": "x"}}},
    ])

    case = part_cases(assignment)[0]

    assert list(case.kwargs) == ["alpha", "y"]
    assert 0.1 <= case.kwargs["alpha"] <= 0.2
    np.testing.assert_array_equal(case.kwargs["y"], case.args[0])


def test_generator_function_builds_the_inputs(tmp_path: Path) -> None:
    assignment = load_with_groups(tmp_path, [
        {"count": 3, "generator": {"function": "solution:make_x", "with": {"size": 5}}},
    ])

    cases = part_cases(assignment)

    assert [c.args[0].shape for c in cases] == [(5,)] * 3
    assert not np.array_equal(cases[0].args[0], cases[1].args[0])
    again = part_cases(assignment)
    np.testing.assert_array_equal(cases[2].args[0], again[2].args[0])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("return [1, 2]", "must return a mapping of argument name to value, got list"),
        ("return {'x': {1, 2}}", "returned x=a set"),  # (lists, dicts, tuples are plain)
        ("return {'x': {1: 2.0}}", "returned x=a dict with a key 1, expected string keys"),
        ("return {'x': np.array(['a'])}", "returned x=an array of dtype <U1"),
        ("raise RuntimeError('no luck')", "raised RuntimeError: no luck"),
    ],
)
def test_bad_generator_function_is_a_spec_error(tmp_path: Path, body: str, message: str) -> None:
    reference = MINI_REFERENCE + f"\n\ndef bad(rng):\n    {body}\n"
    assignment = load_with_groups(tmp_path, [{"generator": "solution:bad"}], reference)

    with pytest.raises(SpecError) as info:
        part_cases(assignment)

    assert info.value.key == "parts[0].cases[0].generator"
    assert "q1.yaml" in str(info.value)
    assert message in str(info.value)


def test_shape_that_evaluates_negative_is_a_spec_error_naming_the_group(tmp_path: Path) -> None:
    assignment = load_with_groups(tmp_path, [
        {"dims": {"N": [1, 2]}, "args": {"x": {"normal": ["N-3"]}}},
    ])

    with pytest.raises(SpecError) as info:
        part_cases(assignment)

    assert info.value.key == "parts[0].cases[0]"
    assert "cannot draw a case" in str(info.value)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (np.zeros(3), None),
        (np.array([True]), None),
        (2.5, None),
        ("text", None),
        (np.float32(1), None),
        (BuiltArg("public:make", {"a": np.ones(2)}), None),
        (np.array([1 + 1j]), "dtype complex128"),
        (np.array([None]), "dtype object"),
        ([1, 2], None),  # (plain data: a list stays a list)
        ({"W": np.ones(2), "opts": (None, "x")}, None),
        ({1, 2}, "a set"),
        (BuiltArg("public:make", {"a": {1: 2}}), "a dict with a key 1"),
        ([[[np.ones(1)]]] , None),
    ],
)
def test_check_input(value: Any, problem: str | None) -> None:
    found = check_input(value)

    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
