"""Homework 2, correct, computed in single precision: each function converts its inputs to
float32, computes in float32 and returns float64 (as a student who writes
``x = x.astype(np.float32)`` for speed would). The tolerances accept it wherever float32
can reach the answer; `numerical_hessian` (finite differences with h = 1e-4) and
`newton_minimize` (a stopping test at 1e-10) need float64, and lose points here.
"""

import functools

import numpy as np

F = np.float32


def _in(value):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(F)
    return F(value) if isinstance(value, float) else value


def _out(value):
    if isinstance(value, tuple):
        return tuple(_out(v) for v in value)
    if isinstance(value, (np.ndarray, np.floating)):
        return np.asarray(value, dtype=np.float64)
    return value


def single(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return _out(fn(*map(_in, args), **{k: _in(v) for k, v in kwargs.items()}))
    return wrapper


def _sigmoid(z):
    z = np.asarray(z, dtype=F)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _neuron_gradients(w, b, X, y):
    residual = _sigmoid(X @ w + b) - y
    return X.T @ residual, residual.sum()


def _gradient_descent_step(w, b, X, y, lr):
    dw, db = _neuron_gradients(w, b, X, y)
    return w - lr * dw, b - lr * db


def _centering_jacobian(n, gamma):
    return gamma * (np.eye(n, dtype=F) - F(1) / n)


def _batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    return gamma * (x - mu) / np.sqrt(var + F(eps)) + beta


def _batchnorm_backward(dy, x, gamma, eps=1e-5):
    n = x.shape[0]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    inv_std = 1 / np.sqrt(var + F(eps))
    xhat = (x - mu) * inv_std
    dxhat = dy * gamma
    dx = inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)


def _softmax(z):
    z = np.asarray(z, dtype=F)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_jacobian(z):
    p = _softmax(z)
    return np.diag(p) - np.outer(p, p)


def _cross_entropy_grad_logits(z, y):
    return _softmax(z) - y


def _mlp_grad_W1(x, W1, b1, W2, b2, y, alpha=0.01):
    z1 = W1 @ x + b1
    slope = np.where(z1 > 0, F(1), F(alpha))
    dz2 = _softmax(W2 @ (z1 * slope) + b2) - y
    return np.outer((W2.T @ dz2) * slope, x)


def _numerical_hessian(f, x, h=1e-4):
    x = np.asarray(x, dtype=F)
    n = x.size
    H = np.empty((n, n), dtype=F)
    steps = np.eye(n, dtype=F) * F(h)
    for i in range(n):
        for j in range(i, n):
            ei, ej = steps[i], steps[j]
            H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej)
                                 + f(x - ei - ej)) / F(4 * h * h)
    return H


def _expected_dropout_grad(W, x, y_d, sigma):
    return -x * (y_d - W @ x) + sigma**2 * W * x**2


def _expected_dropout_loss(W, x, y_d, sigma):
    return 0.5 * (y_d - W @ x) ** 2 + 0.5 * sigma**2 * np.sum(W**2 * x**2)


def _newton_minimize(grad, hess, x0, tol=1e-10, max_iter=100):
    x = np.array(x0, dtype=F)
    for _ in range(max_iter):
        step = np.linalg.solve(np.asarray(hess(x), dtype=F), np.asarray(grad(x), dtype=F))
        x = x - step
        if np.linalg.norm(step) < tol:
            break
    return x


sigmoid = single(_sigmoid)
neuron_gradients = single(_neuron_gradients)
gradient_descent_step = single(_gradient_descent_step)
centering_jacobian = single(_centering_jacobian)
batchnorm_forward = single(_batchnorm_forward)
batchnorm_backward = single(_batchnorm_backward)
softmax = single(_softmax)
softmax_jacobian = single(_softmax_jacobian)
cross_entropy_grad_logits = single(_cross_entropy_grad_logits)
mlp_grad_W1 = single(_mlp_grad_W1)
numerical_hessian = single(_numerical_hessian)
expected_dropout_grad = single(_expected_dropout_grad)
expected_dropout_loss = single(_expected_dropout_loss)
newton_minimize = single(_newton_minimize)
cross_entropy_hessian = single(_softmax_jacobian)
