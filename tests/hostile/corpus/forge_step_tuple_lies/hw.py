"""Hostile submission forge_step_tuple_lies: forward() returns a tuple subclass that holds three
items but whose __len__, __iter__ and __getitem__ claim the two the step unpacks (the right
output and its cache).

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


class Lying(tuple):
    def __len__(self):
        return 2

    def __iter__(self):
        return iter([tuple.__getitem__(self, 0), tuple.__getitem__(self, 1)])

    def __getitem__(self, i):
        return [tuple.__getitem__(self, 0), tuple.__getitem__(self, 1)][i]


def forward(x, w):
    return Lying((x * w, (x, w), "hidden third item"))


def backward(dout, cache):
    x, w = cache
    return dout * w, float(np.sum(dout * x))


class Tally:
    def __init__(self, start):
        self.total = float(np.sum(start))

    def add(self, values):
        self.total += float(np.sum(values))


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
