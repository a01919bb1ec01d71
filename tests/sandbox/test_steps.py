"""The call-sequence interpreter (grader.sandbox.child.steps) on its own: what a path names,
what each kind of step does, and how a failure is labelled. The same code runs the reference
in the grader's process and the student's in theirs."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from grader.sandbox.child import steps


class Model:
    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.params = {"W": [1.0, 2.0], "layers": [{"b": 3.0}]}

    def loss(self, x: float) -> tuple[float, dict[str, float]]:
        return self.scale * x, {"dx": self.scale}


MODULE = SimpleNamespace(Model=Model, double=lambda x: 2 * x,
                         pair=lambda x: (x, -x), config={"lr": 0.5})


def run(program: dict[str, Any], **given: Any) -> list[Any]:
    return steps.run(program, MODULE, given)[0]


def test_a_path_prefers_keys_then_indices_then_attributes() -> None:
    scope = {"m": Model(2.0), "d": {"scale": "key"}}
    assert steps.lookup("m.params.layers.0.b", scope, MODULE) == 3.0
    assert steps.lookup("d.scale", scope, MODULE) == "key"
    assert steps.lookup("m.scale", scope, MODULE) == 2.0
    assert steps.lookup("config.lr", scope, MODULE) == 0.5  # a module name
    with pytest.raises(steps.PathError, match=r"m\.params has no key 'V'"):
        steps.lookup("m.params.V", scope, MODULE)
    with pytest.raises(steps.PathError, match=r"m.params.W has no item 5 \(it holds 2\)"):
        steps.lookup("m.params.W.5", scope, MODULE)
    with pytest.raises(steps.PathError, match=r"m \(Model\) has no attribute 'weights'"):
        steps.lookup("m.weights", scope, MODULE)
    with pytest.raises(steps.PathError, match="'nope' is not defined"):
        steps.lookup("nope", scope, MODULE)


def test_calls_unpack_and_bind_results_for_later_steps() -> None:
    program = {"steps": [{"call": "Model", "args": ["s"], "as": "m"},
                         {"call": "m.loss", "args": ["x"], "as": ["loss", "grads"]},
                         {"call": "pair", "kwargs": {"x": "loss"}, "as": ["p", "n"]}],
               "returns": ["loss", "grads.dx", "n"]}
    assert run(program, s=3.0, x=2.0) == [6.0, 3.0, -6.0]
    assert steps.return_labels(program) == [
        "step 3 (pair) loss", "step 2 (m.loss) grads.dx", "step 3 (pair) n"]


def test_get_keeps_a_copy_and_set_puts_a_value_in_place() -> None:
    program = {"steps": [{"call": "Model", "args": ["s"], "as": "m"},
                         {"get": "m.params", "as": "before"},
                         {"set": "m.params.W", "value": "w"},
                         {"set": "m.scale", "value": "s2"}],
               "returns": ["before.W", "m.params.W", "m.scale"]}
    assert run(program, s=1.0, w=[9.0], s2=4.0) == [[1.0, 2.0], [9.0], 4.0]


def test_an_argument_updated_in_place_is_read_after_the_call() -> None:
    def update(state: dict[str, float]) -> None:
        state["mean"] = 1.5

    program = {"steps": [{"call": "update", "args": ["state"]}], "returns": ["state.mean"]}
    module = SimpleNamespace(update=update)
    assert steps.run(program, module, {"state": {}})[0] == [1.5]
    assert steps.return_labels(program) == ["step 1 (update) state.mean"]


def test_failures_name_the_step() -> None:
    def broken(x: float) -> float:
        raise ValueError("no")

    module = SimpleNamespace(broken=broken, double=lambda x: 2 * x)
    with pytest.raises(steps.StepFailed) as raised:
        steps.run({"steps": [{"call": "double", "args": ["x"], "as": ["a", "b"]}],
                   "returns": ["a"]}, module, {"x": 1.0})
    assert raised.value.label == "step 1 (double)"
    assert raised.value.reason == "returned a float, expected a tuple of 2 (a, b)"
    with pytest.raises(steps.StepFailed) as raised:
        steps.run({"steps": [{"call": "double", "args": ["x"], "as": "y"},
                             {"call": "broken", "args": ["y"]}], "returns": ["y"]},
                  module, {"x": 1.0})
    assert raised.value.label == "step 2 (broken)"
    assert isinstance(raised.value.cause, ValueError)
    with pytest.raises(steps.StepFailed) as raised:
        steps.run({"steps": [{"call": "double", "args": ["x"], "as": "y"}],
                   "returns": ["y.grad"]}, module, {"x": 1.0})
    assert raised.value.label == "step 1 (double) y.grad"


def test_called_names_are_the_plain_names_a_submission_must_define() -> None:
    program = {"steps": [{"call": "Model", "args": ["s"], "as": "m"},
                         {"call": "m.loss", "args": ["x"]},
                         {"call": "config.update", "args": ["x"]},
                         {"call": "f", "args": ["x"]},
                         {"call": "Model", "args": ["s"]}],
               "returns": ["m"]}
    assert steps.called_names(program, {"s", "x", "f"}) == ["Model"]
