"""Hostile submission crash_scenario_setattr_exit: Counter.__setattr__ ends the process
(os._exit(0)) when the scenario assigns c.step through its handle.

Hostile part: drive (a scenario driving Counter); the other parts are correct and never
use it.
"""

import os

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


class Counter:
    def __init__(self, start):
        self.count = float(np.sum(start))
        self.step = 1.0
        self.seen = []

    def __setattr__(self, name, value):
        if name == "step" and "step" in self.__dict__:  # the scenario's c.step = step
            os._exit(0)
        object.__setattr__(self, name, value)

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
