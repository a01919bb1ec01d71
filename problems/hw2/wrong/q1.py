"""Known-wrong answers to Q1, taken from mistakes students make. The cases must reject each.

Every function has the student's signature and is self-contained (it may be graded alone,
in place of the student function of the same part); helpers start with an underscore.
"""

import numpy as np


def _sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# --- sigmoid -----------------------------------------------------------------------------------

def sigmoid_unstable(z):
    """Right values, but exp(-z) is computed for z = -1000 and overflows (a RuntimeWarning the
    API forbids): the textbook 1 / (1 + exp(-z)), or np.where, which evaluates both branches.

    1 / (1 + inf) = 0 happens to be the right value; the warning is the mistake."""
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def sigmoid_exp_over_one_plus_exp(z):
    """The other textbook form: exp(1000) overflows and inf / inf gives NaN."""
    e = np.exp(np.asarray(z, dtype=float))
    return e / (1.0 + e)


def sigmoid_tanh_missing_half(z):
    """sigma(z) = (1 + tanh(z / 2)) / 2, remembered without the / 2 inside the tanh."""
    return 0.5 * (1.0 + np.tanh(np.asarray(z, dtype=float)))


def sigmoid_clipped_output(z):
    """Clipping into [1e-7, 1 - 1e-7] "to keep the log finite" later: wrong in the tails."""
    return np.clip(_sigmoid(z), 1e-7, 1.0 - 1e-7)


# --- neuron_gradients --------------------------------------------------------------------------

def neuron_gradients_mean_not_sum(w, b, X, y):
    """Averages over the batch, but E is a sum (invisible when N = 1)."""
    r = _sigmoid(X @ w + b) - y
    return X.T @ r / len(y), float(np.mean(r))


def neuron_gradients_sign_flipped(w, b, X, y):
    """y - yhat instead of yhat - y: the gradient of -E."""
    r = y - _sigmoid(X @ w + b)
    return X.T @ r, float(np.sum(r))


def neuron_gradients_squared_error(w, b, X, y):
    """The gradient for a squared-error loss: an extra factor yhat (1 - yhat)."""
    yhat = _sigmoid(X @ w + b)
    r = (yhat - y) * yhat * (1.0 - yhat)
    return X.T @ r, float(np.sum(r))


def neuron_gradients_db_not_summed(w, b, X, y):
    """db left as the per-example residuals (shape (N,)) instead of their sum."""
    r = _sigmoid(X @ w + b) - y
    return X.T @ r, r


# --- gradient_descent_step ---------------------------------------------------------------------

def _grads(w, b, X, y):
    r = _sigmoid(X @ w + b) - y
    return X.T @ r, float(np.sum(r))


def gradient_descent_step_plus_sign(w, b, X, y, lr):
    """Gradient ascent: the step goes uphill."""
    dw, db = _grads(w, b, X, y)
    return w + lr * dw, float(b + lr * db)


def gradient_descent_step_mean_gradient(w, b, X, y, lr):
    """Steps along the mean gradient, as if E were an average (invisible when N = 1)."""
    dw, db = _grads(w, b, X, y)
    n = len(y)
    return w - lr * dw / n, float(b - lr * db / n)


def gradient_descent_step_bias_not_updated(w, b, X, y, lr):
    """Only the weights move; b is returned unchanged."""
    dw, _ = _grads(w, b, X, y)
    return w - lr * dw, float(b)


def gradient_descent_step_sequential_update(w, b, X, y, lr):
    """Updates w first, then computes db at the *new* w: not a simultaneous step."""
    dw, _ = _grads(w, b, X, y)
    w_new = w - lr * dw
    _, db = _grads(w_new, b, X, y)
    return w_new, float(b - lr * db)
