"""Monte Carlo oracles of Q5 (Gaussian multiplicative dropout).

J1 = 0.5 * (y_d - sum_k delta_k W_k x_k)^2 with delta_k iid Normal(1, sigma^2). Both oracles
draw ``samples`` independent dropout vectors and average the sampled quantity directly, with
no use of the closed forms that the reference implements.
"""

from __future__ import annotations

import numpy as np

_CHUNK = 50_000  # rows per batch: keeps memory small for any sample size


def _batches(W, x, y_d, sigma, rng, samples):
    W = np.asarray(W, dtype=float)
    x = np.asarray(x, dtype=float)
    done = 0
    while done < samples:
        size = min(_CHUNK, samples - done)
        delta = rng.normal(1.0, sigma, size=(size, W.size))  # (size, n)
        residual = y_d - delta @ (W * x)  # y_d - sum_k delta_k W_k x_k, per sample
        yield delta, residual
        done += size


def dropout_grad_mc(W, x, y_d, sigma, rng, samples):
    """Sample mean of dJ1/dW_i = -delta_i x_i (y_d - sum_k delta_k W_k x_k)."""
    x = np.asarray(x, dtype=float)
    total = np.zeros(x.size)
    for delta, residual in _batches(W, x, y_d, sigma, rng, samples):
        total += (-(delta * x) * residual[:, None]).sum(axis=0)
    return total / samples


def dropout_loss_mc(W, x, y_d, sigma, rng, samples):
    """Sample mean of J1 = 0.5 (y_d - sum_k delta_k W_k x_k)^2."""
    total = 0.0
    for _, residual in _batches(W, x, y_d, sigma, rng, samples):
        total += float(np.sum(0.5 * residual**2))
    return total / samples
