"""Independent checks of the Q1 references (sigmoid neuron with cross-entropy).

Nothing here imports ``solution.py``: every value is derived another way, from the loss itself
by central differences or from a different closed form, so that a slip in the reference shows
up as a disagreement in ``grader validate``.
"""

from __future__ import annotations

import numpy as np


def sigmoid_via_logaddexp(z):
    """sigma(z) = exp(-log(1 + exp(-z))), with log(1 + exp(-z)) = logaddexp(0, -z)."""
    z = np.asarray(z, dtype=float)
    return np.exp(-np.logaddexp(0.0, -z))


def cross_entropy_loss(w, b, X, y):
    """E(w, b) = -sum_n [y log s(a) + (1 - y) log(1 - s(a))], a = X w + b, written stably.

    -log s(a) = logaddexp(0, -a) and -log(1 - s(a)) = logaddexp(0, a), so
    E = sum_n [y_n logaddexp(0, -a_n) + (1 - y_n) logaddexp(0, a_n)].
    """
    a = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b
    y = np.asarray(y, dtype=float)
    return float(np.sum(y * np.logaddexp(0.0, -a) + (1.0 - y) * np.logaddexp(0.0, a)))


def _central_gradient(f, x, h):
    x = np.asarray(x, dtype=float)
    g = np.empty_like(x)
    flat, out = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        e = np.zeros_like(flat)
        e[i] = h
        out[i] = (f((flat + e).reshape(x.shape)) - f((flat - e).reshape(x.shape))) / (2 * h)
    return g


_H = 1.0e-5


def gradient_step_w(w, b, X, y, lr):
    """w - lr * dE/dw, the gradient by central differences of the loss."""
    dw = _central_gradient(lambda v: cross_entropy_loss(v, b, X, y), w, _H)
    return np.asarray(w, dtype=float) - lr * dw


def gradient_step_b(w, b, X, y, lr):
    """b - lr * dE/db, the derivative by a central difference of the loss."""
    db = (cross_entropy_loss(w, b + _H, X, y) - cross_entropy_loss(w, b - _H, X, y)) / (2 * _H)
    return float(b - lr * db)
