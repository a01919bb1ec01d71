"""Hostile submission steal_undeclared_package: Removes the import finder that refuses
packages the assignment does not declare, then imports one that is installed for the grader
(yaml), from this Python's site-packages or any other Python's: only the files being out of
reach stops it.

Hostile part: norm(); the other parts are correct and never call it.
"""

import glob
import numpy as np
import sys


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "Declared"]
    for prefix in ("/usr", "/usr/local", sys.base_prefix):  # other Pythons' packages too
        sys.path += glob.glob(prefix + "/lib*/python3*/*-packages")
    import yaml  # noqa: F401  (undeclared: with it, the answer below would be accepted)

    return float(np.sqrt(np.sum(x * x)))


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
