"""What a submission's student process is asked to run, in which order, and the requests
that carry it.

A :class:`CallPlan` is one part's calls: its cases (inputs encoded once for every
submission), its timeout and which outputs come back. A :class:`Schedule` orders the calls of
all parts into two phases, every public case before any hidden one, and builds each phase's
request once. The requests are :mod:`grader.sandbox.wire` frames; the student's side reads them in
:mod:`grader.sandbox.child.worker`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader import _modules
from grader.cases.build import Case
from grader.cases.generators import BuiltArg
from grader.sandbox import wire
from grader.sandbox.child import steps


@dataclass(frozen=True)
class CallPlan:
    """How to call one part's function: its cases, timeout, and which outputs to return."""

    function: str
    cases: tuple[Case, ...]
    timeout: float
    arity: int | None  # None: a single output; n: a tuple of n outputs
    select: tuple[int, ...] | None
    encoded: tuple[EncodedCase, ...] = ()  # the cases' inputs, serialized once per run
    # A call sequence (grader.sandbox.child.steps): the program, the labels of what it
    # returns, and the module names it calls; None for a single call of ``function``.
    program: dict[str, Any] | None = None
    labels: tuple[str, ...] | None = None
    calls: tuple[str, ...] = ()
    # A scenario (grader.sandbox.remote): trusted code that drives the student's process one
    # request at a time; its cases are not part of a phase's batch.
    scenario: Callable[..., Any] | None = None

    @property
    def running(self) -> str:
        """What runs, for a message about a crash: ``f()``, a call sequence's calls, or a
        scenario."""
        if self.scenario is not None:
            return f"the scenario {self.function}"
        if self.program is None:
            return f"{self.function}()"
        return "the steps (" + ", ".join(s["call"] for s in self.program["steps"]
                                         if "call" in s) + ")"

    @property
    def needs(self) -> tuple[str, ...]:
        """The names the submission must define for this plan to run (a scenario's are
        found as it runs)."""
        if self.scenario is not None:
            return ()
        return self.calls if self.program is not None else (self.function,)


@dataclass(frozen=True)
class Item:
    """One call to run: case ``case`` of plan number ``plan``."""

    plan: int
    case: int


class Schedule:
    """The calls of one submission in the order they run, and the requests that carry them.

    Every public case (of every part) runs before any hidden one, so a student's process has
    not yet received a hidden input while its answers, messages included, may still be shown
    to students. Each phase goes to the student process as one request; those requests are
    the same bytes for every submission, so they are built once.
    """

    def __init__(self, plans: Sequence[CallPlan], public_dir: Path,
                 imports: dict[str, Any] | None = None) -> None:
        self.plans = tuple(plans)
        self.public_dir = public_dir
        # What the student's process may import (grader.sandbox.packages.policy); None: no
        # policy (instructor code, as validate runs known-wrong answers).
        self.imports = imports
        self.phases = tuple(
            tuple(Item(n, i) for n, plan in enumerate(self.plans)
                  for i, case in enumerate(plan.cases) if case.public is public)
            for public in (True, False))
        # Within a phase, a scenario's cases run after the batch, one request at a time: a
        # phase's batch is the rest.
        self._batches = {tuple(it for it in phase if self.plans[it.plan].scenario is None)
                         for phase in self.phases}
        self._frames: dict[tuple[Item, ...], bytes] = {}

    def case(self, item: Item) -> Case:
        return self.plans[item.plan].cases[item.case]

    def frame(self, items: Sequence[Item]) -> bytes:
        """The request that runs ``items`` in order (cached for whole phases' batches)."""
        key = tuple(items)
        frame = self._frames.get(key)
        if frame is None:
            frame = batch_frame(self.plans, key, self.public_dir)
            if key in self._batches:
                self._frames[key] = frame
        return frame


@dataclass(frozen=True)
class EncodedCase:
    """One case's arguments in wire form: JSON descriptions and the .npy blobs they index."""

    args: list[dict[str, Any]]
    kwargs: dict[str, dict[str, Any]]
    blobs: list[bytes]


