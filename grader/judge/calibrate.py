"""Tolerance calibration, for ``grader validate``: how far legitimate variants of a part's
reference land from its expected outputs, and how close its known-wrong answers come, both
measured in multiples of the part's tolerance.

The *distance* of a value from the expected one is its worst element's error over the
tolerance there, ``|got - expected| / (atol + rtol * |expected|)``: a case passes at 1 or
less. NaN or inf where the reference is finite, a wrong shape, a missing key or an
exception is infinitely far. A variant's distance is its largest over the part's cases (it
must pass them all); a known-wrong answer's is also its largest (one failing case is
enough to catch it). Scaling ``rtol`` and ``atol`` together by ``f`` divides every
distance by ``f``, so a tolerance that separates the variants from the wrong answers exists
exactly when the farthest variant lands closer than the nearest wrong answer. The errors
are kept element by element, so that any other tolerance can be tried: the suggestion is
the one, in powers of ten, that keeps both sides :data:`CLOSE` times clear of its edge (or
as clear as any gets) and moves least from the current one.

The legitimate variants (:data:`VARIANTS`) are the reference itself run differently:

- ``float32``: every floating-point input cast to single precision, so that the reference
  computes in float32, and its outputs cast back: what a student who writes
  ``x = x.astype(np.float32)`` gets;
- ``extended``: the same in ``np.longdouble`` (80-bit on x86): the reference's own
  rounding error in float64, the least any other formula differs by. numpy's linear
  algebra refuses long doubles, and then this variant is not measured.

A part whose answers need float64 (finite differences with a small step, a convergence
test at 1e-10) says so with ``float32: false`` in its tolerance; the float32 variant is
then measured but not held against the tolerance.
"""

from __future__ import annotations

import functools
import io
import math
import types
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.cases.build import Case
from grader.judge.expected import Output, run_answer
from grader.judge.forked import run_forked
from grader.judge.properties import PropertyCheck, property_failures
from grader.spec import Part, Tolerance

VARIANTS: dict[str, Any] = {"float32": np.float32, "extended": np.longdouble}
CLOSE = 10.0  # a known-wrong answer nearer than this many tolerances is "close"
FAR = math.inf
# The tolerances a suggestion is chosen from: powers of ten, as people write them.
_RTOLS = tuple(10.0 ** k for k in range(-12, 0))
_ATOLS = (0.0, *(10.0 ** k for k in range(-15, 0)))


@dataclass(frozen=True, eq=False)
class Errors:
    """How one answer's outputs differ from the expected ones on one case: the error and
    the expected magnitude of every finite element, or ``far`` where no tolerance accepts
    it (a shape, a key, NaN where the reference is finite, an exception)."""

    err: np.ndarray
    ref: np.ndarray
    far: bool = False

    def distance(self, rtol: float, atol: float) -> float:
        if self.far:
            return FAR
        with np.errstate(all="ignore"):
            allowed = atol + rtol * self.ref
            ratio = np.where(self.err == 0, 0.0, self.err / allowed)
        return float(ratio.max(initial=0.0))


_FAR = Errors(np.zeros(0), np.zeros(0), far=True)


