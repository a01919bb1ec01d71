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
