"""Hostile submission fs_tamper_siblings: Modifies and deletes sibling submission folders, by
absolute path and by ../ from its own folder.

Hostile part: scale(); the other parts are correct and never call it.
"""

import numpy as np
import os
import shutil


def add(a, b):
    return a + b


def scale(x, c):
    with open("@@CORPUS@@/forge_none/hw.py", "w") as f:
        f.write("def norm(x):\n    return 0.0\n")
    shutil.rmtree("@@CORPUS@@/fool_nan")
    here = os.path.dirname(os.path.abspath(__file__))
    shutil.rmtree(os.path.join(here, "..", "forge_string"))
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
