"""The secret key of the hidden cases: its file, who needs it, and what it changes."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from grader.batch.run import student_seed
from grader.cases.build import Case, build_cases
from grader.errors import SpecError
from grader.spec import load_assignment
from grader.spec.key import KEY_FILE, read_key

from .._cli import one_line, run
from .._mini import TEST_KEY, make_assignment, write_key, write_student


def _inputs(case: Case) -> list[np.ndarray]:
    return [np.asarray(v) for v in (*case.args, *case.kwargs.values())]


def _same(a: Case, b: Case) -> bool:
    return all(x.shape == y.shape and np.array_equal(x, y)
               for x, y in zip(_inputs(a), _inputs(b), strict=True))


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    return make_assignment(tmp_path / "mini")


def test_the_key_file_is_read_and_checked(mini: Path) -> None:
    assert load_assignment(mini).key == TEST_KEY
    (mini / KEY_FILE).write_text("# a comment\n\n" + "ab" * 16 + "\n", encoding="ascii")
    assert read_key(mini) == bytes([0xAB]) * 16
    for bad in ("", "ab" * 15, "xy" * 32, "ab" * 32 + "\n" + "cd" * 32, "abc" * 11):
        (mini / KEY_FILE).write_text(bad, encoding="ascii")
        with pytest.raises(SpecError, match=r"hidden.key: expected one line of hexadecimal "
                                            r"digits, an even number of them and at least 32"):
            load_assignment(mini)
    (mini / KEY_FILE).write_bytes(b"\xef\xbb\xbf" + b"AB" * 16 + b"\r\n")  # Notepad's
    assert read_key(mini) == bytes([0xAB]) * 16
    (mini / KEY_FILE).write_bytes(bytes(range(256)))
    with pytest.raises(SpecError, match=r"hidden.key: not text; expected one line"):
        load_assignment(mini)


def test_grade_without_the_key_exits_2_saying_how_to_make_it(mini: Path, tmp_path: Path
                                                             ) -> None:
    (mini / KEY_FILE).unlink()
    student = write_student(tmp_path / "alice").folder
    result = run("grade", mini, student, "--format", "json")
    assert result.exit_code == 2
    line = one_line(result)
    assert line.startswith("grader: error: ") and "mini/hidden.key: missing: " in line
    assert line.endswith(f"or create one with `grader validate {mini}`")
    assert run("check", mini, student, "--all").exit_code == 2
    assert run("check", mini, student, "--case", "q1/halve/0").exit_code == 2  # hidden


def test_public_cases_need_no_key(mini: Path, tmp_path: Path) -> None:
    (mini / KEY_FILE).unlink()
    student = write_student(tmp_path / "alice").folder
    checked = run("check", mini, student, "--format", "json")
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["submissions"][0]["score"] > 0
    assert run("check", mini, student, "--case", "q1/double/0").exit_code == 0  # public
    bundle = tmp_path / "bundle"
    assert run("export", mini, bundle).exit_code == 0
    assert not (bundle / KEY_FILE).exists()
    assert run("check", bundle, student).exit_code == 0


def test_a_key_linked_to_a_missing_file_is_not_replaced(mini: Path, tmp_path: Path) -> None:
    (mini / KEY_FILE).unlink()
    (mini / KEY_FILE).symlink_to(tmp_path / "elsewhere.key")
    student = write_student(tmp_path / "alice").folder
    for args in (("validate", mini), ("grade", mini, student)):
        result = run(*args)
        assert result.exit_code == 2
        assert one_line(result) == (f"grader: error: {mini / KEY_FILE}: a link to a missing "
                                    "file: restore the key it pointed to (a new key changes "
                                    "every hidden case)")
    assert not (tmp_path / "elsewhere.key").exists()


def test_validate_creates_a_missing_key_once(mini: Path) -> None:
    (mini / KEY_FILE).unlink()
    result = run("validate", mini)
    assert result.exit_code == 0, result.output
    assert f"created {mini / KEY_FILE}, the secret key of the hidden cases" in result.stderr
    key = read_key(mini)
    assert key is not None and len(key) == 32
    assert os.stat(mini / KEY_FILE).st_mode & 0o077 == 0  # readable by its owner only
    again = run("validate", mini)
    assert "created" not in again.stderr and read_key(mini) == key


def test_an_assignment_without_drawn_hidden_cases_needs_no_key(tmp_path: Path) -> None:
    problem = {"id": "q1", "title": "One", "points": 1, "parts": [
        {"function": "double", "points": 1, "reference": "solution:double",
         "cases": [{"count": 2, "public": True, "args": {"x": {"normal": [3]}}}]}]}
    root = make_assignment(tmp_path / "open", problems={"q1": problem})
    (root / KEY_FILE).unlink()
    result = run("validate", root)
    assert result.exit_code == 0 and not (root / KEY_FILE).exists()
    graded = run("grade", root, write_student(tmp_path / "alice").folder, "--format", "json")
    assert graded.exit_code == 0, graded.output


def test_the_key_decides_the_hidden_cases_only(mini: Path, tmp_path: Path) -> None:
    """The public cases, the student bundle and every report of the public cases are the same
    under any key, so none of them pins down a hidden case; every hidden case changes."""
    other = make_assignment(tmp_path / "other")
    write_key(other, bytes(range(100, 132)))
    first, second = build_cases(load_assignment(mini)), build_cases(load_assignment(other))
    for cases, others in zip(first.values(), second.values(), strict=True):
        for a, b in zip(cases, others, strict=True):
            assert _same(a, b) == a.public, a.id
    student = write_student(tmp_path / "alice", extra="def halve(x):\n    return x\n").folder
    for fmt in ("text", "json", "gradescope", "junit", "markdown", "github"):
        reports = [run("check", root, student, "--format", fmt).stdout for root in (mini, other)]
        assert reports[0].replace(str(mini), str(other)) == reports[1] or fmt in (
            "json", "gradescope"), fmt  # these two differ in timings only
    for root in (mini, other):
        assert run("export", root, tmp_path / f"bundle-{root.name}").exit_code == 0
    files = [sorted(p.relative_to(tmp_path / f"bundle-{r.name}")
                    for p in (tmp_path / f"bundle-{r.name}").rglob("*") if p.is_file())
             for r in (mini, other)]
    assert files[0] == files[1]
    for name in files[0]:
        if name.name != "assignment.yaml":  # which names the assignment's digest
            assert (tmp_path / "bundle-mini" / name).read_bytes() == \
                   (tmp_path / "bundle-other" / name).read_bytes(), name


def test_the_seed_and_the_key_reproduce_any_case_of_any_student(mini: Path,
                                                                tmp_path: Path) -> None:
    """The instructor's reruns are exact: ``check --seed S --case ID`` with the key gives a
    student's hidden case as ``grade --vary-by-student`` graded it."""
    student = write_student(tmp_path / "alice", extra="def halve(x):\n    return x / 3\n").folder
    graded = json.loads(run("grade", mini, student, "--vary-by-student", "--format", "json",
                            "--run-dir", tmp_path / "run").stdout)["submissions"][0]
    seed = graded["seed"]
    assert seed == student_seed(1234, "alice")
    hidden = next(c for p in graded["problems"][0]["parts"] if p["function"] == "halve"
                  for c in p["cases"] if not c["public"])
    rerun = json.loads(run("check", mini, student, "--seed", str(seed), "--case", hidden["id"],
                           "--format", "json").stdout)["submissions"][0]
    again = rerun["problems"][0]["parts"][0]["cases"][0]
    assert (again["id"], again["inputs"], again["message"]) == (
        hidden["id"], hidden["inputs"], hidden["message"])


def test_gradescope_zip_ships_the_key_and_needs_it(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "autograder.zip"
    assert run("gradescope-bundle", mini, out).exit_code == 0
    with zipfile.ZipFile(out) as archive:
        assert archive.read(f"assignment/{KEY_FILE}").decode().strip() == TEST_KEY.hex()
    (mini / KEY_FILE).unlink()
    result = run("gradescope-bundle", mini, tmp_path / "again.zip")
    assert result.exit_code == 2 and "hidden.key: missing" in one_line(result)
