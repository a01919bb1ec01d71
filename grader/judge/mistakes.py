"""Named mistakes: which known-wrong answer a failing answer is.

A part's known-wrong answers (``wrong:`` in its spec, :class:`~grader.spec.KnownMistake`)
are instructor code. Their outputs on each case are computed in the trusted process, as the
expected outputs are (in a fork of it, :mod:`grader.judge.forked`, since a wrong answer may
crash or hang on purpose), only once some answer fails a case of the part, and then cached
with the expected outputs (:mod:`grader.judge.cache`). A student bundle stores them, for its
public cases, in place of the code.

A case's answer *matches* a mistake when it equals that wrong answer's output within the
part's tolerance (and, on a case that failed for a warning, the wrong answer warned there
too). A part *names* a mistake when the answer matches it on every failing case considered,
and on at least one, and the wrong answer passes every considered case that the answer
passes (:func:`named`): every case for the instructor, the public cases only for a student,
who could otherwise match a mistake on a hidden case on purpose and learn from its name
whether the hidden case failed.
"""

from __future__ import annotations

import threading
import types
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from grader import _modules
from grader.cases.build import Case
from grader.judge import cache
from grader.judge.cache import Outputs
from grader.judge.compare import compare_output
from grader.judge.expected import Output, run_answer
from grader.judge.forked import run_forked, time_limit
from grader.outcomes import CallOutcome, Status
from grader.results import CaseResult, Mistake
from grader.spec import KnownMistake, Part

# (cache.Outputs: one per known mistake here; None where its wrong answer failed to run)


def answers(part: Part, wrong_dir: Path) -> list[tuple[str, Any]]:
    """A part's known-wrong answers, to run in the grader's process as the references are:
    (ref, a function; or for a call sequence or a scenario, the reference module with the
    wrong module's names in place of its own)."""
    found: list[tuple[str, Any]] = []
    for ref in part.wrong:
        if not part.by_module:
            found.append((ref, _modules.resolve(ref, wrong_dir)))
            continue
        module = _modules.load_module(_modules.module_path(ref, wrong_dir))
        names = {**vars(part.references[0]),
                 **{k: v for k, v in vars(module).items() if not k.startswith("__")}}
        found.append((ref, types.SimpleNamespace(**names)))
    return found


def compute(part: Part, cases: Sequence[Case], public_dir: Path,
            wrong: Sequence[tuple[str, Any]]) -> list[Outputs]:
    """Each known-wrong answer's compared outputs on each case, run in a fork; None where it
    raised, ran past the part's timeout, or the fork died."""
    def work() -> bytes:
        found: dict[int, Outputs] = {}
        for position, case in enumerate(cases):
            found[position] = tuple(_run(part, answer, case, public_dir) for _, answer in wrong)
        return cache.encode(found)

    limit = part.timeout * max(1, len(cases) * len(wrong)) + 5
    data = run_forked(work, limit)
    try:
        found = cache.decode(data) if data is not None else {}
    except cache.CacheUnreadable:
        found = {}
    nothing: Outputs = (None,) * len(wrong)
    return [found.get(position, nothing) for position in range(len(cases))]


def _run(part: Part, answer: Any, case: Case, public_dir: Path) -> Output | None:
    try:
        # (numpy's default error handling, as a student's call gets: underflow is quiet)
        with warnings.catch_warnings(record=True) as caught, \
                np.errstate(all="warn", under="ignore"), time_limit(part.timeout):
            warnings.simplefilter("always")
            output = run_answer(part, answer, case, public_dir)
    except (Exception, SystemExit):  # (CallTimedOut too: no output on this case)
        return None
    return replace(output, warned=bool(caught))


def stored(part: Part, cases: Sequence[Case]) -> list[Outputs]:
    """A student bundle's stored outputs of its mistakes (None where none is stored)."""
    by_index: dict[int, Outputs] = {}
    for group, indices in part.numbered_groups():
        if group.stored is None:
            continue
        for index, stored_case in zip(indices, group.stored.cases, strict=True):
            by_index[index] = tuple(
                None if out is None else Output(dict(out.values), out.arity, out.warned)
                for out in stored_case.mistakes)
    nothing: Outputs = (None,) * len(part.mistakes)
    return [by_index.get(case.index) or nothing for case in cases]


class KnownOutputs:
    """The known mistakes' outputs on a part's prepared cases, made on first need (most
    answers never fail, and then nothing is run) and then kept."""

    def __init__(self, cases: Sequence[Case],
                 make: Callable[[Sequence[Case]], list[Outputs]]) -> None:
        self._positions = {case.index: i for i, case in enumerate(cases)}
        self._cases = tuple(cases)
        self._make = make
        self._outputs: list[Outputs] | None = None
        self._lock = threading.Lock()

    def on(self, case: Case) -> Outputs:
        with self._lock:
            if self._outputs is None:
                self._outputs = self._make(self._cases)
            return self._outputs[self._positions[case.index]]


def matching(part: Part, outcome: CallOutcome, outputs: Outputs,
             labels: Sequence[str] | None, warned: bool) -> tuple[str, ...]:
    """The names of the known mistakes whose output ``outcome`` (picked, as judged) equals
    within the part's tolerance, in spec order. A case that failed for a warning
    (``warned``) matches only the mistakes that warned there too."""
    if outcome.status is not Status.OK:
        return ()
    return tuple(
        mistake.name for mistake, out in zip(part.mistakes, outputs, strict=True)
        if out is not None and (out.warned or not warned)
        and compare_output(outcome, out, part.tolerance, part.outputs, labels,
                           explain=False).passed)


def named(mistakes: Sequence[KnownMistake], cases: Sequence[CaseResult], public_only: bool,
          passing: Callable[[CaseResult], tuple[str, ...]]) -> tuple[Mistake, ...]:
    """The mistakes an answer makes, judged on ``cases`` (the public ones only, with
    ``public_only``), in spec order: those it matches on every failing case, and on at least
    one, whose wrong answer also passes every case that the answer passes (``passing``: the
    names of the mistakes that pass a case). An answer right where the mistake is wrong
    is not making that mistake, whatever it does elsewhere."""
    considered = [c for c in cases if c.public or not public_only]
    failing = [c for c in considered if not c.passed]
    if not failing:
        return ()
    fits = {m.name for m in mistakes}
    for case in failing:
        fits.intersection_update(case.mistakes)
    for case in considered:
        if fits and case.passed:
            fits.intersection_update(passing(case))
    return tuple(Mistake(m.name, m.explanation) for m in mistakes if m.name in fits)
