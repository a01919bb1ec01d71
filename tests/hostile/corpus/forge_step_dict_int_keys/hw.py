"""Hostile submission forge_step_dict_int_keys: the value the sequence returns last, t.total, is
a dict with non-string keys (the right total under the key 0, and more under a tuple key and
an object whose __eq__ and __hash__ lie).

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


class Key:
    def __eq__(self, other):
        return True

    def __hash__(self):
        return hash("total")


class Tally:
    def __init__(self, start):
        self.total = {0: float(np.sum(start)), (1, 2): 3.0, Key(): 4.0}

    def add(self, values):
        self.total[0] += float(np.sum(values))


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
