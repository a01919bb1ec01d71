"""Property checks: facts that must hold on a student's output, with no reference needed.

A part lists them under ``checks``. Built-in properties are ``symmetric``, ``psd``,
``finite`` and ``rows_sum`` (along the last axis); ``property: module:function`` names a
custom one in the reference folder. A failed property is reported by its name, which tells a
student *what kind* of wrong their answer is ("not symmetric") as well as that it is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader import values
from grader.display import format_pair


@dataclass(frozen=True)
class PropertyCheck:
    name: str
    kind: str  # symmetric | psd | finite | rows_sum | custom
    output: int = 0
    value: float = 0.0  # rows_sum target
    tol: float = 1e-8  # relative to max(1, max |A|)
    function: Callable[..., Any] | None = None

    def check(self, array: np.ndarray, args: Sequence[Any] = (),
              kwargs: dict[str, Any] | None = None) -> str | None:
        """None when the property holds; otherwise why not, in one sentence."""
        if self.kind == "custom":
            assert self.function is not None
            try:
                verdict = self.function(array, *args, **(kwargs or {}))
            except Exception as exc:
                return f"could not be checked ({type(exc).__name__}: {exc})"
            if verdict is None or (isinstance(verdict, (bool, np.bool_)) and bool(verdict)):
                return None
            return verdict if isinstance(verdict, str) else "does not hold"
        excess, why = self._measure(array)
        return why if excess > 1 else None

    def excess(self, array: np.ndarray, args: Sequence[Any] = (),
               kwargs: dict[str, Any] | None = None) -> float:
        """How near the property is to failing on ``array``: a built-in one's error over
        its tolerance (it fails above 1); a custom one is 0 if it holds, inf if not."""
        if self.kind == "custom":
            return 0.0 if self.check(array, args, kwargs) is None else float("inf")
        return self._measure(array)[0]

    def _measure(self, array: np.ndarray) -> tuple[float, str]:
        """A built-in property's error over its tolerance, and the sentence that says how
        it fails (inf: it cannot hold)."""
        a = array.astype(np.float64)
        if self.kind == "finite":
            bad = int((~np.isfinite(a)).sum())
            return (0.0, "") if bad == 0 else (float("inf"),
                                               f"{bad} element(s) are NaN or inf")
        if not np.isfinite(a).all():
            return 0.0, ""  # the comparison reports NaN and inf itself; this can't tell
        scale = max(1.0, float(np.abs(a).max())) if a.size else 1.0
        limit = self.tol * scale
        if self.kind == "rows_sum":
            if a.ndim == 0:
                return float("inf"), "expected an array, got a scalar"
            sums = a.sum(axis=-1)
            err = np.abs(sums - self.value)
            if not err.size:
                return 0.0, ""
            row = np.unravel_index(int(np.argmax(err)), err.shape)
            which = f"row {list(map(int, row))} sums" if row else "the vector sums"
            got, wanted = format_pair(sums[row], self.value)
            return float(err.max()) / limit, f"{which} to {got}, expected {wanted}"
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            return float("inf"), f"expected a square matrix, got shape {a.shape}"
        if self.kind == "symmetric":
            diff = np.abs(a - a.T)
            if not diff.size:
                return 0.0, ""
            i, j = (int(k) for k in np.unravel_index(int(np.argmax(diff)), diff.shape))
            upper, lower = format_pair(a[i, j], a[j, i])
            return float(diff.max()) / limit, f"A[{i}, {j}] = {upper} but A[{j}, {i}] = {lower}"
        if self.kind == "psd":
            with np.errstate(all="ignore"):
                sym = (a + a.T) / 2
            if not np.isfinite(sym).all():  # (an answer near the float range overflows)
                return float("inf"), "its eigenvalues cannot be computed: not finite"
            try:
                low = float(np.linalg.eigvalsh(sym).min(initial=0.0)) if a.size else 0.0
            except np.linalg.LinAlgError as exc:
                return float("inf"), f"its eigenvalues cannot be computed ({exc})"
            return max(0.0, -low) / limit, f"has a negative eigenvalue {low:.3g}"
        raise ValueError(f"unknown property kind {self.kind!r}")


BUILTIN = ("symmetric", "psd", "finite", "rows_sum")


def property_failures(checks: Sequence[PropertyCheck], outputs: dict[int, Any],
                      args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None
                      ) -> list[str]:
    """One message per property that does not hold on ``outputs``."""
    failures = []
    for check in checks:
        array = outputs.get(check.output)
        if array is None:
            continue
        if not isinstance(array, np.ndarray):  # (a structured output: no property applies)
            failures.append(f"property '{check.name}' needs an array; output {check.output} "
                            f"is {values.describe(array)}")
            continue
        why = check.check(array, args, kwargs)
        if why is not None:
            failures.append(f"property '{check.name}' does not hold: {why}")
    return failures
