"""A submission with the mistakes students really make.

Each wrong function has one typical mistake, and each mistake costs only its own part:
sigmoid and softmax are unstable, neuron_gradients averages instead of summing,
batchnorm_forward uses the unbiased variance, batchnorm_backward forgets a term,
softmax_jacobian forgets -p p^T, mlp_grad_W1 uses the plain ReLU derivative,
numerical_hessian uses forward differences with a large step, expected_dropout_grad forgets
the sigma^2 term and cross_entropy_hessian uses diag(p) alone. The other functions are right.
"""

import numpy as np


def sigmoid(z):
    # Unstable: exp(-z) overflows for z = -1000 (a RuntimeWarning), which the API forbids.
    return 1.0 / (1.0 + np.exp(-z))


def neuron_gradients(w, b, X, y):
    yhat = sigmoid(X @ w + b)
    # Mean instead of sum: the loss is a sum over the batch.
    return X.T @ (yhat - y) / len(y), float(np.mean(yhat - y))


def gradient_descent_step(w, b, X, y, lr):
    # Correct: the student recomputed the gradient here instead of reusing neuron_gradients.
    r = 1.0 / (1.0 + np.exp(-(X @ w + b))) - y
    return w - lr * (X.T @ r), b - lr * r.sum()


def softmax(z):
    # No max shift: exp(1000) overflows.
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_jacobian(z):
    p = np.exp(z - z.max())
    p = p / p.sum()
    # Forgot the -p p^T term.
    return np.diag(p)


def cross_entropy_grad_logits(z, y):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True) - y


def mlp_grad_W1(x, W1, b1, W2, b2, y, alpha=0.01):
    z1 = W1 @ x + b1
    a1 = np.where(z1 > 0, z1, alpha * z1)
    z2 = W2 @ a1 + b2
    p = np.exp(z2 - z2.max())
    p /= p.sum()
    # Plain ReLU derivative instead of the leaky one.
    dz1 = (W2.T @ (p - y)) * (z1 > 0)
    return np.outer(dz1, x)


def centering_jacobian(n, gamma):
    return gamma * (np.eye(n) - np.ones((n, n)) / n)


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    # Unbiased variance (ddof=1) instead of the biased batch variance.
    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + eps) + beta


def batchnorm_backward(dy, x, gamma, eps=1e-5):
    mu = x.mean(axis=0)
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    xhat = (x - mu) * inv_std
    dxhat = dy * gamma
    # Forgot the term that flows through the variance: - xhat * mean(dxhat * xhat).
    dx = inv_std * (dxhat - dxhat.mean(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)


def numerical_hessian(f, x, h=1e-4):
    # Forward differences with a large step.
    h = 1e-2
    n = len(x)
    H = np.zeros((n, n))
    fx = f(x)
    for i in range(n):
        for j in range(n):
            ei = np.zeros(n)
            ej = np.zeros(n)
            ei[i] = h
            ej[j] = h
            H[i, j] = (f(x + ei + ej) - f(x + ei) - f(x + ej) + fx) / h**2
    return H


def expected_dropout_grad(W, x, y_d, sigma):
    # Forgot the sigma^2 * W * x^2 term that the dropout noise contributes.
    return -x * (y_d - W @ x)


def expected_dropout_loss(W, x, y_d, sigma):
    return 0.5 * (y_d - W @ x) ** 2 + 0.5 * sigma**2 * np.sum(W**2 * x**2)


def newton_minimize(grad, hess, x0, tol=1e-10, max_iter=100):
    x = np.array(x0, dtype=float)
    for _ in range(max_iter):
        step = np.linalg.solve(hess(x), grad(x))
        x = x - step
        if np.linalg.norm(step) < tol:
            break
    return x


def cross_entropy_hessian(z):
    p = np.exp(z - z.max())
    p = p / p.sum()
    # diag(p) alone: forgot the -p p^T term.
    return np.diag(p)
