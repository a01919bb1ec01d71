"""Hostile submission forge_dict_subclass_lies: Returns a dict subclass whose items, keys,
length, lookups and comparisons lie, whose attribute access exits the process, and whose
__del__ and __array__ try to forge the answer.

Hostile part: norm(); the other parts are correct and never call it.
"""

import os

import numpy as np


class Liar(dict):
    def items(self):
        return [("value", np.float64(123.0))]

    def keys(self):
        return ["value"]

    def __len__(self):
        return 0

    def __getitem__(self, key):
        return np.float64(123.0)

    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0

    def __getattr__(self, name):
        os._exit(0)

    def __array__(self, *args, **kwargs):
        return np.array(123.0)

    def __del__(self):
        print("FORGED: norm passes")


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return Liar({"junk": [x, None, "text"]})


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