@dataclass(frozen=True, eq=False)
class Calibration:
    """One part's measurements: each variant's errors on every case (None where it could
    not run), and each known-wrong answer's on every case, against each reference."""

    part: str  # "q1/sigmoid"
    tolerance: Tolerance
    variants: tuple[tuple[str, tuple[Errors, ...] | None], ...] = ()
    wrong: tuple[tuple[str, tuple[tuple[Errors, ...], ...]], ...] = ()
    skipped: str = ""  # why nothing was measured
    # (variant, check, its largest excess over the cases): how near each property check
    # comes to rejecting each variant (above 1 it does)
    checks: tuple[tuple[str, PropertyCheck, float], ...] = ()

    def variant_distances(self, rtol: float | None = None, atol: float | None = None
                          ) -> dict[str, float | None]:
        """Each variant's distance: its largest over the cases."""
        rtol = self.tolerance.rtol if rtol is None else rtol
        atol = self.tolerance.atol if atol is None else atol
        return {name: None if errors is None else
                max((e.distance(rtol, atol) for e in errors), default=0.0)
                for name, errors in self.variants}

    def wrong_distances(self, rtol: float | None = None, atol: float | None = None
                        ) -> dict[str, float]:
        """Each known-wrong answer's distance: on each case from the nearest reference,
        its largest over the cases (one failing case catches it)."""
        rtol = self.tolerance.rtol if rtol is None else rtol
        atol = self.tolerance.atol if atol is None else atol
        return {ref: max((min(e.distance(rtol, atol) for e in per_ref) for per_ref in cases),
                         default=0.0)
                for ref, cases in self.wrong}

    def legitimate(self, rtol: float | None = None, atol: float | None = None) -> float:
        """The farthest variant the tolerance must accept (0 when none was measured)."""
        return max((d for name, d in self.variant_distances(rtol, atol).items()
                    if d is not None and (name != "float32" or self.tolerance.float32)),
                   default=0.0)

    @property
    def nearest_wrong(self) -> tuple[str, float] | None:
        found = self.wrong_distances()
        return min(found.items(), key=lambda item: item[1]) if found else None

    def suggestion(self) -> Tolerance | None:
        """Where the tolerance rejects a variant or sits close to a wrong answer: a
        tolerance (powers of ten) with the variants and the wrong answers at least
        :data:`CLOSE` times clear of its edge, or as clear as any gets, changed as little
        as that allows; None if none separates them."""
        nearest = self.nearest_wrong
        if self.legitimate() <= 1 and (nearest is None or nearest[1] >= CLOSE):
            return None
        tol = self.tolerance
        best: tuple[float, float, float, float] | None = None
        for rtol in _RTOLS:
            for atol in _ATOLS:
                low = self.legitimate(rtol, atol)
                high = min(self.wrong_distances(rtol, atol).values(), default=FAR)
                margin = min(1 / low if low > 0 else FAR, high, CLOSE)
                moved = (_decades(rtol, tol.rtol), _decades(atol, tol.atol))
                change = max(moved) + sum(moved) / 100  # (the larger move, then the sum)
                if margin > 1 and (best is None or (margin, -change) > best[:2]):
                    best = (margin, -change, rtol, atol)
        return None if best is None else Tolerance(best[2], best[3], tol.reason, tol.float32)

    def warnings(self) -> list[str]:
        """What is wrong with the tolerance, one sentence each (with a suggestion)."""
        found = []
        for name, d in self.variant_distances().items():
            if d is not None and d > 1 and (name != "float32" or self.tolerance.float32):
                found.append(f"the tolerance ({self.tolerance.describe()}) rejects the "
                             f"reference computed in {_WORDS[name]}, which lands at "
                             f"{_times(d)} the tolerance")
        nearest = self.nearest_wrong
        if nearest and nearest[1] <= 1:
            found.append(f"known-wrong answer {nearest[0]} lands within the tolerance "
                         f"({_times(nearest[1])} it): the cases do not catch it")
        elif nearest and nearest[1] < CLOSE:
            found.append(f"known-wrong answer {nearest[0]} lands at {_times(nearest[1])} the "
                         "tolerance: caught, but close")
        for name, check, excess in self.checks:
            if excess > 1 and (name != "float32" or self.tolerance.float32):
                found.append(f"check '{check.name}' rejects the reference computed in "
                             f"{_WORDS[name]}" + (
                                 f": it lands at {_times(excess)} the check's tol "
                                 f"({check.tol:g}); tol: {_ceil(check.tol * excess * CLOSE):g} "
                                 "would accept it" if excess < FAR else ""))
        if found and not found[-1].startswith("check "):
            suggested = self.suggestion()
            if suggested is not None:
                found[-1] += (f"; rtol={suggested.rtol:g}, atol={suggested.atol:g} would "
                              "separate them")
            elif nearest and self.legitimate() >= nearest[1]:
                found[-1] += "; no tolerance separates them"
        return found


_WORDS = {"float32": "float32", "extended": "extended precision"}


def _ceil(value: float) -> float:
    """The power of ten at or above ``value``."""
    return float(10.0 ** math.ceil(math.log10(value))) if value > 0 else value


def _decades(a: float, b: float) -> float:
    """How many powers of ten apart two tolerances are (0 counts as 1e-16)."""
    return abs(math.log10(max(a, 1e-16) / max(b, 1e-16)))


def _times(distance: float) -> str:
    return "infinitely far from" if distance == FAR else f"{distance:.2g}x"


