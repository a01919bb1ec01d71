"""``grader export``: the student bundle checks like the instructor's assignment and leaks
nothing of the hidden cases or the reference code."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import Result

from grader.cases.build import build_cases
from grader.cases.stored import META
from grader.judge.expected import compute_expected
from grader.spec import Assignment, load_assignment

from .._cli import one_line, run
from .._mini import HW2, MINI_PROBLEM, SUBMISSIONS, edited, make_assignment, write_student

SHIPPED = sorted(p.name for p in SUBMISSIONS.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("export") / "hw2-bundle"


@pytest.fixture(scope="module")
def exported(made: Path) -> Result:
    return run("export", HW2, made)


@pytest.fixture(scope="module")
def bundle(exported: Result, made: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle, moved to a folder of its own far from the repository (and its export)."""
    assert exported.exit_code == 0, exported.output
    far = tmp_path_factory.mktemp("student-laptop") / "hw2"
    shutil.copytree(made, far)
    shutil.rmtree(made)
    return far


@pytest.fixture(scope="module")
def files(bundle: Path) -> dict[str, bytes]:
    """Every file of the bundle by its path inside it."""
    return {p.relative_to(bundle).as_posix(): p.read_bytes()
            for p in sorted(bundle.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def hidden_ids(hw2: Assignment) -> list[str]:
    return [c.id for cases in build_cases(hw2).values() for c in cases if not c.public]


def _meta(data: bytes) -> dict[str, Any]:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return json.loads(npz[META].tobytes())


# --- what the bundle holds ------------------------------------------------------------------

def test_export_writes_the_documented_layout(bundle: Path, files: dict[str, bytes],
                                             hw2: Assignment, made: Path) -> None:
    assert not made.exists()  # moved away: what follows works from the copy alone
    top = {p.name for p in bundle.iterdir()}
    assert top == {"assignment.yaml", "README.md", "cases", "public",
                   *(f"{p.id}.yaml" for p in hw2.problems)}
    assert files["README.md"] == (HW2 / "README.md").read_bytes()
    assert files["public/builders.py"] == (HW2 / "public" / "builders.py").read_bytes()
    assert all(name.endswith(".npz") for name in files if name.startswith("cases/"))
    # Readable by everyone it is handed to, not only by the instructor who made it.
    assert all(p.stat().st_mode & 0o004 for p in [bundle, *bundle.rglob("*")])


def test_export_notes_the_custom_property_checks_it_leaves_out(exported: Result) -> None:
    notes = [line for line in exported.stderr.splitlines() if line.startswith("grader: note:")]
    assert len(notes) == 2, exported.stderr
    assert "q2/batchnorm_forward: the property check 'columns have mean beta'" in notes[0]
    assert "q2/batchnorm_backward" in notes[1]
    assert exported.stdout == ""


def test_bundle_keeps_every_part_points_and_settings(bundle: Path, hw2: Assignment) -> None:
    student = load_assignment(bundle)

    assert student.name == hw2.name and student.module == hw2.module
    assert student.max_score == hw2.max_score
    assert student.source_digest == hw2.digest
    for mine, theirs in zip(hw2.problems, student.problems, strict=True):
        assert (mine.id, mine.title, mine.points) == (theirs.id, theirs.title, theirs.points)
        for a, b in zip(mine.parts, theirs.parts, strict=True):
            assert (a.id, a.function, a.points, a.tolerance, a.timeout, a.scoring, a.warnings,
                    a.compare, a.outputs) == \
                   (b.id, b.function, b.points, b.tolerance, b.timeout, b.scoring, b.warnings,
                    b.compare, b.outputs)
            assert b.references == () and b.oracles == () and b.wrong == ()
            assert [c.name for c in b.checks] == [c.name for c in a.checks
                                                  if c.kind != "custom"]


def test_bundle_cases_are_the_public_cases_with_their_expected_outputs(
        bundle: Path, hw2: Assignment) -> None:
    student = load_assignment(bundle)
    theirs = build_cases(student)
    for key, cases in build_cases(hw2).items():
        public = tuple(c for c in cases if c.public)
        assert [c.id for c in theirs[key]] == [c.id for c in public], key
        problem = hw2.problem(key.split("/")[0])
        part = next(p for p in problem.parts if f"{problem.id}/{p.id}" == key)
        spart = next(p for p in student.problem(problem.id).parts if p.id == part.id)
        want = compute_expected(problem, part, public, hw2.public_dir)
        got = compute_expected(student.problem(problem.id), spart, theirs[key],
                               student.public_dir)
        for mine, copy, w, g in zip(public, theirs[key], want, got, strict=True):
            assert copy.public and copy.arg_names == mine.arg_names
            assert copy.summary() == mine.summary()
            assert repr(copy.args) == repr(mine.args) and repr(copy.kwargs) == repr(mine.kwargs)
            for a, b in zip(w, g, strict=True):
                assert a.arity == b.arity and a.values.keys() == b.values.keys()
                for i in a.values:
                    assert a.values[i].dtype == b.values[i].dtype
                    np.testing.assert_array_equal(a.values[i], b.values[i])


# --- what the bundle must not hold ----------------------------------------------------------

def test_bundle_holds_no_python_but_the_public_builders(files: dict[str, bytes]) -> None:
    code = {name for name in files if name.endswith((".py", ".pyc", ".pyi", ".so"))}
    assert code == {"public/builders.py"}


def test_bundle_holds_no_line_of_the_reference_or_wrong_code(files: dict[str, bytes]) -> None:
    public = {line.strip() for path in [*(HW2 / "public").rglob("*.py"), HW2 / "README.md"]
              for line in path.read_text(encoding="utf-8").splitlines()}
    secret = {line.strip() for folder in ("reference", "wrong")
              for path in (HW2 / folder).rglob("*.py")
              for line in path.read_text(encoding="utf-8").splitlines()}
    # The known mistakes' explanations are in the bundle on purpose (students are told them).
    told = " ".join(m.explanation for problem in load_assignment(HW2).problems
                    for part in problem.parts for m in part.mistakes)
    # Lines long enough to be distinctive, that are not public anyway.
    secret = {line for line in secret if len(line) >= 24 and line not in public
              and line.strip('"') not in told}
    assert len(secret) > 100
    for name, data in files.items():
        text = data.decode("latin-1")
        found = [line for line in secret if line in text]
        assert not found, (name, found[:3])


def test_bundle_names_no_hidden_case(files: dict[str, bytes], hidden_ids: list[str]) -> None:
    assert len(hidden_ids) > 50
    for name, data in files.items():
        text = data.decode("latin-1")
        found = [i for i in hidden_ids if re.search(re.escape(i) + r"(?!\d)", text)]
        assert not found, (name, found[:3])


def test_bundle_stores_exactly_the_public_case_indices(files: dict[str, bytes],
                                                      hw2: Assignment) -> None:
    public = {key: {c.index for c in cases if c.public}
              for key, cases in build_cases(hw2).items()}
    stored: dict[str, set[int]] = {key: set() for key in public}
    for name, data in files.items():
        if name.startswith("cases/"):
            key = next(k for k in public
                       if re.fullmatch(re.escape(k.replace("/", "_")) + r"_\d+\.npz",
                                       name.removeprefix("cases/")))
            stored[key] |= {case["index"] for case in _meta(data)["cases"]}
    assert stored == public


def test_bundle_npz_files_hold_numeric_arrays_only(files: dict[str, bytes]) -> None:
    for name, data in files.items():
        if name.endswith(".npz"):
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                kinds = {npz[key].dtype.kind for key in npz.files}
            assert kinds <= set("biuf"), (name, kinds)


def test_bundle_specs_hold_no_seed_generator_or_hidden_group(
        files: dict[str, bytes], hw2: Assignment) -> None:
    specs = {name: data.decode() for name, data in files.items() if name.endswith(".yaml")}
    public_names = {g.name for p in hw2.problems for part in p.parts for g in part.groups
                    if g.public}
    hidden_only = {g.name for p in hw2.problems for part in p.parts for g in part.groups
                   if not g.public} - public_names
    # Not even as text, unless the name is part of a public one ("separable log-cosh").
    unmentionable = {n for n in hidden_only if not any(n in name for name in public_names)}
    assert len(unmentionable) > 10
    for name, text in specs.items():
        assert str(hw2.seed) not in text, name
        assert not re.search(r"\b(seed|reference|generator|oracles|wrong|args|let|dims):",
                             text), name
        for group in hidden_only:
            assert not re.search(rf"name: ['\"]?{re.escape(group)}['\"]?$", text, re.M), group
        for group in unmentionable:
            assert group not in text, (name, group)
    for problem in hw2.problems:
        spec = yaml.safe_load(specs[f"{problem.id}.yaml"])
        for part, written in zip(problem.parts, spec["parts"], strict=True):
            assert [g["name"] for g in written["cases"]] == \
                [g.name for g in part.groups if g.public]
    assert str(hw2.seed) not in "".join(d.decode("latin-1") for d in files.values())


def test_bundle_names_no_path_of_the_instructor(files: dict[str, bytes]) -> None:
    for name, data in files.items():
        assert str(HW2.parent.parent).encode() not in data, name


# --- checking against the bundle ------------------------------------------------------------

def _verdicts(result: Result) -> dict[str, Any]:
    """What a student's check decides: per part its cases, score and message."""
    assert result.exit_code == 0, result.output
    sub = json.loads(result.stdout)["submissions"][0]
    return {
        "score": sub["score"], "max_score": sub["max_score"], "error": sub["error"],
        "output": sub["output"],
        "parts": [{**{k: v for k, v in part.items() if k != "cases"},
                   "cases": [{k: v for k, v in case.items() if k != "seconds"}
                             for case in part["cases"]]}
                  for problem in sub["problems"] for part in problem["parts"]],
    }


@pytest.mark.parametrize("name", SHIPPED)
def test_check_against_the_bundle_gives_the_instructors_public_verdicts(
        bundle: Path, name: str, tmp_path: Path) -> None:
    shipped = next((SUBMISSIONS / name).glob("hw2.*"))  # a module or a notebook
    submission = tmp_path / name / shipped.name
    submission.parent.mkdir()
    shutil.copyfile(shipped, submission)

    theirs = _verdicts(run("check", bundle, submission, "--format", "json"))
    mine = _verdicts(run("check", HW2, submission, "--format", "json"))

    assert theirs == mine
    assert sum(len(p["cases"]) for p in mine["parts"]) > 40


def test_check_shows_the_digest_the_bundle_was_exported_from(bundle: Path,
                                                             hw2: Assignment) -> None:
    text = run("check", bundle, SUBMISSIONS / "buggy")
    data = run("check", bundle, SUBMISSIONS / "buggy", "--format", "json")

    assert text.exit_code == 0 and data.exit_code == 0
    assert f", exported from {hw2.digest})" in text.stdout.splitlines()[0]
    # No seed and no --all hint: a bundle has public cases only, stored, not drawn.
    assert text.stdout.rstrip().endswith("(the public cases of the student bundle)")
    assert json.loads(data.stdout)["assignment"]["source_digest"] == hw2.digest
    assert "source_digest" in json.loads(run("check", HW2, SUBMISSIONS / "buggy",
                                             "--format", "json").stdout)["assignment"]


def test_rerun_command_of_the_bundle_reruns_one_case(bundle: Path) -> None:
    text = run("check", bundle, SUBMISSIONS / "buggy").stdout
    case = re.search(r"--case (\S+)", text)
    assert case is not None

    again = run("check", bundle, SUBMISSIONS / "buggy", "--case", case.group(1))

    assert again.exit_code == 0, again.output
    assert f"case {case.group(1)}:" in again.stdout
    assert "0/1 cases" in again.stdout


def test_validate_accepts_the_bundle(bundle: Path) -> None:
    result = run("validate", bundle)

    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout


def test_part_without_public_cases_is_kept_with_no_cases(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "hw")  # only 'double' has a public case
    student = write_student(tmp_path / "alice", extra="def double(x):\n    return x\n")

    assert run("export", root, tmp_path / "bundle").exit_code == 0
    theirs = _verdicts(run("check", tmp_path / "bundle", student.folder, "--format", "json"))
    mine = _verdicts(run("check", root, student.folder, "--format", "json"))

    assert theirs == mine
    assert [p["message"] for p in mine["parts"]][1:] == ["no cases selected"] * 4
    assert mine["parts"][0]["message"].startswith("case q1/double/0: ")


def test_compared_outputs_warnings_and_scalars_check_alike(tmp_path: Path) -> None:
    problem = MINI_PROBLEM
    for i in range(len(problem["parts"])):
        problem = edited(problem, f"parts[{i}].cases[0].public", 1)
    problem = edited(problem, "parts[3].compare", [1])  # split: only 'neg' is compared
    root = make_assignment(tmp_path / "hw", problems={"q1": problem})
    student = write_student(tmp_path / "carol", extra="""
        import warnings
        def split(x):
            return x * 0, x      # 'pos' is not compared; 'neg' has the wrong sign
        def quiet(x):
            warnings.warn("loud")
            return 3 * x
        def total(x):
            return float(sum(x)) + 1e-3
        """)

    assert run("export", root, tmp_path / "bundle").exit_code == 0
    theirs = _verdicts(run("check", tmp_path / "bundle", student.folder, "--format", "json"))
    mine = _verdicts(run("check", root, student.folder, "--format", "json"))

    assert theirs == mine
    messages = {p["id"]: p["message"] for p in mine["parts"]}
    assert messages["double"] == "" and messages["halve"] == ""
    assert messages["split"].startswith("case q1/split/0: output 1 (neg): ")
    assert "warning" in messages["quiet"].lower() and messages["total"]


# --- errors -------------------------------------------------------------------------------

def test_export_to_an_existing_folder_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()

    result = run("export", HW2, tmp_path / "out")

    assert result.exit_code == 2
    assert one_line(result) == (f"grader: error: {tmp_path / 'out'} already exists; give the "
                                "name of a new folder")
    assert list((tmp_path / "out").iterdir()) == []


def test_export_of_a_missing_assignment_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run("export", tmp_path / "nowhere", tmp_path / "out")

    assert result.exit_code == 2
    assert one_line(result) == f"grader: error: {tmp_path / 'nowhere'}: assignment folder " \
                               "not found"
    assert not (tmp_path / "out").exists()


def test_export_into_a_missing_folder_exits_2_and_leaves_nothing(tmp_path: Path) -> None:
    result = run("export", HW2, tmp_path / "no" / "out")

    assert result.exit_code == 2
    assert one_line(result) == f"grader: error: {tmp_path / 'no'}: no such folder"
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_a_link_in_the_public_folder(tmp_path: Path) -> None:
    root = make_assignment(tmp_path / "hw")
    (root / "public").mkdir()
    (root / "public" / "solution.py").symlink_to(root / "reference" / "solution.py")

    result = run("export", root, tmp_path / "out")

    assert result.exit_code == 2
    assert one_line(result).endswith("solution.py is a symbolic link; the student bundle "
                                     "copies regular files only")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hw"]
