"""The reference: the same names a student's layers.py defines (CS231n-style APIs)."""

import numpy as np


def affine_forward(x, w, b):
    out = x @ w + b
    return out, {"x": x, "w": w}


def affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


class TwoLayerNet:
    def __init__(self, input_dim, hidden_dim, num_classes, reg=0.0):
        rng = np.random.default_rng(0)
        self.params = {"W1": rng.normal(size=(input_dim, hidden_dim)) * 1e-3,
                       "b1": np.zeros(hidden_dim),
                       "W2": rng.normal(size=(hidden_dim, num_classes)) * 1e-3,
                       "b2": np.zeros(num_classes)}
        self.reg = reg

    def loss(self, X, y):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        h = np.maximum(0, X @ W1 + b1)
        scores = h @ W2 + b2
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        n = X.shape[0]
        loss = -np.log(probs[np.arange(n), y]).mean()
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dscores = probs.copy()
        dscores[np.arange(n), y] -= 1
        dscores /= n
        grads = {"W2": h.T @ dscores + self.reg * W2, "b2": dscores.sum(axis=0)}
        dh = dscores @ W2.T * (h > 0)
        grads["W1"] = X.T @ dh + self.reg * W1
        grads["b1"] = dh.sum(axis=0)
        return loss, grads


class LinearClassifier:
    """Softmax regression from zero weights, full-batch gradient descent."""

    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, num_iters=100):
        classes = int(y.max()) + 1
        if self.W is None:
            self.W = np.zeros((X.shape[1], classes))
        for _ in range(num_iters):
            scores = X @ self.W
            scores -= scores.max(axis=1, keepdims=True)
            probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
            probs[np.arange(len(y)), y] -= 1
            self.W -= learning_rate * X.T @ probs / len(y)
        return self

    def predict(self, X):
        return np.argmax(X @ self.W, axis=1)


def batchnorm_forward(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    d = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(d))
    running_var = bn_param.get("running_var", np.zeros(d))
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    out = gamma * xhat + beta
    bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
    bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    return out, {"xhat": xhat, "gamma": gamma, "var": var, "eps": eps}


def batchnorm_backward(dout, cache):
    xhat, gamma, var, eps = cache["xhat"], cache["gamma"], cache["var"], cache["eps"]
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    dx = (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (
        n * np.sqrt(var + eps))
    return dx, dgamma, dbeta


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def softmax_loss(x, y):
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -log_probs[np.arange(n), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    return loss, dx / n