def calibrate(label: str, part: Part, cases: Sequence[Case],
              expected: Sequence[tuple[Output, ...]], public_dir: Path,
              wrong: Sequence[tuple[str, Any]]) -> Calibration:
    """Measure ``part`` (``label``: "q1/sigmoid") on ``cases``, whose ``expected`` outputs
    each accepted reference gave; ``wrong``: the known-wrong answers, as (ref, the function
    or module to run in the reference's place)."""
    tol = part.tolerance
    if part.scenario is not None or not part.references:
        why = "a scenario" if part.scenario is not None else "stored expected outputs"
        return Calibration(label, tol, skipped=f"not measured: {why}")
    variants: list[tuple[str, tuple[Errors, ...] | None]] = []
    excess: dict[tuple[str, int], float] = {}
    for name, dtype in VARIANTS.items():
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                variants.append((name, _variant_errors(part, dtype, cases, expected,
                                                       public_dir, excess, name)))
        except Exception:  # (numpy refused the precision: not measured)
            variants.append((name, None))
    found: list[tuple[str, tuple[tuple[Errors, ...], ...]]] = []
    limit = part.timeout * max(1, len(cases)) + 5
    for ref, answer in wrong:
        # (a known-wrong answer may exit, crash or hang on purpose: it runs in a fork)
        caught = _isolated(functools.partial(_wrong_errors, part, answer, cases, expected,
                                             public_dir), limit)
        found.append((ref, caught if caught is not None else ((_FAR,),)))
    return Calibration(label, tol, tuple(variants), tuple(found),
                       checks=tuple((name, part.checks[i], value)
                                    for (name, i), value in excess.items()))


def _variant_errors(part: Part, dtype: Any, cases: Sequence[Case],
                    expected: Sequence[tuple[Output, ...]], public_dir: Path,
                    excess: dict[tuple[str, int], float], name: str) -> tuple[Errors, ...]:
    """Each accepted reference, computing in ``dtype``: its errors on every case against
    its own expected outputs; how near each property check comes to rejecting it goes into
    ``excess`` (by variant ``name`` and check)."""
    measured = []
    for number, reference in enumerate(part.references):
        variant = in_precision(reference, dtype)
        for case, outputs in zip(cases, expected, strict=True):
            got = run_answer(part, variant, case, public_dir)
            measured.append(errors(got, outputs[number]))
            for i, check in enumerate(part.checks):
                if isinstance(got.values.get(check.output), np.ndarray):
                    excess[name, i] = max(excess.get((name, i), 0.0), check.excess(
                        got.values[check.output], case.args, dict(case.kwargs)))
    return tuple(measured)


def _wrong_errors(part: Part, answer: Any, cases: Sequence[Case],
                  expected: Sequence[tuple[Output, ...]], public_dir: Path
                  ) -> tuple[tuple[Errors, ...], ...]:
    """A known-wrong answer's errors on each case, against each reference; far where a
    student's answer would be caught otherwise: an exception, a warning (where the part
    fails them), a property check."""
    per_case: list[tuple[Errors, ...]] = []
    for case, outputs in zip(cases, expected, strict=True):
        try:
            # (numpy's default error handling, as a student's call gets: underflow is quiet)
            with warnings.catch_warnings(), np.errstate(all="warn", under="ignore"):
                warnings.simplefilter("error" if part.warnings == "fail" else "ignore")
                got = run_answer(part, answer, case, public_dir)
        except BaseException:  # (a wrong answer that raises is caught)
            per_case.append((_FAR,))
            continue
        if property_failures(part.checks, got.values, case.args, dict(case.kwargs)):
            per_case.append((_FAR,))
            continue
        per_case.append(tuple(errors(got, out) for out in outputs))
    return tuple(per_case)


def _isolated(work: Callable[[], tuple[tuple[Errors, ...], ...]], timeout: float
              ) -> tuple[tuple[Errors, ...], ...] | None:
    """``work()`` run in a fork of this process (:mod:`grader.judge.forked`), its errors
    sent back as plain arrays; None if the fork died or ran past ``timeout`` seconds."""
    def measured() -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **_flatten(work()))
        return buffer.getvalue()

    data = run_forked(measured, timeout)
    if data is None:
        return None
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        return _unflatten(arrays)


def _flatten(measured: tuple[tuple[Errors, ...], ...]) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {"shape": np.array([len(c) for c in measured])}
    for i, per_ref in enumerate(measured):
        for j, e in enumerate(per_ref):
            arrays[f"err{i}_{j}"], arrays[f"ref{i}_{j}"] = e.err, e.ref
            arrays[f"far{i}_{j}"] = np.array(e.far)
    return arrays


