"""Known-wrong answers to Q3, taken from mistakes students make. The cases must reject each.

Every function has the student's signature and is self-contained (it may be graded alone,
in place of the student function of the same part); helpers start with an underscore.
"""

import numpy as np


def _softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --- softmax -----------------------------------------------------------------------------------

def softmax_no_max_shift(z):
    """No max shift: exp(1000) overflows to inf and inf / inf is NaN (with a RuntimeWarning)."""
    e = np.exp(np.asarray(z, dtype=float))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_wrong_axis(z):
    """Normalizes over axis 0 (down the batch) instead of the last axis: right for 1-D input
    only."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_global_sum(z):
    """Divides by the sum over the whole array, not per row: right only for a single row."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum()


def softmax_global_max_shift(z):
    """Shifts by the maximum of the whole array: a row far below it underflows to 0 / 0."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum(axis=-1, keepdims=True)


# --- softmax_jacobian --------------------------------------------------------------------------

def softmax_jacobian_diag_only(z):
    """diag(p) without the - p p^T term."""
    return np.diag(_softmax(z))


def softmax_jacobian_diagonal_entries_only(z):
    """Only the i = k case, p_k (1 - p_k), on the diagonal; the -p_k p_i entries left at 0."""
    p = _softmax(z)
    return np.diag(p * (1.0 - p))


def softmax_jacobian_missing_diag(z):
    """Only the i != k formula, - p p^T, used for every entry."""
    p = _softmax(z)
    return -np.outer(p, p)


# --- cross_entropy_grad_logits -----------------------------------------------------------------

def cross_entropy_grad_logits_sign_flipped(z, y):
    """y - softmax(z): the gradient of -L."""
    return y - _softmax(z)


def cross_entropy_grad_logits_mean_over_batch(z, y):
    """Averages over the batch, but L is a sum (invisible when N = 1)."""
    return (_softmax(z) - y) / z.shape[0]


def cross_entropy_grad_logits_softmax_axis0(z, y):
    """Softmax over the batch axis instead of the classes."""
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True) - y


def cross_entropy_grad_logits_diagonal_chain_rule(z, y):
    """dL/dz_i = dL/dp_i * dp_i/dz_i: only the diagonal of the softmax Jacobian, which gives
    -y_i (1 - p_i) and loses the p_i of every other class."""
    p = _softmax(z)
    return -y * (1.0 - p)


def cross_entropy_grad_logits_assumes_one_hot(z, y):
    """Turns y into a one-hot vector of its arg-max first: wrong for soft labels."""
    onehot = np.zeros_like(y)
    np.put_along_axis(onehot, np.argmax(y, axis=-1)[:, None], 1.0, axis=-1)
    return _softmax(z) - onehot


# --- mlp_grad_W1 -------------------------------------------------------------------------------

def _backprop(x, W1, b1, W2, b2, y, alpha, slope):
    z1 = W1 @ x + b1
    a1 = np.where(z1 > 0, z1, alpha * z1)
    z2 = W2 @ a1 + b2
    dz2 = _softmax(z2) - y
    return W2.T @ dz2 * slope(z1, a1), z1


def mlp_grad_W1_plain_relu(x, W1, b1, W2, b2, y, alpha=0.01):
    """The ReLU derivative (0 for z1 <= 0) instead of the leaky one (alpha)."""
    dz1, _ = _backprop(x, W1, b1, W2, b2, y, alpha, lambda z1, a1: (z1 > 0).astype(float))
    return np.outer(dz1, x)


def mlp_grad_W1_wrong_outer_order(x, W1, b1, W2, b2, y, alpha=0.01):
    """x dz1^T instead of dz1 x^T: the transpose, of shape (D, H)."""
    dz1, _ = _backprop(x, W1, b1, W2, b2, y, alpha,
                       lambda z1, a1: np.where(z1 > 0, 1.0, alpha))
    return np.outer(x, dz1)


def mlp_grad_W1_ignores_alpha(x, W1, b1, W2, b2, y, alpha=0.01):
    """Hard-codes the default slope 0.01, whatever alpha is passed."""
    z1 = W1 @ x + b1
    a1 = np.where(z1 > 0, z1, 0.01 * z1)
    dz2 = _softmax(W2 @ a1 + b2) - y
    dz1 = W2.T @ dz2 * np.where(z1 > 0, 1.0, 0.01)
    return np.outer(dz1, x)


def mlp_grad_W1_activation_not_derivative(x, W1, b1, W2, b2, y, alpha=0.01):
    """Multiplies by g(z1) = a1 instead of g'(z1)."""
    dz1, _ = _backprop(x, W1, b1, W2, b2, y, alpha, lambda z1, a1: a1)
    return np.outer(dz1, x)


def mlp_grad_W1_no_softmax(x, W1, b1, W2, b2, y, alpha=0.01):
    """Uses z2 - y as dL/dz2, forgetting the softmax."""
    z1 = W1 @ x + b1
    a1 = np.where(z1 > 0, z1, alpha * z1)
    dz2 = (W2 @ a1 + b2) - y
    dz1 = W2.T @ dz2 * np.where(z1 > 0, 1.0, alpha)
    return np.outer(dz1, x)
