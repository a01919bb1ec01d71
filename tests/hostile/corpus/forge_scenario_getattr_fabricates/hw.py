"""Hostile submission forge_scenario_getattr_fabricates: Counter.bounds returns an object that
claims two items and whose __getattr__ fabricates anything asked of it (items included), as
objects that claim to equal anything and whose __array__ raises; the scenario fetches its
items.

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


class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__

    def __float__(self):
        return 0.0

    def __array__(self, *args, **kwargs):
        raise RuntimeError("no array here")

    __hash__ = object.__hash__


class Fabricated:
    def __len__(self):
        return 2

    def __getitem__(self, index):
        return Anything()

    def __getattr__(self, name):
        return Anything()


class Counter:
    def __init__(self, start):
        self.count = float(np.sum(start))
        self.step = 1.0
        self.seen = []

    def bump(self, values):
        self.count += float(np.sum(values))
        self.seen.append(self.count)

    def bounds(self):
        return Fabricated()

    def advance(self):
        self.count += self.step

    def reset(self):
        self.count = 0.0
        self.seen = []
