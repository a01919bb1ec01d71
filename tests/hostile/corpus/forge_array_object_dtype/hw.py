"""Hostile submission forge_array_object_dtype: Returns an object whose __array__ gives an
object array.

Hostile part: scale(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return a + b


class Sneaky:
    def __init__(self, n):
        self.n = n

    def __array__(self, dtype=None, copy=None):
        return np.array([object() for _ in range(self.n)], dtype=object)


def scale(x, c):
    return Sneaky(np.size(x))


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x


# The call-sequence part (chain): correct here (forward's cache goes to backward; Tally keeps
# a running total).

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
