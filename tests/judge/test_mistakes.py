"""Named mistakes (grader.judge.mistakes): a failing answer equal to a known-wrong answer on
every failing case is named as that mistake, with its one-line explanation; the student's
formats judge this on the public cases only; a student bundle carries the outputs."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from grader.bundles.export import export_bundle
from grader.cases.build import build_part_cases
from grader.cli import main
from grader.errors import SpecError
from grader.grading import GradeOptions, Grader
from grader.judge import mistakes
from grader.judge.cache import ExpectedCache
from grader.judge.expected import Output
from grader.reporters import github
from grader.results import CaseResult, Mistake, PartResult, ProblemResult, SubmissionResult
from grader.spec import load_assignment

from .._mini import HW2, MINI_PROBLEM, edited, make_assignment, write_student

WRONG = textwrap.dedent('''\
    import sys

    import numpy as np


    def double_triple(x):
        """Multiplies by three, not two.

        (Only the first paragraph is the explanation.)"""
        return 3 * x


    def double_thrice(x):
        return x + x + x


    def double_negated(x):
        """Flips the sign."""
        return -2 * x


    def double_hangs(x):
        while True:
            pass


    def double_exits(x):
        sys.exit(3)


    def double_noisy(x):
        """Not the same twice."""
        return 2 * x + np.random.default_rng().normal(size=np.shape(x))


    def quiet_overflows(x):
        """Right values, but exp(1000) overflows on the way (a RuntimeWarning)."""
        np.exp(np.float64(1000.0))
        return 3 * x


    def quiet_plus_zero(x):
        return 3 * x + 0.0


    _calls = []


    def double_later(x):
        """Right the first time (the public case, run first), three times x after."""
        _calls.append(1)
        return 2 * x if len(_calls) == 1 else 3 * x
    ''')

# double: 3 cases, the first public.
TRIPLE = "def double(x):\n    return 3 * x\n"
COUNTED = '''
_calls = [0]


def double(x):
    _calls[0] += 1
    return {first} * x if _calls[0] == 1 else {rest} * x
'''


def course(tmp_path: Path, wrong: Any, **part: Any) -> Path:
    problem = edited(MINI_PROBLEM, "parts[0].wrong", wrong)
    for key, value in part.items():
        problem = edited(problem, f"parts[0].{key}", value)
    return make_assignment(tmp_path / "course", problems={"q1": problem}, wrong={"q1": WRONG})


def graded(root: Path, student: str, tmp_path: Path, public_only: bool = False,
           name: str = "eve") -> SubmissionResult:
    options = GradeOptions(public_only=public_only, cache_dir=tmp_path / "cache")
    with Grader(load_assignment(root), options) as grader:
        return grader.grade(write_student(tmp_path / name, extra=student))


def double(result: SubmissionResult) -> PartResult:
    return result.problems[0].parts[0]


def check_text(root: Path, student: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["check", str(root), str(student), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_an_answer_equal_to_a_known_mistake_is_named_with_its_explanation(
        tmp_path: Path) -> None:
    root = course(tmp_path, ["q1:double_negated", "q1:double_triple"])
    part = double(graded(root, TRIPLE, tmp_path))
    triple = Mistake("triple", "Multiplies by three, not two.")
    assert part.mistakes == part.public_mistakes == (triple,)
    assert [c.mistakes for c in part.cases] == [("triple",)] * 3
    out = check_text(root, tmp_path / "eve")
    assert "matches the known mistake triple: Multiplies by three, not two." in out
    # Other parts, and a correct answer, name nothing.
    assert all(not p.mistakes for p in graded(root, "", tmp_path).problems[0].parts)


def test_every_mistake_that_matches_is_named_in_spec_order(tmp_path: Path) -> None:
    root = course(tmp_path, ["q1:double_thrice", "q1:double_negated", "q1:double_triple"])
    part = double(graded(root, TRIPLE, tmp_path))
    assert [m.name for m in part.mistakes] == ["thrice", "triple"]
    assert part.mistakes[0].explanation == ""  # no docstring, no explanation: the name alone
    out = check_text(root, tmp_path / "eve")
    assert "matches the known mistake thrice\n" in out


def test_a_mistake_is_named_only_where_it_explains_every_failing_case(tmp_path: Path) -> None:
    root = course(tmp_path, ["q1:double_triple"])
    # Right mistake on the public case, another on the hidden ones: the student (public
    # cases) is told; the instructor's view (every case) names nothing.
    part = double(graded(root, COUNTED.format(first=3, rest=5), tmp_path))
    assert part.public_mistakes == (Mistake("triple", "Multiplies by three, not two."),)
    assert part.mistakes == ()
    assert [c.mistakes for c in part.cases] == [("triple",), (), ()]


def test_an_answer_right_where_the_mistake_is_wrong_is_not_that_mistake(
        tmp_path: Path) -> None:
    root = course(tmp_path, ["q1:double_triple"])
    # Right on the public case, where double_triple is wrong; triple on the hidden ones.
    part = double(graded(root, COUNTED.format(first=2, rest=3), tmp_path))
    assert [c.mistakes for c in part.cases] == [(), ("triple",), ("triple",)]
    assert part.mistakes == part.public_mistakes == ()


def test_a_mistake_made_only_on_hidden_cases_is_never_shown_to_the_student(
        tmp_path: Path) -> None:
    root = course(tmp_path, ["q1:double_later"])
    student = COUNTED.format(first=2, rest=3)  # the public case passes, as double_later's
    part = double(graded(root, student, tmp_path))
    assert [m.name for m in part.mistakes] == ["later"]
    assert part.public_mistakes == ()
    write_student(tmp_path / "eve", extra=student)
    assert "known mistake" not in check_text(root, tmp_path / "eve", "--all")
    report = json.loads(check_text(root, tmp_path / "eve", "--all", "--format", "json"))
    part_json = report["submissions"][0]["problems"][0]["parts"][0]
    assert [m["name"] for m in part_json["mistakes"]] == ["later"]
    assert part_json["public_mistakes"] == []
    for fmt in ("junit", "github", "gradescope", "markdown"):
        assert "known mistake" not in check_text(root, tmp_path / "eve", "--all",
                                                 "--format", fmt), fmt


def test_a_failure_for_a_warning_matches_only_a_mistake_that_warned(tmp_path: Path) -> None:
    # quiet (warnings: fail): both wrong answers give the reference's values; one warns.
    problem = edited(MINI_PROBLEM, "parts[4].wrong", ["q1:quiet_overflows", "q1:quiet_plus_zero"])
    root = make_assignment(tmp_path / "course", problems={"q1": problem}, wrong={"q1": WRONG})
    student = "def quiet(x):\n    np.exp(np.float64(1000.0))\n    return 3 * x\n"
    part = graded(root, student, tmp_path).problems[0].parts[4]
    assert part.passed == 0
    assert [m.name for m in part.mistakes] == ["overflows"]


@pytest.mark.parametrize("fmt", ["junit", "github", "gradescope", "markdown"])
def test_the_student_formats_name_the_mistake(tmp_path: Path, fmt: str) -> None:
    root = course(tmp_path, ["q1:double_triple"])
    write_student(tmp_path / "eve", extra=TRIPLE)
    out = check_text(root, tmp_path / "eve", "--format", fmt)
    assert "matches the known mistake triple" in out


def test_a_wrong_answer_that_hangs_or_exits_costs_only_its_own_name(tmp_path: Path) -> None:
    root = course(tmp_path, ["q1:double_hangs", "q1:double_exits", "q1:double_triple"],
                  timeout=0.3)
    part = double(graded(root, TRIPLE, tmp_path))
    assert [m.name for m in part.mistakes] == ["triple"]


def test_the_spec_can_give_the_explanation(tmp_path: Path) -> None:
    root = course(tmp_path, [{"answer": "q1:double_triple",
                              "explanation": "Three   times,\nnot twice."}])
    part = load_assignment(root).problems[0].parts[0]
    assert part.wrong == ("q1:double_triple",)
    assert part.mistakes[0].name == "triple"
    assert part.mistakes[0].explanation == "Three times, not twice."


@pytest.mark.parametrize("wrong, key, expected", [
    ([{"answer": "q1:double_triple", "explanation": " "}], "wrong[0].explanation",
     "expected one line of text"),
    ([{"answer": "q1:double_triple", "why": "x"}], "wrong[0].why", "unknown key"),
    ([{"explanation": "x"}], "wrong[0].answer", "missing required key"),
    (["q1:double_nothing"], "wrong[0]", "defines no function"),
    (["q1:double_triple", {"answer": "q1:double_triple"}], "wrong[1].answer",
     "'q1:double_triple' is listed twice"),
])
def test_a_bad_wrong_entry_is_named(tmp_path: Path, wrong: Any, key: str,
                                    expected: str) -> None:
    root = course(tmp_path, wrong)
    with pytest.raises(SpecError) as info:
        load_assignment(root)
    assert key in str(info.value) and expected in str(info.value)


def test_mistakes_is_a_bundles_key_not_beside_wrong(tmp_path: Path) -> None:
    root = course(tmp_path, ["q1:double_triple"], mistakes=[{"name": "triple"}])
    with pytest.raises(SpecError, match=r"mistakes.*not allowed with 'wrong'"):
        load_assignment(root)


def test_outputs_are_computed_once_then_read_from_the_cache(tmp_path: Path,
                                                            monkeypatch: Any) -> None:
    root = course(tmp_path, ["q1:double_triple"])
    graded(root, TRIPLE, tmp_path)
    assert list((tmp_path / "cache").glob("*/q1__double.mistakes.npz"))

    def refuse(*args: Any) -> Any:
        raise AssertionError("computed again")

    monkeypatch.setattr(mistakes, "compute", refuse)
    assert [m.name for m in double(graded(root, TRIPLE, tmp_path)).mistakes] == ["triple"]


def test_editing_a_wrong_answer_is_seen_through_the_cache(tmp_path: Path) -> None:
    root = course(tmp_path, ["q1:double_triple"])
    before = load_assignment(root).digest
    assert [m.name for m in double(graded(root, TRIPLE, tmp_path)).mistakes] == ["triple"]
    wrong = root / "wrong" / "q1.py"
    wrong.write_text(wrong.read_text("utf-8").replace("return 3 * x", "return 4 * x"), "utf-8")
    for name in [n for n in sys.modules if n.startswith("_grader_trusted_")]:
        del sys.modules[name]  # (a new grader process would load the file afresh)
    assert load_assignment(root).digest != before  # (which keys the cache)
    assert double(graded(root, TRIPLE, tmp_path)).mistakes == ()


def test_the_json_report_counts_each_mistake_across_the_class(tmp_path: Path) -> None:
    root = course(tmp_path, ["q1:double_negated", "q1:double_triple"])
    for name, extra in (("ann", TRIPLE), ("bob", TRIPLE), ("cat", "def double(x):\n"
                                                                  "    return -2 * x\n"),
                        ("dan", "")):
        write_student(tmp_path / "class" / name, extra=extra)
    result = CliRunner().invoke(main, ["grade", str(root), str(tmp_path / "class"),
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["mistakes"]
    assert [(c["part"], c["name"], c["submissions"]) for c in counts] == [
        ("double", "triple", 2), ("double", "negated", 1)]
    assert counts[1]["explanation"] == "Flips the sign."
    table = CliRunner().invoke(main, ["grade", str(root), str(tmp_path / "class")]).stdout
    rows = {line.split()[0]: line for line in table.splitlines()[3:] if line.strip()}
    assert rows["ann"].endswith("q1/double: known mistake triple")
    assert rows["cat"].endswith("q1/double: known mistake negated")
    assert "known mistake" not in rows["dan"]


def test_a_student_bundle_names_mistakes_without_their_code(tmp_path: Path) -> None:
    root = course(tmp_path, ["q1:double_negated", "q1:double_triple"])
    bundle = tmp_path / "bundle"
    export_bundle(load_assignment(root), bundle)
    text = "\n".join(p.read_text("utf-8", errors="replace") for p in bundle.rglob("*")
                     if p.is_file())
    assert "3 * x" not in text and "double_triple" not in text
    spec = load_assignment(bundle).problems[0].parts[0]
    assert [(m.name, m.explanation) for m in spec.mistakes] == [
        ("negated", "Flips the sign."), ("triple", "Multiplies by three, not two.")]
    write_student(tmp_path / "eve", extra=TRIPLE)
    assert "matches the known mistake triple: Multiplies" in check_text(bundle,
                                                                        tmp_path / "eve")


def test_a_bundle_whose_mistakes_and_stored_outputs_disagree_is_refused(
        tmp_path: Path) -> None:
    root = course(tmp_path, ["q1:double_negated", "q1:double_triple"])
    bundle = tmp_path / "bundle"
    export_bundle(load_assignment(root), bundle)
    spec = bundle / "q1.yaml"
    text = spec.read_text("utf-8")
    spec.write_text(text.replace("  - name: negated\n    explanation: Flips the sign.\n", ""),
                    encoding="utf-8")
    with pytest.raises(SpecError, match=r"parts\[0\]\.mistakes: 1 mistake\(s\), but "
                                        r"q1_double_1\.npz cases\[0\] stores outputs for 2"):
        load_assignment(bundle)


def test_validate_notes_a_wrong_answer_it_cannot_name(tmp_path: Path) -> None:
    root = course(tmp_path, ["q1:double_triple", "q1:double_noisy"])
    result = CliRunner().invoke(main, ["validate", str(root)])
    notes = [line for line in result.stdout.splitlines() if "is not named" in line]
    assert notes == ["note: q1/double: wrong answer q1:double_noisy, graded, is not named as "
                     "the known mistake noisy: its output differs from the one computed for "
                     "it on some failing public case, or it fails one in another way"]
    assert "(named to students 1)" in result.stdout


# --- homework 2 ------------------------------------------------------------------------------

def _hw2_submissions(folder: Path) -> dict[Path, list[tuple[str, str]]]:
    """Submissions made of hw2's reference with known-wrong answers in place: the k-th of
    each part's in the k-th. For each: (function, the mistake's name) it should be told."""
    hw2 = load_assignment(HW2)
    solution = (HW2 / "reference" / "solution.py").read_text("utf-8")
    made: dict[Path, list[tuple[str, str]]] = {}
    for k in range(max(len(p.wrong) for q in hw2.problems for p in q.parts)):
        student = folder / f"wrong{k}"
        student.mkdir(parents=True)
        lines = [solution]
        for problem in hw2.problems:
            for part in problem.parts:
                if k >= len(part.mistakes):
                    continue
                mistake = part.mistakes[k]
                module, function = mistake.ref.split(":")
                shutil.copyfile(HW2 / "wrong" / f"{module}.py", student / f"_wrong_{module}.py")
                lines.append(f"from _wrong_{module} import {function} as {part.function}")
                made.setdefault(student, []).append((part.function, mistake.name))
        (student / "hw2.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return made


def _told(text: str, function: str) -> list[str]:
    """The known mistakes ``grader check``'s text names under ``function``'s line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if f"FAIL  {function} " in line)
    told = []
    for line in lines[start + 1:]:
        if "PASS  " in line or "FAIL  " in line or not line.startswith(" "):
            break
        if "matches the known mistake " in line:
            told.append(line.split("matches the known mistake ")[1].split(":")[0])
    return told


