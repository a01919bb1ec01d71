"""Tolerance calibration (grader.judge.calibrate, in ``grader validate``): distances in
tolerances, the variants of a reference, the nearest known-wrong answer, property checks,
and a suggested tolerance that separates them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.judge.calibrate import Calibration, Errors, errors, in_precision
from grader.judge.expected import Output
from grader.judge.properties import PropertyCheck
from grader.spec import Tolerance, load_assignment
from grader.validate import validate

from .._mini import MINI_ASSIGNMENT, MINI_PROBLEM, edited, make_assignment

TIGHT = {"rtol": 1.0e-12, "atol": 1.0e-15, "reason": "tighter than float32 can reach"}


def output(*values: Any) -> Output:
    return Output({i: np.asarray(v) for i, v in enumerate(values)}, None)


def test_distance_is_the_worst_error_over_the_tolerance_there() -> None:
    found = errors(output([1.0, 10.0, 0.0]), output([1.1, 10.0, 1e-12]))
    assert found.distance(rtol=0.1, atol=1e-9) == pytest.approx(0.1 / (0.11 + 1e-9))
    assert found.distance(rtol=0.1, atol=0.0) == pytest.approx(10.0)  # 1e-12 off 0 at 0
    assert found.distance(rtol=0.0, atol=0.01) == pytest.approx(10.0)
    assert errors(output([np.nan]), output([1.0])).far
    assert errors(output([1.0, 2.0]), output([1.0])).far  # a shape
    assert errors(output([np.inf, np.nan]), output([np.inf, np.nan])).distance(1e-9, 0) == 0


def test_a_reference_in_float32_computes_in_float32_and_returns_float64() -> None:
    seen: list[Any] = []

    def reference(x: np.ndarray, scale: float) -> tuple[np.ndarray, float]:
        seen.extend([x.dtype, type(scale)])
        return x * scale, scale

    values, scale = in_precision(reference, np.float32)(np.ones(2), 0.1)
    assert seen == [np.float32, np.float32]
    assert values.dtype == np.float64 and scale == pytest.approx(0.1, rel=1e-7)


def test_a_module_in_float32_has_its_classes_and_in_place_state_in_float32() -> None:
    import types

    class Model:
        def __init__(self, w: np.ndarray) -> None:
            self.w = w

        def step(self, x: np.ndarray, state: dict[str, Any]) -> np.ndarray:
            state["seen"] = x.dtype
            state["total"] = state["total"] + x.sum()
            return self.w * x

    module = types.ModuleType("layers")
    module.Model = Model  # type: ignore[attr-defined]
    variant = in_precision(module, np.float32)
    model = variant.Model(np.ones(2))
    state: dict[str, Any] = {"total": np.zeros(1)}
    out = model.step(np.ones(2), state)
    assert isinstance(model, Model) and model.w.dtype == np.float32
    assert out.dtype == np.float64  # (outputs cast back)
    assert state["seen"] == np.float32 and state["total"].dtype == np.float32  # (updated)


def test_the_suggestion_separates_the_variants_from_the_wrong_answers() -> None:
    # float32 lands at relative error 1e-7, the nearest wrong answer at 1e-3.
    variant = Errors(np.array([1e-7]), np.array([1.0]))
    wrong = Errors(np.array([1e-3]), np.array([1.0]))
    c = Calibration("q1/f", Tolerance(1e-9, 1e-12), (("float32", (variant,)),),
                    (("wrong:f", ((wrong,),)),))
    assert c.variant_distances()["float32"] == pytest.approx(100, rel=1e-2)
    suggested = c.suggestion()
    assert suggested is not None
    assert c.legitimate(suggested.rtol, suggested.atol) <= 0.1
    assert c.wrong_distances(suggested.rtol, suggested.atol)["wrong:f"] >= 10
    assert "rtol=1e-06, atol=1e-12 would separate them" in c.warnings()[-1]

    overlapping = Calibration("q1/f", Tolerance(1e-9, 1e-12), (("float32", (wrong,)),),
                              (("wrong:f", ((variant,),)),))
    assert overlapping.suggestion() is None
    assert overlapping.warnings()[-1].endswith("no tolerance separates them")


def test_a_part_that_needs_float64_says_so_and_is_not_held_to_float32() -> None:
    variant = Errors(np.array([1e-7]), np.array([1.0]))
    c = Calibration("q1/f", Tolerance(1e-9, 1e-12, float32=False), (("float32", (variant,)),))
    assert c.warnings() == [] and c.legitimate() == 0


def test_a_property_checks_excess_is_its_error_over_its_tolerance() -> None:
    rows = PropertyCheck("rows sum to 1", "rows_sum", value=1.0, tol=1e-8)
    assert rows.excess(np.array([[0.5, 0.5 + 3e-8]])) == pytest.approx(3.0)
    assert rows.check(np.array([[0.5, 0.5 + 3e-8]])) is not None
    assert rows.excess(np.array([[0.5, 0.5]])) == 0.0


def mini_with_a_tight_part(tmp_path: Path, tolerance: dict[str, Any]) -> Path:
    problem = edited(MINI_PROBLEM, "parts[1].tolerance", tolerance)  # halve
    problem = edited(problem, "parts[1].wrong", ["mistakes:halve"])
    return make_assignment(tmp_path / "hw", MINI_ASSIGNMENT, {"q1": problem},
                           wrong={"mistakes": "def halve(x):\n    return x / 2.001\n"})


def calibration_row(root: Path, part: str) -> str:
    """A part's row in the calibration table that ``grader validate`` prints."""
    shown = CliRunner().invoke(main, ["validate", str(root)]).stdout
    _, found, table = shown.partition("calibration: distance from the expected outputs, "
                                      "in tolerances")
    assert found, shown
    return next(line for line in table.splitlines() if line.startswith(part + " "))


