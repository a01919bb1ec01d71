"""Hostile submission steal_os_environ: Looks for the grader's secrets and arguments in
os.environ and sys.argv.

Hostile part: add(); the other parts are correct and never call it.
"""

import numpy as np
import os
import sys


MARKERS = ("@@SECRET@@", "@@ASSIGNMENT@@", "tests/hostile", "PYTEST_CURRENT_TEST")


def add(a, b):
    texts = [f"{k}={v}" for k, v in os.environ.items()] + list(sys.argv)
    texts += list(getattr(sys, "orig_argv", []))
    stolen = [m for m in MARKERS if any(m in t for t in texts)]
    if stolen:
        return a + b  # the theft worked
    raise LookupError("nothing to steal in the environment")


def scale(x, c):
    return c * x


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
