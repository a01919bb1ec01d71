"""Known-wrong answers to Q2, taken from mistakes students make. The cases must reject each.

Every function has the student's signature and is self-contained (it may be graded alone,
in place of the student function of the same part); helpers start with an underscore.
"""

import numpy as np

# --- centering_jacobian ------------------------------------------------------------------------


def centering_jacobian_identity(n, gamma):
    """Treats the mean as a constant (the n -> infinity limit): d y_i / d x_j = gamma *
    delta_ij."""
    return gamma * np.eye(n)


def centering_jacobian_missing_gamma(n, gamma):
    """Differentiates x - mean(x) and forgets the scale gamma."""
    return np.eye(n) - 1.0 / n


def centering_jacobian_diag_only(n, gamma):
    """Only the i = j case: gamma (1 - 1/n) on the diagonal, the -gamma/n entries dropped."""
    return gamma * (1.0 - 1.0 / n) * np.eye(n)


# --- batchnorm_forward -------------------------------------------------------------------------


def batchnorm_forward_unbiased_var(x, gamma, beta, eps=1e-5):
    """Sample variance (ddof=1) instead of the biased batch variance."""
    mu = x.mean(axis=0)
    var = x.var(axis=0, ddof=1)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def batchnorm_forward_ignores_eps(x, gamma, beta, eps=1e-5):
    """Divides by the standard deviation alone: eps accepted but never used."""
    mu = x.mean(axis=0)
    return gamma * (x - mu) / np.sqrt(x.var(axis=0)) + beta


def batchnorm_forward_eps_outside_sqrt(x, gamma, beta, eps=1e-5):
    """sqrt(var) + eps instead of sqrt(var + eps)."""
    mu = x.mean(axis=0)
    return gamma * (x - mu) / (np.sqrt(x.var(axis=0)) + eps) + beta


def batchnorm_forward_divides_by_var(x, gamma, beta, eps=1e-5):
    """Divides by the variance, not by its square root."""
    mu = x.mean(axis=0)
    return gamma * (x - mu) / (x.var(axis=0) + eps) + beta


def batchnorm_forward_normalizes_features(x, gamma, beta, eps=1e-5):
    """Statistics over axis 1 (each example's features: layer norm) instead of the batch axis."""
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


# --- batchnorm_backward ------------------------------------------------------------------------


def _stats(x, eps, ddof=0):
    mu = x.mean(axis=0)
    inv_std = 1.0 / np.sqrt(x.var(axis=0, ddof=ddof) + eps)
    return (x - mu) * inv_std, inv_std


def batchnorm_backward_missing_mean_term(dy, x, gamma, eps=1e-5):
    """Forgets the path through the mean: no - mean(dxhat) term."""
    xhat, inv_std = _stats(x, eps)
    dxhat = dy * gamma
    dx = inv_std * (dxhat - xhat * (dxhat * xhat).mean(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)


def batchnorm_backward_missing_var_term(dy, x, gamma, eps=1e-5):
    """Differentiates through the mean only (as in the centering question), treating the
    variance as a constant: no - xhat * mean(dxhat * xhat) term."""
    xhat, inv_std = _stats(x, eps)
    dxhat = dy * gamma
    dx = inv_std * (dxhat - dxhat.mean(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)


def batchnorm_backward_stats_constant(dy, x, gamma, eps=1e-5):
    """Treats both batch statistics as constants: dx = dy * gamma / sqrt(var + eps)."""
    xhat, inv_std = _stats(x, eps)
    return dy * gamma * inv_std, (dy * xhat).sum(axis=0), dy.sum(axis=0)


def batchnorm_backward_dgamma_uses_x(dy, x, gamma, eps=1e-5):
    """dgamma = sum(dy * x): the raw input instead of the normalized xhat."""
    n = x.shape[0]
    xhat, inv_std = _stats(x, eps)
    dxhat = dy * gamma
    dx = inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, (dy * x).sum(axis=0), dy.sum(axis=0)


def batchnorm_backward_unbiased_var(dy, x, gamma, eps=1e-5):
    """The right backward formula around a forward pass that used the sample variance (ddof=1)."""
    n = x.shape[0]
    xhat, inv_std = _stats(x, eps, ddof=1)
    dxhat = dy * gamma
    dx = inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)


def batchnorm_backward_mean_not_sum(dy, x, gamma, eps=1e-5):
    """dgamma and dbeta averaged over the batch instead of summed (invisible when N = 1)."""
    n = x.shape[0]
    xhat, inv_std = _stats(x, eps)
    dxhat = dy * gamma
    dx = inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, (dy * xhat).mean(axis=0), dy.mean(axis=0)


def batchnorm_backward_ignores_eps(dy, x, gamma, eps=1e-5):
    """The right formula with eps dropped from 1/sqrt(var + eps) everywhere."""
    n = x.shape[0]
    mu = x.mean(axis=0)
    inv_std = 1.0 / np.sqrt(x.var(axis=0))
    xhat = (x - mu) * inv_std
    dxhat = dy * gamma
    dx = inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
