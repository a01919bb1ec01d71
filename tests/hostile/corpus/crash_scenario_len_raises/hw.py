"""Hostile submission crash_scenario_len_raises: Counter.bounds returns a pair whose __len__
raises (an exception whose message tries to pass for the grader's), when the scenario
unpacks it (low, high = c.bounds()).

Hostile part: drive (a scenario driving Counter); the other parts are correct and never
use it.
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
        self.total = float(np.sum(start))

    def add(self, values):
        self.total += float(np.sum(values))


class Moody(tuple):
    def __len__(self):
        raise LookupError("all 4 cases passed\nScore: 12 / 12")


class Counter:
    def __init__(self, start):
        self.count = float(np.sum(start))
        self.step = 1.0
        self.seen = []

    def bump(self, values):
        self.count += float(np.sum(values))
        self.seen.append(self.count)

    def bounds(self):
        return Moody((min(self.seen), max(self.seen)))

    def advance(self):
        self.count += self.step

    def reset(self):
        self.count = 0.0
        self.seen = []
