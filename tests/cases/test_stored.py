"""Stored cases: the .npz format round-trips every kind of input, a bad file is a SpecError
naming the spec, the key, the file and the place inside it, and grading uses stored cases
like drawn ones."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.cases.build import build_part_cases
from grader.cases.generators import BuiltArg
from grader.cases.stored import META, StoredCase, StoredOutput, read_cases, write_cases
from grader.errors import SpecError
from grader.grading import GradeOptions, Grader
from grader.judge.expected import compute_expected
from grader.spec import load_assignment

from .._mini import MINI_ASSIGNMENT, MINI_PROBLEM, edited, make_assignment, write_student

BUILDERS = "def scale(k):\n    return lambda x: k * x\n"


def test_every_kind_of_value_round_trips(tmp_path: Path) -> None:
    case = StoredCase(
        args={"x": np.arange(6, dtype=np.int32).reshape(2, 3), "b": 0.75, "n": 3, "flag": True,
              "s": np.float32(1.5), "f": BuiltArg("builders:scale", {"k": np.array([2.0])})},
        kwargs={"mode": "fast"},
        index=7,
        expected=(StoredOutput({0: np.array([1.0, 2.0]), 2: np.array(3)}, 3),),
    )
    write_cases(tmp_path / "c.npz", [case])

    (back,) = read_cases(tmp_path / "c.npz")

    assert list(back.args) == ["x", "b", "n", "flag", "s", "f"]
    assert back.args["x"].dtype == np.int32 and back.args["x"].shape == (2, 3)
    assert [type(back.args[k]) for k in ("b", "n", "flag", "s")] == [float, int, bool,
                                                                      np.float32]
    assert back.args["f"].builder == "builders:scale"
    np.testing.assert_array_equal(back.args["f"].data["k"], [2.0])
    assert dict(back.kwargs) == {"mode": "fast"} and back.index == 7
    (out,) = back.expected
    assert out.arity == 3 and sorted(out.values) == [0, 2]
    assert not back.args["x"].flags.writeable  # shared by every build of the cases


def test_known_mistakes_outputs_round_trip_with_gaps(tmp_path: Path) -> None:
    case = StoredCase({"x": np.ones(2)}, index=0,
                      expected=(StoredOutput({0: np.ones(2)}, None),),
                      mistakes=(StoredOutput({0: np.zeros(2)}, None, warned=True), None,
                                StoredOutput({1: {"W": np.ones(1)}}, 2)))
    write_cases(tmp_path / "c.npz", [case])

    (back,) = read_cases(tmp_path / "c.npz")

    first, gap, third = back.mistakes
    np.testing.assert_array_equal(first.values[0], [0.0, 0.0])
    assert first.warned and not third.warned
    assert gap is None
    assert third.arity == 2 and list(third.values[1]) == ["W"]


def test_a_file_without_indices_numbers_its_cases_in_the_part(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "hw")
    write_cases(root / "data.npz", [StoredCase({"x": np.array([1.0, 2.0])}),
                                    StoredCase({"x": np.array([3.0])})])
    problem = edited(MINI_PROBLEM, "parts[0].cases[1]",
                     {"name": "data set", "public": 1, "stored": "data.npz"})

    assignment = load_assignment(make_assignment(root, problems={"q1": problem}))
    q1 = assignment.problems[0]
    cases = build_part_cases(q1.parts[0], q1, assignment.seed, assignment.key)

    assert [(c.id, c.group, c.public) for c in cases] == [
        ("q1/double/0", "group1", True), ("q1/double/1", "group1", False),
        ("q1/double/2", "group1", False), ("q1/double/3", "data set", True),
        ("q1/double/4", "data set", False)]
    np.testing.assert_array_equal(cases[3].args[0], [1.0, 2.0])


def test_a_fixed_data_set_is_graded_against_the_reference(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "hw")
    write_cases(root / "data.npz", [StoredCase({"x": np.array([1.0, -2.0])})])
    problem = edited(MINI_PROBLEM, "parts[0].cases[0]", {"public": True, "stored": "data.npz"})
    assignment = load_assignment(make_assignment(root, problems={"q1": problem}))
    wrong = write_student(tmp_path / "bob", extra="def double(x):\n    return x + 1\n")

    with Grader(assignment, GradeOptions(public_only=True, cache=False)) as grader:
        (result,) = grader.grade_all([wrong])

    part = result.problems[0].parts[0]
    assert (part.passed, part.total) == (0, 1)
    assert part.message.startswith("case q1/double/0: ")
    assert "expected -4" in part.message


def test_stored_expected_outputs_replace_the_reference(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "hw")
    write_cases(root / "split.npz", [StoredCase(
        {"x": np.array([1.0])}, index=4,
        expected=(StoredOutput({0: np.array([1.0]), 1: np.array([-1.0])}, 2),))])
    part = {"function": "split", "points": 2, "outputs": ["pos", "neg"],
            "cases": [{"name": "kept", "public": True, "stored": "split.npz"}]}
    problem = edited(MINI_PROBLEM, "parts[3]", part)
    assignment = load_assignment(make_assignment(root, problems={"q1": problem}))
    problem_spec = assignment.problems[0]
    split = problem_spec.parts[3]

    cases = build_part_cases(split, problem_spec, assignment.seed, assignment.key)
    (outputs,) = compute_expected(problem_spec, split, cases, assignment.public_dir)

    assert [c.id for c in cases] == ["q1/split/4"]
    assert split.references == ()
    assert outputs[0].arity == 2 and outputs[0].values[1].tolist() == [-1.0]


def test_an_assignment_of_stored_parts_needs_no_seed(tmp_path: Path) -> None:
    root = tmp_path / "hw"
    make_assignment(root)
    write_cases(root / "d.npz", [StoredCase({"x": np.array([2.0])}, index=0, expected=(
        StoredOutput({0: np.array([4.0])}, None),))])
    problem = {"id": "q1", "title": "t", "points": 1,
               "parts": [{"function": "double", "points": 1,
                          "cases": [{"public": True, "stored": "d.npz"}]}]}
    assignment = {k: v for k, v in MINI_ASSIGNMENT.items() if k != "seed"}

    loaded = load_assignment(make_assignment(root, assignment=assignment,
                                             problems={"q1": problem}))

    assert loaded.max_score == 1


def test_the_digest_covers_the_stored_files(tmp_path: Path) -> None:
    problem = edited(MINI_PROBLEM, "parts[0].cases[1]", {"stored": "data.npz"})
    digests = []
    for value in (1.0, 2.0):
        root = make_assignment(tmp_path / str(value), problems={"q1": problem})
        write_cases(root / "data.npz", [StoredCase({"x": np.array([value])})])
        digests.append(load_assignment(root).digest)

    assert digests[0] != digests[1]


# --- bad files ------------------------------------------------------------------------------

def _npz(arrays: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _with_meta(meta: Any, **arrays: Any) -> bytes:
    text = meta if isinstance(meta, str) else json.dumps(meta)
    return _npz({META: np.frombuffer(text.encode(), dtype=np.uint8), **arrays})


def _doc(*cases: Any) -> dict[str, Any]:
    return {"format": "grader-cases", "version": 1, "cases": list(cases)}


X = {"x": np.array([1.0])}
ARG_X = [["x", {"array": "x"}]]

BAD_FILES: dict[str, tuple[Callable[[], bytes], str]] = {
    "not a zip": (lambda: b"hello", "cannot read it as .npz"),
    "a single .npy array": (lambda: _npy(np.zeros(3)),
                            "expected an .npz archive, got a single array"),
    "no cases.json": (lambda: _npz(X), "no 'cases.json' entry"),
    "cases.json not JSON": (lambda: _with_meta("{nope", **X), "cases.json: not valid JSON"),
    "another format": (lambda: _with_meta({"format": "x", "version": 1, "cases": []}),
                       "cases.json: expected format 'grader-cases' version 1"),
    "array missing": (lambda: _with_meta(_doc({"args": [["x", {"array": "y"}]]}), **X),
                      "cases[0].args.x.array: no array 'y' in the file"),
    "strings, not numbers": (lambda: _with_meta(_doc({"args": ARG_X}), x=np.array(["a"])),
                             "cases[0].args.x.array: array 'x' has dtype <U1"),
    "an object array (pickle)": (
        lambda: _with_meta(_doc({"args": ARG_X}), x=np.array([{}], dtype=object)),
        "x: Object arrays cannot be loaded when allow_pickle=False"),
    "a number that is not 0-d": (
        lambda: _with_meta(_doc({"args": [["x", {"number": "x"}]]}), **X),
        "cases[0].args.x.number: array 'x' has shape (1,)"),
    "unknown value kind": (lambda: _with_meta(_doc({"args": [["x", {"set": [1]}]]})),
                           "cases[0].args.x: expected one of array, number"),
    "bad value inside a list": (lambda: _with_meta(_doc({"args": [["x", {"list": [1]}]]})),
                                "cases[0].args.x[0]: expected one of array, number"),
    "argument not a pair": (lambda: _with_meta(_doc({"args": [["x"]]})),
                            "cases[0].args[0]: expected [name, value]"),
    "unknown case key": (lambda: _with_meta(_doc({"args": ARG_X, "seed": 3}), **X),
                         "cases[0].seed: unknown key"),
    "negative index": (lambda: _with_meta(_doc({"args": ARG_X, "index": -1}), **X),
                       "cases[0].index: expected an integer >= 0"),
    "duplicate index": (lambda: _with_meta(_doc({"args": ARG_X, "index": 1},
                                                {"args": ARG_X, "index": 1}), **X),
                        "cases: the case indices must be unique"),
    "some indices only": (lambda: _with_meta(_doc({"args": ARG_X, "index": 1},
                                                  {"args": ARG_X}), **X),
                          "cases: give every case an 'index', or none"),
    "output index beyond the arity": (
        lambda: _with_meta(_doc({"args": ARG_X, "expected": {"arity": 2, "outputs": [
            {"2": "x"}]}}), **X), "cases[0].expected.outputs[0]: output index '2'"),
    "an output index in other digits": (
        lambda: _with_meta(_doc({"args": ARG_X, "expected": {"arity": 2, "outputs": [
            {"\u00b2": "x"}]}}), **X), "cases[0].expected.outputs[0]: output index '²'"),
    "a known mistake's output, two sets": (
        lambda: _with_meta(_doc({"args": ARG_X, "mistakes": [{"arity": None, "outputs": [
            {"0": "x"}, {"0": "x"}]}]}), **X),
        "cases[0].mistakes[0].outputs: expected one output set, got 2"),
    "a known mistake's warned, not a boolean": (
        lambda: _with_meta(_doc({"args": ARG_X, "mistakes": [{"arity": None, "outputs": [
            {"0": "x"}], "warned": 1}]}), **X), "cases[0].mistakes[0].warned: expected true"),
    "JSON nested past reading": (lambda: _with_meta("[" * 100_000, **X),
                                 "cases.json: nested too deeply to read"),
    "builder without a function": (
        lambda: _with_meta(_doc({"args": [["f", {"builder": "builders"}]]})),
        "cases[0].args.f.builder: expected 'module:function'"),
    "builder not in public/": (
        lambda: _with_meta(_doc({"args": [["f", {"builder": "builders:nope"}]]})),
        "cases[0].args.f: 'builders:nope': builders.py defines no function 'nope'"),
}


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@pytest.mark.parametrize("make, expected", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_stored_file_names_spec_key_file_and_place(
        tmp_path: Path, make: Callable[[], bytes], expected: str) -> None:
    problem = edited(MINI_PROBLEM, "parts[0].cases[0]", {"stored": "cases/bad.npz"})
    root = make_assignment(tmp_path / "hw", problems={"q1": problem})
    (root / "public").mkdir()
    (root / "public" / "builders.py").write_text(BUILDERS)
    (root / "cases").mkdir()
    (root / "cases" / "bad.npz").write_bytes(make())

    with pytest.raises(SpecError) as info:
        load_assignment(root)

    assert Path(info.value.file).name == "q1.yaml"
    assert info.value.key == "parts[0].cases[0].stored"
    assert f"parts[0].cases[0].stored: cases/bad.npz: {expected}" in str(info.value)


BAD_PARTS: dict[str, tuple[dict[str, Any], list[StoredCase], str, str]] = {
    "expected outputs under a reference": (
        {"reference": "solution:double"},
        [StoredCase(X, expected=(StoredOutput({0: np.ones(1)}, None),))],
        "parts[0].cases[0].stored", "holds expected outputs, but the part's 'reference'"),
    "no reference and no expected outputs": (
        {}, [StoredCase(X)], "parts[0].reference", "missing required key"),
    "outputs that the part does not compare": (
        {"compare": [1]}, [StoredCase(X, expected=(StoredOutput({0: np.ones(1)}, 2),))],
        "parts[0].cases[0].stored", "cases[0].expected: outputs [0], expected [1]"),
    "different arities": (
        {}, [StoredCase(X, expected=(StoredOutput({0: np.ones(1)}, None),)),
             StoredCase(X, expected=(StoredOutput({0: np.ones(1), 1: np.ones(1)}, 2),))],
        "parts[0].cases[0].stored", "cases[1].expected: expected 1 output set(s) of arity None"),
    "an index used twice in the part": (
        {"reference": "solution:double", "extra": {"args": {"x": 1.0}}},
        [StoredCase(X, index=1)], "parts[0].cases[1].name",
        "case index 1 is also used by cases[0]"),
}


@pytest.mark.parametrize("keys, cases, key, expected", BAD_PARTS.values(), ids=BAD_PARTS.keys())
def test_bad_part_of_stored_cases_names_the_key(tmp_path: Path, keys: dict[str, Any],
                                                cases: list[StoredCase], key: str,
                                                expected: str) -> None:
    keys = dict(keys)
    groups = [{"stored": "c.npz"}]
    if "extra" in keys:
        groups.append(keys.pop("extra"))
    part = {"function": "double", "points": 3, **keys, "cases": groups}
    root = make_assignment(tmp_path / "hw", problems={"q1": edited(MINI_PROBLEM, "parts[0]",
                                                                    part)})
    write_cases(root / "c.npz", cases)

    with pytest.raises(SpecError) as info:
        load_assignment(root)

    assert info.value.key == key, str(info.value)
    assert expected in str(info.value)


def test_write_cases_refuses_what_it_cannot_store(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"0\.args\.x: cannot store a set"):
        write_cases(tmp_path / "c.npz", [StoredCase({"x": {1, 2}})])
    with pytest.raises(ValueError, match="dtype object"):
        write_cases(tmp_path / "c.npz", [StoredCase({"x": np.array([{}], dtype=object)})])
    assert not (tmp_path / "c.npz").exists()
