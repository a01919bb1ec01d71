"""``grader validate``: the shipped assignment passes, and every kind of unsound assignment is
reported by name (a wrong answer the cases cannot catch, a reference an oracle disagrees
with, a reference that breaks its own property, nondeterministic references and generators).

Tests that break hw2 work on a copy restricted to the one question they need, because
validate grades every known-wrong answer in child processes.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from grader.cases.build import build_part_cases
from grader.cli import main
from grader.spec import Assignment, load_assignment
from grader.validate import ValidationReport, validate

from ._mini import HW2, MINI_PROBLEM, MINI_REFERENCE, edited, make_assignment, write_yaml
from ._reports import table_rows

SUMMARY = re.compile(r"^(?P<name>.+): (?P<parts>\d+) parts, wrong answers caught "
                     r"(?P<caught>\d+)/(?P<total>\d+) \(named to students (?P<named>\d+)\), "
                     r"(?P<verdict>valid|NOT valid)$")


def run_validate(root: Path) -> Result:
    return CliRunner().invoke(main, ["validate", str(root)])


def summary(result: Result) -> re.Match[str]:
    match = SUMMARY.match(result.stdout.splitlines()[-1])
    assert match is not None, result.stdout
    return match


def problem_lines(result: Result, part: str) -> list[str]:
    prefix = f"PROBLEM: {part}: "
    return [line.removeprefix(prefix) for line in result.stdout.splitlines()
            if line.startswith(prefix)]


def copy_hw2(tmp_path: Path, *problems: str) -> Path:
    """A copy of hw2 whose assignment.yaml lists only ``problems``."""
    root = Path(shutil.copytree(HW2, tmp_path / "hw2",
                                ignore=shutil.ignore_patterns("__pycache__")))
    spec = yaml.safe_load((root / "assignment.yaml").read_text(encoding="utf-8"))
    write_yaml(root / "assignment.yaml", {**spec, "problems": list(problems)})
    return root


def edit_question(root: Path, question: str, path: str, value: Any) -> None:
    file = root / f"{question}.yaml"
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    write_yaml(file, edited(data, path, value))


def replace_once(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {file}"
    file.write_text(text.replace(old, new), encoding="utf-8")


def part_ids(assignment: Assignment) -> list[str]:
    return [f"{q.id}/{p.id}" for q in assignment.problems for p in q.parts]


# --- the shipped assignment ------------------------------------------------------------------

@pytest.fixture(scope="module")
def validated_cli() -> Result:
    return run_validate(HW2)


@pytest.fixture(scope="module")
def validated(hw2: Assignment) -> ValidationReport:
    return validate(hw2)


def test_cli_validates_hw2_with_every_oracle_verified(validated_cli: Result,
                                                     hw2: Assignment) -> None:
    assert validated_cli.exit_code == 0, validated_cli.output
    assert "Homework 2" in validated_cli.stdout and "Traceback" not in validated_cli.output
    rows = table_rows(validated_cli.stdout)

    assert list(rows) == part_ids(hw2)
    assert len(rows) == 15
    for question in hw2.problems:
        for part in question.parts:
            row = rows[f"{question.id}/{part.id}"]
            assert row["reference oracle"] == f"verified ({len(part.oracles)})"
            assert part.wrong, f"{part.id} lists no known-wrong answers"
            assert row["wrong answers caught"] == f"{len(part.wrong)}/{len(part.wrong)}"
            assert row["status"] == "ok"
    assert "PROBLEM" not in validated_cli.stdout
    assert "reference solution graded as a submission: 100 / 100" in validated_cli.stdout
    assert "validation failed" not in validated_cli.stderr


def test_cli_prints_hw2s_calibration_with_float32_accepted_and_wrong_answers_far(
        validated_cli: Result, hw2: Assignment) -> None:
    _, found, table = validated_cli.stdout.partition(
        "calibration: distance from the expected outputs, in tolerances")
    assert found
    rows = {line.split()[0]: re.split(r"\s{2,}", line.strip())
            for line in table.splitlines()[3:] if line.strip() and "/" in line.split()[0]}
    assert list(rows)[:15] == part_ids(hw2)
    for part_id in part_ids(hw2):
        float32, nearest = rows[part_id][2], rows[part_id][4]
        if part_id in ("q4/numerical_hessian", "q6/newton_minimize"):
            assert float32.endswith("(not required)")
        else:  # the reference in float32 passes, and every wrong answer is far outside
            assert float(float32) <= 1, rows[part_id]
        assert float(nearest.rpartition(": ")[2]) > 10, rows[part_id]
    assert not [line for line in validated_cli.stdout.splitlines()
                if line.startswith("note:") and "float32" in line]


def test_cli_summary_line_counts_every_wrong_answer_as_caught_and_named(
        validated_cli: Result, hw2: Assignment) -> None:
    line = summary(validated_cli)

    wrong = sum(len(p.wrong) for q in hw2.problems for p in q.parts)
    assert (line["name"], line["parts"], line["verdict"]) == (hw2.name, "15", "valid")
    assert int(line["caught"]) == int(line["total"]) == int(line["named"]) == wrong


def test_validate_function_on_hw2(validated: ValidationReport, hw2: Assignment) -> None:
    assert validated.ok
    assert validated.problems == ()
    assert validated.self_grade == "100 / 100"
    assert [f"{c.problem}/{c.part}" for c in validated.parts] == part_ids(hw2)
    specs = {(q.id, p.id): p for q in hw2.problems for p in q.parts}
    for check in validated.parts:
        spec = specs[check.problem, check.part]
        assert check.problems == ()
        assert check.oracle_verdict == "verified"
        assert check.oracles == tuple(o.name for o in spec.oracles)
        assert [w.ref for w in check.wrong] == list(spec.wrong)
        assert check.wrong_caught == len(check.wrong) > 0
        for answer in check.wrong:
            assert answer.score < spec.points, answer.ref
            assert answer.message.startswith(f"case {check.problem}/{check.part}/"), answer.ref


# --- known-wrong answers ---------------------------------------------------------------------

def test_a_wrong_answer_the_cases_cannot_catch_fails_validation(tmp_path: Path) -> None:
    root = copy_hw2(tmp_path, "q1")
    # Correct, just written differently: no case can tell it from the reference.
    with (root / "wrong" / "q1.py").open("a", encoding="utf-8") as f:
        f.write("\n\ndef sigmoid_in_disguise(z):\n    return _sigmoid(z)\n")
    spec = load_assignment(root)
    listed = list(spec.problems[0].parts[0].wrong)
    edit_question(root, "q1", "parts[0].wrong", [*listed, "q1:sigmoid_in_disguise"])

    result = run_validate(root)

    assert result.exit_code == 1, result.output
    assert problem_lines(result, "q1/sigmoid") == [
        "wrong answer q1:sigmoid_in_disguise earns full points (5/5): the cases cannot tell "
        "it from the reference"]
    rows = table_rows(result.stdout)
    assert rows["q1/sigmoid"]["wrong answers caught"] == f"{len(listed)}/{len(listed) + 1}"
    assert rows["q1/sigmoid"]["status"] == "1 problem(s)"
    assert {rows[p]["status"] for p in ("q1/neuron_gradients", "q1/gradient_descent_step")} == {
        "ok"}
    line = summary(result)
    assert line["verdict"] == "NOT valid"
    assert int(line["caught"]) == int(line["total"]) - 1
    assert "grader: validation failed" in result.stderr


# --- wrong references ------------------------------------------------------------------------

# (question, part, text in reference/solution.py, its corruption, oracle that must catch it)
CORRUPTED_REFERENCES = [
    pytest.param(
        "q5", "expected_dropout_grad",
        "return -x * (y_d - W @ x) + sigma**2 * W * x**2", "return -x * (y_d - W @ x)",
        "Monte Carlo mean of dJ1/dW over sampled dropout masks", id="monte_carlo"),
    pytest.param(
        "q2", "batchnorm_backward",
        "dgamma = (dy * xhat).sum(axis=0)", "dgamma = (dy * xhat).mean(axis=0)",
        "dgamma by central differences of the same loss", id="gradient"),
    pytest.param(
        "q1", "neuron_gradients",
        "return X.T @ residual, float(np.sum(residual))",
        "return X.T @ residual, float(np.mean(residual))",
        "central differences of E with respect to b", id="gradient-of-a-float"),
    pytest.param(
        "q3", "softmax_jacobian",
        "def softmax_jacobian(z):\n    p = softmax(z)\n"
        "    return np.diag(p) - np.outer(p, p)\n",
        "def softmax_jacobian(z):\n    p = softmax(z)\n"
        "    return np.diag(p) - 0.5 * np.outer(p, p)\n",
        "central differences of softmax", id="jacobian"),
    # Half the Hessian is still symmetric, PSD and has zero row sums: only the oracle sees it.
    pytest.param(
        "q7", "cross_entropy_hessian",
        "def cross_entropy_hessian(z):\n    p = softmax(z)\n"
        "    return np.diag(p) - np.outer(p, p)\n",
        "def cross_entropy_hessian(z):\n    p = softmax(z)\n"
        "    return 0.5 * (np.diag(p) - np.outer(p, p))\n",
        "four-point Hessian of the cross-entropy with a uniform target", id="hessian"),
    pytest.param(
        "q4", "numerical_hessian", ") / (4 * h * h)", ") / (2 * h * h)",
        "analytic Hessian of the test function", id="function"),
]


@pytest.mark.parametrize(("question", "part", "old", "new", "oracle"), CORRUPTED_REFERENCES)
def test_a_wrong_reference_is_caught_by_its_oracle(tmp_path: Path, question: str, part: str,
                                                   old: str, new: str, oracle: str) -> None:
    root = copy_hw2(tmp_path, question)
    replace_once(root / "reference" / "solution.py", old, new)

    result = run_validate(root)

    assert result.exit_code == 1, result.output
    where = f"{question}/{part}"
    disagreeing = [line for line in problem_lines(result, where) if line.startswith("oracle ")]
    # One line: the part's other oracles (where it has several) still agree.
    assert len(disagreeing) == 1, result.stdout
    assert disagreeing[0].startswith(
        f"oracle '{oracle}' disagrees with the reference on case {where}/")
    assert table_rows(result.stdout)[where]["reference oracle"].startswith("FAILED")
    assert summary(result)["verdict"] == "NOT valid"


def test_a_reference_that_breaks_its_own_property_is_reported(tmp_path: Path) -> None:
    root = copy_hw2(tmp_path, "q2")
    # gamma * (I - 1/n) has the eigenvalue gamma (for n > 1): not PSD when gamma < 0.
    edit_question(root, "q2", "parts[0].checks[2]", "psd")
    spec = load_assignment(root)
    question = spec.problems[0]
    cases = build_part_cases(question.parts[0], question, spec.seed, spec.key)
    negative = [c for c in cases if c.args[0] > 1 and c.args[1] < 0]
    assert negative, "the premise: some case has a negative gamma and n > 1"

    result = run_validate(root)

    assert result.exit_code == 1, result.output
    more = f" (and {len(negative) - 1} more case(s))" if len(negative) > 1 else ""
    assert problem_lines(result, "q2/centering_jacobian") == [
        f"solution:centering_jacobian fails its own check on case {negative[0].id}: "
        f"property 'psd' does not hold: has a negative eigenvalue "
        f"{negative[0].args[1]:.3g}{more}"]


# --- nondeterminism, on the small assignment -------------------------------------------------

def validate_mini(tmp_path: Path, reference: str, problem: dict[str, Any] = MINI_PROBLEM
                  ) -> ValidationReport:
    root = make_assignment(tmp_path / "mini", problems={"q1": problem},
                           reference=MINI_REFERENCE + reference)
    return validate(load_assignment(root))


def problems_of(report: ValidationReport, part: str) -> tuple[str, ...]:
    return next(c.problems for c in report.parts if c.part == part)


@pytest.mark.parametrize(
    ("double", "problem"),
    [
        ("return 2 * x + np.random.default_rng().normal(size=np.shape(x))",
         "solution:double gave different outputs twice on case q1/double/0 "
         "(and 2 more case(s))"),
        ("return np.full(np.shape(x), np.nan)",
         "solution:double returned NaN or inf on case q1/double/0 (and 2 more case(s))"),
    ],
    ids=["nondeterministic", "nan"],
)
def test_an_unusable_reference_is_reported(tmp_path: Path, double: str, problem: str) -> None:
    report = validate_mini(tmp_path, f"\n\ndef double(x):\n    {double}\n")

    assert not report.ok
    assert problem in problems_of(report, "double")
    assert all(c.problems == () for c in report.parts if c.part != "double")



def test_a_property_check_of_an_output_the_reference_lacks_is_reported(tmp_path: Path) -> None:
    # split returns (pos, neg): outputs 0 and 1. A check of output 2 could never run on any
    # answer, like an oracle of a missing output (which validate reports).
    problem = edited(MINI_PROBLEM, "parts[3].checks", [{"finite": True, "output": 2}])

    report = validate_mini(tmp_path, "", problem)

    assert not report.ok
    assert any("output 2" in line for line in problems_of(report, "split")), report

@pytest.mark.parametrize(
    ("generator", "problems"),
    [
        ("return {'x': np.random.default_rng().normal(size=size)}",
         ("case inputs differ between two builds (nondeterministic generator)",)),
        ("return {'x': rng.normal(size=size)}", ()),
    ],
    ids=["ignores-the-rng", "uses-the-rng"],
)
def test_a_generator_must_draw_from_the_rng_it_is_given(tmp_path: Path, generator: str,
                                                        problems: tuple[str, ...]) -> None:
    problem = edited(MINI_PROBLEM, "parts[1].cases",
                     [{"name": "generated", "count": 2, "generator": "solution:make_x_here"}])

    report = validate_mini(tmp_path, f"\n\ndef make_x_here(rng, size=3):\n    {generator}\n",
                           problem)

    assert problems_of(report, "halve") == problems
    assert report.ok == (problems == ())


def test_a_wrong_answer_that_kills_its_process_hides_no_other(tmp_path: Path) -> None:
    # Both wrong answers run in one child process; the first exits on its first call.
    problem = edited(MINI_PROBLEM, "parts[0].wrong", ["w:double_exits"])
    problem = edited(problem, "parts[1].wrong", ["w:halve_in_disguise"])
    root = make_assignment(tmp_path / "mini", problems={"q1": problem}, wrong={
        "w": "import os\n\n\ndef double_exits(x):\n    os._exit(3)\n\n\n"
             "def halve_in_disguise(x):\n    return 0.5 * x\n"})

    report = validate(load_assignment(root))

    wrong = {w.ref: w for c in report.parts for w in c.wrong}
    assert wrong["w:double_exits"].caught
    assert wrong["w:double_exits"].message == (
        "case q1/double/0: the process exited with code 3 while running double()")
    assert not wrong["w:halve_in_disguise"].caught
    assert problems_of(report, "halve") == (
        "wrong answer w:halve_in_disguise earns full points (2/2): the cases cannot tell it "
        "from the reference",)


# --- the reference graded as a submission ----------------------------------------------------

def test_the_reference_is_graded_whatever_its_functions_are_called(tmp_path: Path) -> None:
    # double's reference is solution:twice, and solution.py's own double is wrong: the
    # reference graded as a submission must be twice under the name double.
    reference = MINI_REFERENCE + "\n\ndef twice(x):\n    return x + x\n"
    reference = reference.replace("def double(x):\n    return 2 * x",
                                  "def double(x):\n    return 3 * x")
    problem = edited(MINI_PROBLEM, "parts[0].reference", "solution:twice")
    root = make_assignment(tmp_path / "hw", problems={"q1": problem}, reference=reference)

    report = validate(load_assignment(root))

    assert report.self_grade == "11 / 11"
    assert report.problems == ()


def test_a_bundle_says_why_its_reference_is_not_graded(tmp_path: Path) -> None:
    from grader.bundles.export import export_bundle

    export_bundle(load_assignment(make_assignment(tmp_path / "hw")), tmp_path / "bundle")

    report = validate(load_assignment(tmp_path / "bundle"))

    assert report.self_grade == ""
    assert report.not_graded == ("no part has a reference to run (their expected outputs "
                                 "are stored)")


def test_a_wrong_answer_caught_only_on_hidden_cases_is_noted(tmp_path: Path) -> None:
    # Right on its first call (the public case runs first), wrong on every later one.
    problem = edited(MINI_PROBLEM, "parts[0].wrong", ["w:double_later"])
    root = make_assignment(tmp_path / "mini", problems={"q1": problem}, wrong={
        "w": "calls = []\n\n\ndef double_later(x):\n    calls.append(1)\n"
             "    return 2 * x if len(calls) == 1 else 2.5 * x\n"})

    report = validate(load_assignment(root))

    double = next(c for c in report.parts if c.part == "double")
    assert report.ok
    assert ("wrong answer w:double_later fails only hidden cases: a student who makes this "
            "mistake cannot see it in a self-check, nor be told its name; add a public case "
            "that catches it") in double.notes


def test_a_stored_class_is_replayed_and_compared_with_an_earlier_run(tmp_path: Path) -> None:
    """``validate --against CLASS --baseline RUN``: the class's distribution, then who
    changed; a change is news, or exit 1 with --fail-on-change."""
    root = make_assignment(tmp_path / "mini")
    for name, source in (("ann", MINI_REFERENCE),
                         ("bob", MINI_REFERENCE.replace("return 2 * x", "return 3 * x"))):
        (tmp_path / "class" / name).mkdir(parents=True)
        (tmp_path / "class" / name / "hw.py").write_text(source)
    runner = CliRunner()
    base = tmp_path / "base"
    assert runner.invoke(main, ["grade", str(root), str(tmp_path / "class"), "--run-dir",
                                str(base)]).exit_code == 0
    (tmp_path / "class" / "bob" / "hw.py").write_text(MINI_REFERENCE)  # (bob fixed it)

    args = ["validate", str(root), "--against", str(tmp_path / "class"), "--baseline",
            str(base)]
    done = runner.invoke(main, args)
    assert done.exit_code == 0, done.output
    assert "replayed 2 submission(s)" in done.stdout and "full marks 2" in done.stdout
    assert re.search(r"1 changed \(1 up, 0 down\), 1 unchanged", done.stdout)
    assert re.search(r"^  bob .*\(\+", done.stdout, re.M)
    assert runner.invoke(main, [*args, "--fail-on-change"]).exit_code == 1
    done = runner.invoke(main, ["validate", str(root), "--baseline", str(base)])
    assert done.exit_code == 2 and "--baseline needs --against" in done.output
