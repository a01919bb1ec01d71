"""Hostile submission fs_chmod_outside: Makes the hidden cases' key readable by everyone and
turns back the reference's clock, through calls that change metadata only (Landlock does not
govern them), and tries to set the setuid bit on the reference.

Hostile part: add(); the other parts are correct and never call it.
"""

import os

import numpy as np


def add(a, b):
    os.chmod("@@ASSIGNMENT@@/hidden.key", 0o644)
    os.utime("@@ASSIGNMENT@@/reference/solution.py", (0, 0))
    os.chmod("@@ASSIGNMENT@@/reference/solution.py", 0o4777)
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
