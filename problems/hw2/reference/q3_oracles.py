"""Independent checks of the Q3 references (softmax and backprop through a 2-layer MLP).

Nothing here imports ``solution.py``. Softmax is computed as exp(z - logsumexp(z)) with the
log-sum-exp by ``np.logaddexp.reduce`` (no max shift); every derivative is a central
difference of a loss written from its definition.
"""

from __future__ import annotations

import numpy as np


def _log_softmax(z):
    z = np.asarray(z, dtype=float)
    return z - np.logaddexp.reduce(z, axis=-1, keepdims=True)


def softmax_via_logsumexp(z):
    """softmax(z) = exp(z - logsumexp(z)) along the last axis."""
    return np.exp(_log_softmax(z))


def cross_entropy_loss(z, y):
    """L = -sum_n sum_k y_nk log softmax(z_n)_k."""
    return float(-np.sum(np.asarray(y, dtype=float) * _log_softmax(z)))


def _leaky_relu(v, alpha):
    return np.where(v > 0, v, alpha * v)


def mlp_loss(x, W1, b1, W2, b2, y, alpha=0.01):
    """L(W1, ...) = -sum_k y_k log softmax(W2 leaky_relu(W1 x + b1) + b2)_k."""
    a1 = _leaky_relu(np.asarray(W1, dtype=float) @ x + b1, alpha)
    return cross_entropy_loss(np.asarray(W2, dtype=float) @ a1 + b2, y)
