"""Homework 2 as the written answer sheet derives it, transcribed formula by formula.

The derivations are mostly right. Where the sheet stops short, this file does what the sheet
says and no more:

- Q1: sigma(z) = 1 / (1 + e^{-z}) exactly as written (no stable form): overflows at z = -1000.
  The gradients sum_n (yhat_n - y_n) x_n and sum_n (yhat_n - y_n) and the update rule are right.
- Q2: the Jacobian gamma (1 - 1/n) on the diagonal and -gamma/n off it is right. The sheet
  derives the backward pass through the centering step only, so dx = gamma/sigma (dy - mean dy)
  misses the term that flows through the variance.
- Q3: softmax e^{z_i} / sum_j e^{z_j} as written (no max shift); its Jacobian and the logit
  gradient yhat - y are right. The leaky ReLU slope is the sheet's fixed 0.01, not alpha.
- Q4: the Hessian as the Jacobian of the gradient: central differences of central differences.
- Q5: E[dJ/dW_i] = -x_i (y_d - W_i x_i (1 + sigma^2) - sum_{k != i} W_k x_k) is right. The sheet
  never derives E[J1]; it writes the unregularized objective 0.5 (y_d - sum_k W_k x_k)^2.
- Q6: Newton's iteration x - f(x)/f'(x) with f = grad g, i.e. x - H^{-1} grad, is right.
- Q7: H = diag(yhat) - yhat yhat^T is right, built on the sheet's unshifted softmax.
"""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def neuron_gradients(w, b, X, y):
    yhat = sigmoid(X @ w + b)
    return X.T @ (yhat - y), float(np.sum(yhat - y))


def gradient_descent_step(w, b, X, y, lr):
    dw, db = neuron_gradients(w, b, X, y)
    return w - lr * dw, b - lr * db


def centering_jacobian(n, gamma):
    J = np.full((n, n), -gamma / n)
    np.fill_diagonal(J, gamma * (1 - 1 / n))
    return J


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=0)
    var = np.mean((x - mu) ** 2, axis=0)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def batchnorm_backward(dy, x, gamma, eps=1e-5):
    mu = np.mean(x, axis=0)
    var = np.mean((x - mu) ** 2, axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    dx = gamma / np.sqrt(var + eps) * (dy - np.mean(dy, axis=0))
    return dx, np.sum(dy * xhat, axis=0), np.sum(dy, axis=0)


def softmax(z):
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_jacobian(z):
    p = softmax(z)
    J = -np.outer(p, p)
    J[np.diag_indices_from(J)] = p * (1 - p)
    return J


def cross_entropy_grad_logits(z, y):
    return softmax(z) - y


def mlp_grad_W1(x, W1, b1, W2, b2, y, alpha=0.01):
    z1 = W1 @ x + b1
    a1 = np.where(z1 > 0, z1, 0.01 * z1)
    yhat = softmax(W2 @ a1 + b2)
    g_prime = np.where(z1 > 0, 1.0, 0.01)
    return np.outer((W2.T @ (yhat - y)) * g_prime, x)


def numerical_hessian(f, x, h=1e-4):
    x = np.asarray(x, dtype=float)
    n = len(x)

    def gradient(v):
        g = np.zeros(n)
        for i in range(n):
            e = np.zeros(n)
            e[i] = h
            g[i] = (f(v + e) - f(v - e)) / (2 * h)
        return g

    H = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        H[:, j] = (gradient(x + e) - gradient(x - e)) / (2 * h)
    return H


def expected_dropout_grad(W, x, y_d, sigma):
    n = len(W)
    grad = np.zeros(n)
    for i in range(n):
        others = sum(W[k] * x[k] for k in range(n) if k != i)
        grad[i] = -x[i] * (y_d - W[i] * x[i] * (1 + sigma**2) - others)
    return grad


def expected_dropout_loss(W, x, y_d, sigma):
    return 0.5 * (y_d - np.sum(W * x)) ** 2


def newton_minimize(grad, hess, x0, tol=1e-10, max_iter=100):
    x = np.array(x0, dtype=float)
    for _ in range(max_iter):
        step = np.linalg.solve(hess(x), grad(x))
        x = x - step
        if np.linalg.norm(step) < tol:
            break
    return x


def cross_entropy_hessian(z):
    yhat = softmax(z)
    return np.diag(yhat) - np.outer(yhat, yhat)