def test_validate_prints_the_calibration_and_warns_of_a_tolerance_too_tight(
        tmp_path: Path) -> None:
    root = mini_with_a_tight_part(tmp_path, TIGHT)
    report = validate(load_assignment(root))
    halve = next(c for c in report.parts if c.part == "halve")
    assert report.ok  # (a warning, not a failure)
    assert halve.calibration is not None
    assert any(note.startswith("the tolerance (rtol=1e-12, atol=1e-15) rejects the reference "
                               "computed in float32") for note in halve.notes), halve.notes
    assert "would separate them" in halve.notes[-1]

    row = calibration_row(root, "q1/halve")
    assert "rtol=1e-12, atol=1e-15" in row and "mistakes:halve" in row


def test_float32_false_keeps_the_measurement_but_drops_the_warning(tmp_path: Path) -> None:
    root = mini_with_a_tight_part(tmp_path, {**TIGHT, "float32": False})
    report = validate(load_assignment(root))
    halve = next(c for c in report.parts if c.part == "halve")
    assert not any("float32" in note for note in halve.notes)
    assert "(not required)" in calibration_row(root, "q1/halve")


def test_an_underflow_does_not_count_as_a_warning_that_catches_a_wrong_answer(
        tmp_path: Path) -> None:
    # quiet fails cases on warnings; numpy's underflow is silent for students, so it must be
    # for the calibration too: this wrong answer is caught by its values, 33x out.
    problem = edited(MINI_PROBLEM, "parts[4].wrong", ["mistakes:quiet"])
    root = make_assignment(tmp_path / "hw", MINI_ASSIGNMENT, {"q1": problem}, wrong={
        "mistakes": "import numpy as np\n\n\ndef quiet(x):\n"
                    "    return 3.0001 * x + 0 * np.exp(-1000 + 0 * x)\n"})
    report = validate(load_assignment(root))
    quiet = next(c for c in report.parts if c.part == "quiet")
    assert quiet.calibration is not None
    nearest = quiet.calibration.nearest_wrong
    assert nearest is not None and 1 < nearest[1] < 100, nearest