def test_every_hw2_wrong_answer_is_named_in_check_on_the_assignment_and_its_bundle(
        tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    export_bundle(load_assignment(HW2), bundle)
    made = _hw2_submissions(tmp_path / "students")
    assert sum(len(v) for v in made.values()) == 68
    for student, expected in made.items():
        for where in (HW2, bundle):
            text = CliRunner().invoke(main, ["check", str(where), str(student)]).stdout
            for function, name in expected:
                assert name in _told(text, function), (where.name, student.name, function,
                                                       text)


def test_parts_failing_alike_but_named_differently_get_annotations_of_their_own() -> None:
    def part(name: str, mistake: str) -> PartResult:
        case = CaseResult(f"q1/{name}/0", 0, True, "fail", "emitted RuntimeWarning",
                          file="hw.py", line=3)
        return PartResult(name, name, 0, 1, 0, 1, "", cases=(case,),
                          public_mistakes=(Mistake(mistake, "why"),))

    same = [part("f", "a"), part("g", "a")]
    other = [part("f", "a"), part("g", "b")]
    for parts, count in ((same, 1), (other, 2)):
        sub = SubmissionResult("s", "s/hw.py", 0, 2, (ProblemResult("q1", "Q", 0, 2, "failed",
                                                                    tuple(parts)),))
        assert len(github.submission_annotations(sub)) == count


def test_cached_outputs_of_another_width_are_computed_again(tmp_path: Path) -> None:
    root = course(tmp_path, ["q1:double_triple"])
    assignment = load_assignment(root)
    problem = assignment.problems[0]
    part = problem.parts[0]
    cases = build_part_cases(part, problem, assignment.seed, assignment.key, True)
    store = ExpectedCache(assignment, assignment.seed, tmp_path / "cache")
    one = Output({0: np.zeros(1)}, None)
    store.outputs(problem, part, cases, lambda todo: [(one,)] * len(todo), ".mistakes", 1)
    again = store.outputs(problem, part, cases, lambda todo: [(one, None)] * len(todo),
                          ".mistakes", 2)
    assert again == [(one, None)] * len(cases)
