"""Hostile submission fs_poison_expected_cache: Writes into the grader's cache of expected
outputs, to poison later runs.

Hostile part: add(); the other parts are correct and never call it.
"""

import os

import numpy as np


def add(a, b):
    np.savez("@@CACHE@@/expected/poisoned.npz", zeros=np.zeros(3))
    for folder, _, files in os.walk("@@CACHE@@"):
        for name in files:
            if name.endswith(".npz"):
                np.savez(os.path.join(folder, name), zeros=np.zeros(3))
    return a + b


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
