"""Oracle of Q4 (numerical_hessian): the analytic Hessian of each test function.

The reference is itself a finite-difference scheme, so this oracle checks it against the exact
second derivatives computed from the builder's data (``f`` arrives as a ``BuiltArg``).
"""

from __future__ import annotations

import numpy as np


def _quadratic(data, x):
    A = np.asarray(data["A"], dtype=float)
    return A + A.T


def _sin_exp(data, x):
    a, c = np.asarray(data["a"], dtype=float), np.asarray(data["c"], dtype=float)
    e, d = np.asarray(data["e"], dtype=float), np.asarray(data["d"], dtype=float)
    n = x.size
    H = np.zeros((n, n))
    for ai, ci in zip(a, c, strict=True):
        H -= ci * np.sin(ai @ x) * np.outer(ai, ai)  # d2/dx2 sin(a.x) = -sin(a.x) a a^T
    for ej, dj in zip(e, d, strict=True):
        H += dj * np.exp(ej @ x) * np.outer(ej, ej)  # d2/dx2 exp(e.x) = exp(e.x) e e^T
    return H


def _log_sum_exp(data, x):
    Z, b = np.asarray(data["Z"], dtype=float), np.asarray(data["b"], dtype=float)
    u = Z @ x + b
    p = np.exp(u - u.max())
    p /= p.sum()
    return Z.T @ (np.diag(p) - np.outer(p, p)) @ Z


def _hessian(builder, data, x):
    name = builder.partition(":")[2]
    if name == "quadratic":
        return _quadratic(data, x)
    if name == "sin_exp":
        return _sin_exp(data, x)
    if name == "quadratic_sin_exp":
        return _quadratic(data, x) + _sin_exp(data, x)
    if name == "log_sum_exp":
        return _log_sum_exp(data, x)
    raise ValueError(f"no analytic Hessian for builder {builder!r}")


def analytic_hessian(f, x, h=None):
    """The exact Hessian of the test function ``f`` (a BuiltArg) at ``x``; ``h`` is unused."""
    return _hessian(f.builder, f.data, np.asarray(x, dtype=float))
