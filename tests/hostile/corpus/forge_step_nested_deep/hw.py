"""Hostile submission forge_step_nested_deep: t.total, the value the sequence returns last, is
the right total wrapped in lists 200 levels deep (too deep for one numpy array, so a
structure).

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


class Tally:
    def __init__(self, start):
        self._sum = float(np.sum(start))

    def add(self, values):
        self._sum += float(np.sum(values))

    @property
    def total(self):
        value = self._sum
        for _ in range(200):
            value = [value]
        return value


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
