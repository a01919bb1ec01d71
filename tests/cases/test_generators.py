"""Declarative generators: shapes follow dims, values their distribution, draws their seed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader._schema import Node
from grader.cases.build import build_part_cases
from grader.cases.generators import Env, Generator
from grader.cases.parse import Scope, parse_value
from grader.errors import SpecError
from grader.spec import load_assignment

from .._mini import MINI_PROBLEM, MINI_REFERENCE, edited, make_assignment

DIMS = {"N": 6, "D": 3, "K": 4}


def parse(spec: Any, names: tuple[str, ...] = ()) -> Generator:
    return parse_value(Node(spec, "q.yaml", "args.x"), Scope(frozenset(DIMS), frozenset(names)))


def draw(spec: Any, values: dict[str, Any] | None = None, seed: int = 0) -> Any:
    gen = parse(spec, tuple(values or ()))
    return gen.draw(np.random.default_rng(seed), Env(dict(DIMS), dict(values or {})))


@pytest.mark.parametrize(
    ("spec", "shape"),
    [
        ({"normal": ["N", "D"]}, (6, 3)),
        ({"normal": {"shape": ["D+1"], "std": 2}}, (4,)),
        ({"uniform": {"shape": ["N", "K"], "low": -1, "high": 1}}, (6, 4)),
        ({"integers": {"shape": ["2*K"], "low": 0, "high": 3}}, (8,)),
        ({"choice": {"values": [1, 2], "shape": ["N"]}}, (6,)),
        ({"one_hot": ["N", "K"]}, (6, 4)),
        ({"probabilities": ["D", "K"]}, (3, 4)),
        ({"spd": "D"}, (3, 3)),
    ],
)
def test_shape_follows_dims(spec: Any, shape: tuple[int, ...]) -> None:
    assert np.shape(draw(spec)) == shape


def test_integers_include_both_bounds() -> None:
    values = draw({"integers": {"shape": [400], "low": 2, "high": 4}})

    assert values.dtype.kind == "i"
    assert set(values.tolist()) == {2, 3, 4}


def test_integers_with_equal_bounds_give_that_value() -> None:
    assert set(draw({"integers": {"shape": ["N"], "low": 5, "high": 5}}).tolist()) == {5}


def test_integer_bounds_may_be_dimension_expressions() -> None:
    labels = draw({"integers": {"shape": [400], "low": 0, "high": "K-1"}})  # K = 4
    assert set(labels.tolist()) == {0, 1, 2, 3}
    assert set(draw({"integers": {"shape": [50], "low": "D", "high": "2*D"}}).tolist()) \
        <= set(range(3, 7))


@pytest.mark.parametrize(("bound", "message"), [
    ("C-1", "uses undeclared dimension C"),
    ("K+", "bad dimension expression"),
    (2.5, "expected an integer or a dimension expression"),
])
def test_a_bad_integer_bound_names_its_key(bound: Any, message: str) -> None:
    with pytest.raises(SpecError) as info:
        parse({"integers": {"low": 0, "high": bound}})
    assert info.value.key == "args.x.integers.high"
    assert message in str(info.value)


def test_bounds_that_cross_in_a_case_are_a_spec_error(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "hw", problems={"q1": edited(
        MINI_PROBLEM, "parts[0].cases[0]",
        {"count": 2, "public": True, "dims": {"N": [1, 3]}, "args": {"x": {"integers": {
            "shape": ["N"], "low": 2, "high": "N-2"}}}})})
    with pytest.raises(SpecError, match="cannot draw a case: ValueError: integers: low 2 > high"):
        build_part_cases(*_part(load_assignment(root)), seed=1, key=None, public_only=True)


def _part(assignment: Any) -> tuple[Any, Any]:
    problem = assignment.problems[0]
    return problem.parts[0], problem


def test_uniform_stays_in_its_range() -> None:
    values = draw({"uniform": {"shape": [500], "low": -2, "high": 3}})

    assert values.min() >= -2
    assert values.max() < 3
    assert values.max() - values.min() > 4  # actually spread over the range


def test_normal_uses_mean_and_std() -> None:
    values = draw({"normal": {"shape": [4000], "mean": 10, "std": 0.5}})

    assert abs(values.mean() - 10) < 0.05
    assert abs(values.std() - 0.5) < 0.05


def test_one_hot_rows_are_one_hot() -> None:
    rows = draw({"one_hot": [50, "K"]})

    assert set(np.unique(rows).tolist()) == {0.0, 1.0}
    assert (rows.sum(axis=1) == 1).all()
    assert len(set(rows.argmax(axis=1).tolist())) > 1  # not always the same class


def test_one_hot_vector() -> None:
    row = draw({"one_hot": ["K"]})

    assert row.shape == (4,)
    assert row.sum() == 1
    assert set(row.tolist()) == {0.0, 1.0}


def test_probabilities_rows_are_on_the_simplex() -> None:
    rows = draw({"probabilities": {"shape": [50, "K"], "concentration": 0.5}})

    assert (rows >= 0).all()
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_spd_is_symmetric_with_eigenvalues_in_range() -> None:
    matrix = draw({"spd": {"n": "N", "min_eig": 0.5, "max_eig": 2.0}})

    assert matrix.shape == (6, 6)
    np.testing.assert_array_equal(matrix, matrix.T)
    eigenvalues = np.linalg.eigvalsh(matrix)
    assert eigenvalues.min() >= 0.5 - 1e-9
    assert eigenvalues.max() <= 2.0 + 1e-9


def test_dim_is_the_integer_value_of_an_expression() -> None:
    value = draw({"dim": "N+1"})

    assert value == 7
    assert type(value) is int


def test_ref_is_the_value_drawn_earlier_under_that_name() -> None:
    earlier = np.array([1.0, 2.0, 3.0])

    value = draw({"ref": "w"}, values={"w": earlier})

    np.testing.assert_array_equal(value, earlier)
    value[0] = 99.0  # a copy: the argument may be mutated without changing the other
    assert earlier[0] == 1.0


def test_choice_picks_among_the_values() -> None:
    picks = draw({"choice": {"values": [0.5, 2, 7], "shape": [300]}})

    assert set(picks.tolist()) == {0.5, 2.0, 7.0}


def test_scalar_choice_is_a_python_number() -> None:
    value = draw({"choice": [0.5, 2.5]})

    assert type(value) is float
    assert value in (0.5, 2.5)


@pytest.mark.parametrize(
    "spec",
    [
        [1, 2, 3],
        [[1, 2], [3, 4]],
        [[1.5, -2.0]],
        {"array": [1, 2, 3]},
    ],
)
def test_literal_lists_become_float64_arrays(spec: Any) -> None:
    value = draw(spec)

    assert isinstance(value, np.ndarray)
    assert value.dtype == np.float64
    np.testing.assert_array_equal(value, np.asarray(spec["array"] if isinstance(spec, dict)
                                                    else spec, dtype=float))


def test_literal_array_keeps_a_requested_dtype() -> None:
    assert draw({"array": [1, 2], "dtype": "int64"}).dtype == np.int64


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ({"normal": {}}, float),
        ({"normal": None}, float),
        ({"normal": {"std": 0.5}}, float),
        ({"uniform": {"low": 1, "high": 2}}, float),
        ({"integers": {"low": 0, "high": 9}}, int),
        ({"integers": {"low": 0, "high": 9}, "dtype": "float64"}, float),
        (0.75, float),
        (3, int),
    ],
)
def test_scalar_generators_give_python_numbers(spec: Any, kind: type) -> None:
    value = draw(spec)

    assert type(value) is kind


def test_dtype_option_converts_the_draw() -> None:
    assert draw({"normal": ["N"], "dtype": "float32"}).dtype == np.float32
    assert draw({"integers": {"shape": ["N"], "low": 0, "high": 1}, "dtype": "bool"}
                ).dtype == np.bool_


def test_a_draw_is_a_function_of_its_rng_only() -> None:
    spec = {"normal": ["N", "D"]}

    np.testing.assert_array_equal(draw(spec, seed=3), draw(spec, seed=3))
    assert not np.array_equal(draw(spec, seed=3), draw(spec, seed=4))


@pytest.mark.parametrize(
    ("spec", "key", "message"),
    [
        ({"normal": ["N"], "uniform": ["N"]}, "args.x", "exactly one generator key"),
        ({"gaussian": ["N"]}, "args.x", "exactly one generator key"),
        ({"normal": {"shape": ["N"], "std": -1}}, "args.x.normal.std", ">= 0"),
        ({"probabilities": {"shape": ["K"], "concentration": 0}},
         "args.x.probabilities.concentration", "> 0"),
        ({"integers": {"low": 3}}, "args.x.integers.high", "missing required key"),
        ({"integers": {"low": 0.5, "high": 2}}, "args.x.integers.low", "expected an integer"),
        ({"one_hot": {}}, "args.x.one_hot.shape", "missing required key"),
        ({"choice": []}, "args.x.choice.values", "at least one value"),
        ({"spd": {"n": "D", "min_eig": 0}}, "args.x.spd.min_eig", "> 0"),
        ({"ref": "later"}, "args.x.ref", "not defined earlier"),
        ({"dim": "Q"}, "args.x.dim", "undeclared dimension Q"),
        ({"normal": ["N"], "with": {}}, "args.x.with", "unknown key"),
        (None, "args.x", "got nothing"),
    ],
)
def test_bad_generator_is_rejected_at_load(spec: Any, key: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        parse(spec)

    assert info.value.key == key
    assert message in str(info.value)


# --- through a spec: cases are a function of (seed, problem, part, case index) -------------

def two_arg_problem(groups: list[dict[str, Any]]) -> dict[str, Any]:
    return edited(MINI_PROBLEM, "parts[0].cases", groups)


MATRIX_GROUP = {
    "name": "matrix",
    "count": 5,
    "dims": {"N": [1, 9], "D": [1, 6]},
    "let": {"scale": {"uniform": {"low": 1, "high": 2}}},
    "args": {
        "X": {"normal": ["N", "D"]},
        "w": {"normal": ["D"]},
        "y": {"one_hot": ["N", "D"]},
        "n": {"dim": "N"},
        "w_again": {"ref": "w"},
        "s": {"ref": "scale"},
    },
}


def cases_of(tmp_path: Path, groups: list[dict[str, Any]], seed: int | None = None) -> Any:
    root = make_assignment(tmp_path, problems={"q1": two_arg_problem(groups)})
    assignment = load_assignment(root)
    problem = assignment.problems[0]
    return build_part_cases(problem.parts[0], problem,
                            assignment.seed if seed is None else seed, assignment.key)


def test_shared_dims_agree_between_args_of_a_case(tmp_path: Path) -> None:
    cases = cases_of(tmp_path, [MATRIX_GROUP])

    for case in cases:
        X, w, y, n, w_again, s = case.args
        assert X.shape == (n, w.shape[0])
        assert y.shape == X.shape
        np.testing.assert_array_equal(w_again, w)
        assert 1 <= s <= 2
    assert len({case.args[0].shape for case in cases}) > 1  # dims are drawn per case


def test_cases_are_deterministic(tmp_path: Path) -> None:
    first = cases_of(tmp_path / "a", [MATRIX_GROUP])
    second = cases_of(tmp_path / "b", [MATRIX_GROUP])

    for a, b in zip(first, second, strict=True):
        assert a.id == b.id
        for x, y in zip(a.args, b.args, strict=True):
            np.testing.assert_array_equal(x, y)


def test_different_case_indices_differ(tmp_path: Path) -> None:
    cases = cases_of(tmp_path, [{**MATRIX_GROUP, "dims": {"N": 3, "D": 2}}])

    inputs = [case.args[0].tobytes() for case in cases]
    assert len(set(inputs)) == len(inputs)


def test_a_different_seed_gives_different_cases(tmp_path: Path) -> None:
    group = {**MATRIX_GROUP, "dims": {"N": 3, "D": 2}}
    one = cases_of(tmp_path / "a", [group], seed=1)
    two = cases_of(tmp_path / "b", [group], seed=2)

    assert not np.array_equal(one[0].args[0], two[0].args[0])


def test_appending_a_case_group_keeps_earlier_cases(tmp_path: Path) -> None:
    extra = {"name": "extra", "count": 2, "dims": {"N": 2, "D": 2},
             "args": {"X": {"normal": ["N", "D"]}}}
    before = cases_of(tmp_path / "a", [MATRIX_GROUP])
    after = cases_of(tmp_path / "b", [MATRIX_GROUP, extra])

    assert len(after) == len(before) + 2
    for a, b in zip(before, after, strict=False):
        assert a.id == b.id
        for x, y in zip(a.args, b.args, strict=True):
            np.testing.assert_array_equal(x, y)


def test_building_cases_leaves_global_random_state_alone(tmp_path: Path) -> None:
    np.random.seed(0)
    expected = np.random.random()
    np.random.seed(0)

    cases_of(tmp_path, [MATRIX_GROUP])

    assert np.random.random() == expected


def test_a_generator_that_orders_arguments_unlike_its_part_is_a_spec_error(
        tmp_path: Path) -> None:
    reference = ("\n\ndef make_yx(rng):\n"
                 "    return {'y': rng.normal(size=2), 'x': rng.normal(size=2)}\n")
    problem = edited(MINI_PROBLEM, "parts[0].cases", [
        {"count": 1, "public": True, "args": {"x": [1.0, 2.0], "y": [3.0, 4.0]}},
        {"count": 1, "public": True, "generator": "solution:make_yx"}])
    root = make_assignment(tmp_path / "hw", problems={"q1": problem},
                           reference=MINI_REFERENCE + reference)
    with pytest.raises(SpecError, match=r"parts\[0\]\.cases\[1\]\.generator: case 1 passes "
                                        r"the arguments y, x, but case 0 passes x, y"):
        build_part_cases(*_part(load_assignment(root)), seed=1, key=None, public_only=True)
