"""Independent checks of the Q2 references (batch normalization).

Nothing here imports ``solution.py``. The forward pass is recomputed column by column with
compensated sums (``math.fsum``); every derivative is a central difference of a function of
the inputs, never the analytic formula the reference uses.
"""

from __future__ import annotations

import math

import numpy as np

_H = 1.0e-5


def centering_jacobian_by_differences(n, gamma):
    """d y / d x for y(x) = gamma * (x - mean(x)), by central differences at a fixed x.

    The map is linear, so central differences are exact up to rounding whatever x and h are.
    """
    n = int(n)
    x0 = np.linspace(-1.0, 2.0, n) if n > 1 else np.array([0.3])
    h = 1.0e-3

    def y(x):
        return gamma * (x - math.fsum(x) / n)

    J = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        J[:, j] = (y(x0 + e) - y(x0 - e)) / (2 * h)
    return J


def batchnorm_forward_columns(x, gamma, beta, eps=1e-5):
    """Training-mode batch normalization, one feature (column) at a time, with fsum."""
    x = np.asarray(x, dtype=float)
    gamma = np.asarray(gamma, dtype=float)
    beta = np.asarray(beta, dtype=float)
    n, d = x.shape
    out = np.empty((n, d))
    for j in range(d):
        col = [float(v) for v in x[:, j]]
        mu = math.fsum(col) / n
        var = math.fsum((v - mu) ** 2 for v in col) / n
        scale = gamma[j] / math.sqrt(var + eps)
        for i in range(n):
            out[i, j] = scale * (col[i] - mu) + beta[j]
    return out


def batchnorm_probe_loss(dy, x, gamma, eps=1e-5):
    """L = sum(dy * batchnorm_forward(x, gamma, 0)): dL/dx, dL/dgamma are dx, dgamma."""
    beta = np.zeros(np.shape(x)[1])
    return math.fsum((np.asarray(dy) * batchnorm_forward_columns(x, gamma, beta, eps)).ravel())


def batchnorm_dbeta_by_differences(dy, x, gamma, eps=1e-5):
    """dL/dbeta for L = sum(dy * batchnorm_forward(x, gamma, beta)), central differences."""
    d = np.shape(x)[1]
    beta0 = np.linspace(-0.5, 0.5, d)
    g = np.empty(d)
    for j in range(d):
        e = np.zeros(d)
        e[j] = _H
        plus = math.fsum((dy * batchnorm_forward_columns(x, gamma, beta0 + e, eps)).ravel())
        minus = math.fsum((dy * batchnorm_forward_columns(x, gamma, beta0 - e, eps)).ravel())
        g[j] = (plus - minus) / (2 * _H)
    return g
