"""Hostile submission res_deep_recursion: Recursion through C code with the recursion limit
lifted: overflows the C stack.

Hostile part: scale(); the other parts are correct and never call it.
"""

import numpy as np
import sys


def add(a, b):
    return a + b


def scale(x, c):
    # Comparing two deeply nested lists recurses in C, one frame per level, and overflows the
    # C stack within a fraction of a second (repr of the same nesting would take seconds:
    # it is quadratic in the depth).
    sys.setrecursionlimit(10**8)
    nested, other = [], []
    for _ in range(200_000):
        nested, other = [nested], [other]
    return nested == other


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x
