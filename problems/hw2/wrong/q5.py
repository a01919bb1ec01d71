"""Known-wrong answers to Q5 (Gaussian multiplicative dropout). The cases must reject each."""

from __future__ import annotations

import numpy as np

# --- expected_dropout_grad ---------------------------------------------------------------------


def expected_dropout_grad_missing_sigma_term(W, x, y_d, sigma):
    """The gradient of the noise-free loss: E[delta_i delta_k] = 1 used for i = k too."""
    return -x * (y_d - W @ x)


def expected_dropout_grad_sigma_not_squared(W, x, y_d, sigma):
    """Var(delta) taken as sigma instead of sigma^2."""
    return -x * (y_d - W @ x) + sigma * W * x**2


def expected_dropout_grad_x_not_squared(W, x, y_d, sigma):
    """The regulariser's derivative with x_i instead of x_i^2."""
    return -x * (y_d - W @ x) + sigma**2 * W * x


def expected_dropout_grad_sign_flipped(W, x, y_d, sigma):
    """d/dW of 0.5 (y_d - W.x)^2 taken with the wrong sign of the inner derivative."""
    return x * (y_d - W @ x) + sigma**2 * W * x**2


def expected_dropout_grad_shared_mask(W, x, y_d, sigma):
    """One delta shared by every weight (E[delta_i delta_k] = 1 + sigma^2 for all i, k)."""
    return -x * (y_d - W @ x) + sigma**2 * x * (W @ x)


# --- expected_dropout_loss ---------------------------------------------------------------------


def expected_dropout_loss_missing_half(W, x, y_d, sigma):
    """The variance term without the factor 0.5 of J1."""
    return float(0.5 * (y_d - W @ x) ** 2 + sigma**2 * np.sum(W**2 * x**2))


def expected_dropout_loss_missing_sigma_term(W, x, y_d, sigma):
    """J1 at delta = 1: the loss without dropout."""
    return float(0.5 * (y_d - W @ x) ** 2)


def expected_dropout_loss_sigma_not_squared(W, x, y_d, sigma):
    """Var(delta) taken as sigma instead of sigma^2."""
    return float(0.5 * (y_d - W @ x) ** 2 + 0.5 * sigma * np.sum(W**2 * x**2))


def expected_dropout_loss_shared_mask(W, x, y_d, sigma):
    """One delta shared by every weight: Var(sum) = sigma^2 (W.x)^2."""
    return float(0.5 * (y_d - W @ x) ** 2 + 0.5 * sigma**2 * (W @ x) ** 2)
