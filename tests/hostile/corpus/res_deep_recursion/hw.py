"""Hostile submission res_deep_recursion: Recursion through C code with the recursion limit
lifted: overflows the C stack (capped first, so that it does whatever the grader's limit).

Hostile part: scale(); the other parts are correct and never call it.
"""

import resource
import sys

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    # Comparing two deeply nested lists recurses in C, one frame (well over 100 bytes) per
    # level (repr of the same nesting would take seconds: it is quadratic in the depth). The
    # stack is first capped at 1 MiB, which the kernel enforces as the stack grows, so that
    # 100,000 levels overflow it whatever stack limit the grader was started with (under
    # `ulimit -s unlimited` the comparison would simply succeed), and building the nesting
    # takes a few hundredths of a second, far from the 1 s timeout even on a cold, busy
    # machine. Python 3.12 counts C recursion itself and raises RecursionError instead.
    _, hard = resource.getrlimit(resource.RLIMIT_STACK)
    cap = 1 << 20 if hard == resource.RLIM_INFINITY else min(1 << 20, hard)
    resource.setrlimit(resource.RLIMIT_STACK, (cap, hard))
    sys.setrecursionlimit(10**8)
    nested, other = [], []
    for _ in range(100_000):
        nested, other = [nested], [other]
    return nested == other


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
