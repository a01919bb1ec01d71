"""A submission with the mistakes students really make (one per graded function at most)."""

import numpy as np


def sigmoid(z):
    # Unstable: exp(-z) overflows for z = -1000 (a RuntimeWarning), which the API forbids.
    return 1.0 / (1.0 + np.exp(-z))


def neuron_gradients(w, b, X, y):
    yhat = sigmoid(X @ w + b)
    # Mean instead of sum: the loss is a sum over the batch.
    return X.T @ (yhat - y) / len(y), float(np.mean(yhat - y))


def gradient_descent_step(w, b, X, y, lr):
    # Correct given its own gradients, but inherits the mean-vs-sum bug above.
    dw, db = neuron_gradients(w, b, X, y)
    return w - lr * dw, b - lr * db


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
