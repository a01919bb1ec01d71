"""Known-wrong answers to Q4 (numerical_hessian). The cases must reject every one of them."""

from __future__ import annotations

import numpy as np


def numerical_hessian_forward_large_h(f, x, h=1e-4):
    """Forward differences with a hard-coded large step (h ignored): O(h) error with h=1e-2."""
    x = np.asarray(x, dtype=float)
    h = 1e-2
    n = x.size
    I = np.eye(n) * h  # noqa: E741
    fx = f(x)
    H = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            H[i, j] = (f(x + I[i] + I[j]) - f(x + I[i]) - f(x + I[j]) + fx) / (h * h)
    return H


def numerical_hessian_diagonal_only(f, x, h=1e-4):
    """Second differences along each axis only: the mixed partials are left at zero."""
    x = np.asarray(x, dtype=float)
    n = x.size
    H = np.zeros((n, n))
    fx = f(x)
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        H[i, i] = (f(x + e) - 2 * fx + f(x - e)) / (h * h)
    return H


def numerical_hessian_upper_triangle_only(f, x, h=1e-4):
    """The four-point formula for j >= i, but the lower triangle is never filled in."""
    x = np.asarray(x, dtype=float)
    n = x.size
    H = np.zeros((n, n))
    I = np.eye(n) * h  # noqa: E741
    for i in range(n):
        for j in range(i, n):
            H[i, j] = (f(x + I[i] + I[j]) - f(x + I[i] - I[j])
                       - f(x - I[i] + I[j]) + f(x - I[i] - I[j])) / (4 * h * h)
    return H


def numerical_hessian_missing_factor_4(f, x, h=1e-4):
    """The four-point formula divided by h^2 instead of 4 h^2: four times too large."""
    x = np.asarray(x, dtype=float)
    n = x.size
    H = np.empty((n, n))
    I = np.eye(n) * h  # noqa: E741
    for i in range(n):
        for j in range(i, n):
            H[i, j] = H[j, i] = (f(x + I[i] + I[j]) - f(x + I[i] - I[j])
                                 - f(x - I[i] + I[j]) + f(x - I[i] - I[j])) / (h * h)
    return H


def numerical_hessian_one_sided_jacobian(f, x, h=1e-4):
    """The Jacobian of a central-difference gradient taken by *forward* differences.

    Not symmetric (the error is O(h) and differs between H[i, j] and H[j, i]).
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    I = np.eye(n) * h  # noqa: E741

    def grad(v):
        return np.array([(f(v + I[k]) - f(v - I[k])) / (2 * h) for k in range(n)])

    g0 = grad(x)
    H = np.empty((n, n))
    for j in range(n):
        H[:, j] = (grad(x + I[j]) - g0) / h
    return H
