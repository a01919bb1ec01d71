"""Loading specs: a table of invalid specs, each naming its file, key path and expectation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.errors import SpecError
from grader.spec import load_assignment

from .._mini import (
    DELETE,
    MINI_ASSIGNMENT,
    MINI_PROBLEM,
    MINI_REFERENCE,
    edited,
    make_assignment,
    write_student,
)


@dataclass(frozen=True)
class Raw:
    """Replace a whole file by this text (for YAML that does not parse)."""

    text: str


@dataclass(frozen=True)
class BadSpec:
    file: str  # the file that is edited
    edit: str  # the key path to set ("" with a Raw value: the whole file)
    value: Any
    where: str  # the file the error must name
    key: str  # the key path the error must name
    expected: str  # words of what was expected


GROUP = "parts[0].cases[0]"

BAD_SPECS = {
    # unknown keys, at every level
    # structured arguments (problems/README.md, "Structured arguments")
    "dict of a list": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"dict": [1, 2]},
        "q1.yaml", f"{GROUP}.args.x.dict", "expected a mapping of key to value or generator"),
    "list of a mapping": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"list": {"a": 1}},
        "q1.yaml", f"{GROUP}.args.x.list", "expected a list of values or generators"),
    "tuple of a number": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"tuple": 3},
        "q1.yaml", f"{GROUP}.args.x.tuple", "expected a list of values or generators"),
    "bad generator inside a dict": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"dict": {"W": {"normal": ["N"], "sd": 1}}},
        "q1.yaml", f"{GROUP}.args.x.dict.W.sd", "unknown key"),
    "dtype on a dict": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"dict": {"a": 1}, "dtype": "float32"},
        "q1.yaml", f"{GROUP}.args.x.dtype", "dtype applies to arrays"),
    "non-string key in a literal": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"literal": {"a": {1: 2}}},
        "q1.yaml", f"{GROUP}.args.x.literal.a", "expected string keys"),
    "unknown top-level key": BadSpec(
        "assignment.yaml", "nmae", "x", "assignment.yaml", "nmae", "unknown key"),
    "unknown key in defaults": BadSpec(
        "assignment.yaml", "defaults.timout", 3, "assignment.yaml", "defaults.timout",
        "unknown key"),
    "unknown key in a part": BadSpec(
        "q1.yaml", "parts[0].tolerence", {"rtol": 1e-3}, "q1.yaml", "parts[0].tolerence",
        "unknown key"),
    "unknown key in a case group": BadSpec(
        "q1.yaml", f"{GROUP}.cuont", 2, "q1.yaml", f"{GROUP}.cuont", "unknown key"),
    "unknown key in a generator": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"normal": {"shape": ["N"], "sd": 2}},
        "q1.yaml", f"{GROUP}.args.x.normal.sd", "unknown key"),
    "unknown key next to a generator": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"normal": ["N"], "size": 3},
        "q1.yaml", f"{GROUP}.args.x.size", "unknown key"),
    # wrong types and values
    "problem points a string": BadSpec(
        "q1.yaml", "points", "ten", "q1.yaml", "points", "expected a number"),
    "part points a string": BadSpec(
        "q1.yaml", "parts[0].points", "ten", "q1.yaml", "parts[0].points", "expected a number"),
    "negative seed": BadSpec(
        "assignment.yaml", "seed", -1, "assignment.yaml", "seed", "expected an integer >= 0"),
    "fractional seed": BadSpec(
        "assignment.yaml", "seed", 1.5, "assignment.yaml", "seed", "expected an integer"),
    "zero default timeout": BadSpec(
        "assignment.yaml", "defaults.timeout", 0, "assignment.yaml", "defaults.timeout",
        "expected a number > 0"),
    "zero part timeout": BadSpec(
        "q1.yaml", "parts[0].timeout", 0, "q1.yaml", "parts[0].timeout",
        "expected a number > 0"),
    "rtol a string": BadSpec(
        "q1.yaml", "parts[0].tolerance", {"rtol": "x"}, "q1.yaml", "parts[0].tolerance.rtol",
        "expected a number"),
    "float32 not a boolean": BadSpec(
        "q1.yaml", "parts[0].tolerance", {"float32": "no"}, "q1.yaml",
        "parts[0].tolerance.float32", "expected true or false, got 'no'"),
    "unknown shape leniency": BadSpec(
        "q1.yaml", "parts[0].tolerance", {"shape": "broadcast"}, "q1.yaml",
        "parts[0].tolerance.shape", "expected one of"),
    "negative atol": BadSpec(
        "assignment.yaml", "defaults.tolerance.atol", -1e-9, "assignment.yaml",
        "defaults.tolerance.atol", "expected a number >= 0"),
    "unknown scoring": BadSpec(
        "q1.yaml", "parts[0].scoring", "sometimes", "q1.yaml", "parts[0].scoring",
        "partial, all_or_nothing"),
    "module is a file name": BadSpec(
        "assignment.yaml", "module", "hw.py", "assignment.yaml", "module",
        "expected a Python module name"),
    "zero count": BadSpec(
        "q1.yaml", f"{GROUP}.count", 0, "q1.yaml", f"{GROUP}.count",
        "expected an integer >= 1"),
    "more public cases than cases": BadSpec(
        "q1.yaml", f"{GROUP}.public", 9, "q1.yaml", f"{GROUP}.public",
        "expected an integer <= 3"),
    "unknown dtype": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"normal": ["N"], "dtype": "complex128"},
        "q1.yaml", f"{GROUP}.args.x.dtype", "float64"),
    "negative std": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"normal": {"shape": ["N"], "std": -1}},
        "q1.yaml", f"{GROUP}.args.x.normal.std", "expected a number >= 0"),
    "uniform low above high": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"uniform": {"shape": ["N"], "low": 2, "high": 1}},
        "q1.yaml", f"{GROUP}.args.x.uniform", "low <= high"),
    "ragged literal": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", [[1, 2], [3]], "q1.yaml", f"{GROUP}.args.x",
        "rectangular list of numbers"),
    # NaN and infinity are not usable numbers for points, tolerances or timeouts
    "NaN problem points": BadSpec(
        "q1.yaml", "points", float("nan"), "q1.yaml", "points", "expected"),
    "NaN rtol": BadSpec(
        "q1.yaml", "parts[0].tolerance", {"rtol": float("nan")}, "q1.yaml",
        "parts[0].tolerance.rtol", "expected"),
    "infinite timeout": BadSpec(
        "q1.yaml", "parts[0].timeout", float("inf"), "q1.yaml", "parts[0].timeout",
        "expected"),
    # missing things
    "missing required top-level key": BadSpec(
        "assignment.yaml", "module", DELETE, "assignment.yaml", "module",
        "missing required key"),
    "missing required part key": BadSpec(
        "q1.yaml", "parts[0].reference", DELETE, "q1.yaml", "parts[0].reference",
        "missing required key"),
    "missing reference file": BadSpec(
        "q1.yaml", "parts[0].reference", "nosuch:double", "q1.yaml", "parts[0].reference",
        "nosuch.py"),
    "reference function not defined": BadSpec(
        "q1.yaml", "parts[0].reference", "solution:triple", "q1.yaml", "parts[0].reference",
        "no function 'triple'"),
    "reference without a function": BadSpec(
        "q1.yaml", "parts[0].reference", "solution", "q1.yaml", "parts[0].reference",
        "expected 'module:function'"),
    "missing problem file": BadSpec(
        "assignment.yaml", "problems", ["q1", "q2"], "assignment.yaml", "problems[1]",
        "q2.yaml"),
    "neither args nor generator": BadSpec(
        "q1.yaml", f"{GROUP}.args", DELETE, "q1.yaml", GROUP, "exactly one of 'args'"),
    # shapes and dimensions
    "shape ends in an operator": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"normal": ["N+"]}, "q1.yaml",
        f"{GROUP}.args.x.normal", "bad dimension expression 'N+'"),
    "shape uses a power": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"normal": ["N**2"]}, "q1.yaml",
        f"{GROUP}.args.x.normal", "bad dimension expression 'N**2'"),
    "shape uses an undeclared dimension": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"normal": {"shape": ["N", "M"]}}, "q1.yaml",
        f"{GROUP}.args.x.normal.shape", "undeclared dimension M"),
    "dims range reversed": BadSpec(
        "q1.yaml", f"{GROUP}.dims.N", [8, 2], "q1.yaml", f"{GROUP}.dims.N",
        "[low, high] with 0 <= low <= high"),
    "dims a negative integer": BadSpec(
        "q1.yaml", f"{GROUP}.dims.N", -3, "q1.yaml", f"{GROUP}.dims.N",
        "expected an integer >= 0"),
    # consistency between keys and files
    "problem id differs from file name": BadSpec(
        "q1.yaml", "id", "q2", "q1.yaml", "id", "expected 'q1' (the file name)"),
    "points differ from the sum of the parts": BadSpec(
        "q1.yaml", "points", 12, "q1.yaml", "points", "sum of the parts' points (11)"),
    "duplicate part ids": BadSpec(
        "q1.yaml", "parts[1].function", "double", "q1.yaml", "parts[1]",
        "duplicate part id 'double'"),
    "duplicate case group names": BadSpec(
        "q1.yaml", "parts[0].cases[1]", {"name": "group1", "args": {"x": 1.0}}, "q1.yaml",
        "parts[0].cases[1].name", "duplicate case group name"),
    "unknown ref": BadSpec(
        "q1.yaml", f"{GROUP}.args.y", {"ref": "z"}, "q1.yaml", f"{GROUP}.args.y.ref",
        "not defined earlier"),
    "ref to a later argument": BadSpec(
        "q1.yaml", f"{GROUP}.args", {"y": {"ref": "x"}, "x": {"normal": ["N"]}}, "q1.yaml",
        f"{GROUP}.args.y.ref", "not defined earlier"),
    "generator options not a mapping": BadSpec(
        "q1.yaml", GROUP, {"generator": {"function": "solution:make_x", "with": 5}},
        "q1.yaml", f"{GROUP}.generator.with", "mapping"),
    # stored cases (the file's contents: tests/test_stored.py) and student bundles
    "stored file missing": BadSpec(
        "q1.yaml", GROUP, {"stored": "cases/q1.npz"}, "q1.yaml", f"{GROUP}.stored",
        "cases/q1.npz: file not found"),
    "stored not a file name": BadSpec(
        "q1.yaml", GROUP, {"stored": 3}, "q1.yaml", f"{GROUP}.stored",
        "expected a non-empty string"),
    "stored with a count": BadSpec(
        "q1.yaml", GROUP, {"stored": "cases/q1.npz", "count": 2}, "q1.yaml", f"{GROUP}.count",
        "not allowed with 'stored'"),
    "stored with args": BadSpec(
        "q1.yaml", GROUP, {"stored": "cases/q1.npz", "args": {"x": 1.0}}, "q1.yaml",
        f"{GROUP}.args", "not allowed with 'stored'"),
    "no seed for drawn cases": BadSpec(
        "assignment.yaml", "seed", DELETE, "assignment.yaml", "seed",
        "missing required key: the cases of"),
    "source digest not hex": BadSpec(
        "assignment.yaml", "source_digest", "v1.2", "assignment.yaml", "source_digest",
        "expected a hex digest"),
    # YAML that does not parse: the key path is the line
    "invalid YAML syntax": BadSpec(
        "q1.yaml", "", Raw("id: q1\ntitle: t\npoints: [3\nparts: []\n"), "q1.yaml", "line 4",
        "invalid YAML"),
    "literal too large for its dtype": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"array": [10**20], "dtype": "int64"},
        "q1.yaml", f"{GROUP}.args.x.array", "rectangular list of numbers"),
    "uniform range overflows": BadSpec(
        "q1.yaml", f"{GROUP}.args.x", {"uniform": {"low": -1e308, "high": 1e308}},
        "q1.yaml", f"{GROUP}.args.x.uniform", "finite range"),
    "assignment is not a mapping": BadSpec(
        "assignment.yaml", "", Raw("- q1\n- q3\n"), "assignment.yaml", "",
        "expected a mapping"),
}


# Call sequences and scenarios (problems/README.md, "Call sequences and objects", "Scenarios"):
# a valid part, changed one way per row.
SEQUENCE: dict[str, Any] = {
    "id": "seq", "points": 3, "reference": "solution",
    "steps": [{"call": "split", "args": ["x"], "as": ["p", "n"]},
              {"call": "double", "args": ["p"], "as": "d"}],
    "returns": ["d", "n"],
    "cases": [{"count": 2, "args": {"x": [1.0, 2.0]}}],
}


def _sequence(path: str, value: Any) -> Any:
    return edited(SEQUENCE, path, value) if path else value


def _seq_spec(path: str, value: Any, key: str, expected: str) -> BadSpec:
    return BadSpec("q1.yaml", "parts[0]", _sequence(path, value), "q1.yaml", key, expected)


BAD_SPECS.update({
    "steps not a list": _seq_spec("steps", {"call": "double"}, "parts[0].steps",
                                  "expected a list"),
    "step with call and get": _seq_spec(
        "steps[0]", {"call": "split", "get": "x", "as": "y"}, "parts[0].steps[0]",
        "expected exactly one of 'call'"),
    "step with an unknown key": _seq_spec(
        "steps[0]", {"call": "split", "args": ["x"], "bind": "y"}, "parts[0].steps[0].bind",
        "unknown key"),
    "step call not a path": _seq_spec("steps[0].call", "split(x)", "parts[0].steps[0].call",
                                      "expected a name or a dotted path"),
    "step argument undefined": _seq_spec(
        "steps[1].args[0]", "cachee", "parts[0].steps[1].args[0]",
        "'cachee' is not a case argument, an earlier step's result, or a name"),
    "step unpacks into a name twice": _seq_spec(
        "steps[0].as", ["p", "p"], "parts[0].steps[0].as", "a list of distinct names"),
    "get without as": _seq_spec("steps[1]", {"get": "x"}, "parts[0].steps[1].as",
                                "missing required key: the name of the copy"),
    "set without value": _seq_spec("steps[1]", {"set": "x"}, "parts[0].steps[1].value",
                                   "missing required key"),
    "no step calls anything": _seq_spec("steps", [{"get": "x", "as": "y"}], "parts[0].steps",
                                        "at least one step with 'call'"),
    "steps without returns": _seq_spec("returns", DELETE, "parts[0].returns",
                                       "missing required key"),
    "returns a bad path": _seq_spec("returns[0]", "d.0.x-y", "parts[0].returns[0]",
                                    "expected a name or a dotted path"),
    "steps with compare": _seq_spec("compare", [0], "parts[0].compare",
                                    "not allowed with 'steps'"),
    "steps with a function reference": _seq_spec(
        "reference", "solution:double", "parts[0].reference", "names a module"),
    "step args not a list": _seq_spec("steps[0].args", "x", "parts[0].steps[0].args",
                                      "expected a list of names, paths or {literal: ...}"),
    "step literal with an int key": _seq_spec(
        "steps[0].args[0]", {"literal": {1: 2.0}}, "parts[0].steps[0].args[0].literal",
        "keys must be strings"),
    "step argument a number": _seq_spec("steps[0].args[0]", 3, "parts[0].steps[0].args[0]",
                                        "expected a name, a dotted path or {literal: ...}"),
    "returns without steps": BadSpec("q1.yaml", "parts[0].returns", ["d"], "q1.yaml",
                                     "parts[0].returns", "only a part with 'steps'"),
    "scenario not defined": _seq_spec(
        "", {k: v for k, v in SEQUENCE.items() if k not in ("steps", "returns")}
        | {"scenario": "solution:nope"}, "parts[0].scenario", "defines no function 'nope'"),
    "scenario with steps": _seq_spec("scenario", "solution:double", "parts[0].scenario",
                                     "not allowed with 'steps'"),
})

def write_bad_spec(root: Path, bad: BadSpec) -> Path:
    make_assignment(root)
    target = root / bad.file
    if isinstance(bad.value, Raw):
        target.write_text(bad.value.text, encoding="utf-8")
        return root
    base = MINI_ASSIGNMENT if bad.file == "assignment.yaml" else MINI_PROBLEM
    data = edited(base, bad.edit, bad.value)
    if bad.file == "assignment.yaml":
        make_assignment(root, assignment=data)
    else:
        make_assignment(root, problems={"q1": data})
    return root


@pytest.mark.parametrize("bad", BAD_SPECS.values(), ids=BAD_SPECS.keys())
def test_bad_spec_names_file_key_and_expectation(tmp_path: Path, bad: BadSpec) -> None:
    root = write_bad_spec(tmp_path / "hw", bad)

    with pytest.raises(SpecError) as info:
        load_assignment(root)

    error = info.value
    message = str(error)
    assert Path(error.file).name == bad.where, message
    assert error.key == bad.key, message
    assert bad.where in message
    assert f": {bad.key}: " in message or not bad.key
    assert bad.expected in message


@pytest.mark.parametrize("bad", BAD_SPECS.values(), ids=BAD_SPECS.keys())
def test_grade_on_bad_spec_exits_2_with_one_line(tmp_path: Path, bad: BadSpec) -> None:
    root = write_bad_spec(tmp_path / "hw", bad)
    write_student(tmp_path / "subs" / "alice")

    result = CliRunner().invoke(main, ["grade", str(root), str(tmp_path / "subs")])

    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("grader: error: ")
    assert bad.where in lines[0]
    assert bad.key in lines[0]
    assert "Traceback" not in result.output


def test_missing_assignment_folder_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="assignment folder not found"):
        load_assignment(tmp_path / "nowhere")


def test_missing_assignment_yaml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "hw").mkdir()
    with pytest.raises(SpecError, match=r"assignment\.yaml: file not found"):
        load_assignment(tmp_path / "hw")


def test_valid_spec_loads_with_defaults_inherited(mini_root: Path) -> None:
    assignment = load_assignment(mini_root)

    assert [p.id for p in assignment.problems] == ["q1"]
    parts = {p.id: p for p in assignment.problems[0].parts}
    assert list(parts) == ["double", "halve", "total", "split", "quiet"]
    assert assignment.max_score == 11
    assert parts["double"].timeout == 5
    assert parts["double"].tolerance.rtol == 1e-6
    assert parts["double"].scoring == "partial"
    assert parts["double"].warnings == "ignore"
    assert parts["quiet"].warnings == "fail"
    assert parts["split"].outputs == ("pos", "neg")
    assert parts["double"].case_count == 3


def test_assignment_yaml_path_is_accepted_as_well_as_its_folder(mini_root: Path) -> None:
    assert load_assignment(mini_root / "assignment.yaml").digest == \
        load_assignment(mini_root).digest


def test_paths_resolve_relative_to_the_spec_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_assignment(tmp_path / "course" / "hw")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assignment = load_assignment(Path("..") / "course" / "hw")

    assert assignment.reference_dir == (root / "reference").resolve()
    assert assignment.problems[0].file == (root / "q1.yaml").resolve()


def test_yaml_exponent_without_dot_is_read_as_a_number(tmp_path: Path) -> None:
    # YAML 1.1 reads 1e-5 as a string; the spec means the number.
    problem = edited(MINI_PROBLEM, "parts[0].tolerance", {"rtol": "1e-5", "atol": "0"})
    root = make_assignment(tmp_path / "hw", problems={"q1": problem})

    part = load_assignment(root).problems[0].parts[0]

    assert (part.tolerance.rtol, part.tolerance.atol) == (1e-5, 0.0)


def test_part_id_defaults_to_function_and_may_be_given(tmp_path: Path) -> None:
    problem = edited(MINI_PROBLEM, "parts[1].function", "double")
    problem = edited(problem, "parts[1].id", "double_again")
    problem = edited(problem, "parts[1].reference", "solution:double")
    root = make_assignment(tmp_path / "hw", problems={"q1": problem})

    parts = load_assignment(root).problems[0].parts

    assert [p.id for p in parts[:2]] == ["double", "double_again"]
    assert [p.function for p in parts[:2]] == ["double", "double"]


def test_digest_changes_when_the_reference_changes(tmp_path: Path) -> None:
    first = load_assignment(make_assignment(tmp_path / "a")).digest
    same = load_assignment(make_assignment(tmp_path / "b")).digest
    changed = load_assignment(make_assignment(
        tmp_path / "c", reference=MINI_REFERENCE + "\n# changed\n")).digest

    assert first == same
    assert changed != first


def test_a_case_too_large_to_draw_is_a_spec_error_not_a_crash(tmp_path: Path) -> None:
    problem = edited(MINI_PROBLEM, f"{GROUP}.dims", {"n": 10**11})
    problem = edited(problem, f"{GROUP}.args", {"x": {"normal": ["n"]}})
    root = make_assignment(tmp_path / "hw", problems={"q1": problem})
    write_student(tmp_path / "subs" / "alice")

    result = CliRunner().invoke(main, ["grade", str(root), str(tmp_path / "subs")])

    assert result.exit_code == 2, (result.output, result.exception)
    assert "q1.yaml: parts[0].cases[0]: cannot draw a case" in result.output
    assert "elements in one input" in result.output
