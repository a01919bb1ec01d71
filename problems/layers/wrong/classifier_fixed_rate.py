"""The learning rate ignored (a fixed 0.1)."""

import numpy as np


class LinearClassifier:
    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, num_iters=100):
        if self.W is None:
            self.W = np.zeros((X.shape[1], int(y.max()) + 1))
        for _ in range(num_iters):
            scores = X @ self.W
            probs = np.exp(scores - scores.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
            probs[np.arange(len(y)), y] -= 1
            self.W -= 0.1 * X.T @ probs / len(y)

    def predict(self, X):
        return np.argmax(X @ self.W, axis=1)