def _unflatten(arrays: Any) -> tuple[tuple[Errors, ...], ...]:
    return tuple(tuple(Errors(arrays[f"err{i}_{j}"], arrays[f"ref{i}_{j}"],
                              bool(arrays[f"far{i}_{j}"])) for j in range(int(count)))
                 for i, count in enumerate(arrays["shape"]))


def in_precision(answer: Any, dtype: Any) -> Any:
    """``answer`` computing in ``dtype``: a function whose floating inputs are cast to it
    and whose outputs are cast back to float64, or a module whose functions are, and whose
    classes' methods are (in a subclass of each)."""
    if isinstance(answer, types.ModuleType):
        names = {name: _wrapped(value, dtype) if isinstance(value, types.FunctionType)
                 else _class_in(value, dtype) if isinstance(value, type) else value
                 for name, value in vars(answer).items()}
        return types.SimpleNamespace(**names)
    return _wrapped(answer, dtype)


def _class_in(cls: type, dtype: Any) -> type:
    """A subclass of ``cls`` whose methods (``__init__`` included) take their floating
    inputs in ``dtype``, so that the state they keep is in ``dtype`` too; ``cls`` itself
    where it cannot be subclassed."""
    methods = {name: _wrapped(value, dtype) for name, value in vars(cls).items()
               if isinstance(value, types.FunctionType)}
    try:
        return types.new_class(cls.__name__, (cls,), exec_body=lambda ns: ns.update(methods))
    except TypeError:  # (a final class, a metaclass that refuses)
        return cls


def _wrapped(fn: Callable[..., Any], dtype: Any) -> Callable[..., Any]:
    def variant(*args: Any, **kwargs: Any) -> Any:
        result = fn(*(_cast(a, dtype, True) for a in args),
                    **{k: _cast(v, dtype, True) for k, v in kwargs.items()})
        return _cast(result, np.float64)
    return variant


def _cast(value: Any, dtype: Any, in_place: bool = False) -> Any:
    """``value`` with its floating-point arrays and numbers in ``dtype``; anything else as it
    is. Dicts and lists are rebuilt, or with ``in_place`` (an argument: state the call may
    update, such as batch norm's running statistics) changed where they are."""
    if isinstance(value, np.ndarray):
        return value.astype(dtype) if value.dtype.kind == "f" else value
    if isinstance(value, (float, np.floating)):
        return dtype(value)
    if isinstance(value, dict):
        cast = {k: _cast(v, dtype, in_place) for k, v in value.items()}
        if not in_place:
            return cast
        value.update(cast)
        return value
    if isinstance(value, list) and in_place:
        value[:] = [_cast(v, dtype, in_place) for v in value]
        return value
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        items = [_cast(v, dtype, in_place) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def errors(got: Output, want: Output) -> Errors:
    """How ``got`` differs from ``want``, element by element (:class:`Errors`)."""
    err: list[np.ndarray] = []
    ref: list[np.ndarray] = []
    for index, value in want.values.items():
        if index not in got.values or not _collect(got.values[index], value, err, ref):
            return _FAR
    return Errors(np.concatenate(err) if err else np.zeros(0),
                  np.concatenate(ref) if ref else np.zeros(0))


def _collect(got: Any, want: Any, err: list[np.ndarray], ref: list[np.ndarray]) -> bool:
    """Add the elementwise errors of ``got`` against ``want``; False where no tolerance
    accepts it."""
    if isinstance(want, dict):
        return isinstance(got, dict) and set(got) == set(want) and all(
            _collect(got[k], want[k], err, ref) for k in want)
    if isinstance(want, (list, tuple)):
        return isinstance(got, (list, tuple)) and len(got) == len(want) and all(
            _collect(g, w, err, ref) for g, w in zip(got, want, strict=True))
    if not isinstance(want, np.ndarray):
        return bool(got == want)
    if not isinstance(got, np.ndarray) or got.shape != want.shape:
        return False
    if want.dtype.kind in "biu":
        return bool(np.array_equal(got, want))
    with np.errstate(all="ignore"):
        g, e = got.astype(np.float64).ravel(), want.astype(np.float64).ravel()
        same = (np.isnan(g) & np.isnan(e)) | (np.isinf(e) & (g == e))
        finite = np.isfinite(g) & np.isfinite(e)
        if not (same | finite).all():
            return False
        err.append(np.abs(g[finite] - e[finite]))
        ref.append(np.abs(e[finite]))
    return True
