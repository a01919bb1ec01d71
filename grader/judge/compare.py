"""Comparing a student's outputs with the expected ones: a verdict and its explanation.

Shapes must match exactly (no broadcasting). Values match when
``|got - expected| <= atol + rtol * |expected|``; NaN or inf where the reference is finite
never matches. A failure names the worst element, the one whose error is the largest multiple of its
tolerance (``atol + rtol * |expected|``): its index, that multiple, both values (with digits
enough to differ), both errors and the tolerance, plus how many elements mismatched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader import values
from grader.display import format_number, format_pair
from grader.judge.expected import Output
from grader.outcomes import CallOutcome, Status
from grader.spec import Tolerance


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str = ""  # one sentence: why it failed
    details: tuple[str, ...] = ()  # further lines for a student who wants more
    cause: str = ""  # "values" when the outputs' values are wrong; "" otherwise
    # How far off a failure is, to find the closest of several references: how many
    # outputs (or parts of one) differ, and the worst error as a multiple of its tolerance
    # (inf where no tolerance would do: a shape, NaN, a missing key).
    mismatched: int = 1
    excess: float = math.inf
    matched: tuple[int, ...] = ()  # a pass against several references: which it matched


def _shape_text(shape: tuple[int, ...]) -> str:
    return "a scalar (shape ())" if shape == () else f"shape {shape}"


def compare_array(got: np.ndarray, expected: np.ndarray, tol: Tolerance,
                  label: str = "", explain: bool = True) -> Verdict:
    """Compare one output array with its expected value. Arithmetic on answers near the
    float range overflows quietly (to inf): judging prints no numpy warning. Without
    ``explain``, a failing verdict says nothing (only whether they match is wanted)."""
    with np.errstate(all="ignore"):
        return _compare_array(got, expected, tol, label, explain)


def _compare_array(got: np.ndarray, expected: np.ndarray, tol: Tolerance,
                   label: str, explain: bool = True) -> Verdict:
    prefix = f"{label}: " if label else ""
    if got.shape != expected.shape:
        if tol.shape == "squeeze" and np.squeeze(got).shape == np.squeeze(expected).shape:
            got = got.reshape(expected.shape)  # (the same elements, in the same order)
        else:
            lenient = " (dimensions of size 1 aside)" if tol.shape == "squeeze" else ""
            return Verdict(False, f"{prefix}shape mismatch{lenient}: expected "
                                  f"{_shape_text(expected.shape)}, got "
                                  f"{_shape_text(got.shape)}", cause="shape")
    if expected.dtype.kind == "f" and got.dtype.kind in "fiu":
        # The common case, fast: every element finite and within tolerance. In float64, as
        # below: float32 arithmetic rounds the tolerance up and would pass what the rest fails.
        g, e = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        diff = np.abs(g - e)
        if ((diff <= tol.atol + tol.rtol * np.abs(e)) & (diff < np.inf)).all():
            return Verdict(True)
    if expected.dtype.kind in "biu":  # integers and booleans match exactly, whatever the dtype
        bad = got != expected
        if not bad.any():
            return Verdict(True)
        return _exact_failure(got, expected, bad, prefix)
    g = got.astype(np.float64)
    e = expected.astype(np.float64)
    err = np.abs(g - e)
    allowed = tol.atol + tol.rtol * np.abs(e)
    both_finite = np.isfinite(g) & np.isfinite(e)
    same_special = (np.isnan(g) & np.isnan(e)) | (np.isinf(e) & (g == e))
    ok = same_special | (both_finite & (err <= allowed))
    if ok.all():
        return Verdict(True)
    if not explain:
        return Verdict(False, cause="values")
    bad = ~ok
    ratio = np.where(both_finite, err / np.where(allowed > 0, allowed, np.inf), np.inf)
    ratio = np.where(both_finite & (allowed == 0) & (err > 0), np.inf, ratio)
    ratio = np.where(bad, ratio, -1.0)
    flat = int(np.argmax(ratio))
    index = np.unravel_index(flat, e.shape)  # () for a scalar
    gv, ev = g.flat[flat], e.flat[flat]
    k, n = int(bad.sum()), bad.size
    where = f" at index [{', '.join(str(int(i)) for i in index)}]" if index else ""
    head = f"{prefix}{k} of {n} elements mismatched; "
    if np.isfinite(gv) and np.isfinite(ev):
        abs_err = abs(gv - ev)
        shown_got, shown_expected = format_pair(gv, ev)
        # "worst": the element whose error is the largest multiple of its tolerance there
        times = ratio.flat[flat]
        times_text = "" if not np.isfinite(times) else f" ({times:.3g}x its tolerance)"
        message = (f"{head}worst{where}{times_text}: got {shown_got}, expected "
                   f"{shown_expected} (abs err {abs_err:.3g}, rel err "
                   f"{abs_err / abs(ev):.3g}; "  # (inf against 0: numpy's, quietly)
                   f"tolerance {tol.describe()})")
    elif np.isfinite(ev):
        message = (f"{head}{_special(gv)}{where}: got {format_number(gv)}, expected "
                   f"{format_number(ev)}")
    else:
        message = (f"{head}first{where}: got {format_number(gv)}, expected "
                   f"{format_number(ev)} (must match the reference's {_special(ev)} exactly)")
    details = []
    finite_bad = bad & both_finite
    if finite_bad.any():
        errs, refs = err[finite_bad], np.abs(e[finite_bad])
        rels = np.where(refs > 0, errs / refs, np.inf)
        details.append(f"max abs err {errs.max():.3g}, max rel err {rels.max():.3g} "
                       f"over mismatched elements")
    specials = int((bad & ~np.isfinite(g) & np.isfinite(e)).sum())
    if specials:
        details.append(f"{specials} element(s) are NaN or inf where the reference is finite")
    nonfinite_ref = int((bad & ~np.isfinite(e)).sum())
    if nonfinite_ref:
        details.append(f"{nonfinite_ref} element(s) differ where the reference is NaN or inf")
    return Verdict(False, message, tuple(details), cause="values",
                   excess=float(ratio.max()))


def _special(value: float) -> str:
    return "NaN" if np.isnan(value) else "inf"


def _exact_failure(got: np.ndarray, expected: np.ndarray, bad: np.ndarray,
                   prefix: str) -> Verdict:
    flat = int(np.argmax(bad))  # the first True, in C order
    index = np.unravel_index(flat, expected.shape)
    where = f" at index [{', '.join(str(int(i)) for i in index)}]" if index else ""
    value = got.flat[flat]
    # A float answer to an integer reference, in full: 1.9999999 must not read as 2.
    shown = repr(float(value)) if got.dtype.kind == "f" else format_number(value)
    return Verdict(False, f"{prefix}{int(bad.sum())} of {bad.size} elements differ; first"
                          f"{where}: got {shown}, expected "
                          f"{format_number(expected.flat[flat])} (must match exactly)",
                   cause="values")


def compare_output(actual: CallOutcome, expected: Output, tol: Tolerance,
                   names: Sequence[str] | None = None,
                   labels: Sequence[str] | None = None, explain: bool = True) -> Verdict:
    """Compare every selected output of a returned call with one reference's output.
    Messages name an output "output 1 (grads)" (``names``), or by its label in ``labels``
    (a call sequence's "step 2 (model.loss) grads"); without ``explain``, the first
    failure ends the comparison and says nothing."""
    failures: list[Verdict] = []
    for index, exp in expected.values.items():
        got = actual.outputs.get(index)
        label = ""
        if labels is not None and index < len(labels):
            label = labels[index]
        elif expected.arity is not None:
            name = names[index] if names and index < len(names) else None
            label = f"output {index}" + (f" ({name})" if name else "")
        if index not in actual.outputs:
            failures.append(Verdict(False, f"{label or 'output'}: missing"))
            continue
        if isinstance(got, np.ndarray) and isinstance(exp, np.ndarray):
            verdict = compare_array(got, exp, tol, label, explain)
        else:
            verdict = compare_value(got, exp, tol, label, explain)
        if not verdict.passed and not explain:
            return verdict
        if not verdict.passed:
            failures.append(verdict)
    if not failures:
        return Verdict(True)
    first = failures[0]
    more = tuple(f.message for f in failures[1:])
    return Verdict(False, first.message, first.details + more, first.cause,
                   sum(f.mismatched for f in failures), max(f.excess for f in failures))


def compare_value(got: Any, expected: Any, tol: Tolerance, label: str = "",
                  explain: bool = True) -> Verdict:
    """Compare a structured value (:mod:`grader.values`) with the expected one, leaf by leaf.

    Dict keys must match exactly (a missing or unexpected key is named); a list and a tuple
    of the same length compare item by item, whatever which of the two each is; an array
    where a list or tuple is expected compares as the list of its rows; each array compares
    as :func:`compare_array` does, and None and strings must be equal. The verdict names
    the path of the first leaf that differs (``output 1 (grads) ['W1']``), and counts the
    others."""
    failures: list[Verdict] = []
    with np.errstate(all="ignore"):
        _walk(got, expected, tol, label, "", failures, explain)
    if not failures:
        return Verdict(True)
    first = failures[0]
    more = (f"{len(failures) - 1} more part(s) of this output differ",) if len(failures) > 1 \
        else ()
    return Verdict(False, first.message, first.details + more, first.cause,
                   sum(f.mismatched for f in failures), max(f.excess for f in failures))


def _walk(got: Any, want: Any, tol: Tolerance, label: str, path: str,
          failures: list[Verdict], explain: bool = True) -> None:
    where = f"{label} {path}".strip() if path else label
    prefix = f"{where}: " if where else ""
    if isinstance(want, np.ndarray):
        array = got if isinstance(got, np.ndarray) else \
            values.numeric_array(got) if isinstance(got, (list, tuple)) else None
        if array is None:
            said = f"returned None, expected {values.describe(want)}" if got is None else \
                f"expected {values.describe(want)}, got {values.describe(got)}"
            failures.append(Verdict(False, f"{prefix}{said}", cause="shape"))
            return
        verdict = _compare_array(array, want, tol, where, explain)
        if not verdict.passed:
            failures.append(verdict)
        return
    if isinstance(want, dict):
        if not isinstance(got, dict):
            failures.append(Verdict(False, f"{prefix}expected a dict with keys "
                                           f"{_keys(want)}, got {values.describe(got)}",
                                    cause="shape"))
            return
        missing = [k for k in want if k not in got]
        extra = [k for k in got if k not in want]
        if missing or extra:
            parts = [f"missing key(s) {_keys(missing)}"] if missing else []
            parts += [f"unexpected key(s) {_keys(extra)}"] if extra else []
            failures.append(Verdict(False, f"{prefix}{'; '.join(parts)}", cause="shape"))
        for key in want:
            if key in got:
                _walk(got[key], want[key], tol, label, f"{path}{values.key_text(key)}",
                      failures, explain)
        return
    if isinstance(want, (list, tuple)):
        items = list(got) if isinstance(got, np.ndarray) and got.ndim >= 1 else got
        if not isinstance(items, (list, tuple)) or len(items) != len(want):
            failures.append(Verdict(False, f"{prefix}expected {values.describe(want)}, got "
                                           f"{values.describe(got)}", cause="shape"))
            return
        for i, (g, w) in enumerate(zip(items, want, strict=True)):
            _walk(g, w, tol, label, f"{path}[{i}]", failures, explain)
        return
    same = got is None if want is None else isinstance(got, str) and got == want
    if not same:
        failures.append(Verdict(False, f"{prefix}expected {want!r}, got "
                                       f"{values.describe(got)}", cause="values"))


def _keys(keys: Any) -> str:
    shown = [repr(k) for k in list(keys)[:6]]
    return ", ".join(shown) + (", ..." if len(keys) > 6 else "")


_STATUS_TEXT = {
    Status.ERROR: "raised",
    Status.TIMEOUT: "",
    Status.CRASH: "",
    Status.BAD_OUTPUT: "bad output",
    Status.MISSING: "",
    Status.IMPORT_ERROR: "",
    Status.NOT_RUN: "",
}


def judge(actual: CallOutcome, expected: Sequence[Output], tol: Tolerance,
          names: Sequence[str] | None = None, fail_on_warnings: bool = False,
          labels: Sequence[str] | None = None) -> Verdict:
    """The verdict on one case: did the call return outputs that match any reference?"""
    if actual.status is not Status.OK:
        where = f" ({actual.location})" if actual.location else ""
        lead = _STATUS_TEXT[actual.status]
        text = f"{lead}: {actual.message}" if lead and actual.status is Status.BAD_OUTPUT \
            else actual.message
        return Verdict(False, text + where)
    if fail_on_warnings and actual.warnings:
        return Verdict(False, f"emitted {actual.warnings[0]}", actual.warnings[1:], "warning")
    verdicts = [compare_output(actual, exp, tol, names, labels) for exp in expected]
    if any(v.passed for v in verdicts):
        return Verdict(True, matched=tuple(i for i, v in enumerate(verdicts) if v.passed)
                       if len(verdicts) > 1 else ())
    if len(verdicts) == 1:
        return verdicts[0]
    # Several accepted references (conventions): the feedback is about the closest one, the
    # one with the fewest outputs wrong, then the smallest error (then the first).
    number = min(range(len(verdicts)),
                 key=lambda i: (verdicts[i].mismatched, verdicts[i].excess, i))
    closest = verdicts[number]
    extra = (f"matches none of the {len(verdicts)} accepted references; compared with the "
             f"{ordinal(number + 1)}, the closest to this answer")
    return Verdict(False, closest.message, (extra, *closest.details), closest.cause,
                   closest.mismatched, closest.excess)


def ordinal(n: int) -> str:
    words = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
    return words[n - 1] if n <= len(words) else f"#{n}"
