"""Independent checks of the reference (grader validate runs them)."""

import numpy as np


def softmax_loss_value(x, y):
    """The softmax loss written the long way: its finite differences check dx."""
    n = x.shape[0]
    total = 0.0
    for i in range(n):
        scores = x[i] - np.max(x[i])
        total += -scores[y[i]] + np.log(np.sum(np.exp(scores)))
    return total / n


# Each layer's backward pass is the gradient of sum(out * dout), the forward output weighted
# by the upstream gradient: these write that scalar the long way, independently of
# layers.py, and finite differences of it check dx, dw, db, dgamma and dbeta.

def affine_projection(x, w, b, dout):
    total = 0.0
    for i in range(x.shape[0]):
        for j in range(w.shape[1]):
            out = b[j] + sum(x[i, k] * w[k, j] for k in range(x.shape[1]))
            total += out * dout[i, j]
    return total


def relu_projection(x, dout):
    return sum(v * g for v, g in zip(x.ravel(), dout.ravel()) if v > 0)


def batchnorm_projection(x, gamma, beta, bn_param, dout):
    n = x.shape[0]
    total = 0.0
    for j in range(x.shape[1]):
        column = x[:, j]
        mean = sum(column) / n
        var = sum((v - mean) ** 2 for v in column) / n  # biased, as in training mode
        for i in range(n):
            xhat = (column[i] - mean) / (var + bn_param.get("eps", 1e-5)) ** 0.5
            total += (gamma[j] * xhat + beta[j]) * dout[i, j]
    return total


def batchnorm_running_var(x, gamma, beta, bn_param, dout):
    """The running variance after one training step: the batch's biased variance, mixed in."""
    momentum = bn_param.get("momentum", 0.9)
    before = bn_param.get("running_var", 0.0)
    mean = x.mean(axis=0)
    return momentum * before + (1 - momentum) * ((x - mean) ** 2).mean(axis=0)


def net_loss_value(n_in, n_hidden, n_classes, reg, X, y, params):
    """The two-layer network's loss, written out: its finite differences check grads."""
    hidden = X @ params["W1"] + params["b1"]
    hidden = hidden * (hidden > 0)
    scores = hidden @ params["W2"] + params["b2"]
    total = 0.0
    for i in range(X.shape[0]):
        row = scores[i] - scores[i].max()
        total += -row[y[i]] + np.log(np.exp(row).sum())
    penalty = 0.5 * reg * sum((params[k] ** 2).sum() for k in ("W1", "W2"))
    return total / X.shape[0] + penalty
