"""Custom property checks of Q2 outputs (see ``checks:`` in q2.yaml).

Each is ``f(output, *args, **kwargs)`` and returns None when the property holds, otherwise a
one-sentence reason shown to the student.
"""

from __future__ import annotations

import numpy as np


def column_means_equal_beta(y, x, gamma, beta, eps=1e-5):
    """Batch normalization centres every feature: mean over the batch of y[:, j] is beta[j]."""
    y = np.asarray(y, dtype=float)
    beta = np.asarray(beta, dtype=float)
    if y.ndim != 2 or y.shape[1:] != beta.shape:
        return f"expected shape (N, {beta.size}), got {y.shape}"
    means = y.mean(axis=0)
    err = np.abs(means - beta)
    limit = 1.0e-4 * max(1.0, float(np.abs(y).max(initial=0.0)))  # (float32, tiny variances)
    if not np.isfinite(err).all():
        return "output contains NaN or inf"
    if err.max(initial=0.0) > limit:
        j = int(np.argmax(err))
        return f"column {j} has mean {means[j]:.9g}, expected beta[{j}] = {beta[j]:.9g}"
    return None


def dx_columns_sum_to_zero(dx, dy, x, gamma, eps=1e-5):
    """Shifting a feature by a constant leaves the output unchanged, so each column of dx
    sums to 0 over the batch."""
    dx = np.asarray(dx, dtype=float)
    if dx.ndim != 2:
        return f"expected a 2-D dx, got shape {dx.shape}"
    if not np.isfinite(dx).all():
        return "dx contains NaN or inf"
    sums = dx.sum(axis=0)
    limit = 1.0e-5 * max(1.0, float(np.abs(dx).max(initial=0.0))) * max(1, dx.shape[0])
    if np.abs(sums).max(initial=0.0) > limit:
        j = int(np.argmax(np.abs(sums)))
        return f"column {j} of dx sums to {sums[j]:.3g}, expected 0"
    return None
