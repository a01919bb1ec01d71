# A correct student whose caches are objects of its own class, and whose network keeps its
# weights as attributes behind a params property.
import numpy as np


class Cache:
    def __init__(self, **saved):
        self.__dict__.update(saved)


def affine_forward(x, w, b):
    return np.dot(x, w) + b, Cache(inputs=x, weights=w)


def affine_backward(dout, cache):
    return dout @ cache.weights.T, cache.inputs.T @ dout, dout.sum(0)


class TwoLayerNet:
    def __init__(self, input_dim, hidden_dim, num_classes, reg=0.0):
        self.params = {"W1": np.zeros((input_dim, hidden_dim)), "b1": np.zeros(hidden_dim),
                       "W2": np.zeros((hidden_dim, num_classes)), "b2": np.zeros(num_classes)}
        self.reg = reg

    def loss(self, X, y):
        p = self.params
        a, ca = affine_forward(X, p["W1"], p["b1"])
        h = np.maximum(a, 0)
        s, cs = affine_forward(h, p["W2"], p["b2"])
        s = s - s.max(1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(1, keepdims=True))
        n = len(y)
        loss = -logp[np.arange(n), y].sum() / n + 0.5 * self.reg * sum(
            (p[k] ** 2).sum() for k in ("W1", "W2"))
        ds = np.exp(logp)
        ds[np.arange(n), y] -= 1
        ds /= n
        dh, dW2, db2 = affine_backward(ds, cs)
        _, dW1, db1 = affine_backward(dh * (a > 0), ca)
        return loss, {"W1": dW1 + self.reg * p["W1"], "b1": db1,
                      "W2": dW2 + self.reg * p["W2"], "b2": db2}


class LinearClassifier:
    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, num_iters=100):
        self.W = np.zeros((X.shape[1], y.max() + 1)) if self.W is None else self.W
        onehot = np.eye(y.max() + 1)[y]
        for _ in range(num_iters):
            z = X @ self.W
            z = np.exp(z - z.max(axis=1, keepdims=True))
            self.W = self.W - learning_rate * X.T @ (z / z.sum(1, keepdims=True) - onehot) / len(y)

    def predict(self, X):
        return (X @ self.W).argmax(1)


def batchnorm_forward(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    mu = x.mean(0)
    xc = x - mu
    var = (xc ** 2).mean(0)
    std = np.sqrt(var + eps)
    xhat = xc / std
    bn_param["running_mean"] = momentum * bn_param.get("running_mean", 0 * mu) + (1 - momentum) * mu
    bn_param["running_var"] = momentum * bn_param.get("running_var", 0 * var) + (1 - momentum) * var
    return gamma * xhat + beta, Cache(xhat=xhat, std=std, gamma=gamma)


def batchnorm_backward(dout, cache):
    n = dout.shape[0]
    dxhat = dout * cache.gamma
    dx = (dxhat - dxhat.mean(0) - cache.xhat * (dxhat * cache.xhat).mean(0)) / cache.std
    return dx, (dout * cache.xhat).sum(0), dout.sum(0)


def relu_forward(x):
    return np.where(x > 0, x, 0.0), Cache(mask=x > 0)


def relu_backward(dout, cache):
    return np.where(cache.mask, dout, 0.0)


def softmax_loss(x, y):
    z = x - x.max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    n = len(y)
    loss = -np.mean(np.log(p[np.arange(n), y]))
    p[np.arange(n), y] -= 1
    return loss, p / n
