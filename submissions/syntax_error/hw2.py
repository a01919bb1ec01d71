"""Almost correct, but softmax lacks the colon after its signature: nothing imports, so every question scores 0."""

from __future__ import annotations

import numpy as np


# --- Q1: sigmoid neuron with cross-entropy ---------------------------------------------------

def sigmoid(z):
    z = np.asarray(z, dtype=float)
    # exp of a non-positive number never overflows: use exp(-|z|) on both branches.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def neuron_gradients(w, b, X, y):
    residual = sigmoid(X @ w + b) - y
    return X.T @ residual, float(np.sum(residual))


def gradient_descent_step(w, b, X, y, lr):
    dw, db = neuron_gradients(w, b, X, y)
    return w - lr * dw, float(b - lr * db)


# --- Q2: batch normalization -----------------------------------------------------------------

def centering_jacobian(n, gamma):
    return gamma * (np.eye(n) - 1.0 / n)


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def batchnorm_backward(dy, x, gamma, eps=1e-5):
    n = x.shape[0]
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv_std
    dbeta = dy.sum(axis=0)
    dgamma = (dy * xhat).sum(axis=0)
    dxhat = dy * gamma
    dx = inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, dgamma, dbeta


# --- Q3: softmax and backprop through a 2-layer MLP -------------------------------------------

def softmax(z)
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_jacobian(z):
    p = softmax(z)
    return np.diag(p) - np.outer(p, p)


def cross_entropy_grad_logits(z, y):
    return softmax(z) - y


def mlp_grad_W1(x, W1, b1, W2, b2, y, alpha=0.01):
    z1 = W1 @ x + b1
    a1 = np.where(z1 > 0, z1, alpha * z1)
    z2 = W2 @ a1 + b2
    dz2 = softmax(z2) - y
    da1 = W2.T @ dz2
    dz1 = da1 * np.where(z1 > 0, 1.0, alpha)
    return np.outer(dz1, x)


# --- Q4: Hessian as the Jacobian of the gradient ----------------------------------------------

def numerical_hessian(f, x, h=1e-4):
    x = np.asarray(x, dtype=float)
    n = x.size
    H = np.empty((n, n))
    I = np.eye(n)  # noqa: E741
    for i in range(n):
        for j in range(i, n):
            ei, ej = I[i] * h, I[j] * h
            H[i, j] = H[j, i] = (
                f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)
            ) / (4 * h * h)
    return H


# --- Q5: Gaussian multiplicative dropout -------------------------------------------------------

def expected_dropout_grad(W, x, y_d, sigma):
    return -x * (y_d - W @ x) + sigma**2 * W * x**2


def expected_dropout_loss(W, x, y_d, sigma):
    return float(0.5 * (y_d - W @ x) ** 2 + 0.5 * sigma**2 * np.sum(W**2 * x**2))


# --- Q6: Newton's method -----------------------------------------------------------------------

def newton_minimize(grad, hess, x0, tol=1e-10, max_iter=100):
    x = np.array(x0, dtype=float)
    for _ in range(max_iter):
        step = np.linalg.solve(hess(x), grad(x))
        x = x - step
        if np.linalg.norm(step) < tol:
            break
    return x


# --- Q7: Hessian of softmax cross-entropy -----------------------------------------------------

def cross_entropy_hessian(z):
    p = softmax(z)
    return np.diag(p) - np.outer(p, p)
