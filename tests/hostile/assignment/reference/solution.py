"""Reference solutions of the hostile-suite assignment (instructor-only: never visible to a
student process under full isolation; corpus entries try to read or import this file)."""

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x


# The call-sequence part (chain): forward's cache goes to backward; Tally keeps a total.

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


# The scenario part (drive, reference/scenarios.py): a Counter driven call by call.

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
