"""Builders of the function-valued arguments of homework 2 (public: students' processes import it).

A case describes a function such as the ``f`` of ``numerical_hessian`` by plain data; the
grader and the student's process both call the builder named in the spec with that data to
get the callable. Nothing here is secret, and nothing here knows the expected answers.

Q4 (``numerical_hessian``): scalar functions ``f(x)`` of a 1-D array ``x`` (n,).
Q6 (``newton_minimize``): gradient and Hessian callables of strictly convex objectives.
"""

from __future__ import annotations

import numpy as np

# --- Q4: smooth scalar test functions ----------------------------------------------------------


def quadratic(A, b):
    """``f(x) = x^T A x + b^T x``; A need not be symmetric (the Hessian is A + A^T)."""
    A = np.array(A, dtype=float)
    b = np.array(b, dtype=float)

    def f(x):
        x = np.asarray(x, dtype=float)
        return float(x @ A @ x + b @ x)

    return f


def sin_exp(a, c, e, d):
    """``f(x) = sum_i c_i sin(a_i . x) + sum_j d_j exp(e_j . x)``.

    ``a`` (m, n) and ``c`` (m,) are the sine terms, ``e`` (p, n) and ``d`` (p,) the exponential
    terms (either may have zero rows).
    """
    a = np.array(a, dtype=float)
    c = np.array(c, dtype=float)
    e = np.array(e, dtype=float)
    d = np.array(d, dtype=float)

    def f(x):
        x = np.asarray(x, dtype=float)
        return float(c @ np.sin(a @ x) + d @ np.exp(e @ x))

    return f


def quadratic_sin_exp(A, b, a, c, e, d):
    """The sum of ``quadratic(A, b)`` and ``sin_exp(a, c, e, d)``."""
    q = quadratic(A, b)
    s = sin_exp(a, c, e, d)

    def f(x):
        return q(x) + s(x)

    return f


def log_sum_exp(Z, b):
    """``f(x) = log sum_k exp(Z_k . x + b_k)`` for ``Z`` (K, n), ``b`` (K,)."""
    Z = np.array(Z, dtype=float)
    b = np.array(b, dtype=float)

    def f(x):
        u = Z @ np.asarray(x, dtype=float) + b
        m = u.max()
        return float(m + np.log(np.sum(np.exp(u - m))))

    return f


# --- Q6: gradients and Hessians of strictly convex objectives ----------------------------------
#
# logcosh:        f(x) = sum_j w_j log cosh(P_j . (x - c)) + 0.5 (x - c)^T A (x - c)
#                 (P (m, n), w (m,) > 0, A (n, n) symmetric positive definite)
# logistic_ridge: f(x) = sum_j log(1 + exp(X_j . x + b_j)) + 0.5 lam |x - c|^2   (lam > 0)
# quadratic:      f(x) = 0.5 x^T A x - b^T x   (A symmetric positive definite)


def logcosh_grad(P, w, c, A):
    P, w, c, A = (np.array(v, dtype=float) for v in (P, w, c, A))

    def grad(x):
        u = np.asarray(x, dtype=float) - c
        return P.T @ (w * np.tanh(P @ u)) + A @ u

    return grad


def logcosh_hess(P, w, c, A):
    P, w, c, A = (np.array(v, dtype=float) for v in (P, w, c, A))

    def hess(x):
        u = np.asarray(x, dtype=float) - c
        s = w / np.cosh(P @ u) ** 2
        return (P.T * s) @ P + A

    return hess


def _sigmoid(t):
    e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logistic_ridge_grad(X, b, lam, c):
    X, b, c = (np.array(v, dtype=float) for v in (X, b, c))
    lam = float(lam)

    def grad(x):
        x = np.asarray(x, dtype=float)
        return X.T @ _sigmoid(X @ x + b) + lam * (x - c)

    return grad


def logistic_ridge_hess(X, b, lam, c):
    X, b, c = (np.array(v, dtype=float) for v in (X, b, c))
    lam = float(lam)

    def hess(x):
        s = _sigmoid(X @ np.asarray(x, dtype=float) + b)
        return (X.T * (s * (1.0 - s))) @ X + lam * np.eye(c.size)

    return hess


def quadratic_grad(A, b):
    A, b = np.array(A, dtype=float), np.array(b, dtype=float)

    def grad(x):
        return A @ np.asarray(x, dtype=float) - b

    return grad


def quadratic_hess(A):
    A = np.array(A, dtype=float)

    def hess(x):
        return A.copy()

    return hess
