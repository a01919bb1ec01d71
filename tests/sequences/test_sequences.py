"""Call sequences, objects, state checks and scenarios (problems/README.md, "Call sequences
and objects", "Scenarios"), on the assignment in problems/layers:

    q1 affine        affine_forward, then the student's affine_backward on its own cache
    q1 relu          relu_forward, then relu_backward
    q2 net_loss      TwoLayerNet(...), its params set to the case's, then loss -> (loss, grads)
    q2 train_predict LinearClassifier(), train, a copy of W, predict
    q2 train_rounds  a scenario: train in three rounds, predict, an accuracy computed here
    q3 batchnorm     batchnorm_forward updates bn_param in place; the student's backward
    q4 softmax_loss  softmax_loss(x, y) -> (loss, dx), labels in [0, C), an oracle

The students in examples/layers lay out their caches unlike the reference (tuples,
objects of their own class) and still get full marks where they are right.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.bundles.export import export_bundle
from grader.cli import main
from grader.errors import SpecError, UsageError
from grader.grading import GradeOptions, Grader
from grader.intake.submissions import one_submission
from grader.results import SubmissionResult
from grader.sandbox.runner import RunOptions
from grader.spec import load_assignment
from grader.validate import validate

REPO = Path(__file__).resolve().parent.parent.parent
ASSIGNMENT = REPO / "problems" / "layers"
STUDENTS = REPO / "examples" / "layers"
RIGHT = (STUDENTS / "tuple_cache" / "layers.py").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def grader() -> Any:
    with Grader(load_assignment(ASSIGNMENT), GradeOptions(run=RunOptions(timeout=5))) as g:
        yield g


def parts(result: SubmissionResult) -> dict[str, tuple[float, str]]:
    return {p.id: (p.score, p.message) for q in result.problems for p in q.parts}


def grade_text(grader: Any, folder: Path, source: str) -> dict[str, tuple[float, str]]:
    folder.mkdir(parents=True)
    (folder / "layers.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return parts(grader.grade(one_submission(folder, "layers.py")))


def with_change(old: str, new: str) -> str:
    assert old in RIGHT
    return RIGHT.replace(old, new)


FULL = {"affine": 4.0, "relu": 2.0, "net_loss": 4.0, "train_predict": 2.0,
        "train_rounds": 2.0, "batchnorm": 4.0, "softmax_loss": 3.0}

# The shipped examples (examples/layers), each part's pinned score.
PINNED = {
    "tuple_cache": FULL,
    "object_cache": FULL,
    "old_style": FULL,  # imports public/compat.py
    "running_mean_2d": {**FULL, "batchnorm": 0.0},
    "wrong_grads": {**FULL, "net_loss": 0.0},
    "no_backward": {**FULL, "affine": 0.0, "net_loss": 0.0},
    "softmax_unshifted": {**FULL, "softmax_loss": 2.0},  # the large-score cases overflow
}


def test_every_shipped_example_gets_its_pinned_score(grader: Any) -> None:
    assert sorted(PINNED) == sorted(p.name for p in STUDENTS.iterdir() if p.is_dir())
    for name, want in PINNED.items():
        got = parts(grader.grade(one_submission(STUDENTS / name, "layers.py")))
        assert {k: v[0] for k, v in got.items()} == pytest.approx(want), (name, got)


def test_caches_laid_out_unlike_the_reference_get_full_marks(grader: Any) -> None:
    for name in ("tuple_cache", "object_cache"):
        result = grader.grade(one_submission(STUDENTS / name, "layers.py"))
        assert {k: v[0] for k, v in parts(result).items()} == FULL, (name, parts(result))


def test_each_known_mistake_costs_its_part_with_a_message_naming_the_step(grader: Any) -> None:
    running = parts(grader.grade(one_submission(STUDENTS / "running_mean_2d", "layers.py")))
    assert running["batchnorm"][0] == 0
    assert "step 1 (batchnorm_forward) bn_param.running_mean: shape mismatch: expected " \
           "shape (" in running["batchnorm"][1]
    assert all(running[p][0] == FULL[p] for p in FULL if p != "batchnorm")

    grads = parts(grader.grade(one_submission(STUDENTS / "wrong_grads", "layers.py")))
    assert grads["net_loss"][0] == 0
    assert "step 3 (model.loss) grads ['W1']: " in grads["net_loss"][1]
    assert "mismatched" in grads["net_loss"][1]

    missing = parts(grader.grade(one_submission(STUDENTS / "no_backward", "layers.py")))
    assert missing["affine"] == (0, missing["affine"][1])
    assert "layers.py does not define affine_backward()" in missing["affine"][1]
    assert "step 3 (model.loss): NameError: name 'affine_backward' is not defined" in \
        missing["net_loss"][1]
    assert missing["batchnorm"][0] == 4


def test_validate_grades_known_wrong_modules_and_the_reference(grader: Any) -> None:
    report = validate(load_assignment(ASSIGNMENT), RunOptions(timeout=5))
    assert report.ok
    assert report.self_grade == "21 / 21"
    assert {c.part: (c.wrong_caught, len(c.wrong)) for c in report.parts} == {
        part: (2, 2) for part in FULL}
    assert {c.part: (c.oracle_verdict, len(c.oracles)) for c in report.parts if c.oracles} == {
        "affine": ("verified", 3), "relu": ("verified", 1), "net_loss": ("verified", 4),
        "batchnorm": ("verified", 4), "softmax_loss": ("verified", 1)}


def test_a_step_that_raises_fails_its_case_with_the_step_and_the_line(
        grader: Any, tmp_path: Path) -> None:
    got = grade_text(grader, tmp_path / "s", with_change(
        "    x, w, b = cache\n    dx = ",
        "    x, w, b = cache\n    raise KeyError('w')\n    dx = "))
    assert got["affine"][0] == 0
    assert "step 2 (affine_backward): KeyError: 'w' (layers.py, line 13)" in got["affine"][1]
    assert got["batchnorm"][0] == 4 and got["train_predict"][0] == 2


def test_a_result_that_cannot_be_unpacked_names_the_step(grader: Any, tmp_path: Path) -> None:
    got = grade_text(grader, tmp_path / "s", with_change("    return out, cache\n",
                                                         "    return out\n"))
    assert "step 1 (affine_forward): returned a ndarray, expected a tuple of 2 (out, cache)" \
        in got["affine"][1]


def test_a_state_the_student_never_set_is_named(grader: Any, tmp_path: Path) -> None:
    got = grade_text(grader, tmp_path / "s", with_change(
        '    bn_param["running_var"] = running_var\n', ""))
    assert got["batchnorm"][0] == 0
    assert "step 1 (batchnorm_forward) bn_param.running_var: bn_param has no key " \
           "'running_var'" in got["batchnorm"][1]


def test_an_object_where_values_are_compared_is_named(grader: Any, tmp_path: Path) -> None:
    got = grade_text(grader, tmp_path / "s", with_change(
        "        return loss, grads\n", "        return loss, Grads()\n") + textwrap.dedent("""

        class Grads:
            def __array__(self, *args, **kwargs):
                raise RuntimeError("not an array")
        """))
    assert got["net_loss"][0] == 0
    assert "step 3 (model.loss) grads: not a numeric array" in got["net_loss"][1]
    assert got["affine"][0] == 4


def test_a_scenario_call_that_raises_names_the_call(grader: Any, tmp_path: Path) -> None:
    got = grade_text(grader, tmp_path / "s", with_change(
        "        num_train, dim = X.shape\n",
        "        num_train, dim = X.shape\n        if learning_rate < 0.3:\n"
        "            raise ValueError('too slow')\n"))
    assert got["train_rounds"][0] == 0
    assert "call 3 (LinearClassifier().train): ValueError: too slow (layers.py, line" in \
        got["train_rounds"][1]
    assert got["train_predict"][0] == 2


def test_a_scenario_that_hangs_costs_one_timeout(tmp_path: Path) -> None:
    with Grader(load_assignment(ASSIGNMENT), GradeOptions(run=RunOptions(timeout=1))) as g:
        got = grade_text(g, tmp_path / "s", with_change(
            "    def predict(self, X):\n",
            "    def predict(self, X):\n        while True:\n            pass\n"))
    assert got["train_rounds"][0] == 0
    assert "timed out after 1s" in got["train_rounds"][1]
    assert got["affine"][0] == 4 and got["batchnorm"][0] == 4


def test_the_json_report_times_each_step(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["grade", str(ASSIGNMENT), str(STUDENTS / "object_cache"),
                                       "--format", "json", "--run-dir", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    cases = {p["id"]: p["cases"] for q in report["submissions"][0]["problems"]
             for p in q["parts"]}
    assert all(len(c["step_seconds"]) == 2 for c in cases["affine"])
    assert all(len(c["step_seconds"]) == 4 for c in cases["train_predict"])
    assert all(len(c["step_seconds"]) == 5 for c in cases["train_rounds"])  # 1 + 3 + 1 calls


def test_a_student_bundle_checks_the_same_public_cases(tmp_path: Path) -> None:
    notes = export_bundle(load_assignment(ASSIGNMENT), tmp_path / "bundle")
    assert any("scenario" in note for note in notes)
    assert not (tmp_path / "bundle" / "reference" / "layers.py").exists()
    options = GradeOptions(run=RunOptions(timeout=5), public_only=True)
    for name in ("running_mean_2d", "tuple_cache"):
        submission = one_submission(STUDENTS / name, "layers.py")
        with Grader(load_assignment(ASSIGNMENT), options) as full, \
                Grader(load_assignment(tmp_path / "bundle"), options) as bundle:
            assert parts(full.grade(submission)) == parts(bundle.grade(submission))


def test_a_scenario_may_return_a_remote_tuple_as_several_outputs(tmp_path: Path) -> None:
    root = tmp_path / "hw"
    (root / "reference").mkdir(parents=True)
    (root / "assignment.yaml").write_text(
        "name: t\nmodule: layers\nseed: 3\nproblems: [q1]\n", encoding="utf-8")
    (root / "q1.yaml").write_text(textwrap.dedent("""\
        id: q1
        title: a scenario that returns a call's tuple as it is
        points: 1
        parts:
          - id: forward
            points: 1
            reference: layers
            scenario: scenarios:forward
            cases:
              - public: true
                count: 2
                dims: {N: [2, 4], D: [2, 3], M: [1, 2]}
                args: {x: {normal: [N, D]}, w: {normal: [D, M]}, b: {normal: [M]}}
        """), encoding="utf-8")
    (root / "reference" / "layers.py").write_text(
        (ASSIGNMENT / "reference" / "layers.py").read_text(encoding="utf-8"), encoding="utf-8")
    (root / "reference" / "scenarios.py").write_text(textwrap.dedent("""\
        def forward(student, x, w, b):
            # unpacking a handle asks for its length; the result is a handle to a tuple
            return student.affine_backward(*student.affine_forward(x, w, b))
        """), encoding="utf-8")
    with Grader(load_assignment(root), GradeOptions(run=RunOptions(timeout=5))) as g:
        got = parts(g.grade(one_submission(STUDENTS / "object_cache", "layers.py")))
    assert got == {"forward": (1.0, "")}


def small_assignment(root: Path, part: str, scenarios: str = "", wrong: str = "") -> Path:
    """An assignment of one part on the layers reference, with ``part`` as its YAML."""
    (root / "reference").mkdir(parents=True)
    (root / "assignment.yaml").write_text(
        "name: t\nmodule: layers\nseed: 3\nproblems: [q1]\n", encoding="utf-8")
    (root / "q1.yaml").write_text(
        "id: q1\ntitle: one part\npoints: 1\nparts:\n" + textwrap.indent(
            textwrap.dedent(part), "  "), encoding="utf-8")
    (root / "reference" / "layers.py").write_text(
        (ASSIGNMENT / "reference" / "layers.py").read_text(encoding="utf-8") + textwrap.dedent(
            """

            def configure(config):
                config["steps"] = config.get("steps", 0) + 1
                return None
            """), encoding="utf-8")
    if scenarios:
        (root / "reference" / "scenarios.py").write_text(textwrap.dedent(scenarios),
                                                        encoding="utf-8")
    if wrong:
        (root / "wrong").mkdir()
        (root / "wrong" / "mistake.py").write_text(textwrap.dedent(wrong), encoding="utf-8")
    return root


def grade_one(root: Path, source: str = RIGHT) -> dict[str, tuple[float, str]]:
    folder = root.parent / "student"
    folder.mkdir(exist_ok=True)
    (folder / "layers.py").write_text(source + textwrap.dedent("""

        def configure(config):
            config["steps"] = config.get("steps", 0) + 1
        """), encoding="utf-8")
    with Grader(load_assignment(root), GradeOptions(run=RunOptions(timeout=5))) as g:
        return parts(g.grade(one_submission(folder, "layers.py")))


def test_literals_dict_methods_and_none_in_a_call_sequence(tmp_path: Path) -> None:
    root = small_assignment(tmp_path / "hw", """\
        - id: configured
          points: 1
          reference: layers
          steps:
            - call: config.update              # a dict's method, through its path
              args: [{literal: {lr: 0.5}}]
            - call: configure
              args: [config]
              as: nothing                      # None, compared as a value
            - call: affine_forward
              args: [x, {literal: [[1.0], [2.0]]}, {literal: 0.0}]
              as: [out, cache]
          returns: [config, nothing, out]
          cases:
            - public: true
              count: 2
              dims: {N: [1, 3]}
              args: {config: {literal: {}}, x: {normal: [N, 2]}}
        """)
    assert grade_one(root) == {"configured": (1.0, "")}


def test_a_scenario_assigns_into_the_students_objects(tmp_path: Path) -> None:
    root = small_assignment(tmp_path / "hw", """\
        - id: net
          points: 1
          reference: layers
          scenario: scenarios:set_and_score
          outputs: [loss, grads]
          cases:
            - public: true
              dims: {N: [3, 5], D: [2, 3], H: [2, 4], C: [3, 3]}
              args:
                X: {normal: [N, D]}
                y: {integers: {shape: [N], low: 0, high: 2}}
                W1: {normal: [D, H]}
                W2: {normal: [H, C]}
        """, scenarios="""\
        import numpy as np


        def set_and_score(student, X, y, W1, W2):
            net = student.TwoLayerNet(X.shape[1], W1.shape[1], W2.shape[1], reg=0.1)
            net.params = {"W1": W1, "b1": np.zeros(W1.shape[1]), "W2": W2,
                          "b2": np.zeros(W2.shape[1])}
            net.params["W2"] = 2 * W2          # an item of a dict held by the student
            net.reg = 0.2                       # an attribute
            return net.loss(X, y)               # a handle to a tuple: two outputs
        """)
    assert grade_one(root) == {"net": (1.0, "")}


def test_outputs_that_do_not_match_the_reference_are_a_spec_error(tmp_path: Path) -> None:
    root = small_assignment(tmp_path / "hw", """\
        - id: net
          points: 1
          reference: layers
          scenario: scenarios:forward
          outputs: [out, cache, extra]
          cases:
            - public: true
              args: {x: {normal: [2, 2]}, w: {normal: [2, 2]}, b: {normal: [2]}}
        """, scenarios="""\
        def forward(student, x, w, b):
            out, cache = student.affine_forward(x, w, b)
            return out, x
        """)
    with pytest.raises(SpecError, match=r"parts\[0\]\.outputs: names 3 output\(s\), but the "
                                        r"reference returns a tuple of 2"):
        Grader(load_assignment(root))


AFFINE_WITH_A_MISTAKE = """\
    - id: affine
      points: 1
      reference: layers
      steps:
        - call: affine_forward
          args: [x, w, b]
          as: [out, cache]
      returns: [out]
      wrong: [mistake]
      cases:
        - public: true
          args: {x: {normal: [2, 2]}, w: {normal: [2, 2]}, b: {normal: [2]}}
    """


def test_validate_says_when_a_wrong_module_defines_nothing_the_part_calls(
        tmp_path: Path) -> None:
    root = small_assignment(tmp_path / "hw", AFFINE_WITH_A_MISTAKE, wrong="""\
        def sgd(w, dw):
            return w
        """)
    report = validate(load_assignment(root), RunOptions(timeout=5))
    assert "wrong answer mistake defines none of the names the part calls (affine_forward)" \
        in report.parts[0].problems[0]


def test_validate_notes_a_wrong_answer_caught_only_because_it_fails_to_run(
        tmp_path: Path) -> None:
    root = small_assignment(tmp_path / "hw", AFFINE_WITH_A_MISTAKE, wrong="""\
        def affine_forward(x, w, b):
            return forward_helper(x, w) + b, None   # (the helper is the reference's)
        """)
    report = validate(load_assignment(root), RunOptions(timeout=5))
    assert report.ok
    assert report.parts[0].notes == (
        "wrong answer mistake is caught only because it fails to run (case q1/affine/0: "
        "step 1 (affine_forward): NameError: name 'forward_helper' is not defined): check "
        "that it runs and shows the mistake it stands for",)


def test_export_refuses_a_scenario_that_lives_with_reference_code(tmp_path: Path) -> None:
    root = small_assignment(tmp_path / "hw", """\
        - id: forward
          points: 1
          reference: layers
          scenario: layers:drive            # in the reference module itself
          cases:
            - public: true
              args: {x: {normal: [2, 2]}, w: {normal: [2, 2]}, b: {normal: [2]}}
        """)
    with (root / "reference" / "layers.py").open("a", encoding="utf-8") as file:
        file.write("\n\ndef drive(student, x, w, b):\n"
                   "    return student.affine_forward(x, w, b)[0]\n")
    with pytest.raises(UsageError, match="also holds reference code"):
        export_bundle(load_assignment(root), tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()


NET_ORACLE = """\
    - id: net
      points: 1
      reference: layers
      steps:
        - {call: TwoLayerNet, args: [n_in, n_hidden, n_classes], kwargs: {reg: reg}, as: model}
        - {set: model.params, value: params}
        - {call: model.loss, args: [X, y], as: [loss, grads]}
      returns: [loss, grads]
      oracles:
        - name: the loss's gradient in W2
          kind: gradient
          function: oracles:loss
          wrt: params.W2
          output: OUTPUT
          tolerance: {rtol: 1.0e-5, atol: 1.0e-7, reason: "central differences"}
      cases:
        - public: true
          dims: {N: [3, 4], D: [2, 3], H: [3, 4], C: [3, 3]}
          args:
            n_in: {dim: D}
            n_hidden: {dim: H}
            n_classes: {dim: C}
            reg: 0.1
            X: {normal: [N, D]}
            y: {integers: {shape: [N], low: 0, high: C-1}}
            params:
              dict:
                W1: {normal: {shape: [D, H], std: 0.1}}
                b1: {normal: {shape: [H], std: 0.1}}
                W2: {normal: {shape: [H, C], std: 0.1}}
                b2: {normal: {shape: [C], std: 0.1}}
    """
NET_LOSS = """\
    import numpy as np

    def loss(n_in, n_hidden, n_classes, reg, X, y, params):
        h = np.maximum(0, X @ params["W1"] + params["b1"])
        s = h @ params["W2"] + params["b2"]
        s = s - s.max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        return (-logp[np.arange(len(y)), y].mean()
                + 0.5 * REG * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2)))
    """


@pytest.mark.parametrize(("output", "reg", "verdict"), [
    ("grads.W2", "reg", "verified"),
    ("1.W2", "reg", "verified"),
    ("grads.W2", "2 * reg", "FAILED"),  # an oracle that disagrees is reported
])
def test_an_oracle_differentiates_inside_a_dict_and_checks_a_returned_name(
        tmp_path: Path, output: str, reg: str, verdict: str) -> None:
    root = small_assignment(tmp_path / "hw", NET_ORACLE.replace("OUTPUT", output))
    (root / "reference" / "oracles.py").write_text(
        textwrap.dedent(NET_LOSS).replace("REG", reg), encoding="utf-8")
    report = validate(load_assignment(root), RunOptions(timeout=5))
    assert report.parts[0].oracle_verdict == verdict, report.problems
    if verdict == "FAILED":
        assert "the reference's output grads.W2 (got) against the oracle (expected)" in \
            report.parts[0].problems[0]


@pytest.mark.parametrize(("output", "message"), [
    ("grad.W2", r"oracles\[0\]\.output: expected an output index or one of returns "
                r"\(loss, grads\), got 'grad.W2'"),
    ("2", r"oracles\[0\]\.output: expected an index into returns \(0 to 1\), got 2"),
])
def test_an_oracle_output_that_is_not_returned_is_a_spec_error(
        tmp_path: Path, output: str, message: str) -> None:
    root = small_assignment(tmp_path / "hw", NET_ORACLE.replace("OUTPUT", output))
    (root / "reference" / "oracles.py").write_text(textwrap.dedent(NET_LOSS),
                                                  encoding="utf-8")
    with pytest.raises(SpecError, match=message):
        load_assignment(root)
