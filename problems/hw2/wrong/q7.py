"""Known-wrong answers to Q7 (cross_entropy_hessian). The cases must reject every one of them."""

from __future__ import annotations

import numpy as np


def _softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum()


def cross_entropy_hessian_diag_only(z):
    """diag(p): the p p^T term dropped."""
    return np.diag(_softmax(z))


def cross_entropy_hessian_outer_only(z):
    """-p p^T: the diag(p) term dropped."""
    p = _softmax(z)
    return -np.outer(p, p)


def cross_entropy_hessian_diagonal_entries_only(z):
    """Only the i = j case of the derivation: diag(p (1 - p)), zeros off the diagonal."""
    p = _softmax(z)
    return np.diag(p * (1.0 - p))


def cross_entropy_hessian_sign_flipped(z):
    """p p^T - diag(p): the Jacobian of y - softmax(z) instead of softmax(z) - y."""
    p = _softmax(z)
    return np.outer(p, p) - np.diag(p)


def cross_entropy_hessian_unstable(z):
    """Correct formula, but softmax without the max shift: overflows for logits of 1e3."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z)
    p = e / e.sum()
    return np.diag(p) - np.outer(p, p)