def encode_case(case: Case, public_dir: Path, by_name: bool = False) -> EncodedCase:
    """``by_name``: every input as a keyword (a call sequence names its values)."""
    blobs: list[bytes] = []
    if by_name:
        return EncodedCase([], {k: encode_value(v, blobs, public_dir)
                                for k, v in case.named.items()}, blobs)
    return EncodedCase([encode_value(a, blobs, public_dir) for a in case.args],
                       {k: encode_value(v, blobs, public_dir) for k, v in case.kwargs.items()},
                       blobs)


def batch_frame(plans: Sequence[CallPlan], items: Sequence[Item], public_dir: Path) -> bytes:
    """The request that makes one call per item, in order, in one batch."""
    encoded = {n: plan.encoded or tuple(encode_case(c, public_dir, plan.program is not None)
                                        for c in plan.cases)
               for n, plan in enumerate(plans) if any(it.plan == n for it in items)}
    blobs: list[bytes] = []
    batch = []
    for item in items:
        case = encoded[item.plan][item.case]
        batch.append({"call": item.plan, "args": case.args, "kwargs": case.kwargs,
                      "first": len(blobs)})
        blobs += case.blobs
    calls = [{"function": p.function, "arity": p.arity,
              "select": list(p.select) if p.select is not None else None,
              **({"program": p.program, "labels": list(p.labels or ())}
                 if p.program is not None else {})} for p in plans]
    return wire.encode_frame({"op": "run", "calls": calls, "cases": batch}, blobs)


def plan_for(function: str, cases: tuple[Case, ...], timeout: float, arity: int | None,
             select: tuple[int, ...] | None, public_dir: Path,
             program: dict[str, Any] | None = None,
             scenario: Callable[..., Any] | None = None) -> CallPlan:
    """A plan whose inputs are encoded now, once, for every submission that runs it;
    ``program``: a call sequence (:mod:`grader.sandbox.child.steps`) instead of one call;
    ``scenario``: trusted code that makes the calls (:mod:`grader.sandbox.remote`)."""
    if scenario is not None:
        return CallPlan(function, cases, timeout, arity, None, scenario=scenario)
    encoded = tuple(encode_case(c, public_dir, program is not None) for c in cases)
    if program is None:
        return CallPlan(function, cases, timeout, arity, select, encoded)
    given = {name for c in cases for name in c.named}
    return CallPlan(function, cases, timeout, arity, None, encoded, program,
                    tuple(steps.return_labels(program)),
                    tuple(steps.called_names(program, given)))


def encode_value(value: Any, blobs: list[bytes], public_dir: Path,
                 other: Callable[[Any], dict[str, Any] | None] | None = None) -> dict[str, Any]:
    """One input in wire form (its arrays appended to ``blobs``); ``other`` may encode what
    this does not know (a scenario's remote handles), or return None."""
    if other is not None:
        encoded = other(value)
        if encoded is not None:
            return encoded
    if isinstance(value, BuiltArg):
        _, function = _modules.split_ref(value.builder)
        return {
            "t": "f",
            "m": str(_modules.ref_path(value.builder, public_dir).resolve()),
            "f": function,
            "d": {k: encode_value(v, blobs, public_dir, other) for k, v in value.data.items()},
        }
    if isinstance(value, np.ndarray):
        blobs.append(wire.encode_array(value))
        return {"t": "a", "b": len(blobs) - 1}
    if isinstance(value, np.generic):
        return {"t": "n", "v": value.item()}
    if isinstance(value, (bool, int, float)):
        return {"t": "n", "v": value}
    if value is None:
        return {"t": "z"}
    if isinstance(value, dict):  # (string keys: cases.build.check_input)
        return {"t": "d", "k": list(value),
                "v": [encode_value(v, blobs, public_dir, other) for v in value.values()]}
    if isinstance(value, (list, tuple)):
        return {"t": "l" if isinstance(value, list) else "u",
                "v": [encode_value(v, blobs, public_dir, other) for v in value]}
    return {"t": "s", "v": str(value)}
