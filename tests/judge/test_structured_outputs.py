"""Structured outputs: a call that returns a dict of arrays, a tuple of a loss and a dict of
gradients, or a list of arrays of different shapes is graded leaf by leaf, with messages that
name the path of the leaf (grader.values, grader.judge.compare.compare_value); what crosses
back from the student's process is checked as arrays are (grader.sandbox.wire.decode_tree)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader import values
from grader.grading import GradeOptions, Grader
from grader.judge.compare import compare_value
from grader.sandbox import wire
from grader.sandbox.runner import RunOptions
from grader.spec import Tolerance, load_assignment

from .._mini import MINI_ASSIGNMENT, make_assignment, write_student

TOL = Tolerance(rtol=1e-6, atol=1e-9)

REFERENCE = textwrap.dedent('''\
    import numpy as np


    def two_layer_loss(X, y, params):
        W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        h = np.maximum(0, X @ W1 + b1)
        scores = h @ W2 + b2
        diff = scores - y
        loss = 0.5 * np.mean(np.sum(diff ** 2, axis=1))
        dscores = diff / X.shape[0]
        grads = {"W2": h.T @ dscores, "b2": dscores.sum(axis=0)}
        dh = dscores @ W2.T * (h > 0)
        grads["W1"] = X.T @ dh
        grads["b1"] = dh.sum(axis=0)
        return loss, grads


    def pieces(x):
        return [x, x[:1] * 2, {"n": x.size, "tag": "ok", "none": None}]
    ''')

PROBLEM: dict[str, Any] = {
    "id": "q1", "title": "Structured outputs", "points": 4,
    "parts": [
        {"function": "two_layer_loss", "points": 2, "reference": "solution:two_layer_loss",
         "outputs": ["loss", "grads"],
         "cases": [{"count": 3, "public": 1,
                    "dims": {"N": [2, 4], "D": [2, 3], "H": [2, 4], "C": [1, 3]},
                    "args": {"X": {"normal": ["N", "D"]}, "y": {"normal": ["N", "C"]},
                             "params": {"dict": {"W1": {"normal": ["D", "H"]},
                                                 "b1": {"normal": ["H"]},
                                                 "W2": {"normal": ["H", "C"]},
                                                 "b2": {"normal": ["C"]}}}}}]},
        {"function": "pieces", "points": 2, "reference": "solution:pieces",
         "cases": [{"count": 2, "public": 1, "dims": {"N": [2, 4]},
                    "args": {"x": {"normal": ["N"]}}}]},
    ],
}


@pytest.fixture(scope="module")
def grader(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = make_assignment(tmp_path_factory.mktemp("outputs") / "hw",
                           assignment=MINI_ASSIGNMENT, problems={"q1": PROBLEM},
                           reference=REFERENCE)
    with Grader(load_assignment(root), GradeOptions(run=RunOptions(timeout=5))) as g:
        yield g


def grade(grader: Any, tmp_path: Path, extra: str = "") -> dict[str, tuple[float, str]]:
    result = grader.grade(write_student(tmp_path / "s", textwrap.dedent(extra),
                                        base=REFERENCE))
    return {p.function: (p.score, p.message) for q in result.problems for p in q.parts}


def test_the_reference_itself_gets_full_marks(grader: Any, tmp_path: Path) -> None:
    assert grade(grader, tmp_path) == {"two_layer_loss": (2, ""), "pieces": (2, "")}


def test_a_gradient_dict_in_another_order_and_of_another_container_type_matches(
        grader: Any, tmp_path: Path) -> None:
    """Keys in another order, numpy scalars for Python numbers, a tuple for a list."""
    got = grade(grader, tmp_path, '''
        _reference = two_layer_loss

        def two_layer_loss(X, y, params):
            loss, grads = _reference(X, y, params)
            return np.float64(loss), {k: grads[k] for k in sorted(grads)}

        def pieces(x):
            return (x, x[:1] * 2, {"none": None, "tag": "ok", "n": np.int64(x.size)})
        ''')
    assert got == {"two_layer_loss": (2, ""), "pieces": (2, "")}


def test_a_wrong_gradient_is_named_by_its_path(grader: Any, tmp_path: Path) -> None:
    got = grade(grader, tmp_path, '''
        _reference = two_layer_loss

        def two_layer_loss(X, y, params):
            loss, grads = _reference(X, y, params)
            grads["b1"] = grads["b1"] * 2
            return loss, grads
        ''')
    score, message = got["two_layer_loss"]
    assert score == 0 and "output 1 (grads) ['b1']: " in message, message
    assert got["pieces"] == (2, "")


def test_a_missing_or_extra_key_is_named(grader: Any, tmp_path: Path) -> None:
    got = grade(grader, tmp_path, '''
        _reference = two_layer_loss

        def two_layer_loss(X, y, params):
            loss, grads = _reference(X, y, params)
            grads["W3"] = grads.pop("W2")
            return loss, grads
        ''')
    score, message = got["two_layer_loss"]
    assert score == 0 and "missing key(s) 'W2'; unexpected key(s) 'W3'" in message, message


@pytest.mark.parametrize("body, message", [
    ("return [x, object()]", "returned value [1]: not a numeric array: got object; expected an "
                             "array, a number, or a dict, list or tuple of them"),
    ("return {1: x}", "a dict key 1 of type int; keys must be strings"),
    ("l = [x]; l.append(l); return l", "nested more than 16 levels deep"),
    ("return [[x, x[:1]]] * 6000", "too many values"),
    ("return {'a': 'x' * 5000}", "a string longer than 1000 characters"),
    ("return [x, (i for i in range(3))]", "not a numeric array: got generator"),
])
def test_what_is_not_plain_data_is_a_bad_output_that_says_why(
        grader: Any, tmp_path: Path, body: str, message: str) -> None:
    got = grade(grader, tmp_path, f'''
        def pieces(x):
            {body}
        ''')
    score, said = got["pieces"]
    assert score == 0 and message in said, said
    assert got["two_layer_loss"] == (2, "")


def test_a_tree_survives_the_wire_and_its_checks() -> None:
    value = {"W": np.arange(6.0).reshape(2, 3), "rest": [None, "s", (np.int64(2), True)]}
    blobs: list[bytes] = []
    node = wire.encode_tree(values.normalize(value), blobs)
    back = wire.decode_tree(node, blobs, 1 << 20)
    assert values.identical(back, values.normalize(value))


@pytest.mark.parametrize("node, message", [
    ({"t": "a", "b": 5}, "bad array reference"),
    ({"t": "d", "k": ["a", "a"], "v": [{"t": "z"}, {"t": "z"}]}, "a dict key twice"),
    ({"t": "d", "k": [1], "v": [{"t": "z"}]}, "not text"),
    ({"t": "l", "v": [{"t": "a", "b": 0}, {"t": "a", "b": 0}]}, "bad array reference"),
    ({"t": "q"}, "malformed value"),
    ({"t": "s", "v": "x" * 2000}, "not text of at most 1000"),
])
def test_a_forged_tree_is_refused(node: Any, message: str) -> None:
    blobs = [wire.encode_array(np.zeros(2))]
    with pytest.raises(wire.WireError, match=message):
        wire.decode_tree(node, blobs, 1 << 20)


def test_a_deep_or_wide_forged_tree_is_refused() -> None:
    deep: Any = {"t": "z"}
    for _ in range(40):
        deep = {"t": "l", "v": [deep]}
    with pytest.raises(wire.WireError, match="nested more than"):
        wire.decode_tree(deep, [], 1 << 20)
    wide = {"t": "l", "v": [{"t": "z"}] * 20_000}
    with pytest.raises(wire.WireError, match="too many values"):
        wire.decode_tree(wide, [], 1 << 20)


def test_compare_value_rules() -> None:
    want = values.normalize({"a": [np.ones(2), np.zeros(3)], "s": "x", "n": None})
    same = {"a": (np.ones(2), np.zeros(3)), "s": "x", "n": None}
    assert compare_value(values.normalize(same), want, TOL).passed
    verdict = compare_value(values.normalize({"a": [np.ones(2), np.ones(3)], "s": "y",
                                              "n": None}), want, TOL, "output 0")
    assert not verdict.passed
    assert verdict.message.startswith("output 0 ['a'][1]: ")
    assert verdict.details[-1] == "1 more part(s) of this output differ"


def _with_compare(tmp_path: Path, compare: Any) -> Any:
    part = dict(PROBLEM["parts"][0], compare=compare)
    problem = dict(PROBLEM, parts=[part], points=2)
    root = make_assignment(tmp_path / "hw", assignment=MINI_ASSIGNMENT, problems={"q1": problem},
                           reference=REFERENCE)
    return load_assignment(root)


def test_compare_paths_pick_parts_of_a_structured_output(tmp_path: Path) -> None:
    """``compare: [0, "1.W1", "1.b1"]``: the loss, and only W1 and b1 of the gradients."""
    assignment = _with_compare(tmp_path, [0, "1.W1", "1.b1"])
    wrong_w2 = REFERENCE + textwrap.dedent('''
        _reference = two_layer_loss

        def two_layer_loss(X, y, params):
            loss, grads = _reference(X, y, params)
            grads["W2"] = grads["W2"] * 0   # not compared
            return loss, grads
        ''')
    wrong_w1 = wrong_w2.replace('grads["W2"] = grads["W2"] * 0', 'grads["W1"] = grads["W1"] * 0')
    with Grader(assignment) as grader:
        passed = grader.grade(write_student(tmp_path / "a", base=wrong_w2))
        failed = grader.grade(write_student(tmp_path / "b", base=wrong_w1))
    assert passed.score == passed.max_score == 2
    part = failed.problems[0].parts[0]
    assert part.score == 0 and "output 1 (grads) ['W1']: " in part.message, part.message


@pytest.mark.parametrize("compare, message", [
    (["x.W1"], "expected an output index or a path such as '1.W1'"),
    (["1."], "expected an output index or a path such as '1.W1'"),
    (["\u00b2.W1"], "expected an output index or a path such as '1.W1'"),
    ([1, "1.W1"], "output 1 is listed whole and by path"),
    (["1.W1", "1.W1"], "'1.W1' is listed twice"),
])
def test_compare_path_mistakes_name_the_key(tmp_path: Path, compare: Any, message: str) -> None:
    from grader.errors import SpecError

    with pytest.raises(SpecError) as raised:
        _with_compare(tmp_path, compare)
    assert "compare" in str(raised.value) and message in str(raised.value), str(raised.value)


def test_a_student_bundle_keeps_compare_paths_and_structured_expected_outputs(
        tmp_path: Path) -> None:
    from grader.bundles.export import export_bundle

    assignment = _with_compare(tmp_path, [0, "1.W1"])
    export_bundle(assignment, tmp_path / "bundle")
    bundle = load_assignment(tmp_path / "bundle")
    assert bundle.problems[0].parts[0].compare_paths == ((1, (("W1",),)),)
    with Grader(bundle) as grader:
        result = grader.grade(write_student(tmp_path / "s", base=REFERENCE))
    assert result.score == result.max_score == 2


@pytest.mark.parametrize("compare, message", [
    (["1.W9"], "'1.W9': the reference's output 1 on case q1/two_layer_loss/0: it has no key 'W9'"),
    (["0.x"], "'0.x': the reference's output 0 on case q1/two_layer_loss/0: it is a scalar, "
              "not a dict"),
    (["1.W1.deep"], "['W1'] is an array of shape"),
])
def test_a_compare_path_the_reference_lacks_is_a_spec_error(tmp_path: Path, compare: Any,
                                                            message: str) -> None:
    """A typo in a path must not make the part free: it stops the run before grading."""
    from grader.errors import SpecError

    assignment = _with_compare(tmp_path, compare)
    with pytest.raises(SpecError) as raised:
        Grader(assignment).close()
    assert "compare" in str(raised.value) and message in str(raised.value), str(raised.value)


def test_the_expected_output_cache_keeps_structured_outputs(tmp_path: Path) -> None:
    from grader.judge.cache import ExpectedCache

    assignment = _with_compare(tmp_path, [0, 1])
    problem = assignment.problems[0]
    part = problem.parts[0]
    from grader.cases.build import build_cases
    from grader.judge.expected import compute_expected

    cases = build_cases(assignment)["q1/two_layer_loss"]
    cache = ExpectedCache(assignment, assignment.seed, tmp_path / "cache")
    first = cache.expected(problem, part, cases,
                           lambda c: compute_expected(problem, part, c, assignment.public_dir))
    again = ExpectedCache(assignment, assignment.seed, tmp_path / "cache").expected(
        problem, part, cases, lambda c: pytest.fail("recomputed what the cache holds"))
    for a, b in zip(first, again, strict=True):
        assert a[0].arity == b[0].arity == 2
        assert isinstance(b[0].values[1], dict)
        assert all(values.identical(b[0].values[i], a[0].values[i]) for i in (0, 1))
