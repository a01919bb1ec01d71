"""Hostile submission forge_scenario_len_huge: Counter.bounds returns a pair whose __len__
claims 10**12 items (and whose items are the right ones), when the scenario unpacks it
(low, high = c.bounds()): the grader asks for its length first.

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


class Huge(tuple):
    def __len__(self):
        return 10**12


class Counter:
    def __init__(self, start):
        self.count = float(np.sum(start))
        self.step = 1.0
        self.seen = []

    def bump(self, values):
        self.count += float(np.sum(values))
        self.seen.append(self.count)

    def bounds(self):
        return Huge((min(self.seen), max(self.seen)))

    def advance(self):
        self.count += self.step

    def reset(self):
        self.count = 0.0
        self.seen = []
