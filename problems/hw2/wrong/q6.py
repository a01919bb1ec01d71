"""Known-wrong answers to Q6 (newton_minimize). The cases must reject every one of them.

Each respects max_iter, so that even a diverging one returns quickly.
"""

from __future__ import annotations

import numpy as np


def newton_minimize_gradient_descent(grad, hess, x0, tol=1e-10, max_iter=100):
    """Gradient descent with a fixed learning rate in place of the Newton step."""
    x = np.array(x0, dtype=float)
    for _ in range(max_iter):
        step = 0.1 * grad(x)
        x = x - step
        if np.linalg.norm(step) < tol:
            break
    return x


def newton_minimize_one_step(grad, hess, x0, tol=1e-10, max_iter=100):
    """A single Newton step (exact only for quadratics)."""
    x = np.array(x0, dtype=float)
    return x - np.linalg.solve(hess(x), grad(x))


def newton_minimize_hessian_not_inverted(grad, hess, x0, tol=1e-10, max_iter=100):
    """x - H g instead of x - H^{-1} g."""
    x = np.array(x0, dtype=float)
    for _ in range(max_iter):
        step = hess(x) @ grad(x)
        x = x - step
        if np.linalg.norm(step) < tol:
            break
    return x


def newton_minimize_returns_x0(grad, hess, x0, tol=1e-10, max_iter=100):
    """Iterates correctly but returns the starting point."""
    x = np.array(x0, dtype=float)
    for _ in range(max_iter):
        step = np.linalg.solve(hess(x), grad(x))
        x = x - step
        if np.linalg.norm(step) < tol:
            break
    return np.array(x0, dtype=float)


def newton_minimize_step_sign_flipped(grad, hess, x0, tol=1e-10, max_iter=100):
    """x + H^{-1} g: moves uphill."""
    x = np.array(x0, dtype=float)
    for _ in range(max_iter):
        step = np.linalg.solve(hess(x), grad(x))
        x = x + step
        if np.linalg.norm(step) < tol:
            break
    return x
