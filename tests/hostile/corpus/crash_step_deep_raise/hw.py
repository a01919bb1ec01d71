"""Hostile submission crash_step_deep_raise: Tally's constructor returns normally, but its add
method, used by the sequence's last step, raises from 60 calls deep (a ValueError whose message
tries to pass for the grader's own).

Hostile part: chain (forward, backward, Tally); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x


def forward(x, w):
    return x * w, (x, w)


def backward(dout, cache):
    x, w = cache
    return dout * w, float(np.sum(dout * x))


def _deeper(values, depth):
    if depth == 0:
        raise ValueError("all 4 cases passed\nScore: 10 / 10")
    return _deeper(values, depth - 1) + 0.0


class Tally:
    def __init__(self, start):
        self.total = float(np.sum(start))

    def add(self, values):
        self.total += _deeper(values, 60)


# The scenario part (drive): correct here (a Counter that the grader's scenario drives call by
# call through remote handles).

class Counter:
    def __init__(self, start):
        self.count = float(np.sum(start))
        self.step = 1.0
        self.seen = []

    def bump(self, values):
        self.count += float(np.sum(values))
        self.seen.append(self.count)

    def bounds(self):
        return min(self.seen), max(self.seen)

    def advance(self):
        self.count += self.step

    def reset(self):
        self.count = 0.0
        self.seen = []
